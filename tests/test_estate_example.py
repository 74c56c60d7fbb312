"""The README's worked analyses on config/examples/estate.yaml and its 240 responses.

The figures the README prints are recomputed here from the CSV with plain pandas, so the
example and the code cannot drift apart: scores on the 1..5 scale are (x - 1) / 4 * 100.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from core.cli import main as cli

EXAMPLES = Path(__file__).resolve().parent.parent / "config" / "examples"
ARGS = ["--config", str(EXAMPLES / "estate.yaml"), "--responses", str(EXAMPLES / "estate-responses.csv"), "--format", "json"]
CSV = pd.read_csv(EXAMPLES / "estate-responses.csv")


def analyze(*args: str) -> dict:
    result = CliRunner().invoke(cli, ["analyze", *args, *ARGS])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def score(code: str) -> pd.Series:
    return (CSV[code] - 1) / 4 * 100


def test_the_expectation_gap_is_the_paired_difference_of_the_two_questions():
    gap = analyze("expectation_gap")["indicators"]["build_quality"]
    diff = score("build_quality") - score("build_quality_expected")
    moe = 1.959963984540054 * diff.std(ddof=1) / len(diff) ** 0.5
    assert gap["n"] == 240 and round(gap["gap"], 3) == round(diff.mean(), 3) == -18.646
    assert abs(gap["margin_of_error"] - moe) < 0.05 and gap["significant"] is True  # normal or t quantile


def test_peak_end_compares_the_weighted_stages_only():
    out = analyze("peak_end")
    marketing = (score("sales_reception") + score("contract_signing")) / 2
    assert set(out["stages"]) == {"marketing", "product", "service"}
    assert round(out["stages"]["marketing"], 3) == round(marketing.mean(), 3) == 78.333
    assert round(out["observed"]["mean"], 2) == round(score("overall_sat").mean(), 2) == 58.75


def test_drivers_rank_repairs_first_and_kano_finds_the_app_attractive():
    drivers = analyze("drivers")
    assert [d["code"] for d in drivers["drivers"]][:2] == ["repairs", "cleaning"] and drivers["n"] == 240
    assert abs(sum(d["importance"] for d in drivers["drivers"]) - drivers["r2"]) < 1e-9
    kano = analyze("kano")["features"]["service_app"]
    assert kano["category"] == "A" and kano["counts"]["A"] == 133
    c = kano["counts"]
    assert kano["better"] == (c["A"] + c["O"]) / (c["A"] + c["O"] + c["M"] + c["I"]) == 0.64
