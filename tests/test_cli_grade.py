"""`csm grade`: the tobacco customers graded offline, worked by hand; bad input exits 2
with the line and column."""

import json

from click.testing import CliRunner

from core.cli import main
from tests.helpers import ROOT

TOBACCO = str(ROOT / "config" / "examples" / "tobacco.yaml")
STORE = str(ROOT / "config" / "examples" / "store.yaml")
HEADER = "customer_id,contribution,compliance,capability,region\n"
BASIC = ["phone_order", "online_order", "delivery"]
EXPECTED = ["business_guidance", "agreement_supply"]


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write(tmp_path, text):
    path = tmp_path / "customers.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_grade_json_worked_by_hand(tmp_path):
    # 零售户 A: 0.5*90 + 0.3*80 + 0.2*70 = 83 -> G8; B: 40 exactly -> G4; C: 15 + 15 + 8 = 38 -> G3
    path = write(tmp_path, HEADER + "A,90,80,70,urban\nB,40,40,40,\n零售户C,30,50,40,rural\n")
    result = run("grade", "--config", TOBACCO, "--customers", path, "--period", "2026-03", "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["period"] == "2026-03"
    assert out["customers"] == {
        "A": {"grade": "G8", "score": 83.0, "services": BASIC + EXPECTED + ["online_allocation"]},
        "B": {"grade": "G4", "score": 40.0, "services": BASIC + EXPECTED},
        "零售户C": {"grade": "G3", "score": 38.0, "services": BASIC},
    }
    assert out["counts"] == {"G9": 0, "G8": 1, "G7": 0, "G6": 0, "G5": 0, "G4": 1, "G3": 1, "G2": 0, "G1": 0}


def test_grade_table(tmp_path):
    path = write(tmp_path, HEADER + "A,90,80,70,urban\n")
    result = run("grade", "--config", TOBACCO, "--customers", path, "--period", "2026-03")
    assert result.exit_code == 0
    assert result.output.splitlines()[:3] == [
        "period 2026-03: 1 customer(s)",
        "customer  grade     score  services",
        "A         G8        83.00  phone_order, online_order, delivery, business_guidance, agreement_supply, online_allocation",
    ]


def test_bad_customers_exit_2_naming_line_and_column(tmp_path):
    path = write(tmp_path, HEADER + "A,90,80,70,urban\nA,ninety,80,70,\nC,30,,140,suburb\n")
    result = run("grade", "--config", TOBACCO, "--customers", path)
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"error: {path}: 5 problem(s)",
        "  line 3: contribution: must be a number",
        "  line 3: customer_id: customer 'A' appears more than once",
        "  line 4: capability: must be at most 100",
        "  line 4: compliance: required",
        "  line 4: region: 'suburb' is not one of urban, rural",
    ]


def test_unknown_columns_and_missing_ids_are_refused(tmp_path):
    path = write(tmp_path, "contribution,compliance,capability,colour\n1,2,3,red\n")
    result = run("grade", "--config", TOBACCO, "--customers", path)
    assert result.exit_code == 2
    assert "  colour: unknown column (the columns are customer_id and the attributes: contribution, compliance, capability, region)" in result.output
    assert "  customer_id: every customer needs an id: the column is missing" in result.output


def test_bad_period_and_a_configuration_without_grades(tmp_path):
    path = write(tmp_path, HEADER + "A,90,80,70,urban\n")
    result = run("grade", "--config", TOBACCO, "--customers", path, "--period", "2026-3")
    assert result.exit_code == 2 and "error: --period: '2026-3' is not a month: write it as 2026-03 (monthly periods)" in result.output
    result = run("grade", "--config", STORE, "--customers", path)
    assert result.exit_code == 2 and "the configuration has no customers.grading to grade with" in result.output


def test_not_utf8_is_refused(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(HEADER.encode() + "A,90,80,70,urban\n".encode("utf-16"))
    result = run("grade", "--config", TOBACCO, "--customers", str(path))
    assert result.exit_code == 2 and "not valid UTF-8" in result.output
