"""The core's analyses as registered analysis methods: from stored (canonical) answers.

Each method turns canonical answers into 0..100 scores (the scoring's own conversion) and
calls the pure module, so the figures here are checked against the module called on the
same scores by hand; what these tests add is the adaptation (scores, groups, touchpoints,
defaults) and the parameter checks, each naming the parameter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.analysis import AnalysisInputError
from core.analysis.drivers import drivers
from core.analysis.methods import ANALYSIS_METHODS, respondent_scores
from core.config import load_config
from core.plugins import IndustryRegistry, get_plugin_manager

YAML = """
version: 1
scales:
  ten: {kind: numeric, min: 0, max: 10}
  kano:
    kind: ordinal
    options:
      - {code: like, label: I like it, label_zh: 我喜欢, score: 5}
      - {code: must_be, label: It must be that way, label_zh: 理所当然, score: 4}
      - {code: neutral, label: I am neutral, label_zh: 无所谓, score: 3}
      - {code: live_with, label: I can live with it, label_zh: 能忍受, score: 2}
      - {code: dislike, label: I dislike it, label_zh: 我不喜欢, score: 1}
indicator_set:
  code: estate
  children:
    - code: sales
      weight: 0.5
      children:
        - {code: sign, weight: 0.5, scale: ten, touchpoint: contract}
        - {code: sign_exp, weight: 0, scale: ten, touchpoint: contract}
        - {code: hand, weight: 0.5, scale: ten, touchpoint: handover}
    - code: service
      weight: 0.5
      children:
        - {code: fix, scale: ten, touchpoint: repairs}
        - {code: fee, scale: ten, touchpoint: fees}
    - code: extra
      weight: 0
      children:
        - {code: overall, weight: 0.5, scale: ten}
        - {code: loyal, weight: 0.5, scale: ten}
        - {code: app_f, weight: 0, scale: kano}
        - {code: app_d, weight: 0, scale: kano}
"""
ISET = load_config(YAML, "estate.yaml").indicator_set
METHODS = {m.code: m for m in ANALYSIS_METHODS}


def answers(n: int = 200, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sign, hand, fix, fee = (rng.integers(0, 11, n).astype(float) for _ in range(4))
    overall = np.clip(np.round(0.1 * sign + 0.2 * hand + 0.5 * fix + 0.2 * fee + rng.normal(0, 1, n)), 0, 10)
    return pd.DataFrame({
        "sign": sign, "sign_exp": np.clip(sign + rng.integers(-2, 3, n), 0, 10).astype(float), "hand": hand, "fix": fix, "fee": fee,
        "overall": overall, "loyal": np.clip(overall + rng.integers(-2, 3, n), 0, 10).astype(float),
        "app_f": rng.choice(["like", "neutral"], n), "app_d": rng.choice(["dislike", "neutral"], n),
        "region": rng.choice(["north", "south"], n),
    })


def run(code: str, frame: pd.DataFrame, **params) -> dict:
    method = METHODS[code]
    return method.function(frame, ISET, method.resolve_params(params))


def test_the_core_registers_its_analyses_for_every_tenant():
    registry = IndustryRegistry(get_plugin_manager())
    assert set(METHODS) <= set(registry.analysis_methods([]))
    assert registry.analysis_method([], "drivers") is METHODS["drivers"]


def test_drivers_on_stored_answers_equal_the_module_on_their_scores():
    frame = answers()
    out = run("drivers", frame, target="overall", drivers=["sign", "hand", "fix", "fee"])
    scores = respondent_scores(frame, ISET)
    want = drivers(scores, "overall", ["sign", "hand", "fix", "fee"])
    assert [d["importance"] for d in out["drivers"]] == [d["importance"] for d in want["drivers"]]
    assert {d["code"]: d["touchpoints"] for d in out["drivers"]} == {"sign": ["contract"], "hand": ["handover"], "fix": ["repairs"], "fee": ["fees"]}
    assert out["drivers"][0]["code"] == "fix" and out["analysis"] == "drivers" and out["level"] == "question"
    assert scores["sign"].iloc[0] == frame["sign"].iloc[0] * 10  # 0..10 → 0..100


def test_drivers_by_group_default_to_the_top_level_groups_without_the_target():
    out = run("drivers", answers(), target="overall", level="group")
    assert {d["code"] for d in out["drivers"]} == {"sales", "service"}
    assert {d["code"]: d["touchpoints"] for d in out["drivers"]}["sales"] == ["contract", "handover"]


def test_kano_pls_loyalty_gap_peak_end_and_tiers_run_on_stored_answers():
    frame = answers()
    k = run("kano", frame, features=[{"code": "app", "functional": "app_f", "dysfunctional": "app_d"}], segment="region")
    assert sum(k["features"]["app"]["counts"].values()) == 200 and set(k["features"]["app"]["segments"]) == {"north", "south"}
    assert "service_menu" in k
    p = run("pls", frame, constructs={"SALES": ["sign", "hand"], "SERVICE": ["fix", "fee"], "SAT": ["overall", "loyal"]},
            paths={"SAT": ["SALES", "SERVICE"]}, scheme="path")
    assert p["analysis"] == "pls" and 0 <= p["index"]["SAT"] <= 100 and p["paths"]["SERVICE->SAT"] > p["paths"]["SALES->SAT"]
    m = run("loyalty_matrix", frame, loyalty=["loyal"], satisfaction="overall", sat_threshold=50, loyalty_threshold=50)
    assert sum(c["count"] for c in m["cells"].values()) == 200 and m["satisfaction"] == "overall"
    g = run("expectation_gap", frame, pairs={"sign": "sign_exp"})
    assert g["indicators"]["sign"]["n"] == 200 and set(g["touchpoints"]) == {"contract"}
    pe = run("peak_end", frame, stages={"sales": ["sign", "hand"], "service": ["fix", "fee"]}, peak=["sales"], end="service", overall="overall")
    assert pe["n"] == 200 and pe["peak_end_prediction"]["correlation"] is not None
    t = run("tiers", frame, satisfied="overall", recommend="loyal", threshold=70)
    assert t["tiers"]["satisfied"]["rate"] == pytest.approx((frame["overall"] >= 7).mean())
    a = run("ahp", frame, criteria=["a", "b"], judgements=[["a", "b", 3]])
    assert a["weights"]["a"] == pytest.approx(0.75)


@pytest.mark.parametrize(
    "code, params, field",
    [
        ("drivers", {}, "target"),
        ("drivers", {"target": "nope"}, "target"),
        ("drivers", {"target": "overall", "drivers": ["sign", "nope"]}, "drivers"),
        ("drivers", {"target": "overall", "level": "touchpoint"}, "level"),
        ("drivers", {"target": "overall", "bootstrap": "many"}, "bootstrap"),
        ("drivers", {"target": "overall", "bootstrap": True}, "bootstrap"),
        ("kano", {"features": [{"code": "x", "functional": "app_f"}]}, "features.0"),
        ("kano", {"features": [{"code": "x", "functional": "app_f", "dysfunctional": "nope"}]}, "features.0.dysfunctional"),
        ("kano", {"features": [{"code": "x", "functional": "app_f", "dysfunctional": "app_d"}], "segment": "city"}, "segment"),
        ("pls", {"constructs": {"A": ["sign", "nope"]}, "paths": {}}, "constructs.A"),
        ("pls", {"constructs": "A", "paths": {}}, "constructs"),
        ("loyalty_matrix", {}, "loyalty"),
        ("expectation_gap", {"pairs": {"sign": "nope"}}, "pairs.sign"),
        ("peak_end", {"stages": {"s": ["sign"]}, "end": "s", "overall": "nope"}, "overall"),
        ("tiers", {}, "satisfied"),
        ("ahp", {"criteria": ["a", "b"], "judgements": [["a", "b", 30]]}, "judgements.0"),
    ],
)
def test_bad_parameters_name_the_parameter(code, params, field):
    with pytest.raises(AnalysisInputError) as err:
        run(code, answers(50), **params)
    assert err.value.field == field
