"""What plugins register besides industry catalogues: their own metadata, and behaviour.

``PluginInfo`` is the metadata every plugin declares (checked when it is loaded).
``ExpressionFunction``, ``CaseType``, ``EventType`` and ``AnalysisMethod`` are what the
behaviour hooks return: functions tenant rule expressions may call, the kinds of service
case and service event the service loop handles, and analysis methods run over a tenant's
responses. They are frozen so a registry can hand the same objects to every tenant.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from core.model.errors import ModelError

PLUGIN_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
# Function names are identifiers in the rule expressions (CEL's identifier syntax).
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# CEL's type names (plus "any"); what an argument or a payload field holds.
VALUE_TYPES = frozenset({"any", "bool", "int", "double", "string", "timestamp", "duration", "list", "map"})


def _require_code(code, what: str = "code") -> None:
    if not isinstance(code, str) or not code.strip():
        raise ModelError(f"{what} must be a non-empty string", (what,))


def _require_source(source) -> None:
    """Every registered fact names where it comes from, so a reader can trace it."""
    if not isinstance(source, str) or not source.strip():
        raise ModelError("source is required: name the case this entry comes from", ("source",))


@dataclass(frozen=True)
class PluginInfo:
    """A plugin's metadata: its name, its version and the core versions it supports.

    ``name`` is what tenants enable (``PUT /api/v1/tenant/plugins/{name}``) and must be
    unique among installed plugins. ``version`` is a PEP 440 version; ``core`` a PEP 440
    specifier matched against ``core.__version__`` when the plugin is loaded, e.g.
    ``">=0.1,<0.2"``. Both are checked by ``core.plugins.get_plugin_manager``.
    """

    name: str
    version: str
    core: str
    description: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not PLUGIN_NAME.fullmatch(self.name):
            raise ModelError("plugin name must be 1-64 characters of a-z, 0-9, '_' and '-', starting with a letter or digit", ("name",))
        for attr in ("version", "core"):
            if not isinstance(getattr(self, attr), str) or not getattr(self, attr).strip():
                raise ModelError(f"{attr} must be a non-empty string", (attr,))


@dataclass(frozen=True)
class Param:
    """One argument of an expression function or analysis method, or one field of an event payload."""

    name: str
    type: str = "any"
    description: str = ""
    required: bool = True
    default: Any = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not IDENTIFIER.fullmatch(self.name):
            raise ModelError("a parameter name must be an identifier", ("name",))
        if self.type not in VALUE_TYPES:
            raise ModelError(f"unknown type {self.type!r}; one of {', '.join(sorted(VALUE_TYPES))}", ("type",))


def _params(value, path: str) -> tuple[Param, ...]:
    params = tuple(value)
    seen: set[str] = set()
    for i, p in enumerate(params):
        if not isinstance(p, Param):
            raise ModelError("must be a Param", (path, i))
        if p.name in seen:
            raise ModelError(f"duplicate parameter {p.name!r}", (path, i, "name"))
        seen.add(p.name)
    return params


@dataclass(frozen=True)
class ExpressionFunction:
    """A function tenant rule expressions may call, e.g. ``within_hours(opened, replied, 24)``.

    ``function`` is a pure Python callable taking exactly ``params`` (the arity is fixed, as
    in CEL); ``returns`` is the type of its result. Names are unique across plugins.
    """

    name: str
    function: Callable[..., Any]
    params: tuple[Param, ...]
    returns: str
    doc: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not IDENTIFIER.fullmatch(self.name):
            raise ModelError("a function name must be an identifier (letters, digits, '_')", ("name",))
        if not callable(self.function):
            raise ModelError("function must be callable", ("function",))
        object.__setattr__(self, "params", _params(self.params, "params"))
        if any(not p.required for p in self.params):
            raise ModelError("expression functions take a fixed number of arguments: every parameter is required", ("params",))
        if self.returns not in VALUE_TYPES:
            raise ModelError(f"unknown type {self.returns!r}", ("returns",))

    @property
    def arity(self) -> int:
        return len(self.params)


@dataclass(frozen=True)
class CaseType:
    """A kind of service case (complaint, repair request...), with its default time limit.

    ``default_time_limit_hours`` is the time-limit commitment (时限承诺) the case carries
    unless a tenant rule sets another; None when the source gives none.
    """

    code: str
    name: str
    source: str
    name_zh: str = ""
    description: str = ""
    default_time_limit_hours: float | None = None

    def __post_init__(self):
        _require_code(self.code)
        _require_source(self.source)
        hours = self.default_time_limit_hours
        if hours is not None and (isinstance(hours, bool) or not isinstance(hours, (int, float)) or not math.isfinite(hours) or hours <= 0):
            raise ModelError("default_time_limit_hours must be a positive number of hours, or None", ("default_time_limit_hours",))


@dataclass(frozen=True)
class EventType:
    """A kind of service event (a case opened, replied to, closed...) and its payload fields."""

    code: str
    name: str
    source: str
    name_zh: str = ""
    description: str = ""
    payload: tuple[Param, ...] = ()

    def __post_init__(self):
        _require_code(self.code)
        _require_source(self.source)
        object.__setattr__(self, "payload", _params(self.payload, "payload"))


# What an analysis method may need besides the responses (``AnalysisMethod.inputs``).
ANALYSIS_INPUTS = ("purchases", "customers")


@dataclass(frozen=True)
class AnalysisMethod:
    """An analysis run over a tenant's responses (e.g. a driver analysis).

    ``function(responses, indicator_set, params)`` takes the responses frame (as
    ``ResponseRepository.load_frame`` gives it), the ``IndicatorSet`` they were collected
    under and the resolved parameters, and returns a JSON-ready dict. ``params`` describes
    the parameters it accepts; ``resolve_params`` checks a request against it.

    ``inputs`` names the data it needs besides the responses, each passed as one more
    argument in the order named, from the store or an offline file: ``purchases`` (the
    purchase records, a frame of customer_id, purchased_at, amount, category_spend) and
    ``customers`` (the customers' attributes, a frame indexed by customer_id with one
    column per attribute; empty when none are stored or given).
    """

    code: str
    name: str
    function: Callable[..., dict]
    params: tuple[Param, ...] = ()
    name_zh: str = ""
    description: str = ""
    inputs: tuple[str, ...] = ()
    _by_name: Mapping[str, Param] = field(default=None, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self):
        _require_code(self.code)
        if not callable(self.function):
            raise ModelError("function must be callable", ("function",))
        object.__setattr__(self, "inputs", tuple(self.inputs))
        for name in self.inputs:
            if name not in ANALYSIS_INPUTS:
                raise ModelError(f"unknown input {name!r}; one of {', '.join(ANALYSIS_INPUTS)}", ("inputs",))
        object.__setattr__(self, "params", _params(self.params, "params"))
        object.__setattr__(self, "_by_name", {p.name: p for p in self.params})

    def resolve_params(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """``given`` checked against ``params``: unknown or missing ones raise ModelError
        naming the parameter; optional ones left out take their default."""
        given = dict(given or {})
        for name in given:
            if name not in self._by_name:
                raise ModelError(f"analysis {self.code!r} takes no parameter {name!r}", ("params", name))
        out = {}
        for p in self.params:
            if p.name in given:
                out[p.name] = given[p.name]
            elif p.required:
                raise ModelError(f"analysis {self.code!r} needs parameter {p.name!r}", ("params", p.name))
            else:
                out[p.name] = p.default
        return out
