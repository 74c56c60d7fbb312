"""The plugin manager and the registry built on it.

``get_plugin_manager()`` adds the hook specs, registers the core's own plugin first
(``DEFAULT_PLUGINS``: the core's defaults go through the same hooks as everyone's), then
the industry plugins shipped in this repository, then any installed through the
``csm.plugins`` entry-point group, and checks that every hookimpl matches a spec, so a
misspelt hook fails at start-up rather than silently. It is built per application (in
``create_app``), never at import time.

Every plugin declares ``csm_plugin_info = PluginInfo(name, version, core)``, checked
before it is registered: a plugin without metadata, with a version or specifier that is
not PEP 440, made for other core versions, or named like another plugin is refused with a
``PluginLoadError`` naming it (and what it requires), so the application does not start
half-equipped. Plugins are registered under their metadata name, which is what tenants
enable.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterable, Iterator

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from core import __version__, hookspecs
from core.catalogue import template_text
from core.config.sections import SectionRegistry
from core.config.templates import TemplateText
from core.model import AnalysisMethod, CaseType, EventType, Industry, PluginInfo, Scale, TouchpointCatalogue
from core.registrations import BUILTIN, PluginLoadError, PluginSet, collect

__all__ = ["BUILTIN", "BUILTIN_PLUGINS", "DEFAULT_PLUGINS", "DocumentPlugins", "IndustryRegistry", "PluginLoadError", "get_plugin_manager", "plugin_info"]

ENTRY_POINT_GROUP = "csm.plugins"

# The core's own plugin, registered first and enabled for every tenant.
DEFAULT_PLUGINS: tuple[str, ...] = ("core.builtins",)
# Industry plugins shipped in this repository (module paths exposing `plugin`).
BUILTIN_PLUGINS: tuple[str, ...] = ("plugins.retail",)
# Distinct sets of enabled plugins whose registrations are kept (least recently used dropped).
PLUGIN_SET_CACHE = 256


def get_plugin_manager(builtins: Iterable[str] = BUILTIN_PLUGINS, entry_points: bool = True, extra: Iterable[object] = ()) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    origins: dict[str, str] = {}
    for name in (*DEFAULT_PLUGINS, *builtins):
        module = importlib.import_module(name)
        _register(pm, getattr(module, "plugin", module), f"module {name}", origins)
    if entry_points:
        for ep, dist in _entry_points(ENTRY_POINT_GROUP):
            plugin = ep.load()
            if not pm.is_registered(plugin):  # e.g. a built-in also declared as an entry point
                _register(pm, plugin, f"entry point {ep.name} = {ep.value} ({dist.name} {dist.version})", origins)
    for obj in extra:
        _register(pm, obj, repr(obj), origins)
    pm.check_pending()
    return pm


def _entry_points(group: str) -> Iterator[tuple[importlib.metadata.EntryPoint, importlib.metadata.Distribution]]:
    seen: set[tuple[str, str]] = set()
    for dist in importlib.metadata.distributions():
        for ep in dist.entry_points:
            if ep.group == group and (ep.name, ep.value) not in seen:  # a distribution found twice on sys.path
                seen.add((ep.name, ep.value))
                yield ep, dist


def plugin_info(plugin: object) -> PluginInfo | None:
    """A plugin's declared metadata, or None."""
    return getattr(plugin, "csm_plugin_info", None)


def check_plugin_info(plugin: object, origin: str, core_version: str = __version__) -> PluginInfo:
    """The plugin's metadata if the plugin may be loaded; PluginLoadError naming it otherwise."""
    info = plugin_info(plugin)
    if info is None:
        raise PluginLoadError(
            f"plugin {origin} declares no metadata: give it `csm_plugin_info = PluginInfo(name=..., version=..., core=...)` "
            "(see plugins/README.md, 'Plugin metadata')"
        )
    if not isinstance(info, PluginInfo):
        raise PluginLoadError(f"plugin {origin}: csm_plugin_info must be a core.model.PluginInfo, not {type(info).__name__}")
    try:
        Version(info.version)
    except InvalidVersion:
        raise PluginLoadError(f"plugin {info.name!r} ({origin}): version {info.version!r} is not a PEP 440 version") from None
    try:
        supported = SpecifierSet(info.core)
    except InvalidSpecifier:
        raise PluginLoadError(f"plugin {info.name!r} ({origin}): core {info.core!r} is not a PEP 440 version specifier, e.g. '>=0.1,<0.2'") from None
    if not supported.contains(Version(core_version), prereleases=True):
        raise PluginLoadError(
            f"plugin {info.name!r} {info.version} ({origin}) supports core {info.core}, but this is core {core_version}: "
            "install a release of the plugin made for this core, or uninstall it"
        )
    return info


def _register(pm: pluggy.PluginManager, plugin: object, origin: str, origins: dict[str, str]) -> None:
    info = check_plugin_info(plugin, origin)
    if info.name in origins:
        raise PluginLoadError(f"two plugins are named {info.name!r}: {origins[info.name]} and {origin}")
    origins[info.name] = origin
    pm.register(plugin, name=info.name)


class IndustryRegistry:
    """What the registered plugins provide: industry catalogues for everyone, and per set
    of enabled plugins (a tenant's) the registrations of those plugins only.

    Built once per application. Every registration of every installed plugin is
    collected on construction, so two plugins clashing (one industry, one function name,
    one case type code...) fail at start-up, not in some tenant's request.
    """

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm
        self.plugins: dict[str, PluginInfo] = {}
        for name, plugin in pm.list_name_plugin():
            info = check_plugin_info(plugin, repr(plugin))
            if info.name != name:
                raise PluginLoadError(f"plugin {info.name!r} is registered as {name!r}: build the plugin manager with get_plugin_manager()")
            self.plugins[name] = info
        if BUILTIN not in self.plugins:
            raise PluginLoadError("the core's own plugin (core.builtins) is not registered: build the plugin manager with get_plugin_manager()")
        self.installed = PluginSet(pm, frozenset(self.plugins))
        self.installed.check()
        self._sets: OrderedDict[frozenset[str], PluginSet] = OrderedDict()
        self._sets_lock = threading.Lock()  # requests of several threads share the registry

    # --- plugins ------------------------------------------------------------------------

    def plugin_industries(self, name: str) -> list[str]:
        """The codes of the industries plugin ``name`` provides."""
        return [code for code, reg in self.installed.industries.items() if reg.plugin == name]

    def industry_plugin(self, industry: str) -> PluginInfo | None:
        """The metadata of the plugin providing ``industry``; None if none is installed."""
        reg = self.installed.industries.get(industry)
        return self.plugins[reg.plugin] if reg is not None else None

    def for_plugins(self, enabled: Iterable[str]) -> PluginSet:
        """The PluginSet of the built-in plugin and ``enabled`` (names not installed are
        ignored), shared by every tenant with the same plugins."""
        key = frozenset(name for name in enabled if name in self.plugins) | {BUILTIN}
        with self._sets_lock:
            found = self._sets.get(key)
            if found is None:
                found = self._sets[key] = PluginSet(self.pm, key)
                while len(self._sets) > PLUGIN_SET_CACHE:
                    self._sets.popitem(last=False)
            else:
                self._sets.move_to_end(key)
            return found

    def document_plugins(self, enabled: Iterable[str] = ()) -> "DocumentPlugins":
        """What a tenant document is read with, for a tenant that enabled ``enabled``."""
        return DocumentPlugins(self, frozenset(enabled))

    # --- per tenant: what the tenant's enabled plugins register -------------------------

    def expression_functions(self, tenant_plugins: Iterable[str]) -> dict[str, Callable[..., Any]]:
        """Name → callable: the functions the tenant's rule expressions may call."""
        return {name: reg.item.function for name, reg in self.for_plugins(tenant_plugins).expression_functions.items()}

    def case_types(self, tenant_plugins: Iterable[str]) -> dict[str, CaseType]:
        return {code: reg.item for code, reg in self.for_plugins(tenant_plugins).case_types.items()}

    def event_types(self, tenant_plugins: Iterable[str]) -> dict[str, EventType]:
        return {code: reg.item for code, reg in self.for_plugins(tenant_plugins).event_types.items()}

    def analysis_methods(self, tenant_plugins: Iterable[str]) -> dict[str, AnalysisMethod]:
        return {code: reg.item for code, reg in self.for_plugins(tenant_plugins).analysis_methods.items()}

    def analysis_method(self, tenant_plugins: Iterable[str], code: str) -> AnalysisMethod | None:
        reg = self.for_plugins(tenant_plugins).analysis_methods.get(code)
        return reg.item if reg is not None else None

    def tenant_scales(self, tenant_plugins: Iterable[str], industry: str | None = None) -> dict[str, Scale]:
        """Code → scale: what a tenant's YAML may reference without defining it (the
        standard scales, plugins' generic scales, then its industries'; see PluginSet.scales)."""
        return self.for_plugins(tenant_plugins).scales(industry)

    # --- industry catalogues: every installed industry, for everyone ---------------------

    def industries(self) -> dict[str, Industry]:
        return {code: reg.item for code, reg in self.installed.industries.items()}

    def _collect(self, hook: str, industry: str) -> list:
        return [reg.item for reg in collect(getattr(self.pm.hook, hook), object, industry=industry)]

    def touchpoints(self, industry: str) -> TouchpointCatalogue:
        return TouchpointCatalogue(industry, tuple(self._collect("csm_touchpoints", industry)))

    def templates(self, industry: str):
        return self._collect("csm_indicator_templates", industry)

    def template(self, industry: str, code: str) -> TemplateText | None:
        """The TemplateLookup handed to the config loader (every installed industry: a
        configuration's ``industry:`` is what enables it for the tenant)."""
        if industry not in self.industries():
            return None
        for t in self.templates(industry):
            if t.code == code:
                return template_text(t)
        return None

    def catalogue(self, industry: str) -> dict:
        """Everything about one industry as JSON-ready data (for the API and the CLI)."""
        ind = self.industries()[industry]
        return {
            **asdict(ind),
            "plugin": plugin_ref(self.industry_plugin(industry)),
            "stages": [asdict(s) for s in self.touchpoints(industry).stages],
            "templates": [{k: v for k, v in asdict(t).items() if k != "text"} for t in self.templates(industry)],
            "scales": [scale_dict(s) for s in self._collect("csm_scales", industry)],
            "kpis": [asdict(k) for k in self._collect("csm_kpis", industry)],
            "expectation_rules": [asdict(r) for r in self._collect("csm_expectation_rules", industry)],
            "service_tiers": [asdict(t) for t in sorted(self._collect("csm_service_tiers", industry), key=lambda t: t.rank)],
        }


@dataclass(frozen=True)
class DocumentPlugins:
    """The plugins a tenant's configuration document is read with: those the tenant
    enabled, plus the one providing the document's ``industry:`` (storing the document
    enables it). Handed to the loader as ``sections=`` and ``defaults=``."""

    registry: IndustryRegistry
    enabled: frozenset[str]

    def plugin_set(self, industry: str | None) -> PluginSet:
        provider = self.registry.industry_plugin(industry) if industry else None
        return self.registry.for_plugins(self.enabled | ({provider.name} if provider is not None else set()))

    def sections(self, industry: str | None) -> SectionRegistry:
        return self.plugin_set(industry).config_sections

    def defaults(self, industry: str | None) -> dict[str, Any]:
        return self.plugin_set(industry).section_defaults(industry)


def registry_of(templates: object) -> IndustryRegistry | None:
    """The registry behind a template lookup (``registry.template``), if it is one.

    The configuration operations receive the lookup, not the registry; the registry is
    what knows which plugin provides a configuration's industry.
    """
    owner = getattr(templates, "__self__", None)
    return owner if isinstance(owner, IndustryRegistry) else None


def plugin_ref(info: PluginInfo | None) -> dict | None:
    return None if info is None else {"name": info.name, "version": info.version}


def scale_dict(scale: Scale) -> dict:
    return {
        "code": scale.code,
        "kind": scale.kind.value,
        "name": scale.name,
        "name_zh": scale.name_zh,
        "min": scale.min,
        "max": scale.max,
        "options": [asdict(o) for o in scale.options],
    }
