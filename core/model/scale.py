"""Rating scales: how a raw answer becomes a number between the scale's ends.

Three kinds cover the source cases: ``ordinal`` (labelled options with scores, e.g. the
supermarket's A 满意 … D 不满意, or the three-option queue-time item), ``numeric`` (a
number between ``min`` and ``max``, e.g. the tobacco fairness item on 10 points) and
``nps`` (0..10 with promoters 9-10 and detractors 0-6). ``text`` marks an open question:
its answers are kept but never scored.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

from core.model.errors import ModelError


class ScaleKind(str, enum.Enum):
    ORDINAL = "ordinal"
    NUMERIC = "numeric"
    NPS = "nps"
    TEXT = "text"


NPS_MIN, NPS_MAX = 0.0, 10.0
NPS_PROMOTER_MIN = 9.0
NPS_DETRACTOR_MAX = 6.0


@dataclass(frozen=True)
class ScaleOption:
    """One labelled answer of an ordinal scale."""

    code: str
    score: float
    label: str = ""
    label_zh: str = ""
    satisfied: bool = False

    def __post_init__(self):
        if not isinstance(self.code, str) or not self.code.strip():
            raise ModelError("option code must be a non-empty string", ("code",))
        if not _finite(self.score):
            raise ModelError("option score must be a finite number", ("score",))


@dataclass(frozen=True)
class Scale:
    """A rating scale. ``low``/``high`` are the scores that normalise to 0 and 100."""

    code: str
    kind: ScaleKind
    options: tuple[ScaleOption, ...] = ()
    min: float | None = None
    max: float | None = None
    name: str = ""
    name_zh: str = ""
    _lookup: dict = field(default=None, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self):
        kind = ScaleKind(self.kind)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "options", tuple(self.options))
        if kind is ScaleKind.ORDINAL:
            if len(self.options) < 2:
                raise ModelError("an ordinal scale needs at least two options", ("options",))
            seen: set[str] = set()
            for i, opt in enumerate(self.options):
                if opt.code in seen:
                    raise ModelError(f"duplicate option code {opt.code!r}", ("options", i, "code"))
                seen.add(opt.code)
            scores = [o.score for o in self.options]
            if min(scores) == max(scores):
                raise ModelError("option scores must not all be equal", ("options",))
            object.__setattr__(self, "min", float(min(scores)))
            object.__setattr__(self, "max", float(max(scores)))
        elif kind is ScaleKind.NPS:
            if self.options:
                raise ModelError("an nps scale takes no options", ("options",))
            object.__setattr__(self, "min", NPS_MIN)
            object.__setattr__(self, "max", NPS_MAX)
        elif kind is ScaleKind.NUMERIC:
            if self.options:
                raise ModelError("a numeric scale takes no options; use kind: ordinal", ("options",))
            if not _finite(self.min):
                raise ModelError("a numeric scale needs a finite min", ("min",))
            if not _finite(self.max):
                raise ModelError("a numeric scale needs a finite max", ("max",))
            if not self.max > self.min:
                raise ModelError(f"max ({self.max}) must be greater than min ({self.min})", ("max",))
            object.__setattr__(self, "min", float(self.min))
            object.__setattr__(self, "max", float(self.max))
        else:  # TEXT
            if self.options:
                raise ModelError("a text scale takes no options", ("options",))
        if kind is not ScaleKind.TEXT and not math.isfinite(self.max - self.min):
            raise ModelError(f"the range max − min ({self.max} − {self.min}) is too wide to normalise answers; narrow it", ("max",) if kind is ScaleKind.NUMERIC else ("options",))
        object.__setattr__(self, "_lookup", self._build_lookup())

    @property
    def scored(self) -> bool:
        """Whether answers on this scale count toward indices (text answers do not)."""
        return self.kind is not ScaleKind.TEXT

    def _build_lookup(self) -> dict[str, str]:
        """Map every accepted spelling of an option (code, label, label_zh) to its code."""
        lookup: dict[str, str] = {}
        for opt in self.options:
            for spelling in (opt.code, opt.label, opt.label_zh):
                if spelling:
                    lookup.setdefault(spelling.strip(), opt.code)
                    lookup.setdefault(spelling.strip().casefold(), opt.code)
        return lookup

    def option_code(self, raw: str) -> str | None:
        """The option code an answer spelled as code or label (either language) stands for."""
        key = str(raw).strip()
        return self._lookup.get(key) or self._lookup.get(key.casefold())

    @property
    def option_scores(self) -> dict[str, float]:
        return {o.code: float(o.score) for o in self.options}

    @property
    def satisfied_codes(self) -> frozenset[str]:
        return frozenset(o.code for o in self.options if o.satisfied)

    def normalise(self, score: float, reverse: bool = False) -> float:
        """(score − min) / (max − min) × 100, mirrored when ``reverse``; the scalar reference."""
        if not self.scored:
            raise ModelError(f"scale {self.code!r} is a text scale and has no scores")
        value = (float(score) - self.min) / (self.max - self.min) * 100.0
        return 100.0 - value if reverse else value


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
