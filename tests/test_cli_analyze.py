"""``csm analyze``: offline on a CSV, and on a tenant's stored responses (--tenant).

The figures are the API's (tests/test_analyses_api.py compares those with the offline
function), so these check the command: the same JSON offline and stored, options that
override the section, the table, bad input exiting 2 with the option named, and the KANO
service menu printed as YAML that the `services` section accepts.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from core.cli import main
from core.operations.configuration import read_config
from core.plugins import IndustryRegistry, get_plugin_manager
from tests.helpers import ESTATE_YAML, ROOT, estate_csv


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def files(tmp_path):
    config, responses = tmp_path / "estate.yaml", tmp_path / "estate.csv"
    config.write_text(ESTATE_YAML, encoding="utf-8")
    responses.write_text(estate_csv(), encoding="utf-8")
    return ["--config", str(config), "--responses", str(responses)]


def analyze(*args, env=None) -> dict:
    result = run("analyze", *args, "--format", "json", env=env)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.output)


def test_offline_options_override_the_section_and_the_marks(files):
    out = analyze("drivers", *files, "--method", "shapley", "--bootstrap", "20", "--seed", "3")
    assert out["target"] == "overall" and out["method"] == "shapley" and out["bootstrap"] == {"resamples": 20, "seed": 3, "interval": "95% percentile"}
    assert "sign_exp" not in {d["code"] for d in out["drivers"]}  # an expectation question is no driver
    grouped = analyze("drivers", *files, "--level", "group", "--target", "loyal")
    assert grouped["target"] == "loyal" and {d["code"] for d in grouped["drivers"]} == {"sales", "service"}
    pls = analyze("pls", *files, "--param", "scheme=factorial", "--param", "scaled=false")
    assert pls["scheme"] == "factorial" and pls["scaled"] is False
    gap = analyze("expectation_gap", *files, "--segment", "region")
    assert set(gap["indicators"]) == {"sign"} and set(gap["segments"]) == {"north", "south"}
    peak = analyze("peak_end", *files)
    assert peak["peak"] == ["sales"] and peak["end"] == "service" and peak["overall"] == "overall"


def test_stored_data_give_the_offline_answer(app_db_url, files, tmp_path):
    env = {"CSM_DATABASE_URL": app_db_url}
    assert run("create-tenant", "estate", "Estate", env=env).exit_code == 0
    assert run("upload-config", "--tenant", "estate", files[1], env=env).exit_code == 0
    assert run("import-responses", "--tenant", "estate", files[3], env=env).exit_code == 0
    for args in (("drivers", "--method", "shapley"), ("kano", "--segment", "region"), ("tiers", "--param", "satisfied=overall")):
        stored = analyze(*args, "--tenant", "estate", env=env)
        assert stored.pop("version") == 1 and stored.pop("responses") == 120
        assert stored == analyze(*args, *files)
    window = analyze("kano", "--tenant", "estate", "--from", "2026-01-02T00:00:00Z", "--to", "2026-01-03", env=env)
    assert window["responses"] == 24
    assert run("analyze", "kano", "--tenant", "nobody", env=env).exit_code == 2
    missing = run("analyze", "drivers", "--tenant", "estate", "--version", "7", env=env)
    assert missing.exit_code == 2 and "configuration version 7 does not exist" in missing.stderr


@pytest.mark.parametrize("args,message", [
    (("drivers", "--target", "nope"), "error: --target: unknown question 'nope'"),
    (("kano", "--target", "overall"), "error: --target: analysis 'kano' takes no parameter 'target'"),
    (("drivers", "--param", "bootstrap=lots"), "error: --bootstrap: must be a whole number"),
    (("drivers", "--param", "stated"), "error: --param: 'stated' is not NAME=VALUE"),
    (("expectation_gap", "--param", 'pairs={"sign": "nope"}'), "error: pairs.sign: unknown question 'nope'"),
    (("astrology",), "error: no analysis method 'astrology' (the methods: ahp, customer_value, drivers, expectation_gap, kano, loyalty, loyalty_matrix, peak_end, pls, tiers)"),
    (("pls", "--menu"), "error: --menu: the service menu comes from a kano analysis"),
])
def test_bad_input_exits_2_naming_the_option(files, args, message):
    result = run("analyze", *args, *files)
    assert result.exit_code == 2 and message in result.stderr, result.stderr


def test_the_source_is_a_csv_or_a_tenant(files, tmp_path):
    assert "give --config and --responses" in run("analyze", "kano", files[0], files[1]).stderr
    assert "not both" in run("analyze", "kano", *files, "--tenant", "x").stderr
    assert "use them with --tenant" in run("analyze", "kano", *files, "--version", "1").stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("collected_at,sign,app_f\n2026-01-01T00:00:00Z,11,like\n", encoding="utf-8")
    result = run("analyze", "kano", files[0], files[1], "--responses", str(bad))
    assert result.exit_code == 2 and f"{bad}: 1 problem(s)" in result.stderr and "line 2" in result.stderr


def test_table_shows_the_drivers_and_the_kano_counts(files):
    table = run("analyze", "drivers", *files).output.splitlines()
    assert "target: overall" in table and table[table.index("drivers:") + 1].split()[:4] == ["#", "code", "importance", "share"]
    kano = run("analyze", "kano", *files, "--segment", "region").output
    assert "features.app.segments:" in kano and "counts.A" in kano


TOBACCO_KANO = (ROOT / "config" / "examples" / "tobacco.yaml").read_text(encoding="utf-8").split("services:")[0].replace(
    "    - {code: delivery_service,",
    "    - {code: online_order_f, weight: 0, scale: kano}\n    - {code: online_order_d, weight: 0, scale: kano}\n"
    "    - {code: allocation_f, weight: 0, scale: kano}\n    - {code: allocation_d, weight: 0, scale: kano}\n"
    "    - {code: delivery_service,",
).replace("{code: allocation_fairness, scale: ten", "{code: allocation_fairness, weight: 0.5, scale: ten").replace("{code: delivery_service, scale: ten", "{code: delivery_service, weight: 0.5, scale: ten")


def test_kano_menu_prints_a_services_section_the_configuration_accepts(tmp_path):
    """online_order: (like, dislike) × 3 → O (expected); allocation: (like, neutral) × 3 → A (delight)."""
    config = tmp_path / "tobacco.yaml"
    config.write_text(TOBACCO_KANO + "analysis:\n  kano:\n    features:\n"
                      "      - {code: online_order, functional: online_order_f, dysfunctional: online_order_d}\n"
                      "      - {code: allocation, functional: allocation_f, dysfunctional: allocation_d}\n", encoding="utf-8")
    rows = pd.DataFrame({"collected_at": ["2026-03-01T00:00:00Z"] * 3, "allocation_fairness": [7, 8, 9], "delivery_service": [6, 7, 8],
                         "online_order_f": ["like"] * 3, "online_order_d": ["dislike"] * 3, "allocation_f": ["like"] * 3, "allocation_d": ["neutral"] * 3})
    responses = tmp_path / "r.csv"
    responses.write_text(rows.to_csv(index=False), encoding="utf-8")
    printed = run("analyze", "kano", "--config", str(config), "--responses", str(responses), "--menu")
    assert printed.exit_code == 0, printed.stderr
    fragment = yaml.safe_load(printed.output)
    assert fragment["services"]["cumulative"] is True
    assert [(s["code"], s["kano"], s["min_grade"]) for s in fragment["services"]["menu"]] == [("online_order", "expected", "G4"), ("allocation", "delight", "G7")]
    pasted = config.read_text(encoding="utf-8") + printed.output
    menu = read_config(pasted.encode(), "pasted.yaml", IndustryRegistry(get_plugin_manager()).template).section("services")
    assert menu.services["online_order"].kano == "expected" and menu.services["allocation"].grades == frozenset({"G9", "G8", "G7"})
