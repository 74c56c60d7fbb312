"""YAML text → checked sections → compiled configuration, with errors that carry file,
line and path.

``load_config`` is the one entry point for tenant YAML, used by the CLI, the API and
plugin loading; ``build_config`` rebuilds a stored, resolved document (no template
lookup, no plugin needed), which is how a version is compiled years later. Both return a
``TenantConfig``: every section's model object plus ``document``, the resolved
configuration (template merged, contributed defaults and default weights filled in) as
plain JSON-ready data in the current stored format.

The loader knows no section by name. It checks the whole document's shape (every
problem of every section at once), merges a template, then builds the registered
sections in order (``core.config.sections``); a section whose prerequisites failed is
skipped, so one broken section does not hide another's problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Callable, Mapping

from marshmallow import ValidationError

from core.config.document import FORMAT_VERSION, HEADER, PROVENANCE, SYNTAX_VERSION, document_schema, migrate
from core.config.errors import ConfigError, ConfigIssue
from core.config.schema import flatten_messages
from core.config.sections import CORE_REGISTRY, SectionContext, SectionRegistry
from core.config.templates import Locator, TemplateLookup, TemplateText, merge_template
from core.config.yaml_loader import YamlDocument, read_yaml
from core.model import IndicatorSet, Scale

# industry (or None) -> {section name: contributed default value, in the tenant format}
SectionDefaults = Callable[[str | None], Mapping[str, Any]]
# industry (or None) -> the sections a document of that industry may have
SectionsFor = Callable[[str | None], SectionRegistry]

__all__ = ["TemplateLookup", "TemplateText", "TenantConfig", "build_config", "load_config"]


@dataclass(frozen=True)
class TenantConfig:
    """A compiled configuration: the model of every section present, and the resolved
    document it was built from. Immutable, so one instance serves every request."""

    sections: Mapping[str, Any]
    document: dict
    industry: str | None = None
    _summary: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    uncompiled: tuple[str, ...] = ()  # stored sections no registered section reads any more

    @property
    def indicator_set(self) -> IndicatorSet:
        return self.sections["indicator_set"]

    @property
    def scales(self) -> Mapping[str, Scale]:
        return self.sections["scales"]

    def section(self, name: str) -> Any | None:
        """The model of a section, or None when the document has no such section."""
        return self.sections.get(name)

    def summary(self) -> dict:
        return dict(self._summary)


def load_config(
    text: str | bytes,
    file: str | None = None,
    templates: TemplateLookup | None = None,
    *,
    sections: SectionRegistry | SectionsFor | None = None,
    defaults: SectionDefaults | None = None,
) -> TenantConfig:
    """Parse, check and compile a tenant document; raise ConfigError listing the problems.

    ``sections`` are the sections a document may have (default: the core's), or a function
    giving them for the document's ``industry:`` (the plugin providing an industry adds its
    sections); ``defaults`` gives the section values plugins contribute for that industry.
    """
    doc = read_yaml(text, file)
    registry = _registry_for(sections, _industry_of(doc.data))
    if isinstance(doc.data, dict) and defaults is not None:
        doc = YamlDocument(_with_defaults(doc.data, registry, defaults), doc.lines, doc.file)
    data = _check_shape(doc, registry)
    template_doc = None
    if (data.get("indicator_set") or {}).get("template"):
        template_doc, data = merge_template(doc, data, templates, lambda d, what: _check_shape(d, registry, what))
    return _compile(data, Locator(doc, template_doc, data), registry)


def build_config(document: Mapping, sections: SectionRegistry | SectionsFor | None = None) -> TenantConfig:
    """Rebuild a configuration from a stored, resolved document, in any stored format.

    A stored document was checked when it was stored. A section in it that no registered
    section now reads (its plugin was disabled or uninstalled since) is not compiled and is
    listed in ``TenantConfig.uncompiled``; everything else builds as it did.
    """
    current = migrate(document)
    registry = _registry_for(sections, _industry_of(current))
    stored = _strip_provenance(current)
    uncompiled = tuple(name for name in stored if name not in HEADER and name not in registry)
    data = document_schema(registry).load({k: v for k, v in stored.items() if k not in uncompiled})
    config = _compile(data, Locator(None, None, data), registry, provenance=current.get("template"))
    return replace(config, uncompiled=uncompiled) if uncompiled else config


# --- steps -----------------------------------------------------------------------------


def _industry_of(data: Any) -> str | None:
    industry = data.get("industry") if isinstance(data, Mapping) else None
    return industry if isinstance(industry, str) else None


def _registry_for(sections: SectionRegistry | SectionsFor | None, industry: str | None) -> SectionRegistry:
    if sections is None:
        return CORE_REGISTRY
    return sections if isinstance(sections, SectionRegistry) else sections(industry)


def _with_defaults(raw: dict, registry: SectionRegistry, defaults: SectionDefaults) -> dict:
    contributed = defaults(_industry_of(raw)) or {}
    out = dict(raw)
    for name, default in contributed.items():
        section = registry.by_name.get(name)
        if section is not None:
            out[name] = section.with_defaults(raw.get(name), default, raw)
    return out


def _check_shape(doc: YamlDocument, registry: SectionRegistry, what: str = "configuration") -> dict:
    if not isinstance(doc.data, dict):
        names = ["version", *registry.names()]
        raise ConfigError([doc.issue((), f"a {what} document must be a mapping with {', '.join(names[:-1])} and {names[-1]}")])
    try:
        return document_schema(registry).load(doc.data)
    except ValidationError as exc:
        known = ", ".join(HEADER + tuple(registry.names()))
        issues = [
            doc.issue(path, f"unknown section (a document has: {known})" if len(path) == 1 and msg == "unknown field" else msg)
            for path, msg in flatten_messages(exc.messages)
        ]
        raise ConfigError(sorted(issues, key=lambda i: (i.line or 0, i.dotted))) from None


def _compile(data: dict, locate: Locator, registry: SectionRegistry, provenance: Mapping | None = None) -> TenantConfig:
    context = SectionContext(built={}, industry=data.get("industry"), locate=locate, functions=registry.functions)
    built: dict[str, Any] = context.built  # type: ignore[assignment]
    issues: list[ConfigIssue] = []
    total = 0  # every problem, also those a section found beyond the ones it kept
    skipped: set[str] = set()
    for section in registry.sections:
        value = data.get(section.name)
        if value is None:
            continue
        if any(needed in skipped or needed not in built for needed in section.requires):
            skipped.add(section.name)
            continue
        try:
            built[section.name] = section.build(context, value)
        except ConfigError as exc:
            issues.extend(exc.issues)
            total += exc.total
            skipped.add(section.name)
    if issues:
        raise ConfigError(sorted(issues, key=lambda i: (i.file or "", i.line or 0, i.dotted)), total=total)

    provenance = provenance or data.get("template")
    document: dict[str, Any] = {"format_version": FORMAT_VERSION, "version": SYNTAX_VERSION, "industry": data.get("industry")}
    summary: dict[str, Any] = {"industry": data.get("industry"), "template": provenance["code"] if provenance else None}
    for section in registry.sections:
        if section.name in built:
            document[section.name] = section.resolve(data[section.name])
            if section.summary is not None:
                summary.update(section.summary(built[section.name]))
    if data.get("source"):
        document["source"] = data["source"]
    if provenance:
        document["template"] = {"industry": provenance["industry"], "code": provenance["code"]}
    return TenantConfig(sections=MappingProxyType(dict(built)), document=document, industry=data.get("industry"), _summary=MappingProxyType(summary))


def _strip_provenance(document: Mapping) -> dict:
    out = {k: v for k, v in document.items() if k not in PROVENANCE}
    if out.get("industry") is None:
        out.pop("industry", None)
    return out
