"""The calendars and commitments configuration sections: built, stored and rebuilt, and
every problem reported at once with its line and YAML path."""

from datetime import date

import pytest

from core.config import ConfigError, build_config, load_config
from tests.helpers import SMALL

GOOD = """calendars:
  office:
    name_zh: 办公时间
    time_zone: Asia/Shanghai
    week: {mon-fri: ["09:00-12:00", "13:00-18:00"], sat: ["09:00-12:00"]}
    holidays: [2026-01-01, "2026-10-01..2026-10-07"]
    working_days:
      - {date: 2026-09-27, hours: ["09:00-18:00"]}
commitments:
  - code: first_dish
    name_zh: 上菜时限
    applies_to: 'case.type == "dine_in"'
    clock: {start: ordered, stop: dish_served}
    limit: 10m
    ladder:
      - {code: fruit_plate, after: PT10M, remedy: "free fruit plate"}
      - {code: double_refund, after: 20m, when: '"complained" in case.events', respond_within: 5m, delivered: compensation_paid}
  - code: reply
    touchpoint: phone
    clock:
      start: [opened, reopened]
      stop: {when: 'event.attributes.channel == "phone"', types: [replied]}
      pause: waiting
      resume: customer_replied
    limit: 1h30m
    calendar: office
"""


def problems(text):
    with pytest.raises(ConfigError) as info:
        load_config(SMALL + text, "t.yaml")
    return [str(i) for i in info.value.issues]


def test_sections_build_and_the_stored_document_rebuilds_the_same_model():
    config = load_config(SMALL + GOOD, "t.yaml")
    first, reply = config.section("commitments")
    assert (first.limit, [s.after for s in first.ladder], first.ladder[1].respond_within) == (600, [600, 1200], 300)
    assert (reply.limit, reply.calendar, sorted(reply.clock.start.types), reply.touchpoint) == (5400, "office", ["opened", "reopened"], "phone")
    office = config.section("calendars")["office"]
    # 1 January, 1-7 October off; Sunday 27 September worked
    assert len(office.holidays) == 8 and list(office.working_days) == [date(2026, 9, 27)]
    stored = config.document
    assert stored["commitments"][0]["ladder"][0] == {"code": "fruit_plate", "after": "10m", "remedy": "free fruit plate"}
    assert stored["commitments"][1]["clock"] == {"start": ["opened", "reopened"], "pause": "waiting", "resume": "customer_replied",
                                                 "stop": {"when": 'event.attributes.channel == "phone"', "types": ["replied"]}}
    assert stored["calendars"]["office"]["holidays"] == ["2026-01-01", "2026-10-01..2026-10-07"]
    rebuilt = build_config(stored)
    assert rebuilt.section("calendars") == config.section("calendars")
    assert [c.code for c in rebuilt.section("commitments")] == ["first_dish", "reply"]
    assert rebuilt.document == stored
    assert config.summary()["commitments"] == ["first_dish", "reply"] and config.summary()["calendars"] == ["office"]


def test_a_document_without_commitments_means_what_it_meant():
    config = load_config(SMALL, "t.yaml")
    assert config.section("commitments") is None and "commitments" not in config.document and "calendars" not in config.document


def test_every_problem_of_both_sections_is_reported_with_its_line_and_path():
    text = """calendars:
  office:
    time_zone: Mars/Olympus
    week: {mon-fri: ["09:00-12:00", "11:00-18:00"], fri: ["09:00-10:00"], funday: []}
    holidays: ["2026-02-30", "2026-05-01..2026-04-01"]
  always: {time_zone: UTC, week: {mon: ["00:00-24:00"]}}
commitments:
  - code: first_dish
    applies_to: 'case.type == '
    clock: {start: ordered, stop: served, pause: x}
    limit: 10m
    calendar: nowhere
    ladder:
      - {code: a, after: 10m, respond_within: 5m}
      - {code: b, after: 5m, when: 'foo.bar', percent_off: 120}
  - code: first_dish
    clock: {start: ordered, stop: served}
    limit: 1h
"""
    assert problems(text) == [
        "t.yaml:11: calendars.office.time_zone: 'Mars/Olympus' is not an IANA time zone (e.g. Asia/Shanghai, Europe/Berlin, UTC)",
        "t.yaml:12: calendars.office.week.fri: fri is given hours twice",
        "t.yaml:12: calendars.office.week.funday: 'funday' is not a day or a range of days (mon, tue, wed, thu, fri, sat, sun, e.g. mon-fri)",
        "t.yaml:12: calendars.office.week.mon-fri.1: '11:00-18:00' overlaps other hours of the same day",
        "t.yaml:13: calendars.office.holidays.0: '2026-02-30' is not a date (YYYY-MM-DD)",
        "t.yaml:13: calendars.office.holidays.1: '2026-05-01..2026-04-01': a range of dates runs forward, at most one year",
        "t.yaml:14: calendars.always: 'always' is the calendar that counts every second; give this one another name",
        "t.yaml:17: commitments.0.applies_to: expression: expected a value, a name or '(', found the end of the expression (column 14)",
        "t.yaml:18: commitments.0.clock.resume: a clock that pauses must resume, and one that resumes must pause: resume is missing",
        "t.yaml:20: commitments.0.calendar: no calendar 'nowhere' in the calendars section (known: always)",
        "t.yaml:22: commitments.0.ladder.0.delivered: respond_within needs delivered: the event that records the remedy given, so its time can be checked",
        "t.yaml:23: commitments.0.ladder.1.percent_off: percent_off must be more than 0 and at most 100",
        "t.yaml:23: commitments.0.ladder.1.when: expression: unknown variable 'foo' (the variables are: case, customer) (column 1)",
        "t.yaml:24: commitments.1.code: duplicate commitment code 'first_dish'",
    ]


def test_duplicate_codes_and_ladder_order_are_refused():
    text = """commitments:
  - code: same
    clock: {start: a, stop: b}
    limit: 1h
    ladder: [{code: s1, after: 30m}, {code: s1, after: 40m}, {code: s3, after: 10m}]
  - {code: same, clock: {start: a, stop: b}, limit: 2h}
"""
    assert problems(text) == [
        "t.yaml:13: commitments.0.ladder.1.code: duplicate step code 's1'",
        "t.yaml:14: commitments.1.code: duplicate commitment code 'same'",
    ]
    text = """commitments:
  - {code: c, clock: {start: a, stop: b}, limit: 1h, ladder: [{code: s1, after: 30m}, {code: s2, after: 10m}]}
"""
    assert problems(text) == ["t.yaml:10: commitments.0.ladder.1.after: ladder steps are listed in the order they are reached: after must not decrease"]


def test_shape_problems_name_the_field():
    text = """commitments:
  - code: c
    clock: {start: [a, "not a type!"], stop: {when: 1, extra: 2}}
    limit: 10
    colour: red
    ladder: [{code: s, after: "10 minutes"}]
  - {code: d, clock: {start: a, stop: b}, limit: P1M}
"""
    assert problems(text) == [
        "t.yaml:11: commitments.0.clock.start: event types are codes of letters, digits, '_', '.' or '-': 'not a type!' is not",
        "t.yaml:11: commitments.0.clock.stop: takes only when and types: extra",
        "t.yaml:12: commitments.0.limit: a duration needs a unit: 10 could be seconds or minutes (e.g. 10m, 4h, 2d, 1h30m or PT10M)",
        "t.yaml:13: commitments.0.colour: unknown field",
        "t.yaml:14: commitments.0.ladder.0.after: '10 minutes' is not a duration (e.g. 10m, 4h, 2d, 1h30m or PT10M; months and years are not allowed)",
        "t.yaml:15: commitments.1.limit: 'P1M' is not a duration (e.g. 10m, 4h, 2d, 1h30m or PT10M; months and years are not allowed)",
    ]


def test_an_event_condition_sees_the_event_and_a_case_condition_does_not():
    text = """commitments:
  - {code: c, applies_to: 'event.type == "x"', clock: {start: {when: 'event.type == "opened"'}, stop: b}, limit: 1h}
"""
    assert problems(text) == ["t.yaml:10: commitments.0.applies_to: expression: unknown variable 'event' (the variables are: case, customer) (column 1)"]


def test_conditions_are_type_checked_against_what_they_see():
    text = """commitments:
  - code: c
    applies_to: 'case.type == 1 || case.colour == "red"'
    clock: {start: {when: 'event.at > 3'}, stop: b}
    limit: 1h
    ladder: [{code: s, after: 1m, when: 'case.events'}]
"""
    assert problems(text) == [
        "t.yaml:11: commitments.0.applies_to: expression: comparing a string with an int is always false (column 11)",
        "t.yaml:12: commitments.0.clock.start.when: expression: '>' does not compare a timestamp with an int (column 10)",
        "t.yaml:14: commitments.0.ladder.0.when: expression: the expression gives a list(string); a bool is needed here",
    ]
