"""`csm cases evaluate`: commitments over a CSV of case events, offline, JSON and table,
and precise refusals (exit 2) for a bad configuration, CSV, instant or grouping."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.cli import main
from tests.helpers import RESTAURANT, SMALL

CONFIG = SMALL + RESTAURANT

EVENTS = """case_id,type,at,case_type,touchpoint,table
t1,ordered,2026-03-01T12:00:00+08:00,dine_in,restaurant,7
t1,complained,2026-03-01T12:22:00+08:00,,,
t1,compensation_paid,2026-03-01T12:26:00+08:00,,,
t1,dish_served,2026-03-01T12:30:00+08:00,,,
t2,dish_served,2026-03-01T12:08:00+08:00,,,
t2,ordered,2026-03-01T12:00:00+08:00,dine_in,terrace,8
t3,ordered,2026-03-01T12:50:00+08:00,dine_in,terrace,9
"""


def run(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture()
def files(tmp_path):
    (tmp_path / "c.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "events.csv").write_text(EVENTS, encoding="utf-8")
    return tmp_path


def test_json_prints_every_case_and_the_on_time_rate(files):
    code, out = run("cases", "evaluate", "--config", str(files / "c.yaml"), "--events", str(files / "events.csv"),
                    "--at", "2026-03-01T13:00:00+08:00", "--format", "json")
    assert code == 0, out
    result = json.loads(out)
    assert result["at"] == "2026-03-01T05:00:00Z"
    t1, t2, t3 = (result["cases"][c]["first_dish"] for c in ("t1", "t2", "t3"))
    # t1: served after 30 min with a complaint at 22 and compensation at 26: all three steps, the last delivered in time
    assert (t1["status"], t1["elapsed_seconds"], t1["limit_seconds"], t1["steps"]) == ("breached", 1800.0, 600.0, ["fruit_plate", "discount_20", "double_refund"])
    assert [(m["step"], m["status"]) for m in t1["remedies_due"]] == [("fruit_plate", "due"), ("discount_20", "due"), ("double_refund", "delivered")]
    # t2 (its rows out of order): 8 min, met; t3 ordered 10 min before the instant: running, 10 min counted exactly
    assert (t2["status"], t2["elapsed_seconds"], t2["steps"], t2["remedies_due"]) == ("met", 480.0, [], [])
    assert (t3["status"], t3["elapsed_seconds"], t3["remaining_seconds"], t3["next_step"]) == ("running", 600.0, 0.0, {"code": "fruit_plate", "at": "2026-03-01T05:00:00Z"})
    # decided cycles: t1 breached, t2 met (t3 still within its time)
    assert result["on_time_rate"] == {"first_dish": {"rate": 0.5, "n": 2, "met": 1, "breached": 1}}


def test_rates_by_touchpoint(files):
    code, out = run("cases", "evaluate", "--config", str(files / "c.yaml"), "--events", str(files / "events.csv"),
                    "--at", "2026-03-01T13:00:00+08:00", "--format", "json", "--by", "touchpoint")
    assert code == 0, out
    assert json.loads(out)["on_time_rate"]["first_dish"]["groups"] == {
        "restaurant": {"rate": 0.0, "n": 1, "met": 0, "breached": 1},
        "terrace": {"rate": 1.0, "n": 1, "met": 1, "breached": 0},
    }


def test_table_shows_a_line_per_case_and_the_rates(files):
    code, out = run("cases", "evaluate", "--config", str(files / "c.yaml"), "--events", str(files / "events.csv"), "--at", "2026-03-01T13:00:00+08:00")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "as at 2026-03-01T05:00:00Z"
    assert lines[1].split() == ["case", "commitment", "cycle", "status", "elapsed", "limit", "remaining", "steps", "remedies", "next", "step"]
    assert lines[2].split()[:5] == ["t1", "first_dish", "1", "breached", "30.0"]
    assert "double_refund:delivered" in lines[2]
    assert lines[3].split()[:5] == ["t2", "first_dish", "1", "met", "8.0"]
    assert lines[-1].split() == ["first_dish", "50.0", "%", "2", "1", "1"]


@pytest.mark.parametrize(
    "csv, expected",
    [
        ("case_id,type\nt1,ordered\n", "the events need the column(s) at"),
        ("case_id,type,at\nt1,ordered,yesterday\n", "line 2: at: 'yesterday' is not an ISO 8601 date-time"),
        ("case_id,type,at\n,ordered,2026-03-01T12:00:00Z\n", "line 2: case_id: is required"),
        ("case_id,type,at\nt1,not a type,2026-03-01T12:00:00Z\n", "line 2: type: 'not a type' is not an event type code"),
        ("case_id,type,at\nt1,ordered,2026-03-01T12:00:00Z,extra\n", "line 2: 4 fields, the header has 3"),
        ("", "the CSV is empty"),
    ],
)
def test_a_bad_events_file_is_refused_naming_the_line(files, csv, expected):
    (files / "bad.csv").write_text(csv, encoding="utf-8")
    code, out = run("cases", "evaluate", "--config", str(files / "c.yaml"), "--events", str(files / "bad.csv"))
    assert code == 2
    assert expected in out


def test_a_configuration_without_commitments_bad_options_and_bad_yaml_exit_2(files):
    (files / "plain.yaml").write_text(SMALL, encoding="utf-8")
    code, out = run("cases", "evaluate", "--config", str(files / "plain.yaml"), "--events", str(files / "events.csv"))
    assert code == 2 and "the configuration has no commitments" in out
    code, out = run("cases", "evaluate", "--config", str(files / "c.yaml"), "--events", str(files / "events.csv"), "--at", "soon")
    assert code == 2 and "'soon' is not an ISO 8601 date-time" in out
    code, out = run("cases", "evaluate", "--config", str(files / "c.yaml"), "--events", str(files / "events.csv"), "--by", "colour")
    assert code == 2 and "--by: unknown group-by column 'colour'" in out
    (files / "broken.yaml").write_text(CONFIG.replace("limit: 10m", "limit: 10"), encoding="utf-8")
    code, out = run("cases", "evaluate", "--config", str(files / "broken.yaml"), "--events", str(files / "events.csv"))
    assert code == 2 and "commitments.0.limit: a duration needs a unit" in out


def test_the_example_configuration_and_events_evaluate_as_documented():
    root = Path(__file__).resolve().parent.parent / "config" / "examples"
    code, out = run("cases", "evaluate", "--config", str(root / "hotel-commitments.yaml"), "--events", str(root / "hotel-events.csv"),
                    "--at", "2026-03-02T12:00:00+08:00", "--format", "json")
    assert code == 0, out
    cases = json.loads(out)["cases"]
    # the car came in Friday 16:30, waited for parts from 17:00 (30 min counted) until Monday 09:00; by 12:00 3 h more
    assert (cases["car-88"]["repair_quote"]["elapsed_seconds"], cases["car-88"]["repair_quote"]["status"]) == (210 * 60.0, "running")
    # check-in 2 min 40 s, the 1200 call answered after 4 min, the reply to the destroyer after 25 h
    assert cases["stay-101"]["check_in"]["status"] == "met" and cases["stay-101"]["request_1200"]["status"] == "breached"
    assert cases["complaint-3"]["green_channel_reply"]["remaining_seconds"] == -3600.0
