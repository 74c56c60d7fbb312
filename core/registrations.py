"""What one set of plugins registers: the hooks a tenant's enabled plugins answer, combined.

A ``PluginSet`` is the core's built-in plugin plus the plugins one tenant enabled. Its
hook callers are ``pm.subset_hook_caller(name, remove_plugins=[every other plugin])``, so
a plugin a tenant did not enable is never called for that tenant. The registry
(``core.plugins.IndustryRegistry``) keeps one PluginSet per distinct set of enabled
plugins, so tenants with the same plugins share the collected registrations.

Registrations are collected hookimpl by hookimpl (in pluggy's call order) so that each
item is attributed to the plugin that returned it: a duplicate can then name both
plugins, and a tenant can see which plugin gave it what. Registration hooks are plain
hooks; wrappers on them are not called.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Generic, Mapping, TypeVar

import pluggy

from core.config.sections import Section, SectionDefault, SectionRegistry
from core.config.sections.scales import scale_document
from core.model import AnalysisMethod, CaseType, EventType, ExpressionFunction, Industry, Scale

BUILTIN = "core"  # the name of the core's own plugin (core.builtins), enabled for everyone

T = TypeVar("T")


class PluginLoadError(RuntimeError):
    """A plugin cannot be used: no or bad metadata, an unsupported core version, or a
    registration that clashes with another plugin's. Raised at start-up."""


@dataclass(frozen=True)
class Registered(Generic[T]):
    """One registered item and the name of the plugin that registered it."""

    plugin: str
    item: T


def collect(caller: pluggy.HookCaller, expected: type, **kwargs: Any) -> list[Registered]:
    """Every item the hook's implementations return, each with its plugin's name, in call
    order (``tryfirst`` first, ``trylast`` last, otherwise the later registered first).
    An item of the wrong type is a PluginLoadError naming the plugin."""
    found = []
    for impl in reversed(caller.get_hookimpls()):
        if impl.wrapper or impl.hookwrapper:
            continue
        for item in impl.function(*(kwargs[name] for name in impl.argnames)) or ():
            if not isinstance(item, expected):
                raise PluginLoadError(f"plugin {impl.plugin_name!r}: {caller.name} returned a {type(item).__name__}, not a {expected.__name__}")
            found.append(Registered(impl.plugin_name, item))
    return found


def unique(found: list[Registered], key: str, what: str) -> dict[str, Registered]:
    """``found`` by ``key``; two registrations with one key are a PluginLoadError naming both plugins."""
    out: dict[str, Registered] = {}
    for reg in found:
        k = getattr(reg.item, key)
        if k in out:
            first = out[k].plugin
            raise PluginLoadError(
                f"{what} {k!r} is registered by two plugins, {first!r} and {reg.plugin!r}" if first != reg.plugin else f"{what} {k!r} is registered twice by plugin {first!r}"
            )
        out[k] = reg
    return out


class PluginSet:
    """The built-in plugin and a set of enabled plugins: their hook callers and registrations.

    Registrations are computed on first use and kept (plugins return the same things every
    time they are asked); ``check()`` computes them all, so a clash fails at once.
    """

    def __init__(self, pm: pluggy.PluginManager, names: frozenset[str]):
        self.pm = pm
        self.names = frozenset(names) | {BUILTIN}
        self._removed = [plugin for name, plugin in pm.list_name_plugin() if name not in self.names]
        self._scales: dict[tuple[str, ...], dict[str, Scale]] = {}
        self._defaults: dict[str | None, dict[str, Any]] = {}
        self._callers: dict[str, pluggy.HookCaller] = {}

    def hook(self, name: str) -> pluggy.HookCaller:
        """The hook ``name`` as these plugins answer it (a pluggy subset hook caller)."""
        if name not in self._callers:
            self._callers[name] = self.pm.subset_hook_caller(name, self._removed)
        return self._callers[name]

    def check(self) -> None:
        for attr in ("industries", "config_sections", "generic_scales", "expression_functions", "case_types", "event_types", "analysis_methods"):
            getattr(self, attr)

    @functools.cached_property
    def industries(self) -> dict[str, Registered[Industry]]:
        """The industries these plugins provide, by code (each provided by one plugin only)."""
        found = collect(self.hook("csm_industries"), Industry)
        out: dict[str, Registered] = {}
        for reg in found:
            if reg.item.code in out:
                raise PluginLoadError(f"industry {reg.item.code!r} is provided by more than one plugin: {out[reg.item.code].plugin!r} and {reg.plugin!r}")
            out[reg.item.code] = reg
        return dict(sorted(out.items()))

    @functools.cached_property
    def generic_scales(self) -> dict[str, Registered[Scale]]:
        """``csm_register_scales``: the core's standard scales, each replaced by a plugin's
        scale of the same code. The core's are fallbacks whatever the call order; two
        other plugins registering one code is a clash."""
        found = collect(self.hook("csm_register_scales"), Scale)
        out = unique([r for r in found if r.plugin != BUILTIN], "code", "scale")
        for reg in found:
            if reg.plugin == BUILTIN:
                out.setdefault(reg.item.code, reg)
        return out

    def scales(self, industry: str | None = None) -> dict[str, Scale]:
        """The scales a tenant with these plugins may use by code.

        The generic scales (above), overridden by the industry scales (``csm_scales``) of
        ``industry``, or, without one, of every enabled industry in code order (where two
        industries define one code, the first in code order wins: pass ``industry`` to
        settle it the way the tenant's configuration does). An industry these plugins do
        not provide adds nothing.
        """
        if industry is None:
            industries = tuple(self.industries)
        else:
            industries = (industry,) if industry in self.industries else ()
        if industries not in self._scales:  # keys drawn from this set's own industries: bounded
            out = {code: reg.item for code, reg in self.generic_scales.items()}
            from_industries: dict[str, Scale] = {}
            for code in industries:
                for reg in collect(self.hook("csm_scales"), Scale, industry=code):
                    from_industries.setdefault(reg.item.code, reg.item)
            self._scales[industries] = dict(sorted({**out, **from_industries}.items()))
        return self._scales[industries]

    @functools.cached_property
    def expression_functions(self) -> dict[str, Registered[ExpressionFunction]]:
        return unique(collect(self.hook("csm_register_expression_functions"), ExpressionFunction), "name", "expression function")

    @functools.cached_property
    def case_types(self) -> dict[str, Registered[CaseType]]:
        return unique(collect(self.hook("csm_register_case_types"), CaseType), "code", "case type")

    @functools.cached_property
    def event_types(self) -> dict[str, Registered[EventType]]:
        return unique(collect(self.hook("csm_register_event_types"), EventType), "code", "event type")

    @functools.cached_property
    def analysis_methods(self) -> dict[str, Registered[AnalysisMethod]]:
        return unique(collect(self.hook("csm_register_analysis_methods"), AnalysisMethod), "code", "analysis method")

    @functools.cached_property
    def registered_sections(self) -> list[Registered[Section]]:
        """``csm_register_config_sections``: every section these plugins register, the
        core's first, then in call order (names unique across plugins)."""
        found = unique(collect(self.hook("csm_register_config_sections"), Section), "name", "configuration section")
        return sorted(found.values(), key=lambda reg: reg.plugin != BUILTIN)  # stable sort

    @functools.cached_property
    def config_sections(self) -> SectionRegistry:
        """The sections these plugins' documents may have, each after those it requires,
        with the expression functions these plugins register."""
        try:
            functions = {name: reg.item for name, reg in self.expression_functions.items()}
            return SectionRegistry(tuple(reg.item for reg in self.registered_sections), functions)
        except ValueError as exc:  # a section requiring one no enabled plugin registers, or a cycle
            raise PluginLoadError(f"{exc} (plugins: {', '.join(sorted(self.names))})") from None

    def section_defaults(self, industry: str | None = None) -> dict[str, Any]:
        """Section name → the value these plugins contribute to a document of ``industry``:
        the usable scales (``scales()``) as the ``scales`` default, then what
        ``csm_section_defaults`` returns, which wins (see the hookspec for how two plugins'
        values combine). Kept per industry; an industry not provided adds no scales."""
        key = industry if industry in self.industries else None
        if key not in self._defaults:  # keys drawn from this set's own industries: bounded
            contributed: dict[str, Any] = {}
            for reg in collect(self.hook("csm_section_defaults"), SectionDefault, industry=key):
                name, value = reg.item.section, reg.item.value
                if name not in contributed:
                    contributed[name] = dict(value) if isinstance(value, Mapping) else value
                elif isinstance(value, Mapping) and isinstance(contributed[name], dict):
                    contributed[name] = {**value, **contributed[name]}
            scales = {code: scale_document(scale) for code, scale in self.scales(key).items()}
            contributed["scales"] = {**scales, **contributed.get("scales", {})}
            self._defaults[key] = contributed
        return self._defaults[key]
