"""The ``commitments`` section: time-limit commitments (时限承诺) with escalation ladders.

A list of commitments, each a clock over a case's events (``core.commitments``):

```yaml
commitments:
  - code: first_dish
    name_zh: 上菜时限
    applies_to: 'case.type == "dine_in"'        # CEL over the case (optional)
    clock: {start: ordered, stop: dish_served}  # also pause, resume, cancel, reset
    limit: 10m                                  # 10m, 4h, 2d, 1h30m or ISO 8601 (PT10M)
    calendar: always                            # or a calendar of the calendars section
    ladder:
      - {code: fruit_plate, after: 10m, remedy: "free fruit plate"}
      - {code: discount_20, after: 15m, remedy: "20 % off the meal", percent_off: 20}
      - {code: double_refund, after: 20m, when: '"complained" in case.events',
         respond_within: 5m, delivered: compensation_paid, remedy: "double compensation"}
```

A clock role is an event type, a list of them, or ``{when: <CEL over the event>}``
(optionally with ``types:``, which the event must also have). Expressions are compiled
when the version is accepted and kept in the compiled configuration; a syntax error, an
unknown variable or an expression over the length cap is an error at its YAML path.
"""

from __future__ import annotations

from marshmallow import fields, validate

from core.commitments.calendars import ALWAYS
from core.commitments.conditions import CASE_VARIABLES, EVENT_VARIABLES, Condition
from core.commitments.durations import format_duration, parse_duration
from core.commitments.model import ROLES, Clock, Commitment, LadderStep, Trigger
from core.config.schema import CODE_RE, Code, Number, Strict, text_field
from core.config.sections.base import Section, SectionContext, raise_if
from core.config.sections.expressions import compile_at as compile_expression_at
from core.config.sections.expressions import expression_field
from core.model import ModelError
from core.rules import MAX_LENGTH
from core.rules import types as T

MAX_COMMITMENTS = 200
MAX_STEPS = 50
MAX_TYPES = 50
CASE_SCOPE, EVENT_SCOPE = "case", "event"


class Duration(fields.Field):
    """``10m``, ``4h``, ``2d``, ``1h30m`` or ``PT10M``, loaded as seconds."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_duration(value)
        except ModelError as exc:
            raise self.make_error("invalid", message=exc.message) from None

    default_error_messages = {"invalid": "{message}"}


class TriggerField(fields.Field):
    """An event type, a list of event types, or ``{when: ..., types: [...]}``; loaded as
    ``{"types": [...], "when": text or None}``."""

    default_error_messages = {
        "invalid": "must be an event type, a list of event types, or {when: <condition over the event>, types: [...]}",
        "type": "event types are codes of letters, digits, '_', '.' or '-': {value!r} is not",
        "many": f"at most {MAX_TYPES} event types",
        "keys": "takes only when and types: {keys}",
        "when": f"when must be a condition (text of 1 to {MAX_LENGTH} characters)",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict):
            unknown = sorted(set(value) - {"when", "types"})
            if unknown:
                raise self.make_error("keys", keys=", ".join(map(str, unknown)))
            when = value.get("when")
            if when is not None and (not isinstance(when, str) or not 1 <= len(when) <= MAX_LENGTH):
                raise self.make_error("when")
            return {"types": self._types(value.get("types", [])), "when": when}
        return {"types": self._types(value), "when": None}

    def _types(self, value) -> list[str]:
        items = value if isinstance(value, list) else [value]
        if len(items) > MAX_TYPES:
            raise self.make_error("many")
        for item in items:
            if isinstance(item, bool) or not isinstance(item, (str, int)) or not CODE_RE.match(str(item)):
                raise self.make_error("type" if isinstance(item, (str, int)) and not isinstance(item, bool) else "invalid", value=item)
        return [str(item) for item in items]


class ClockSchema(Strict):
    start = TriggerField(required=True)
    stop = TriggerField(required=True)
    pause = TriggerField(load_default=None)
    resume = TriggerField(load_default=None)
    cancel = TriggerField(load_default=None)
    reset = TriggerField(load_default=None)


class StepSchema(Strict):
    code = Code(required=True)
    after = Duration(required=True)
    remedy = text_field(load_default="")
    remedy_zh = text_field(load_default="")
    when = expression_field(load_default=None)
    respond_within = Duration(load_default=None)
    percent_off = Number(load_default=None)
    delivered = TriggerField(load_default=None)


class CommitmentSchema(Strict):
    code = Code(required=True)
    name = text_field(load_default="")
    name_zh = text_field(load_default="")
    source = text_field(load_default="")
    touchpoint = Code(load_default=None)
    applies_to = expression_field(load_default=None)
    clock = fields.Nested(ClockSchema, required=True)
    limit = Duration(required=True)
    calendar = Code(load_default=ALWAYS)
    ladder = fields.List(fields.Nested(StepSchema), load_default=list, validate=validate.Length(max=MAX_STEPS))


def _field() -> fields.Field:
    return fields.List(fields.Nested(CommitmentSchema), load_default=None, validate=validate.Length(max=MAX_COMMITMENTS))


def build(context: SectionContext, data: list[dict]) -> tuple[Commitment, ...]:
    calendars = context.built.get("calendars") or {}
    issues = []
    built: list[Commitment] = []
    for i, c in enumerate(data):
        path = ("commitments", i)
        problems = len(issues)
        if c["calendar"] != ALWAYS and c["calendar"] not in calendars:
            known = ", ".join([ALWAYS, *sorted(calendars)])
            issues.append(context.issue(path + ("calendar",), f"no calendar {c['calendar']!r} in the calendars section (known: {known})"))
        compile_at = _compiler(context, issues)
        applies_to = compile_at(c["applies_to"], CASE_SCOPE, path + ("applies_to",))
        before_roles = len(issues)
        roles = {name: _trigger(c["clock"][name], path + ("clock", name), compile_at) for name in ROLES}
        roles_compiled = len(issues) == before_roles
        steps = []
        for j, s in enumerate(c["ladder"]):
            step_path = path + ("ladder", j)
            try:
                steps.append(LadderStep(
                    code=s["code"], after=s["after"], remedy=s["remedy"], remedy_zh=s["remedy_zh"],
                    when=compile_at(s["when"], CASE_SCOPE, step_path + ("when",)),
                    respond_within=s["respond_within"], percent_off=s["percent_off"],
                    delivered=_trigger(s["delivered"], step_path + ("delivered",), compile_at),
                ))
            except ModelError as exc:
                issues.append(context.issue(step_path + exc.path, exc.message))
        try:
            clock = _clock(roles) if roles_compiled else None
        except ModelError as exc:
            issues.append(context.issue(path + exc.path, exc.message))
        if len(issues) > problems:
            continue
        try:
            built.append(Commitment(
                code=c["code"], clock=clock, limit=c["limit"], calendar=c["calendar"], applies_to=applies_to, ladder=tuple(steps),
                name=c["name"], name_zh=c["name_zh"], touchpoint=c["touchpoint"], source=c["source"],
            ))
        except ModelError as exc:
            issues.append(context.issue(path + exc.path, exc.message))
    seen: set[str] = set()
    for i, c in enumerate(data):
        if c["code"] in seen:
            issues.append(context.issue(("commitments", i, "code"), f"duplicate commitment code {c['code']!r}"))
        seen.add(c["code"])
    raise_if(sorted(issues, key=lambda issue: (issue.line or 0, issue.dotted)))
    return tuple(built)


def _clock(roles: dict) -> Clock:
    try:
        return Clock(**{name: trigger or Trigger() for name, trigger in roles.items()})
    except ModelError as exc:
        raise ModelError(exc.message, ("clock",) + exc.path) from None


def _trigger(value: dict | None, path: tuple, compile_at) -> Trigger | None:
    if value is None:
        return None
    return Trigger(frozenset(value["types"]), compile_at(value["when"], EVENT_SCOPE, path + ("when",)))


def _compiler(context: SectionContext, issues: list):
    """``compile_at(source, scope, path)``: the compiled condition, or None (and an issue
    at ``path``) when the expression is refused; None for no expression."""

    def compile_at(source, scope, path):
        if source is None:
            return None
        variables = EVENT_VARIABLES if scope == EVENT_SCOPE else CASE_VARIABLES
        expression = compile_expression_at(context, path, source, variables, issues, returns=T.BOOL)
        return None if expression is None else Condition(expression)

    return compile_at


def resolve(data: list[dict]) -> list[dict]:
    def trigger(t):
        if t is None:
            return None
        if t["when"] is None:
            return t["types"][0] if len(t["types"]) == 1 else list(t["types"])
        return {"when": t["when"], **({"types": list(t["types"])} if t["types"] else {})}

    def step(s):
        out = {"code": s["code"], "after": format_duration(s["after"])}
        for k in ("remedy", "remedy_zh", "when", "percent_off"):
            if s.get(k) not in (None, ""):
                out[k] = s[k]
        if s["respond_within"] is not None:
            out["respond_within"] = format_duration(s["respond_within"])
        if s["delivered"] is not None:
            out["delivered"] = trigger(s["delivered"])
        return out

    def commitment(c):
        out = {"code": c["code"], **{k: c[k] for k in ("name", "name_zh", "source", "touchpoint", "applies_to") if c.get(k) not in (None, "")}}
        out["clock"] = {name: trigger(c["clock"][name]) for name in ROLES if c["clock"].get(name) is not None}
        out.update(limit=format_duration(c["limit"]), calendar=c["calendar"])
        if c["ladder"]:
            out["ladder"] = [step(s) for s in c["ladder"]]
        return out

    return [commitment(c) for c in data]


def summary(commitments: tuple[Commitment, ...]) -> dict:
    return {"commitments": [c.code for c in commitments]}


SECTION = Section(
    name="commitments",
    field=_field,
    build=build,
    resolve=resolve,
    summary=summary,
    description="Time-limit commitments: clocks over case events, limits, business calendars and escalation ladders with remedies.",
)
