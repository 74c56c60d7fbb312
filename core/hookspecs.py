"""The plugin contract: every hook an industry plugin can implement, and nothing else.

Hooks return registrations (lists of domain objects) rather than mutating anything, so the
core can combine what several plugins say about one industry: a second plugin may add
KPIs or rules to an industry that another plugin provides. Industry-scoped hooks receive
the industry code and return an empty list (or None) for industries they do not know.
A hookimpl may accept fewer arguments than its spec, so specs can grow without breaking
existing plugins.
"""

from __future__ import annotations

import pluggy

from core.model import KPI, IndicatorTemplate, Industry, Rule, Scale, ServiceTier, Stage

PROJECT = "csm"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


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
