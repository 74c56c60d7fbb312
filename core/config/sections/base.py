"""The contract of a configuration section, and the registry that assembles a document.

A tenant configuration is one versioned document of named top-level sections
(``scales``, ``indicator_set``, and later ``customers``, ``services``, ``commitments``,
``cases``, ``inspections``, ``kpis``, ``analysis``). Each section is one module that
declares a :class:`Section`: the marshmallow field checking its shape, the builder
turning the checked data into typed, immutable model objects, and how it is written into
the stored (resolved) document. The loader knows no section by name: adding one is a new
module whose ``SECTION`` is registered in one place (``core.config.sections.CORE_SECTIONS``
for the core's own, the ``csm_register_config_sections`` hook for plugins').
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from marshmallow import fields

from core.config.errors import ConfigError, ConfigIssue

Locate = Callable[[tuple, str], ConfigIssue]


@dataclass
class SectionContext:
    """What a section's builder may use: the sections built before it (its ``requires``),
    the document header (``industry``), ``issue`` to report a problem at a path of the
    document (the tenant's file and line, or the template's), and ``functions``, the
    expression functions the plugins register (name → ExpressionFunction) that the
    section's CEL expressions may call (``core.config.sections.expressions.compile_at``)."""

    built: Mapping[str, Any]
    industry: str | None
    locate: Locate
    functions: Mapping[str, Any] = field(default_factory=dict)

    def issue(self, path: tuple, message: str) -> ConfigIssue:
        return self.locate(tuple(path), message)


@dataclass(frozen=True)
class Section:
    """One top-level section of a tenant configuration document.

    ``field`` makes the marshmallow field that checks the section's value (types, required
    members, unknown keys: every problem at once). ``build(context, data)`` turns the
    checked data into the section's model object; it may complete ``data`` in place (e.g.
    fill in default weights) and raises :class:`ConfigError` with located issues. ``resolve``
    writes the completed data as JSON-ready text for the stored document (default: as is).
    ``requires`` names sections built first, whose models the builder reads from
    ``context.built``. ``merge_defaults(value, default, document)`` combines a value a
    plugin contributes for this section (``csm_section_defaults``) with the tenant's own
    (``value`` is None when the tenant wrote no such section); by default the tenant's
    section replaces the default whole. ``summary`` adds figures to the validation summary.
    """

    name: str
    field: Callable[[], fields.Field]
    build: Callable[[SectionContext, Any], Any]
    description: str = ""
    requires: tuple[str, ...] = ()
    required: bool = False
    resolve: Callable[[Any], Any] = lambda data: data
    merge_defaults: Callable[[Any, Any, Mapping], Any] | None = None
    summary: Callable[[Any], dict] | None = None

    def with_defaults(self, value: Any, default: Any, document: Mapping) -> Any:
        if self.merge_defaults is not None:
            return self.merge_defaults(value, default, document)
        return default if value is None else value


@dataclass(frozen=True)
class SectionDefault:
    """A value a plugin contributes for one section of its tenants' documents
    (``csm_section_defaults``), in the tenant format. The section's ``merge_defaults``
    decides how it combines with what the tenant wrote; by default the tenant's section,
    when present, replaces it whole."""

    section: str
    value: Any


@dataclass(frozen=True)
class SectionRegistry:
    """The sections a document may have, in build order (each after what it requires),
    and the expression functions (name → ExpressionFunction) their expressions may call:
    both come from the same set of plugins."""

    sections: tuple[Section, ...]
    functions: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    function_names: frozenset = field(init=False, repr=False)  # what compares: names identify functions
    by_name: Mapping[str, Section] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self):
        by_name: dict[str, Section] = {}
        for section in self.sections:
            if section.name in by_name:
                raise ValueError(f"configuration section {section.name!r} is registered twice")
            by_name[section.name] = section
        for section in self.sections:
            for needed in section.requires:
                if needed not in by_name:
                    raise ValueError(f"configuration section {section.name!r} requires {needed!r}, which is not registered")
        object.__setattr__(self, "by_name", by_name)
        object.__setattr__(self, "function_names", frozenset(self.functions))
        object.__setattr__(self, "sections", tuple(_build_order(self.sections, by_name)))

    @classmethod
    def of(cls, sections: Iterable[Section]) -> "SectionRegistry":
        return cls(tuple(sections))

    def names(self) -> list[str]:
        return [s.name for s in self.sections]

    def __contains__(self, name: str) -> bool:
        return name in self.by_name


def _build_order(sections: tuple[Section, ...], by_name: Mapping[str, Section]) -> list[Section]:
    """Registration order, moved only as far as ``requires`` demands; cycles are refused."""
    ordered: list[Section] = []
    state: dict[str, str] = {}

    def visit(section: Section, trail: tuple[str, ...]):
        if state.get(section.name) == "done":
            return
        if state.get(section.name) == "visiting":
            raise ValueError("configuration sections require each other in a cycle: " + " → ".join(trail + (section.name,)))
        state[section.name] = "visiting"
        for needed in section.requires:
            visit(by_name[needed], trail + (section.name,))
        state[section.name] = "done"
        ordered.append(section)

    for section in sections:
        visit(section, ())
    return ordered


def raise_if(issues: list[ConfigIssue]) -> None:
    if issues:
        raise ConfigError(issues)
