"""GET /api/v1/scores with margins, low_n (min_n from the query or the analysis section)
and period-over-period comparisons, on SQLite and PostgreSQL.

Four responses to config/examples/store.yaml: r1 and r2 of tests/helpers.TWO, both in
January, and two in February answering as r1, the second with env_noise 4. Respondent
indices (tests/test_api.py::test_known_answer_scores works r1 and r2 by hand):
r1 87.6, r2 31.733, r3 87.6, r4 0.4 × (0.7·100 + 0.3·60) + 0.6 × (66.667 + 100)/2 = 85.2.
February − January: CSI (87.6 + 85.2)/2 − (87.6 + 31.733)/2 = 86.4 − 59.667 = 26.733, with
every answer given, so Welch's test on those indices is scipy's.
"""

import copy

import pytest
from scipy import stats

from tests.helpers import STORE_YAML, TWO


def four():
    r1, r2 = copy.deepcopy(TWO)
    r2["collected_at"] = "2026-01-20T10:00:00Z"
    r3 = copy.deepcopy(r1) | {"response_id": "r3", "collected_at": "2026-02-03T10:00:00Z"}
    r4 = copy.deepcopy(r1) | {"response_id": "r4", "collected_at": "2026-02-13T10:00:00Z"}
    r4["answers"] = dict(r4["answers"], env_noise=4)
    return [r1, r2, r3, r4]


def test_margins_low_n_and_a_comparison_with_the_previous_month(make_tenant):
    t = make_tenant("acme")
    t.upload()
    assert t.post("/api/v1/responses", json={"responses": four()}).status_code == 201
    s = t.get("/api/v1/scores?by=period&compare=previous").json
    assert s["min_n"] == 30 and s["low_n"] is True and s["compare"] == "previous"
    assert all(node["low_n"] is True and "margin_of_error" in node for node in s["nodes"].values())
    jan, feb = s["groups"]["2026-01"], s["groups"]["2026-02"]
    assert "compare" not in jan
    c = feb["compare"]
    assert c["with"] == "2026-01"
    expected = stats.ttest_ind([87.6, 85.2], [87.6, 31.7333333333], equal_var=False)
    assert c["csi"]["difference"] == pytest.approx(26.7333, abs=1e-4)
    assert c["csi"]["t"] == pytest.approx(expected.statistic, abs=1e-4)
    assert c["csi"]["p_value"] == pytest.approx(expected.pvalue, abs=1e-4)
    assert c["csi"]["df"] == pytest.approx(expected.df, abs=1e-4)
    assert c["csi"]["significant"] is False and c["csi"]["n"] == [2, 2]
    # env_overall satisfied: February 2 of 2, January 1 of 2 (A, C): pooled 3/4,
    # z = 0.5 / √(0.75·0.25·(1/2 + 1/2)) = 0.5 / 0.4330 = 1.1547
    rate = c["nodes"]["env_overall"]["satisfaction_rate"]
    assert rate["test"] == "two_proportion_z" and rate["difference"] == 0.5 and rate["z"] == pytest.approx(1.1547, abs=1e-4)
    # NPS: February 10, 10 → 100; January 10, 5 → 0: difference 100
    assert c["nodes"]["nps_recommend"]["nps"]["difference"] == 100.0
    assert feb["nodes"]["nps_recommend"]["nps"] == 100.0 and feb["nodes"]["nps_recommend"]["nps_margin_of_error"] == 0.0
    named = t.get("/api/v1/scores?by=period&compare=2026-01").json
    assert named["groups"]["2026-02"]["compare"] == c


def test_min_n_from_the_analysis_section_and_from_the_query(make_tenant):
    t = make_tenant("acme")
    t.upload(STORE_YAML + "analysis:\n  min_n: 2\n")
    t.post("/api/v1/responses", json={"responses": four()})
    s = t.get("/api/v1/scores?by=period").json
    assert s["min_n"] == 2 and s["low_n"] is False
    assert s["groups"]["2026-01"]["low_n"] is False and s["groups"]["2026-01"]["nodes"]["env_overall"]["low_n"] is False
    s = t.get("/api/v1/scores?by=period&min_n=3").json
    assert s["min_n"] == 3 and s["low_n"] is False and s["groups"]["2026-01"]["low_n"] is True


@pytest.mark.parametrize(
    "query, reason",
    [
        ("compare=previous", "compare needs `period` among the breakdown keys (by=period)"),
        ("by=period&compare=2026Q1", "compare must be `previous` or a month label such as 2026-03, not '2026Q1'"),
        ("by=period&period=year&compare=2026-01", "compare must be `previous` or a year label such as 2026, not '2026-01'"),
        ("by=period&compare=last", "`previous` or a period label (2026-03, 2026Q1, 2026)"),
        ("min_n=0", "Must be greater than or equal to 1"),
    ],
)
def test_a_bad_compare_or_min_n_is_a_422_naming_it(make_tenant, query, reason):
    t = make_tenant("acme")
    t.upload()
    t.post("/api/v1/responses", json={"responses": four()})
    r = t.get(f"/api/v1/scores?{query}")
    assert r.status_code == 422
    (error,) = r.json["errors"]
    assert error["location"] == "query" and error["field"] == query.split("=")[-2].split("&")[-1]
    assert reason in error["reason"]
