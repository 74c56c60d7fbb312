"""The ``calendars`` section: named business calendars commitments count their clocks on.

A mapping of calendar code → weekly opening hours, holidays and extra working days in one
IANA time zone (``core.commitments.calendars``). A commitment names one in ``calendar:``
or counts every second with ``always`` (the default), which is why ``always`` is no name
a tenant may give a calendar.

```yaml
calendars:
  after_sales:
    name_zh: 售后服务时间
    time_zone: Asia/Shanghai
    week:
      mon-fri: ["08:30-12:00", "13:30-17:30"]
      sat: ["09:00-12:00"]
    holidays: [2026-01-01, "2026-10-01..2026-10-07"]
    working_days:
      - {date: 2026-09-27, hours: ["08:30-12:00", "13:30-17:30"]}
```
"""

from __future__ import annotations

from datetime import date

from marshmallow import fields, validate

from core.commitments.calendars import ALWAYS, DAYS, BusinessCalendar, parse_date, parse_date_span, parse_days, parse_hours, zone
from core.config.schema import Code, Strict, text_field
from core.config.sections.base import Section, SectionContext, raise_if
from core.model import ModelError

MAX_CALENDARS = 50
MAX_DATES = 1000


class DateValue(fields.Field):
    """A YAML date (``2026-10-01``) or its text, or a range ``"2026-10-01..2026-10-07"``."""

    default_error_messages = {"invalid": "must be a date (YYYY-MM-DD) or a range of dates (YYYY-MM-DD..YYYY-MM-DD)"}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, date) or (isinstance(value, str) and len(value) <= 30):
            return value
        raise self.make_error("invalid")


class WorkingDaySchema(Strict):
    date = DateValue(required=True)
    hours = fields.List(fields.String(validate=validate.Length(max=20)), required=True, validate=validate.Length(min=1, max=10))


class CalendarSchema(Strict):
    name = text_field(load_default="")
    name_zh = text_field(load_default="")
    time_zone = fields.String(required=True, validate=validate.Length(min=1, max=64))
    week = fields.Dict(keys=fields.String(validate=validate.Length(max=40)), values=fields.List(fields.String(validate=validate.Length(max=20)), validate=validate.Length(max=10)), required=True)
    holidays = fields.List(DateValue(), load_default=list, validate=validate.Length(max=MAX_DATES))
    working_days = fields.List(fields.Nested(WorkingDaySchema), load_default=list, validate=validate.Length(max=MAX_DATES))
    source = text_field(load_default="")


def _field() -> fields.Field:
    return fields.Dict(keys=Code(), values=fields.Nested(CalendarSchema), load_default=None, validate=validate.Length(max=MAX_CALENDARS))


def build(context: SectionContext, data: dict) -> dict[str, BusinessCalendar]:
    calendars: dict[str, BusinessCalendar] = {}
    issues = []
    for code, c in data.items():
        if code == ALWAYS:
            issues.append(context.issue(("calendars", code), f"{ALWAYS!r} is the calendar that counts every second; give this one another name"))
            continue
        problems: list[ModelError] = []
        calendar = _calendar(code, c, problems)
        issues += [context.issue(("calendars", code) + p.path, p.message) for p in problems]
        if calendar is not None:
            calendars[code] = calendar
    raise_if(issues)
    return calendars


def _calendar(code: str, c: dict, problems: list[ModelError]) -> BusinessCalendar | None:
    """The calendar, or None with every problem of it appended to ``problems``."""

    def attempt(make, *args):
        try:
            return make(*args)
        except ModelError as exc:
            problems.append(exc)
            return None

    attempt(zone, c["time_zone"], ("time_zone",))
    week: list[tuple | None] = [None] * 7
    for key, hours in c["week"].items():
        parsed, days = attempt(parse_hours, hours, ("week", key)), attempt(parse_days, key, ("week", key))
        for day in days or ():
            if week[day] is not None:
                problems.append(ModelError(f"{DAYS[day]} is given hours twice", ("week", key)))
            week[day] = parsed or ()
    holidays: set[date] = set()
    for i, value in enumerate(c["holidays"]):
        holidays.update(attempt(parse_date_span, value, ("holidays", i)) or ())
    working: dict[date, tuple] = {}
    for i, w in enumerate(c["working_days"]):
        day = attempt(parse_date, w["date"], ("working_days", i, "date"))
        hours = attempt(parse_hours, w["hours"], ("working_days", i, "hours"))
        if day in working:
            problems.append(ModelError(f"{day.isoformat()} is listed twice", ("working_days", i, "date")))
        if day is not None and hours is not None:
            working[day] = hours
    if problems:
        return None
    return attempt(lambda: BusinessCalendar(
        code=code, time_zone=c["time_zone"], week=tuple(h or () for h in week), holidays=frozenset(holidays),
        working_days=working, name=c["name"], name_zh=c["name_zh"],
    ))


def resolve(data: dict) -> dict:
    def text(value):
        return value.isoformat() if isinstance(value, date) else value

    def calendar(c):
        out = {k: c[k] for k in ("name", "name_zh", "source") if c.get(k)}
        out.update(time_zone=c["time_zone"], week={k: list(v) for k, v in c["week"].items()})
        if c["holidays"]:
            out["holidays"] = [text(d) for d in c["holidays"]]
        if c["working_days"]:
            out["working_days"] = [{"date": text(w["date"]), "hours": list(w["hours"])} for w in c["working_days"]]
        return out

    return {code: calendar(c) for code, c in data.items()}


def summary(calendars: dict[str, BusinessCalendar]) -> dict:
    return {"calendars": sorted(calendars)}


SECTION = Section(
    name="calendars",
    field=_field,
    build=build,
    resolve=resolve,
    summary=summary,
    description="Business calendars (weekly hours, holidays, working days, time zone) that commitment clocks count on.",
)
