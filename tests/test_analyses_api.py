"""GET /api/v1/analyses and /analyses/{method}: the registered methods run on stored data.

Each method is run through the API on responses stored through the API, and offline
(the method's function on the same rows read from the CSV as ``csm score`` reads them):
the figures must be the same, so the answer store's frame (core.store.frames) gives the
analyses exactly what the canonical answers give. Known answers: drivers on R's
``attitude`` (Shapley = general dominance, R dominanceanalysis: complaints 0.371,
learning 0.156, raises 0.120, privileges 0.051, advance 0.028, critical 0.007, R² 0.733),
and KANO counted by hand (below). Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from core.analysis.methods import ANALYSIS_METHODS
from core.ingest import read_csv_batch
from core.operations.analyses import apply, from_text, resolve
from core.operations.configuration import read_config
from core.plugins import IndustryRegistry, get_plugin_manager
from tests.helpers import ESTATE_YAML, ROOT, estate_csv

REF = ROOT / "tests" / "data" / "reference"
METHODS = {m.code: m for m in ANALYSIS_METHODS}
REGISTRY = IndustryRegistry(get_plugin_manager())

ATTITUDE_YAML = """version: 1
scales:
  pct: {kind: numeric, min: 0, max: 100}
indicator_set:
  code: attitude
  children:
    - {code: rating, weight: 0, scale: pct, role: overall}
    - code: aspects
      weight: 1
      children:
""" + "".join(f"        - {{code: {c}, scale: pct}}\n" for c in ("complaints", "privileges", "learning", "raises", "critical", "advance"))

def store(tenant, yaml_text: str, csv_text: str) -> None:
    tenant.upload(yaml_text)
    r = tenant.post("/api/v1/responses/csv", data=csv_text.encode(), content_type="text/csv")
    assert r.status_code in (200, 201), r.json


def offline(yaml_text: str, csv_text: str, code: str, **given) -> dict:
    """The method on the CSV's rows, as `csm analyze` runs it without a database."""
    config = read_config(yaml_text.encode(), "c.yaml", REGISTRY.template)
    batch = read_csv_batch(csv_text.encode(), config.indicator_set)
    frame = pd.concat([batch.meta, batch.attributes, batch.answers], axis=1)
    method = METHODS[code]
    return apply(method, frame, config.indicator_set, resolve(method, config.section("analysis"), from_text(method, given)))


def without_window(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k not in ("version", "responses")}


def test_drivers_on_stored_attitude_data_give_the_published_shapley_values(make_tenant):
    t = make_tenant("attitude")
    csv = (REF / "attitude.csv").read_text()
    rows = pd.read_csv(REF / "attitude.csv")
    rows.insert(0, "collected_at", "2026-03-01T00:00:00Z")
    store(t, ATTITUDE_YAML, rows.to_csv(index=False))
    r = t.get("/api/v1/analyses/drivers?method=shapley")
    assert r.status_code == 200, r.json
    out = r.json
    assert out["target"] == "rating" and out["n"] == 30 and out["responses"] == 30 and out["version"] == 1  # role: overall is the default target
    published = {"complaints": 0.371, "learning": 0.156, "raises": 0.120, "privileges": 0.051, "advance": 0.028, "critical": 0.007}
    assert {d["code"]: round(d["importance"], 3) for d in out["drivers"]} == published
    assert round(out["r2"], 3) == 0.733
    assert without_window(out) == offline(ATTITUDE_YAML, rows.to_csv(index=False), "drivers", method="shapley")
    assert csv  # the file read is the reference data set


def test_kano_on_stored_answers_counts_by_hand(make_tenant):
    """One feature, 22 respondents on the core's `kano` scale: (like, dislike) → O 10 times,
    (like, neutral) → A 6 times, (neutral, dislike) → M 3 times, (neutral, neutral) → I once,
    (dislike, like) → R once, (like, like) → Q once. Better = (6+10)/(6+10+3+1) = 0.8,
    Worse = −(10+3)/20 = −0.65; the category is O, so the feature is `expected`."""
    yaml_text = """version: 1
scales:
  ten: {kind: numeric, min: 0, max: 10}
indicator_set:
  code: k
  children:
    - {code: overall, weight: 1, scale: ten}
    - {code: app_f, weight: 0, scale: kano}
    - {code: app_d, weight: 0, scale: kano}
analysis:
  kano: {features: [{code: app, functional: app_f, dysfunctional: app_d}]}
"""
    pairs = [("like", "dislike")] * 10 + [("like", "neutral")] * 6 + [("neutral", "dislike")] * 3 + [("neutral", "neutral"), ("dislike", "like"), ("like", "like")]
    csv = "collected_at,overall,app_f,app_d\n" + "".join(f"2026-03-01T00:00:00Z,7,{f},{d}\n" for f, d in pairs)
    t = make_tenant("kano")
    store(t, yaml_text, csv)
    out = t.get("/api/v1/analyses/kano").json
    feature = out["features"]["app"]
    assert feature["counts"] == {"A": 6, "O": 10, "M": 3, "I": 1, "R": 1, "Q": 1}
    assert feature["category"] == "O" and feature["better"] == pytest.approx(0.8) and feature["worse"] == pytest.approx(-0.65)
    assert out["service_menu"] == {"basic": [], "expected": ["app"], "delight": []}
    assert without_window(out) == offline(yaml_text, csv, "kano")
    # weight 0: the KANO questions are stored and analysed, yet the CSI is the overall question's alone
    assert t.get("/api/v1/scores").json["csi"] == pytest.approx(70.0)


CALLS = [
    ("drivers", {}),
    ("drivers", {"method": "relative_weights", "bootstrap": "30", "seed": "4", "missing": "pairwise"}),
    ("drivers", {"level": "group", "target": "overall", "split": "median"}),
    ("kano", {"segment": "region"}),
    ("pls", {"scheme": "path", "bootstrap": "20"}),
    ("loyalty_matrix", {"loyalty": "loyal,again", "satisfaction": "overall", "segment": "region"}),
    ("tiers", {"satisfied": "overall", "buy_again": "again", "recommend": "loyal", "threshold": "70"}),
    ("expectation_gap", {"segment": "region"}),
    ("peak_end", {}),
    ("ahp", {"criteria": "a,b,c", "judgements": json.dumps([["a", "b", 3], ["a", "c", 5], ["b", "c", 2]])}),
]


@pytest.mark.parametrize("code,given", CALLS, ids=[f"{c}-{i}" for i, (c, _) in enumerate(CALLS)])
def test_each_method_through_the_api_on_stored_data_equals_the_offline_function(make_tenant, code, given):
    t = make_tenant("estate")
    csv = estate_csv()
    store(t, ESTATE_YAML, csv)
    r = t.get(f"/api/v1/analyses/{code}", query_string=given)
    assert r.status_code == 200, r.json
    assert r.json["analysis"] == {"tiers": "satisfaction_tiers"}.get(code, code) and r.json["responses"] == 120
    assert without_window(r.json) == offline(ESTATE_YAML, csv, code, **given)


def test_the_methods_are_listed_with_their_parameters(make_tenant):
    t = make_tenant("catalogue")
    listed = t.get("/api/v1/analyses").json
    assert [m["code"] for m in listed] == [m.code for m in ANALYSIS_METHODS]
    drivers = listed[0]
    assert drivers["plugin"] == "core" and drivers["name_zh"] == "满意度驱动力分析"
    method = next(p for p in drivers["params"] if p["name"] == "method")
    assert method == {"name": "method", "type": "string", "description": "relative_weights | shapley | correlation | stated", "required": False, "default": "relative_weights"}


BAD = [
    ("drivers", {"target": "nope"}, "target", "unknown question 'nope'"),
    ("drivers", {"features": "x"}, "features", "analysis 'drivers' takes no parameter 'features'"),
    ("drivers", {"bootstrap": "many"}, "bootstrap", "Not a valid integer."),
    ("drivers", {"bootstrap": "10001"}, "bootstrap", "Must be greater than or equal to 0 and less than or equal to 10000."),
    ("drivers", {"method": "magic"}, "method", None),
    ("drivers", {"level": "planet"}, "level", "unknown level 'planet'; one of question, group"),
    ("drivers", {"stated": "[1, 2]"}, "stated", "must be a JSON object"),
    ("drivers", {"stated": "{nope"}, "stated", "must be a JSON object"),
    ("kano", {"segment": "planet"}, "segment", "no such column in the responses: planet"),
    ("expectation_gap", {"pairs": '{"sign": "nope"}'}, "pairs.sign", "unknown question 'nope'"),
    ("peak_end", {"end": "extra_stage"}, "peak_end", None),
    ("drivers", {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "to", "`from` must be before `to`"),
    ("ahp", {"criteria": "a,b", "judgements": '[["a", "b", 30]]'}, None, None),
]


@pytest.mark.parametrize("code,given,field,reason", BAD, ids=[f"{c}-{f}" for c, _, f, _ in BAD])
def test_bad_parameters_are_422_naming_the_parameter(make_tenant, code, given, field, reason):
    t = make_tenant("bad")
    store(t, ESTATE_YAML, estate_csv(40))
    before = t.get("/api/v1/scores").json
    r = t.get(f"/api/v1/analyses/{code}", query_string=given)
    assert r.status_code == 422, r.json
    (problem,) = r.json["errors"]
    assert problem["location"] == "query"
    if field is not None:
        assert problem["field"] == field
    if reason is not None:
        assert reason in problem["reason"]
    assert t.get("/api/v1/scores").json == before


def test_no_responses_and_unknown_things_are_refused_never_500(make_tenant):
    t = make_tenant("empty")
    assert t.get("/api/v1/analyses/drivers").status_code == 404  # no configuration yet
    t.upload(ESTATE_YAML)
    # without responses: counts are an answer (n 0), estimates refused naming why
    statuses = {code: t.get(f"/api/v1/analyses/{code}") for code in ("drivers", "kano", "pls", "expectation_gap", "peak_end")}
    assert {code: r.status_code for code, r in statuses.items()} == {"drivers": 422, "kano": 200, "pls": 422, "expectation_gap": 200, "peak_end": 200}
    assert statuses["kano"].json["features"]["app"]["n"] == 0 and statuses["peak_end"].json["n"] == 0
    assert all(r.json["errors"][0]["field"] for r in statuses.values() if r.status_code == 422)
    assert t.get("/api/v1/analyses/astrology").status_code == 404
    assert t.get("/api/v1/analyses/drivers?version=9").status_code == 404


def test_a_window_and_a_version_select_the_stored_responses(make_tenant):
    t = make_tenant("window")
    csv = estate_csv()
    store(t, ESTATE_YAML, csv)
    t.upload(ESTATE_YAML)  # version 2 holds no responses
    r = t.get("/api/v1/analyses/kano?version=1&from=2026-01-02T00:00:00Z&to=2026-01-03T00:00:00Z")
    assert r.json["version"] == 1 and r.json["responses"] == 24  # one response an hour
    rows = pd.read_csv(io.StringIO(csv)).iloc[24:48]
    assert without_window(r.json) == offline(ESTATE_YAML, rows.to_csv(index=False), "kano")


@pytest.mark.parametrize("rows", [1, 2, 3])
def test_degenerate_data_is_an_answer_or_a_422_never_a_500(make_tenant, rows):
    """A handful of responses, every answer the same: nothing to estimate from."""
    t = make_tenant("few")
    frame = pd.read_csv(io.StringIO(estate_csv(rows)))
    for column in ("sign", "sign_exp", "hand", "fix", "fee", "overall", "loyal", "again"):
        frame[column] = 5
    store(t, ESTATE_YAML, frame.to_csv(index=False))
    for code, given in CALLS:
        r = t.get(f"/api/v1/analyses/{code}", query_string=given)
        assert r.status_code in (200, 422), (code, r.status_code, r.get_data(as_text=True)[:300])
        if r.status_code == 422:
            assert r.json["errors"][0]["field"], code
