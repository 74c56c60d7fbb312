"""Pure domain objects: immutable, validated on creation, free of Flask and SQL.

Everything that scoring, analysis, the API and the CLI share about *what* is measured
lives here. Objects are frozen dataclasses so a configuration version, once built, can be
handed around (and cached) without anyone changing it underneath the others.
"""

from core.model.catalogue import (
    KPI,
    AttributeValue,
    Factor,
    IndicatorTemplate,
    Industry,
    RespondentAttribute,
    Rule,
    ServiceTier,
    Stage,
    Touchpoint,
    TouchpointCatalogue,
)
from core.model.errors import ModelError, ModelErrors, each_error
from core.model.indicator import Indicator, IndicatorSet, Question
from core.model.registrations import AnalysisMethod, CaseType, EventType, ExpressionFunction, Param, PluginInfo
from core.model.scale import Scale, ScaleKind, ScaleOption

__all__ = [
    "KPI",
    "AnalysisMethod",
    "AttributeValue",
    "CaseType",
    "EventType",
    "ExpressionFunction",
    "Factor",
    "IndicatorTemplate",
    "RespondentAttribute",
    "Indicator",
    "IndicatorSet",
    "Industry",
    "ModelError",
    "ModelErrors",
    "Param",
    "PluginInfo",
    "Question",
    "Rule",
    "Scale",
    "ScaleKind",
    "ScaleOption",
    "ServiceTier",
    "Stage",
    "Touchpoint",
    "TouchpointCatalogue",
    "each_error",
]
