"""Industry catalogues written as YAML, and the plugin class that serves them.

Plugin authors keep their facts as data: ``industry.yaml`` (the industry, touchpoints,
KPIs, rules, tiers, factors, respondent attributes, service case and event types) and
``templates/*.yaml`` (indicator sets in the tenant format). ``CataloguePlugin(folder,
info)`` implements the catalogue hooks and the case and event type registrations from
those files, so a plugin's ``__init__.py`` is a few lines. Every entry must name its
``source``.
The folder is read once, on first use, and validated with the same precise errors tenants
get (file, line, path).
"""

from __future__ import annotations

import functools
from pathlib import Path

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from core.config import ConfigError, load_config, read_yaml
from core.config.templates import TemplateText
from core.config.schema import Code, flatten_messages
from core.hookspecs import hookimpl
from core.model import (
    KPI,
    AttributeValue,
    CaseType,
    EventType,
    Factor,
    IndicatorTemplate,
    Industry,
    ModelError,
    Param,
    PluginInfo,
    RespondentAttribute,
    Rule,
    Scale,
    ServiceTier,
    Stage,
    Touchpoint,
    TouchpointCatalogue,
)

_SOURCE = dict(required=True, validate=validate.Length(min=1, max=500))


class _S(Schema):
    class Meta:
        unknown = RAISE


class _Named(_S):
    code = Code(required=True)
    name = fields.String(required=True)
    name_zh = fields.String(load_default="")
    description = fields.String(load_default="")
    source = fields.String(**_SOURCE)


class _TouchpointSchema(_Named):
    pass


class _StageSchema(_Named):
    touchpoints = fields.List(fields.Nested(_TouchpointSchema), required=True)


class _KPISchema(_Named):
    unit = fields.String(load_default="")
    direction = fields.String(load_default="higher_is_better", validate=validate.OneOf(["higher_is_better", "lower_is_better"]))
    params = fields.Dict(load_default=dict)


class _RuleSchema(_Named):
    kind = fields.String(load_default="")
    params = fields.Dict(load_default=dict)


class _TierSchema(_Named):
    rank = fields.Integer(load_default=0)
    services = fields.List(fields.String(), load_default=list)


class _ValueSchema(_S):
    code = Code(required=True)
    name = fields.String(load_default="")
    name_zh = fields.String(load_default="")


class _AttributeSchema(_Named):
    values = fields.List(fields.Nested(_ValueSchema), load_default=list)


class _FactorSchema(_Named):
    pass


class _CaseTypeSchema(_Named):
    default_time_limit_hours = fields.Float(load_default=None, allow_nan=False, validate=validate.Range(min=0, min_inclusive=False))


class _PayloadFieldSchema(_S):
    name = fields.String(required=True)
    type = fields.String(load_default="any")
    description = fields.String(load_default="")
    required = fields.Boolean(load_default=True)


class _EventTypeSchema(_Named):
    payload = fields.List(fields.Nested(_PayloadFieldSchema), load_default=list)


class _IndustryFileSchema(_S):
    industry = fields.Nested(_Named, required=True)
    touchpoints = fields.List(fields.Nested(_StageSchema), load_default=list)
    kpis = fields.List(fields.Nested(_KPISchema), load_default=list)
    rules = fields.List(fields.Nested(_RuleSchema), load_default=list)
    service_tiers = fields.List(fields.Nested(_TierSchema), load_default=list)
    factors = fields.List(fields.Nested(_FactorSchema), load_default=list)
    respondent_attributes = fields.List(fields.Nested(_AttributeSchema), load_default=list)
    case_types = fields.List(fields.Nested(_CaseTypeSchema), load_default=list)
    event_types = fields.List(fields.Nested(_EventTypeSchema), load_default=list)


class IndustryCatalogue:
    """Everything one industry folder declares, validated and built into domain objects."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        path = self.folder / "industry.yaml"
        doc = read_yaml(path.read_bytes(), f"{self.folder.name}/industry.yaml")
        try:
            data = _IndustryFileSchema().load(doc.data if isinstance(doc.data, dict) else {})
        except ValidationError as exc:
            raise ConfigError([doc.issue(p, m) for p, m in flatten_messages(exc.messages)]) from None
        ind = data["industry"]
        self.industry = Industry(
            code=ind["code"],
            name=ind["name"],
            name_zh=ind["name_zh"],
            description=ind["description"],
            source=ind["source"],
            factors=tuple(Factor(code=f["code"], name=f["name"], name_zh=f["name_zh"], source=f["source"]) for f in data["factors"]),
            respondent_attributes=tuple(
                RespondentAttribute(
                    code=a["code"],
                    name=a["name"],
                    name_zh=a["name_zh"],
                    values=tuple(AttributeValue(code=v["code"], name=v["name"], name_zh=v["name_zh"]) for v in a["values"]),
                    source=a["source"],
                )
                for a in data["respondent_attributes"]
            ),
        )
        code = self.industry.code
        self.stages = tuple(
            Stage(
                code=s["code"],
                name=s["name"],
                name_zh=s["name_zh"],
                source=s["source"],
                touchpoints=tuple(
                    Touchpoint(code=t["code"], name=t["name"], name_zh=t["name_zh"], stage=s["code"], description=t["description"], source=t["source"])
                    for t in s["touchpoints"]
                ),
            )
            for s in data["touchpoints"]
        )
        try:
            TouchpointCatalogue(code, self.stages)
        except ModelError as exc:
            raise ConfigError([doc.issue(("touchpoints",) + exc.path[1:], exc.message)]) from None
        self.kpis = tuple(KPI(**k) for k in data["kpis"])
        self.rules = tuple(Rule(**r) for r in data["rules"])
        self.service_tiers = tuple(ServiceTier(**{**t, "services": tuple(t["services"])}) for t in data["service_tiers"])
        self.case_types, self.event_types = self._registrations(doc, data)
        self.templates, self.scales = self._load_templates()

    def _registrations(self, doc, data) -> tuple[tuple[CaseType, ...], tuple[EventType, ...]]:
        """Case and event types; whatever the model refuses is reported with file, line and path."""

        def build(path: tuple, make, **values):
            try:
                return make(**values)
            except ModelError as exc:
                raise ConfigError([doc.issue(path + exc.path, exc.message)]) from None

        cases = tuple(build(("case_types", i), CaseType, **c) for i, c in enumerate(data["case_types"]))
        events = []
        for i, e in enumerate(data["event_types"]):
            payload = tuple(build(("event_types", i, "payload", j), Param, **f) for j, f in enumerate(e["payload"]))
            events.append(build(("event_types", i), EventType, **{**e, "payload": payload}))
        return cases, tuple(events)

    def _load_templates(self) -> tuple[tuple[IndicatorTemplate, ...], tuple[Scale, ...]]:
        templates: list[IndicatorTemplate] = []
        scales: dict[str, Scale] = {}
        folder = self.folder / "templates"
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
            text = path.read_text(encoding="utf-8")
            rel = f"{self.folder.name}/templates/{path.name}"
            config = load_config(text, rel)  # a broken template fails loudly at start-up
            iset = config.indicator_set
            templates.append(
                IndicatorTemplate(
                    code=iset.code,
                    industry=self.industry.code,
                    text=text,
                    file=rel,
                    name=iset.name,
                    name_zh=iset.name_zh,
                    source=config.document.get("source", ""),
                )
            )
            for scale in iset.scales.values():
                scales.setdefault(scale.code, scale)
        return tuple(templates), tuple(scales.values())


class CataloguePlugin:
    """A plugin whose catalogue hooks (and case and event types) answer from one industry
    folder of YAML files. ``info`` is its metadata (see ``core.model.PluginInfo``); a
    plugin without it is refused when loaded."""

    def __init__(self, folder: Path | str, info: PluginInfo | None = None):
        self.folder = Path(folder)
        self.csm_plugin_info = info

    def __repr__(self) -> str:
        return f"CataloguePlugin({str(self.folder)!r})"

    @functools.cached_property
    def catalogue(self) -> IndustryCatalogue:
        return IndustryCatalogue(self.folder)

    def _mine(self, industry: str) -> bool:
        return industry == self.catalogue.industry.code

    @hookimpl
    def csm_industries(self):
        return [self.catalogue.industry]

    @hookimpl
    def csm_touchpoints(self, industry):
        return list(self.catalogue.stages) if self._mine(industry) else []

    @hookimpl
    def csm_indicator_templates(self, industry):
        return list(self.catalogue.templates) if self._mine(industry) else []

    @hookimpl
    def csm_scales(self, industry):
        return list(self.catalogue.scales) if self._mine(industry) else []

    @hookimpl
    def csm_kpis(self, industry):
        return list(self.catalogue.kpis) if self._mine(industry) else []

    @hookimpl
    def csm_expectation_rules(self, industry):
        return list(self.catalogue.rules) if self._mine(industry) else []

    @hookimpl
    def csm_service_tiers(self, industry):
        return list(self.catalogue.service_tiers) if self._mine(industry) else []

    @hookimpl
    def csm_register_case_types(self):
        return list(self.catalogue.case_types)

    @hookimpl
    def csm_register_event_types(self):
        return list(self.catalogue.event_types)


def template_text(template: IndicatorTemplate) -> TemplateText:
    return TemplateText(text=template.text, file=template.file)
