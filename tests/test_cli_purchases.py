"""``csm analyze loyalty|customer_value --purchases P.csv`` offline, and ``csm import-purchases``.

The worked example is tests/test_purchases_api.py's (its docstring has the hand
computation): offline on the files the figures are the hand-worked ones, and on the
stored data (``import-responses`` and ``import-purchases``, then ``--tenant``) the same.
A bad purchases file exits 2 naming its line and column, storing nothing.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from core.cli import main
from tests.helpers import PURCHASES, RESPONSES, SHOP_YAML


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def files(tmp_path):
    config, responses, purchases = tmp_path / "shop.yaml", tmp_path / "responses.csv", tmp_path / "purchases.csv"
    config.write_text(SHOP_YAML, encoding="utf-8")
    responses.write_text(RESPONSES, encoding="utf-8")
    pd.DataFrame(PURCHASES).to_csv(purchases, index=False)
    return {"config": config, "responses": responses, "purchases": purchases}


def offline(files, *args) -> dict:
    result = run("analyze", *args, "--config", str(files["config"]), "--responses", str(files["responses"]), "--purchases", str(files["purchases"]), "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.output)


def test_offline_loyalty_and_customer_value_give_the_worked_figures(files):
    loyalty = offline(files, "loyalty")
    assert [(c["customer_id"], c["loyalty"]) for c in loyalty["ranked"]] == [("D", 100.0), ("A", 97.5), ("C", 50.0), ("B", 15.0)]
    value = offline(files, "customer_value")
    assert [(c["customer_id"], c["class"], round(c["value"], 3)) for c in value["ranked"]] == [("A", "B", 74.375), ("B", "A", 66.25), ("C", "C", 16.667)]
    # options override the section: revenue alone ranks by revenue
    alone = offline(files, "customer_value", "--param", 'weights={"revenue": 1}')
    assert [c["customer_id"] for c in alone["ranked"]] == ["B", "A", "C"]
    table = run("analyze", "loyalty", "--config", str(files["config"]), "--responses", str(files["responses"]), "--purchases", str(files["purchases"]))
    assert table.exit_code == 0 and "as_of: 2026-04-01T00:00:00+00:00" in table.output


def test_stored_purchases_give_the_offline_answer(app_db_url, files):
    env = {"CSM_DATABASE_URL": app_db_url}
    assert run("create-tenant", "shop", "Shop", env=env).exit_code == 0
    assert run("upload-config", "--tenant", "shop", str(files["config"]), env=env).exit_code == 0
    assert run("import-responses", "--tenant", "shop", str(files["responses"]), env=env).exit_code == 0
    done = run("import-purchases", "--tenant", "shop", str(files["purchases"]), env=env)
    assert done.exit_code == 0 and done.output.strip() == "shop: imported 7 purchases (7 new, 0 changed, 0 unchanged)"
    again = run("import-purchases", "--tenant", "shop", str(files["purchases"]), env=env)
    assert again.output.strip() == "shop: imported 7 purchases (0 new, 0 changed, 7 unchanged)"
    for code in ("loyalty", "customer_value"):
        result = run("analyze", code, "--tenant", "shop", "--format", "json", env=env)
        assert result.exit_code == 0, result.stderr
        stored = json.loads(result.output)
        assert stored.pop("version") == 1 and stored.pop("responses") == 4
        assert stored == offline(files, code)


def test_bad_purchases_exit_2_naming_the_line(files, tmp_path, app_db_url):
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,purchased_at,amount\nA,2026-01-01,10\nB,not a time,-3\n", encoding="utf-8")
    result = run("analyze", "loyalty", "--config", str(files["config"]), "--responses", str(files["responses"]), "--purchases", str(bad))
    assert result.exit_code == 2 and f"{bad}: 2 problem(s)" in result.stderr
    assert "line 3: amount: must be a number >= 0" in result.stderr and "line 3: purchased_at: 'not a time' is not an ISO 8601 date-time" in result.stderr
    missing = run("analyze", "loyalty", "--config", str(files["config"]), "--responses", str(files["responses"]))
    assert missing.exit_code == 2 and "error: --purchases: analysis 'loyalty' reads purchase records" in missing.stderr
    wrong = run("analyze", "kano", "--config", str(files["config"]), "--responses", str(files["responses"]), "--purchases", str(files["purchases"]))
    assert wrong.exit_code == 2 and "--purchases: analysis 'kano' does not read purchases" in wrong.stderr
    env = {"CSM_DATABASE_URL": app_db_url}
    assert run("create-tenant", "strict", "Strict", env=env).exit_code == 0
    stored = run("import-purchases", "--tenant", "strict", str(bad), env=env)  # no purchase_id column: stored rows need one
    assert stored.exit_code == 2 and "nothing stored" in stored.stderr and "purchase_id: required field is missing" in stored.stderr


def test_offline_customers_give_an_attribute_component(files, tmp_path):
    """The worked example of tests/test_purchases_api.py::test_a_customer_attribute_is_a_value_component
    from files: credit A 700, B 500 (D 900 bought nothing) → A 75, B 50, C 0."""
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id,credit\nA,700\nB,500\nD,900\n", encoding="utf-8")
    value = offline(files, "customer_value", "--customers", str(customers), "--param", 'components={"credit": "customer.credit"}', "--param", "weights={}")
    assert {c["customer_id"]: c["value"] for c in value["ranked"]} == {"A": 75.0, "B": 50.0, "C": 0.0}
    customers.write_text("customer_id,credit\nA,700\nB,lots\n", encoding="utf-8")
    bad = run("analyze", "customer_value", "--config", str(files["config"]), "--responses", str(files["responses"]), "--purchases", str(files["purchases"]),
              "--customers", str(customers), "--param", 'components={"credit": "customer.credit"}')
    assert bad.exit_code == 2 and "attribute 'credit' is not a number for customer 'B' ('lots')" in bad.stderr, bad.stderr
    wrong = run("analyze", "loyalty", "--config", str(files["config"]), "--responses", str(files["responses"]), "--purchases", str(files["purchases"]), "--customers", str(customers))
    assert wrong.exit_code == 2 and "--customers: analysis 'loyalty' does not read customers" in wrong.stderr
