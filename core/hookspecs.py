"""The plugin contract: every hook a plugin can implement, and nothing else.

Hooks return registrations (lists of domain objects) rather than mutating anything, so the
core can combine what several plugins say: a second plugin may add KPIs or rules to an
industry that another plugin provides. Industry-scoped hooks receive the industry code and
return an empty list (or None) for industries they do not know. A hookimpl may accept
fewer arguments than its spec, so specs can grow without breaking existing plugins.

Two kinds of hooks:

- **Catalogue hooks** (``csm_industries`` ... ``csm_service_tiers``): the facts of an
  industry, read for every installed plugin (tenants browse them before enabling one).
- **Registration hooks** (``csm_register_*``, ``csm_section_defaults``): what a plugin
  adds to the tenants that enabled it: configuration sections and section defaults,
  scales, expression functions, case and event types, analysis methods. For a
  tenant they are called only on the core's own plugin (``core.builtins``, always
  enabled) and the plugins that tenant enabled (``core.registrations.PluginSet``).

Every plugin also declares its metadata, ``csm_plugin_info = PluginInfo(...)``, an
attribute rather than a hook: it is read once, when the plugin is loaded, to check it.
"""

from __future__ import annotations

import pluggy

from core.config.sections import Section, SectionDefault
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


# --- configuration hooks: what a plugin adds to its tenants' documents ------------------


@hookspec
def csm_register_config_sections() -> list[Section]:
    """Top-level sections a tenant document may have when this plugin is enabled.

    A section is one :class:`core.config.sections.Section`: its name, the marshmallow
    field that checks its shape, the builder that turns the checked data into immutable
    model objects (it may read the sections it ``requires``), and how it is stored. The
    core registers its own (``scales``, ``indicator_set``) through this hook too. A
    document naming a section no enabled plugin registers is refused, line and all.

    :return: a list of :class:`core.config.sections.Section`; names are unique across
        plugins (a clash fails at start-up naming both).
    """


@hookspec
def csm_section_defaults(industry: str | None) -> list[SectionDefault]:
    """Section values contributed to the documents of this plugin's tenants.

    Called when a document is loaded, with the document's ``industry:`` (None without
    one). Each value is in the tenant format and is combined with the tenant's own section
    by the section's ``merge_defaults`` (for ``scales``: a contributed scale is added when
    a question references it and the tenant does not define it). The resolved, stored
    document carries the result, so a version rebuilds exactly without the plugin. The
    scales registered with ``csm_register_scales`` and ``csm_scales`` reach documents
    this way without an implementation of this hook; a value returned here wins over them.

    :param industry: the document's industry code, or None.
    :return: a list of :class:`core.config.sections.SectionDefault` (section name, value);
        where two plugins contribute to one section, mapping values are merged key by key
        (the first plugin in call order wins a key), other values are taken from the first.
    """
