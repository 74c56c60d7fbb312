"""Scores of a version or window without responses (n 0, null scores), the version an
answer scored, and ``version=all``: every version's responses pooled when their trees
score alike, a 422 naming the differences when not. API and ``csm report``; the pure
comparison (core.scoring.compatibility) without a database."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from core.cli import main
from core.config import load_config
from core.scoring.compatibility import incompatibility, scoring_differences
from tests.helpers import STORE_YAML, TWO

# Version 2 of store.yaml as a tenant would edit it without changing any score: another
# name, another question text, the sat4 scale renamed (same options and scores).
RENAMED = (
    STORE_YAML.replace("name: Store satisfaction", "name: Store satisfaction, reworded")
    .replace("How satisfied are you with the checkout speed?", "Was checking out quick?")
    .replace("sat4:", "four:")
    .replace("scale: sat4", "scale: four")
)
# A version that scores differently: the environment weighs 0.5, the checkout 0.5.
REWEIGHTED = STORE_YAML.replace("weight: 0.4\n", "weight: 0.5\n").replace("      weight: 0.6\n", "      weight: 0.5\n")


def tree(text: str):
    return load_config(text, "t.yaml").indicator_set


def nulls_everywhere(s: dict) -> None:
    """Every score of an answer without responses is null, every n 0."""
    assert (s["n"], s["csi"], s["margin_of_error"]) == (0, None, None)
    assert all(node["score"] is None and node["n"] == 0 for node in s["nodes"].values())
    assert all(tp == {"score": None, "n": 0, "margin_of_error": None, "low_n": True} for tp in s["touchpoints"].values())


# --- the API ------------------------------------------------------------------------------


def test_a_new_version_without_responses_scores_n_0_for_any_breakdown(make_tenant):
    t = make_tenant("acme")
    t.upload()
    assert t.post("/api/v1/responses", json={"responses": TWO}).status_code == 201
    assert set(t.get("/api/v1/scores?by=segment").json["groups"]) == {"new", "vip"}
    t.upload(RENAMED)  # version 2, nobody answered it yet
    for query in ("by=segment", "by=segment,period&period=quarter", "by=touchpoint", ""):
        r = t.get(f"/api/v1/scores?{query}")
        assert r.status_code == 200, (query, r.json)
        assert (r.json["version"], r.json["versions"]) == (2, [2])
        nulls_everywhere(r.json)
        assert r.json.get("groups", {}) == {}
    # version 1 still has its answers (hand-worked in tests/test_api.py: CSI 59.667)
    assert t.get("/api/v1/scores?version=1&by=segment").json["groups"]["vip"]["csi"] == pytest.approx(87.6, abs=1e-4)


def test_a_window_without_responses_scores_n_0(make_tenant):
    t = make_tenant("acme")
    t.upload()
    t.post("/api/v1/responses", json={"responses": TWO})
    r = t.get("/api/v1/scores?by=segment,period&period=month&from=2030-01-01T00:00:00Z")
    assert r.status_code == 200 and (r.json["version"], r.json["groups"]) == (1, {})
    nulls_everywhere(r.json)
    # with responses, an unknown column is still refused, naming the parameter
    r = t.get("/api/v1/scores?by=colour")
    assert r.status_code == 422 and [(e["location"], e["field"]) for e in r.json["errors"]] == [("query", "by")]


def test_version_all_pools_versions_whose_trees_score_alike(make_tenant):
    t = make_tenant("acme")
    t.upload()
    assert t.post("/api/v1/responses", json={"responses": TWO[:1]}).json == {"accepted": 1, "version": 1}
    t.upload(RENAMED)
    assert t.post("/api/v1/responses", json={"responses": TWO[1:]}).json == {"accepted": 1, "version": 2}
    # each version alone: r1's index 87.6 and r2's 31.733 (tests/test_api.py, by hand)
    assert t.get("/api/v1/scores?version=1").json["csi"] == pytest.approx(87.6, abs=1e-4)
    assert t.get("/api/v1/scores?version=2").json["csi"] == pytest.approx(31.7333, abs=1e-4)
    # pooled: the two together, CSI 59.667 as when both were collected under one version
    pooled = t.get("/api/v1/scores?version=all&by=segment").json
    assert (pooled["version"], pooled["versions"], pooled["n"]) == ("all", [1, 2], 2)
    assert pooled["csi"] == pytest.approx(59.6667, abs=1e-4)
    assert {k: round(g["csi"], 4) for k, g in pooled["groups"].items()} == {"new": 31.7333, "vip": 87.6}
    assert pooled["indicator_set"] == "store-csi"


def test_version_all_refuses_trees_that_score_differently_and_says_how(make_tenant):
    t = make_tenant("acme")
    t.upload()
    t.post("/api/v1/responses", json={"responses": TWO})
    t.upload(REWEIGHTED)  # version 2: no responses, but it is the latest, whose tree the answer would show
    r = t.get("/api/v1/scores?version=all")
    assert r.status_code == 422
    reason = (
        "the versions score differently, so their responses cannot be scored together: "
        "environment: weight 0.5 in version 2, 0.4 in version 1; checkout: weight 0.5 in version 2, 0.6 in version 1"
    )
    assert r.json["message"] == reason
    assert r.json["errors"] == [{"location": "query", "field": "version", "line": None, "index": None, "reason": reason}]
    t.upload()  # version 3 = version 1 again: version 2 holds no response and is left out
    ok = t.get("/api/v1/scores?version=all").json
    assert (ok["version"], ok["versions"], ok["n"]) == ("all", [1, 3], 2)
    assert ok["csi"] == pytest.approx(59.6667, abs=1e-4)


def test_version_must_be_a_number_or_all(make_tenant):
    t = make_tenant("acme")
    t.upload()
    for bad in ("latest", "0", "ALL", "1.5"):
        r = t.get(f"/api/v1/scores?version={bad}")
        assert r.status_code == 422, bad
        assert r.json["errors"] == [{"location": "query", "field": "version", "line": None, "index": None, "reason": "a version number (1..2147483647) or `all`"}]
    assert t.get("/api/v1/scores?version=9").status_code == 404


# --- csm report ---------------------------------------------------------------------------


def test_csm_report_scores_a_new_version_and_all_versions(app_db_url, tmp_path):
    env = {"CSM_DATABASE_URL": app_db_url}

    def run(*args):
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    store, renamed, reweighted = (tmp_path / "v1.yaml", tmp_path / "v2.yaml", tmp_path / "v3.yaml")
    store.write_text(STORE_YAML, encoding="utf-8")
    renamed.write_text(RENAMED, encoding="utf-8")
    reweighted.write_text(REWEIGHTED, encoding="utf-8")
    answers = tmp_path / "answers.csv"
    answers.write_text("response_id,collected_at,segment,env_overall,env_noise,checkout_speed,cashier_attitude,nps_recommend\n"
                       "r1,2026-01-15T10:00:00Z,vip,A,2,B,满意,10\n", encoding="utf-8")
    assert run("create-tenant", "acme", "Acme").exit_code == 0
    assert run("upload-config", "--tenant", "acme", str(store)).exit_code == 0
    assert run("import-responses", "--tenant", "acme", str(answers)).exit_code == 0
    assert run("upload-config", "--tenant", "acme", str(renamed)).exit_code == 0
    empty = json.loads(run("report", "--tenant", "acme", "--by", "segment", "--format", "json").stdout)
    assert (empty["version"], empty["versions"], empty["n"], empty["csi"], empty["groups"]) == (2, [2], 0, None, {})
    pooled = run("report", "--tenant", "acme", "--version", "all", "--by", "segment", "--format", "json")
    assert pooled.exit_code == 0, pooled.output
    body = json.loads(pooled.stdout)
    assert (body["version"], body["versions"], body["n"]) == ("all", [1, 2], 1)
    assert body["csi"] == pytest.approx(87.6, abs=1e-4)  # r1's index, by hand in tests/test_api.py
    table = run("report", "--tenant", "acme", "--version", "all")
    assert table.stdout.splitlines()[0] == "configuration versions 1, 2 (all, pooled)"
    assert run("upload-config", "--tenant", "acme", str(reweighted)).exit_code == 0
    refused = run("report", "--tenant", "acme", "--version", "all")
    assert refused.exit_code == 2
    assert "error: --version: the versions score differently, so their responses cannot be scored together: environment: weight 0.5 in version 3, 0.4 in version 1" in refused.stderr
    bad = run("report", "--tenant", "acme", "--version", "newest")
    assert bad.exit_code == 2 and "'newest' is neither a version number (from 1) nor 'all'" in bad.stderr


# --- the comparison itself (pure) ---------------------------------------------------------


def test_trees_that_differ_only_in_wording_score_alike():
    assert scoring_differences(tree(STORE_YAML), tree(RENAMED)) == []
    assert incompatibility({1: tree(STORE_YAML), 2: tree(RENAMED), 3: tree(STORE_YAML)}, 3) is None


@pytest.mark.parametrize(
    "edit, differences",
    [
        ((("weight: 0.7, scale: sat4", "weight: 0.6, scale: sat4"), ("weight: 0.3, scale: ten", "weight: 0.4, scale: ten")),
         ["env_overall: weight 0.7 in a, 0.6 in b", "env_noise: weight 0.3 in a, 0.4 in b"]),
        ((("scale: ten, reverse: true", "scale: ten"),), ["env_noise: reverse true in a, false in b"]),
        ((("touchpoint: store_floor}", "touchpoint: checkout}"),),
         ["env_overall: touchpoint 'store_floor' in a, 'checkout' in b", "env_noise: touchpoint 'store_floor' in a, 'checkout' in b"]),
        ((("label_zh: 比较满意, score: 3, satisfied: true}", "label_zh: 比较满意, score: 3}"),),
         [f"{q}: scale sat4 (ordinal: A=4*, B=3*, C=2, D=1) in a, sat4 (ordinal: A=4*, B=3, C=2, D=1) in b" for q in ("env_overall", "checkout_speed", "cashier_attitude")]),
        ((("ten: {kind: numeric, min: 0, max: 10}", "ten: {kind: numeric, min: 1, max: 10}"),),
         ["env_noise: scale ten (numeric 0..10) in a, ten (numeric 1..10) in b"]),
        ((("{code: cashier_attitude,", "{code: cashier_manner,"),),
         ["cashier_attitude: only in a", "cashier_manner: only in b"]),
    ],
    ids=["weights", "reverse", "touchpoint", "satisfied-mark", "range", "codes"],
)
def test_each_way_two_trees_score_differently_is_named(edit, differences):
    text = STORE_YAML
    for old, new in edit:
        assert old in text
        text = text.replace(old, new)
    assert scoring_differences(tree(STORE_YAML), tree(text)) == differences


def test_a_long_list_of_differences_is_cut_with_a_count():
    many = STORE_YAML
    for code in ("env_overall", "env_noise", "checkout_speed", "cashier_attitude", "nps_recommend", "environment", "checkout", "recommend"):
        many = many.replace(f"code: {code}", f"code: {code}_2")
    reason = incompatibility({1: tree(STORE_YAML), 2: tree(many)}, 1)
    # 8 codes only in version 1, 8 only in version 2: 10 listed, 6 counted
    assert reason.endswith("(and 6 more)") and reason.count("only in version") == 10
