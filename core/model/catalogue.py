"""Industry catalogues: the facts a plugin hands to the core.

Touchpoints grouped by stage, KPI definitions, expectation-management rules and service
tiers. Every entry keeps a ``source`` naming the case it was taken from, so a reader can
trace each fact back. Rules, KPIs and tiers carry their parameters as plain data until the
rules engine and the service loop give them behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from core.model.errors import ModelError


def _require_code(code) -> None:
    if not isinstance(code, str) or not code.strip():
        raise ModelError("code must be a non-empty string", ("code",))


@dataclass(frozen=True)
class Factor:
    """A satisfaction factor the case names for the industry (e.g. price, convenience)."""

    code: str
    name: str
    name_zh: str = ""
    source: str = ""

    def __post_init__(self):
        _require_code(self.code)


@dataclass(frozen=True)
class AttributeValue:
    code: str
    name: str = ""
    name_zh: str = ""


@dataclass(frozen=True)
class RespondentAttribute:
    """A respondent profile field the case collects (gender, store type...): a breakdown key."""

    code: str
    name: str
    name_zh: str = ""
    values: tuple[AttributeValue, ...] = ()
    source: str = ""

    def __post_init__(self):
        _require_code(self.code)
        object.__setattr__(self, "values", tuple(self.values))


@dataclass(frozen=True)
class Industry:
    """An industry a plugin provides (e.g. ``retail``), with its descriptive metadata."""

    code: str
    name: str
    name_zh: str = ""
    description: str = ""
    source: str = ""
    factors: tuple[Factor, ...] = ()
    respondent_attributes: tuple[RespondentAttribute, ...] = ()

    def __post_init__(self):
        _require_code(self.code)
        object.__setattr__(self, "factors", tuple(self.factors))
        object.__setattr__(self, "respondent_attributes", tuple(self.respondent_attributes))


@dataclass(frozen=True)
class IndicatorTemplate:
    """A ready-made indicator set in the tenant YAML format, usable by reference."""

    code: str
    industry: str
    text: str
    file: str
    name: str = ""
    name_zh: str = ""
    source: str = ""

    def __post_init__(self):
        _require_code(self.code)


@dataclass(frozen=True)
class Touchpoint:
    code: str
    name: str
    name_zh: str = ""
    stage: str = ""
    description: str = ""
    source: str = ""

    def __post_init__(self):
        _require_code(self.code)


@dataclass(frozen=True)
class Stage:
    code: str
    name: str
    name_zh: str = ""
    touchpoints: tuple[Touchpoint, ...] = ()
    source: str = ""

    def __post_init__(self):
        _require_code(self.code)
        object.__setattr__(self, "touchpoints", tuple(self.touchpoints))


@dataclass(frozen=True)
class TouchpointCatalogue:
    """Stages → touchpoints for one industry; codes are unique across the catalogue."""

    industry: str
    stages: tuple[Stage, ...]

    def __post_init__(self):
        object.__setattr__(self, "stages", tuple(self.stages))
        seen: set[str] = set()
        for i, stage in enumerate(self.stages):
            for j, tp in enumerate(stage.touchpoints):
                if tp.code in seen:
                    raise ModelError(f"duplicate touchpoint code {tp.code!r}", ("stages", i, "touchpoints", j, "code"))
                seen.add(tp.code)

    @property
    def touchpoints(self) -> dict[str, Touchpoint]:
        return {tp.code: tp for s in self.stages for tp in s.touchpoints}


@dataclass(frozen=True)
class KPI:
    code: str
    name: str
    name_zh: str = ""
    unit: str = ""
    direction: str = "higher_is_better"
    description: str = ""
    source: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        _require_code(self.code)
        if self.direction not in ("higher_is_better", "lower_is_better"):
            raise ModelError("direction must be higher_is_better or lower_is_better", ("direction",))


@dataclass(frozen=True)
class Rule:
    """An expectation-management rule (time-limit commitment, escalation, entitlement)."""

    code: str
    name: str
    name_zh: str = ""
    kind: str = ""
    description: str = ""
    source: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        _require_code(self.code)


@dataclass(frozen=True)
class ServiceTier:
    code: str
    name: str
    name_zh: str = ""
    rank: int = 0
    services: tuple[str, ...] = ()
    description: str = ""
    source: str = ""

    def __post_init__(self):
        _require_code(self.code)
        object.__setattr__(self, "services", tuple(self.services))
