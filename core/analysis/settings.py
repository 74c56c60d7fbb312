"""What the configuration's ``analysis`` section says each analysis works on.

The section (``core.config.sections.analysis``) builds one ``AnalysisSettings``; a call
of an analysis (API query parameters, CLI options) starts from ``params_for(code)`` and
overrides what it names, so the YAML gives the defaults and a call the exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from core.analysis.significance import DEFAULT_MIN_N


@dataclass(frozen=True)
class AnalysisSettings:
    """Per-analysis parameters (``drivers``, ``kano``, ``pls``...) and the shared ``min_n``."""

    methods: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    min_n: int = DEFAULT_MIN_N

    def __post_init__(self):
        object.__setattr__(self, "methods", MappingProxyType({k: MappingProxyType(dict(v)) for k, v in self.methods.items()}))

    def params_for(self, code: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The section's parameters for analysis ``code``, ``min_n`` included, then ``overrides``."""
        out: dict[str, Any] = {"min_n": self.min_n} if code != "ahp" else {}
        out.update(self.methods.get(code, {}))
        out.update({k: v for k, v in (overrides or {}).items() if v is not None})
        return out
