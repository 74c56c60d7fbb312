"""The `csm` command: offline validate/score, and the stored side (init-db, seed, import, report)."""

import json

import pytest
from click.testing import CliRunner

from core.cli import main
from tests.helpers import APP_ROLE, ROOT

STORE = str(ROOT / "config" / "examples" / "store.yaml")
HEADER = "response_id,collected_at,segment,env_overall,env_noise,checkout_speed,cashier_attitude,nps_recommend\n"
# Same two answers as tests/helpers.py::TWO (hand-worked in test_api.py): CSI 59.667, vip 87.6, new 31.733
ROWS = "r1,2026-01-15T10:00:00Z,vip,A,2,B,满意,10\nr2,2026-04-01T18:00:00Z,new,Fairly dissatisfied,8,D,b,5\n"


def run(*args, env=None):
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result


@pytest.fixture
def responses_csv(tmp_path):
    path = tmp_path / "responses.csv"
    path.write_text(HEADER + ROWS, encoding="utf-8")
    return path


def test_validate_ok_and_bad(tmp_path):
    ok = run("validate", STORE)
    assert ok.exit_code == 0 and "3 groups, 5 questions (5 scored)" in ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / "config" / "examples" / "store.yaml").read_text().replace("weight: 0.6\n", "weight: 0.5\n"))
    result = run("validate", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:21: indicator_set.children: sibling weights sum to 0.9, not 1" in result.stderr


def test_validate_template_example_uses_the_retail_plugin():
    result = run("validate", str(ROOT / "config" / "examples" / "retail-template.yaml"))
    assert result.exit_code == 0 and "template supermarket-csi from retail" in result.output


def test_offline_score_json_with_groups(responses_csv):
    result = run("score", "--config", STORE, "--responses", str(responses_csv), "--by", "segment", "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["csi"] == pytest.approx(59.6667, abs=1e-4)
    assert out["n"] == 2
    assert out["nodes"]["checkout"] == {**out["nodes"]["checkout"], "score": pytest.approx(58.3333, abs=1e-4), "n": 2}
    assert out["groups"]["vip"]["csi"] == pytest.approx(87.6, abs=1e-4)
    assert out["groups"]["new"]["n"] == 1


def test_offline_score_table(responses_csv):
    result = run("score", "--config", STORE, "--responses", str(responses_csv), "--by", "period", "--period", "quarter")
    assert result.exit_code == 0
    assert "store-csi: CSI 59.7" in result.output
    assert "2026Q1" in result.output and "2026Q2" in result.output


def test_offline_score_bad_csv_exits_2_naming_row_and_field(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + ROWS.replace(",10\n", ",12\n"), encoding="utf-8")
    result = run("score", "--config", STORE, "--responses", str(path))
    assert result.exit_code == 2
    assert "line 2: nps_recommend:" in result.stderr and "12" in result.stderr
    result = run("score", "--config", STORE, "--responses", str(path), "--by", "colour")
    assert result.exit_code == 2


def test_unknown_by_column_exits_2(responses_csv):
    result = run("score", "--config", STORE, "--responses", str(responses_csv), "--by", "colour")
    assert result.exit_code == 2 and "colour" in result.stderr


def test_stored_side_end_to_end(app_db_url, responses_csv, tmp_path):
    env = {"CSM_DATABASE_URL": app_db_url}
    created = run("create-tenant", "acme", "Acme", env=env)
    assert created.exit_code == 0 and "csm_" in created.output
    assert run("create-tenant", "acme", "Again", env=env).exit_code == 2
    assert run("upload-config", "--tenant", "acme", STORE, env=env).exit_code == 0
    imported = run("import-responses", "--tenant", "acme", str(responses_csv), env=env)
    assert imported.exit_code == 0 and "imported 2 responses under configuration version 1" in imported.output
    again = run("import-responses", "--tenant", "acme", str(responses_csv), env=env)
    assert again.exit_code == 2 and "already stored" in again.stderr
    report = run("report", "--tenant", "acme", "--by", "segment", "--format", "json", env=env)
    out = json.loads(report.output)
    assert out["version"] == 1 and out["csi"] == pytest.approx(59.6667, abs=1e-4)
    assert out["groups"]["vip"]["csi"] == pytest.approx(87.6, abs=1e-4)
    assert run("report", "--tenant", "nobody", env=env).exit_code == 2


def test_init_db_and_seed_demo_are_safe_to_rerun(db_url, unmigrated_app_url, tmp_path):
    """As deployed: init-db migrates as the owner and grants the application's role, which
    the other commands use (on SQLite both URLs are the same file and there are no roles)."""
    env = {
        "CSM_MIGRATION_DATABASE_URL": db_url,
        "CSM_DATABASE_URL": unmigrated_app_url,
        "CSM_APP_ROLE": APP_ROLE,
        "CSM_DEMO_KEYS_FILE": str(tmp_path / "keys.json"),
    }
    assert run("init-db", env=env).exit_code == 0
    assert run("init-db", env=env).exit_code == 0
    first = run("seed-demo", "--responses", "200", env=env)
    assert first.exit_code == 0, first.output
    assert "demo-retail: 200 synthetic responses loaded" in first.output
    assert "curl -s -H \"Authorization: Bearer csm_" in first.output
    second = run("seed-demo", "--responses", "200", env=env)
    assert "demo-retail: responses already loaded" in second.output
    keys = json.loads((tmp_path / "keys.json").read_text())
    assert set(keys) == {"demo-retail", "demo-store"} and f"demo-retail: {keys['demo-retail']}" in second.output
    report = json.loads(run("report", "--tenant", "demo-retail", "--by", "store_type", "--format", "json", env=env).output)
    assert report["n"] == 200
    assert set(report["groups"]) == {"county", "township"}
