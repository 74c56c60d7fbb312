"""Time-limit commitments (时限承诺) as immutable model objects.

A ``Commitment`` is one promise with a clock: which cases it applies to, which events
start, pause, resume, stop, cancel or reset its clock (ServiceNow's SLA conditions), the
limit, the calendar the clock counts on, and an escalation ladder: steps reached after
so much counted time, each with the remedy the customer is then owed (the restaurant's
fruit plate at 10 minutes, 20 % off at 15, double compensation within 5 minutes of a
complaint at 20; seed 003). The configuration section builds these; the engine
(``core.commitments.engine``) runs them over a case's event log.

Conditions are compiled CEL programs, held as callables taking an activation (the
variables ``case``, ``customer``, ``event``) and returning a bool; this module only calls
them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Protocol

from core.commitments.calendars import ALWAYS
from core.model import ModelError

# The order in which roles of events at one instant are applied: a clock that starts and
# stops at the same instant has run for zero seconds, whichever was recorded first.
ROLES = ("start", "reset", "pause", "resume", "stop", "cancel")
STATUSES = ("running", "met", "breached", "cancelled")


class Condition(Protocol):
    """A compiled expression: ``condition(activation) -> bool``; ``source`` is its text."""

    source: str

    def __call__(self, activation: Mapping[str, Any]) -> bool: ...


@dataclass(frozen=True)
class Trigger:
    """Which events play a role: any of ``types`` (all types when empty and a condition
    is given) and, when ``condition`` is set, only those it holds for. A trigger with
    neither never fires (``pause: []``)."""

    types: frozenset[str] = frozenset()
    condition: Condition | None = None

    @property
    def never(self) -> bool:
        return not self.types and self.condition is None

    def describe(self) -> Any:
        """How the resolved document writes it."""
        if self.condition is None:
            return sorted(self.types)
        out: dict[str, Any] = {"when": self.condition.source}
        if self.types:
            out["types"] = sorted(self.types)
        return out


NEVER = Trigger()


@dataclass(frozen=True)
class Clock:
    start: Trigger
    stop: Trigger
    pause: Trigger = NEVER
    resume: Trigger = NEVER
    cancel: Trigger = NEVER
    reset: Trigger = NEVER

    def __post_init__(self):
        if self.start.never:
            raise ModelError("a clock needs a start (an event type, a list of them, or {when: ...})", ("start",))
        if self.pause.never != self.resume.never:
            missing = "resume" if self.resume.never else "pause"
            raise ModelError(f"a clock that pauses must resume, and one that resumes must pause: {missing} is missing", (missing,))

    def role(self, name: str) -> Trigger:
        return getattr(self, name)


@dataclass(frozen=True)
class LadderStep:
    """A step of the escalation ladder: reached once more than ``after`` seconds have been
    counted on the open clock and ``when`` (if any) holds for the case. Its ``remedy`` is
    then owed; with ``respond_within`` it is owed within that time after the step was
    reached, and ``delivered`` names the event that records it given."""

    code: str
    after: float
    remedy: str = ""
    remedy_zh: str = ""
    when: Condition | None = None
    respond_within: float | None = None
    percent_off: float | None = None
    delivered: Trigger | None = None

    def __post_init__(self):
        if self.after < 0:
            raise ModelError("after must not be negative", ("after",))
        if self.respond_within is not None and self.respond_within <= 0:
            raise ModelError("respond_within must be longer than zero", ("respond_within",))
        if self.respond_within is not None and self.delivered is None:
            raise ModelError("respond_within needs delivered: the event that records the remedy given, so its time can be checked", ("delivered",))
        if self.percent_off is not None and not 0 < self.percent_off <= 100:
            raise ModelError("percent_off must be more than 0 and at most 100", ("percent_off",))

    @property
    def owes_remedy(self) -> bool:
        return bool(self.remedy or self.remedy_zh or self.percent_off is not None or self.delivered is not None)


@dataclass(frozen=True)
class Commitment:
    code: str
    clock: Clock
    limit: float
    calendar: str = ALWAYS
    applies_to: Condition | None = None
    ladder: tuple[LadderStep, ...] = ()
    name: str = ""
    name_zh: str = ""
    touchpoint: str | None = None
    source: str = ""

    def __post_init__(self):
        if self.limit <= 0:
            raise ModelError("limit must be longer than zero", ("limit",))
        seen: set[str] = set()
        for i, step in enumerate(self.ladder):
            if step.code in seen:
                raise ModelError(f"duplicate step code {step.code!r}", ("ladder", i, "code"))
            seen.add(step.code)
            if i and step.after < self.ladder[i - 1].after:
                raise ModelError("ladder steps are listed in the order they are reached: after must not decrease", ("ladder", i, "after"))

    @property
    def thresholds(self) -> tuple[float, ...]:
        """The counted times the engine watches: the limit first, then each step's after."""
        return (self.limit, *(s.after for s in self.ladder))

    @property
    def horizon(self) -> float:
        """The longest counted time any figure of this commitment looks ahead."""
        return max([self.limit, *(s.after + (s.respond_within or 0) for s in self.ladder)])
