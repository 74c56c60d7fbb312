"""Small plugins for the tests: one per registration hook, each with its metadata.

The cases they register are test fixtures (``source: "test fixture"``), not facts.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from marshmallow import fields

from core.config.schema import Code, Number, Strict
from core.config.sections import Section, SectionDefault
from core.config.sections.base import raise_if
from core.hookspecs import hookimpl
from core.model import AnalysisMethod, CaseType, EventType, ExpressionFunction, Param, PluginInfo, Scale, ScaleKind, ScaleOption
from core.plugins import IndustryRegistry, get_plugin_manager


def satisfaction_rates(responses: pd.DataFrame, indicator_set, params) -> dict:
    """Share of answers on a satisfied option, per ordinal question with at least ``min_n`` answers."""
    out = {}
    for q in indicator_set.questions:
        scale = indicator_set.scales[q.scale]
        if not scale.satisfied_codes or q.code not in responses:
            continue
        answered = responses[q.code].dropna()
        if len(answered) >= params["min_n"]:
            out[q.code] = {"n": int(len(answered)), "rate": float(answered.isin(scale.satisfied_codes).mean())}
    return {"questions": out}


class Analysis:
    csm_plugin_info = PluginInfo(name="analysis", version="1.0", core=">=0.1")

    @hookimpl
    def csm_register_analysis_methods(self):
        return [
            AnalysisMethod(
                code="satisfaction_rates",
                name="Satisfaction rate per question",
                function=satisfaction_rates,
                params=(Param(name="min_n", type="int", description="questions with fewer answers are left out", required=False, default=1),),
                description=satisfaction_rates.__doc__,
            )
        ]


def business_hours_between(start, end) -> float:
    return 8.0  # a stand-in: only its registration matters here


class Clock:
    csm_plugin_info = PluginInfo(name="clock", version="1.0", core=">=0.1")

    @hookimpl
    def csm_register_expression_functions(self):
        two = (Param(name="start", type="timestamp"), Param(name="end", type="timestamp"))
        return [ExpressionFunction(name="business_hours_between", function=business_hours_between, params=two, returns="double", doc="Working hours between two moments.")]


class Service:
    csm_plugin_info = PluginInfo(name="service", version="1.0", core=">=0.1")

    @hookimpl
    def csm_register_case_types(self):
        return [CaseType(code="complaint", name="Complaint", name_zh="投诉", source="test fixture", default_time_limit_hours=24)]

    @hookimpl
    def csm_register_event_types(self):
        return [
            EventType(
                code="case_replied",
                name="Case replied",
                source="test fixture",
                payload=(Param(name="case_id", type="string"), Param(name="replied_at", type="timestamp")),
            )
        ]


SAT5_YES_NO = Scale(
    code="sat5",
    kind=ScaleKind.ORDINAL,
    options=(ScaleOption(code="Y", score=1, label="Yes", satisfied=True), ScaleOption(code="N", score=0, label="No")),
    name="A plugin's own sat5",
)


class Sat5:
    csm_plugin_info = PluginInfo(name="sat5", version="1.0", core=">=0.1")

    @hookimpl
    def csm_register_scales(self):
        return [SAT5_YES_NO]


# A configuration section as a plugin registers it: its own schema, builder and model object.
@dataclass(frozen=True)
class Target:
    question: str
    minimum: float


class TargetSchema(Strict):
    question = Code(required=True)
    minimum = Number(required=True)


def _build_targets(context, data):
    iset = context.built["indicator_set"]
    issues = [
        context.issue(("targets", i, "question"), f"no question {t['question']!r} in the indicator set")
        for i, t in enumerate(data)
        if t["question"] not in {q.code for q in iset.questions}
    ]
    raise_if(issues)
    return tuple(Target(question=t["question"], minimum=t["minimum"]) for t in data)


TARGETS = Section(
    name="targets",
    field=lambda: fields.List(fields.Nested(TargetSchema), load_default=None),
    build=_build_targets,
    requires=("indicator_set",),
    summary=lambda targets: {"targets": len(targets)},
)

SAT3 = {"kind": "ordinal", "options": [{"code": "good", "score": 3, "satisfied": True}, {"code": "ok", "score": 2}, {"code": "bad", "score": 1}]}


class Targets:
    """Registers the ``targets`` section; contributes a ``sat3`` scale to every document
    of its tenants, and, to documents of industry ``retail``, a default target."""

    csm_plugin_info = PluginInfo(name="targets", version="1.0", core=">=0.1")

    @hookimpl
    def csm_register_config_sections(self):
        return [TARGETS]

    @hookimpl
    def csm_section_defaults(self, industry):
        defaults = [SectionDefault(section="scales", value={"sat3": SAT3})]
        if industry == "retail":
            defaults.append(SectionDefault(section="targets", value=[{"question": "q01_environment", "minimum": 80}]))
        return defaults


ALL = (Analysis, Clock, Service, Sat5, Targets)


def plugin(name, **hooks):
    """A plugin named ``name`` implementing each ``hook=value`` as a hook returning value."""
    attrs = {"csm_plugin_info": PluginInfo(name=name, version="1.0", core=">=0.1")}
    for hook, value in hooks.items():
        attrs[hook] = hookimpl(lambda self, value=value: list(value))
    return type(f"Plugin_{name}", (), attrs)()


def registry_with(*plugins) -> IndustryRegistry:
    """The core's plugin and the repository's industry plugins, plus ``plugins`` (instances)."""
    return IndustryRegistry(get_plugin_manager(entry_points=False, extra=plugins))


def plugin_manager(*classes):
    """The application's plugin manager plus instances of ``classes`` (default: all above)."""
    return get_plugin_manager(entry_points=False, extra=[cls() for cls in (classes or ALL)])


def registry(*classes) -> IndustryRegistry:
    return IndustryRegistry(plugin_manager(*classes))
