"""The ``services`` section: service categories and the menu of services per grade.

```yaml
services:
  cumulative: true          # check the KANO rule: low grades basic, middle + expected, high + delight
  categories: [{code: business_profit, name_zh: 经营利润类}, {code: business_support, name_zh: 经营支持类}]
  menu:
    - {code: phone_order, category: business_support, kano: basic, grades: all}
    - {code: agreement_supply, category: business_profit, kano: expected, min_grade: G4}
    - {code: online_allocation, category: business_profit, kano: delight, min_grade: G7}
```

Grades come from ``customers.grading`` (first = highest): ``min_grade: G4`` is G4 and
every higher grade, ``grades:`` lists them (or ``all``). The model is
``core.rules.services.ServiceMenu``.
"""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from core.config.errors import ConfigIssue
from core.config.schema import Code, Strict, text_field
from core.config.sections.base import Section, SectionContext, raise_if
from core.rules.services import KANO, Service, ServiceCategory, ServiceMenu, cumulative_problems, entitled_grades

MAX_SERVICES = 500


class GradeList(fields.Field):
    """``all``, or a list of grade codes."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "all":
            return "all"
        if isinstance(value, list) and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
            return [str(v) for v in value]
        raise ValidationError("must be 'all' or a list of grades")


class CategorySchema(Strict):
    code = Code(required=True)
    name = text_field(load_default="")
    name_zh = text_field(load_default="")


class ServiceSchema(Strict):
    code = Code(required=True)
    category = Code(required=True)
    kano = fields.String(required=True, validate=validate.OneOf(list(KANO)))
    grades = GradeList(load_default=None)
    min_grade = Code(load_default=None)
    name = text_field(load_default="")
    name_zh = text_field(load_default="")
    source = text_field(load_default="")


class ServicesSchema(Strict):
    cumulative = fields.Boolean(load_default=False, truthy={True}, falsy={False})
    categories = fields.List(fields.Nested(CategorySchema), required=True, validate=validate.Length(min=1, max=100))
    menu = fields.List(fields.Nested(ServiceSchema), required=True, validate=validate.Length(min=1, max=MAX_SERVICES))
    source = text_field(load_default="")


def _field() -> fields.Field:
    return fields.Nested(ServicesSchema)


def build(context: SectionContext, data: dict) -> ServiceMenu:
    issues: list[ConfigIssue] = []
    customers = context.built["customers"]
    if customers.grading is None:
        raise_if([context.issue(("services",), "the menu is served by grade: customers.grading is needed")])
    grades = customers.grading.grades
    categories: dict[str, ServiceCategory] = {}
    for i, c in enumerate(data["categories"]):
        if c["code"] in categories:
            issues.append(context.issue(("services", "categories", i, "code"), f"category {c['code']!r} is listed twice"))
        categories[c["code"]] = ServiceCategory(c["code"], c["name"], c["name_zh"])
    services: dict[str, Service] = {}
    menu: list[Service] = []
    for i, s in enumerate(data["menu"]):
        at = ("services", "menu", i)
        if s["code"] in services:
            issues.append(context.issue(at + ("code",), f"service {s['code']!r} is listed twice"))
        if s["category"] not in categories:
            issues.append(context.issue(at + ("category",), f"no category {s['category']!r} (the categories are: {', '.join(categories)})"))
        if (s["grades"] is None) == (s["min_grade"] is None):
            issues.append(context.issue(at, "say who is entitled: grades (a list, or all) or min_grade, one of them"))
            continue
        named = [s["min_grade"]] if s["min_grade"] is not None else ([] if s["grades"] == "all" else s["grades"])
        unknown = [g for g in named if g not in grades]
        if unknown:
            field = "min_grade" if s["min_grade"] is not None else "grades"
            issues.append(context.issue(at + (field,), f"no grade {unknown[0]!r} (the grades, highest first: {', '.join(grades)})"))
            continue
        service = Service(
            code=s["code"], category=s["category"], kano=s["kano"], grades=entitled_grades(grades, s["grades"], s["min_grade"]),
            name=s["name"], name_zh=s["name_zh"], min_grade=s["min_grade"],
        )
        services.setdefault(s["code"], service)
        menu.append(service)
    if data["cumulative"] and not issues:
        positions = {id(s): i for i, s in enumerate(menu)}
        for position, message in cumulative_problems(menu, grades):
            issues.append(context.issue(("services", "menu", positions[id(menu[position])]), message))
    raise_if(issues)
    return ServiceMenu(categories=categories, services=services, grades=grades, cumulative=data["cumulative"])


def resolve(data: dict) -> dict:
    out = {
        "cumulative": data["cumulative"],
        "categories": [{k: v for k, v in c.items() if v not in ("", None)} for c in data["categories"]],
        "menu": [{k: v for k, v in s.items() if v not in ("", None)} for s in data["menu"]],
    }
    if data.get("source"):
        out["source"] = data["source"]
    return out


def summary(menu: ServiceMenu) -> dict:
    return {"services": len(menu.services), "service_categories": len(menu.categories)}


SECTION = Section(
    name="services",
    field=_field,
    build=build,
    description="Service categories and the menu per grade (grades or min_grade), with the cumulative KANO check.",
    requires=("customers",),
    resolve=resolve,
    summary=summary,
)
