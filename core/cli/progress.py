"""Progress bars for long work, on stderr and only when stderr is a terminal.

A command shows one when its work spans more than one batch of ``CSM_MAX_BATCH`` rows
(seconds of work, not the blink of a small file); piped or redirected, nothing is drawn,
so stdout and stderr stay clean for scripts. click's own bar prints its label once when
the stream is not a terminal: it is hidden outright instead.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator

import click


def is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class Progress:
    """``advance(n)`` moves the bar; ``stage(text)`` names what runs now;
    ``next_stage(text)`` ends the stage running (one step) and names the next."""

    def __init__(self, bar):
        self._bar = bar
        self._stage: str | None = None

    def advance(self, steps: int = 1) -> None:
        self._bar.update(steps, self._stage)

    def stage(self, text: str) -> None:
        self._stage = self._bar.current_item = text
        self._bar.render_progress()

    def next_stage(self, text: str) -> None:
        if self._stage is not None:
            self.advance()
        self.stage(text)


@contextmanager
def progress(length: int, label: str, show: bool = True) -> Iterator[Progress]:
    """A bar of ``length`` steps labelled ``label``; drawn only when ``show`` and stderr
    is a terminal."""
    stream = sys.stderr
    hidden = not (show and is_terminal(stream))
    with click.progressbar(
        length=max(length, 1), label=label, file=stream, hidden=hidden, show_pos=True, item_show_func=lambda stage: stage
    ) as bar:
        yield Progress(bar)
