"""The plugin contract: every hook a plugin can implement, and nothing else.

Hooks return registrations (lists of domain objects) rather than mutating anything, so the
core can combine what several plugins say: a second plugin may add KPIs or rules to an
industry that another plugin provides. Industry-scoped hooks receive the industry code and
return an empty list (or None) for industries they do not know. A hookimpl may accept
fewer arguments than its spec, so specs can grow without breaking existing plugins.

Two kinds of hooks:

- **Catalogue hooks** (``csm_industries`` ... ``csm_service_tiers``): the facts of an
  industry, read for every installed plugin (tenants browse them before enabling one).
- **Registration hooks** (``csm_register_*``): what a plugin adds to the tenants that
  enabled it: scales, expression functions, case and event types, analysis methods. For a
  tenant they are called only on the core's own plugin (``core.builtins``, always
  enabled) and the plugins that tenant enabled (``core.registrations.PluginSet``).

Every plugin also declares its metadata, ``csm_plugin_info = PluginInfo(...)``, an
attribute rather than a hook: it is read once, when the plugin is loaded, to check it.
"""

from __future__ import annotations

import pluggy

from core.model import (
    KPI,
    AnalysisMethod,
    CaseType,
    EventType,
    ExpressionFunction,
    IndicatorTemplate,
    Industry,
    Rule,
    Scale,
    ServiceTier,
    Stage,
)

PROJECT = "csm"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- catalogue hooks: the facts of an industry ------------------------------------------


@hookspec
def csm_industries() -> list[Industry]:
    """The industries this plugin provides.

    :return: a list of :class:`core.model.Industry`; codes must be unique across plugins.
    """


@hookspec
def csm_touchpoints(industry: str) -> list[Stage]:
    """The touchpoint catalogue of ``industry``: customer-journey stages with their touchpoints.

    :param industry: the industry code, e.g. ``"retail"``.
    :return: a list of :class:`core.model.Stage`; touchpoint codes must be unique per industry.
    """


@hookspec
def csm_indicator_templates(industry: str) -> list[IndicatorTemplate]:
    """Indicator-set templates for ``industry``, in the tenant YAML format.

    Tenants use one with ``indicator_set: {template: CODE, overrides: ...}``.

    :param industry: the industry code.
    :return: a list of :class:`core.model.IndicatorTemplate`.
    """


@hookspec
def csm_scales(industry: str) -> list[Scale]:
    """Rating scales the industry's cases use (a library to copy from into tenant YAML).

    :param industry: the industry code.
    :return: a list of :class:`core.model.Scale`.
    """


@hookspec
def csm_kpis(industry: str) -> list[KPI]:
    """KPI definitions for ``industry`` (e.g. complaint rate, repeat-repair rate).

    :param industry: the industry code.
    :return: a list of :class:`core.model.KPI`.
    """


@hookspec
def csm_expectation_rules(industry: str) -> list[Rule]:
    """Expectation-management rules: time-limit commitments, escalation ladders, entitlements.

    :param industry: the industry code.
    :return: a list of :class:`core.model.Rule`.
    """


@hookspec
def csm_service_tiers(industry: str) -> list[ServiceTier]:
    """Service tiers (分级服务): which services each customer grade is offered.

    :param industry: the industry code.
    :return: a list of :class:`core.model.ServiceTier`, ordered by ``rank``.
    """


# --- registration hooks: what a plugin adds to the tenants that enabled it ----------------


@hookspec
def csm_register_scales() -> list[Scale]:
    """Rating scales any tenant of this plugin may use by code, whatever its industry.

    Called once per set of enabled plugins. The core registers its standard scales
    (``sat4``, ``sat5``, ``sat7``) with ``trylast``, so a scale another plugin registers
    under the same code replaces the core's for the tenants that enabled that plugin.

    :return: a list of :class:`core.model.Scale`; two plugins other than the core may not
        register the same code.
    """


@hookspec
def csm_register_expression_functions() -> list[ExpressionFunction]:
    """Functions tenant rule expressions may call, e.g. ``within_hours(t1, t2, 24)``.

    Called once per set of enabled plugins; the rules engine binds the result by name.

    :return: a list of :class:`core.model.ExpressionFunction` (name, a pure callable, its
        typed parameters, its return type, a docstring); names are unique across plugins.
    """


@hookspec
def csm_register_case_types() -> list[CaseType]:
    """Kinds of service case the plugin's tenants handle (complaint, repair request...).

    :return: a list of :class:`core.model.CaseType` (code, name, name_zh, source, optional
        default time limit in hours); codes are unique across plugins.
    """


@hookspec
def csm_register_event_types() -> list[EventType]:
    """Kinds of service event (a case opened, answered, closed...) and their payload fields.

    :return: a list of :class:`core.model.EventType` (code, name, name_zh, source, payload
        fields); codes are unique across plugins.
    """


@hookspec
def csm_register_analysis_methods() -> list[AnalysisMethod]:
    """Analysis methods run over a tenant's responses (e.g. a driver analysis).

    :return: a list of :class:`core.model.AnalysisMethod` (code, name, a callable taking
        ``(responses frame, indicator set, params)`` and returning a JSON-ready dict, and
        the description of its parameters); codes are unique across plugins.
    """


# --- configuration hooks -----------------------------------------------------------------
# The configuration-sections issue adds its hooks here (csm_register_config_sections,
# csm_section_defaults), with their built-in implementations in core/builtins/__init__.py.
