"""Industry catalogues written as YAML, and the plugin class that serves them.

Plugin authors keep their facts as data: ``industry.yaml`` (the industry, touchpoints,
KPIs, rules, tiers, factors, respondent attributes) and ``templates/*.yaml`` (indicator
sets in the tenant format). ``CataloguePlugin(folder)`` implements every hook from those
files, so a plugin's ``__init__.py`` is one line. Every entry must name its ``source``.
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
    Factor,
    IndicatorTemplate,
    Industry,
    ModelError,
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


class _IndustryFileSchema(_S):
    industry = fields.Nested(_Named, required=True)
    touchpoints = fields.List(fields.Nested(_StageSchema), load_default=list)
    kpis = fields.List(fields.Nested(_KPISchema), load_default=list)
    rules = fields.List(fields.Nested(_RuleSchema), load_default=list)
    service_tiers = fields.List(fields.Nested(_TierSchema), load_default=list)
    factors = fields.List(fields.Nested(_FactorSchema), load_default=list)
    respondent_attributes = fields.List(fields.Nested(_AttributeSchema), load_default=list)


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
            factors=tuple(Factor(f["code"], f["name"], f["name_zh"], f["source"]) for f in data["factors"]),
            respondent_attributes=tuple(
                RespondentAttribute(
                    code=a["code"],
                    name=a["name"],
                    name_zh=a["name_zh"],
                    values=tuple(AttributeValue(v["code"], v["name"], v["name_zh"]) for v in a["values"]),
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
                    Touchpoint(t["code"], t["name"], t["name_zh"], s["code"], t["description"], t["source"]) for t in s["touchpoints"]
                ),
            )
            for s in data["touchpoints"]
        )
        try:
            TouchpointCatalogue(code, self.stages)
        except ModelError as exc:
            raise ConfigError([doc.issue(("touchpoints",) + exc.path[1:], exc.message)]) from None
        self.kpis = tuple(
            KPI(k["code"], k["name"], k["name_zh"], k["unit"], k["direction"], k["description"], k["source"], k["params"]) for k in data["kpis"]
        )
        self.rules = tuple(Rule(r["code"], r["name"], r["name_zh"], r["kind"], r["description"], r["source"], r["params"]) for r in data["rules"])
        self.service_tiers = tuple(
            ServiceTier(t["code"], t["name"], t["name_zh"], t["rank"], tuple(t["services"]), t["description"], t["source"])
            for t in data["service_tiers"]
        )
        self.templates, self.scales = self._load_templates()

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
    """A plugin whose every hook answers from one industry folder of YAML files."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

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


def template_text(template: IndicatorTemplate) -> TemplateText:
    return TemplateText(text=template.text, file=template.file)
