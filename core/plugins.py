"""The plugin manager and the industry registry built on it.

``get_plugin_manager()`` adds the hook specs, registers the built-in industry plugins,
loads any installed through the ``csm.plugins`` entry-point group, and checks that every
hookimpl matches a spec, so a misspelt hook fails at start-up rather than silently.
It is built per application (in ``create_app``), never at import time.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict
from typing import Iterable

import pluggy

from core import hookspecs
from core.catalogue import template_text
from core.config.templates import TemplateText
from core.model import Industry, TouchpointCatalogue

ENTRY_POINT_GROUP = "csm.plugins"

# Industry plugins shipped in this repository (module paths exposing `plugin`).
BUILTIN_PLUGINS: tuple[str, ...] = ("plugins.retail",)


class PluginLoadError(RuntimeError):
    pass


def get_plugin_manager(builtins: Iterable[str] = BUILTIN_PLUGINS, entry_points: bool = True, extra: Iterable[object] = ()) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in builtins:
        module = importlib.import_module(name)
        pm.register(getattr(module, "plugin", module), name=name)
    if entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for obj in extra:
        pm.register(obj)
    pm.check_pending()
    return pm


class IndustryRegistry:
    """What all registered plugins say about industries, combined and checked."""

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm
        self._industries: dict[str, Industry] | None = None

    def industries(self) -> dict[str, Industry]:
        if self._industries is None:
            found: dict[str, Industry] = {}
            for batch in self.pm.hook.csm_industries():
                for ind in batch or ():
                    if ind.code in found:
                        raise PluginLoadError(f"industry {ind.code!r} is provided by more than one plugin")
                    found[ind.code] = ind
            self._industries = dict(sorted(found.items()))
        return self._industries

    def _collect(self, hook: str, industry: str) -> list:
        return [item for batch in getattr(self.pm.hook, hook)(industry=industry) for item in (batch or ())]

    def touchpoints(self, industry: str) -> TouchpointCatalogue:
        return TouchpointCatalogue(industry, tuple(self._collect("csm_touchpoints", industry)))

    def templates(self, industry: str):
        return self._collect("csm_indicator_templates", industry)

    def template(self, industry: str, code: str) -> TemplateText | None:
        """The TemplateLookup handed to the config loader."""
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
            "stages": [asdict(s) for s in self.touchpoints(industry).stages],
            "templates": [{k: v for k, v in asdict(t).items() if k != "text"} for t in self.templates(industry)],
            "scales": [_scale_dict(s) for s in self._collect("csm_scales", industry)],
            "kpis": [asdict(k) for k in self._collect("csm_kpis", industry)],
            "expectation_rules": [asdict(r) for r in self._collect("csm_expectation_rules", industry)],
            "service_tiers": [asdict(t) for t in sorted(self._collect("csm_service_tiers", industry), key=lambda t: t.rank)],
        }


def _scale_dict(scale) -> dict:
    return {
        "code": scale.code,
        "kind": scale.kind.value,
        "name": scale.name,
        "name_zh": scale.name_zh,
        "min": scale.min,
        "max": scale.max,
        "options": [asdict(o) for o in scale.options],
    }
