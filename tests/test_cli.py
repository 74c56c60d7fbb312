"""The `csm` command: offline validate/score, and the stored side (init-db, seed, import, report)."""

import json
import re

import click
import pytest
from click.testing import CliRunner

from core.cli import main
from tests.helpers import APP_ROLE, ROOT, THREE_PROBLEMS, THREE_PROBLEMS_YAML

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


def test_validate_reports_every_problem_of_the_configuration(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(THREE_PROBLEMS_YAML, encoding="utf-8")
    result = run("validate", str(bad))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {bad}: 3 problem(s)"] + [f"  {bad}:{line}: {path}: {message}" for path, line, message in THREE_PROBLEMS]


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
    assert set(keys) == {"demo-retail", "demo-store", "demo-hotel"} and f"demo-retail: {keys['demo-retail']}" in second.output
    report = json.loads(run("report", "--tenant", "demo-retail", "--by", "store_type", "--format", "json", env=env).output)
    assert report["n"] == 200
    assert set(report["groups"]) == {"county", "township"}


# --- the command itself: version, help, defaults -------------------------------------------


def test_version():
    from core import __version__

    result = run("--version")
    assert result.exit_code == 0 and result.output == f"csm {__version__}\n"


def test_help_lists_every_command_without_cutting_its_text():
    from core.cli import main as group

    listing = run("--help").output.split("Commands:\n", 1)[1]
    for name, command in group.commands.items():
        assert command.short_help, name
        assert f"  {name}" in listing and command.short_help in " ".join(listing.split()), name
    assert "..." not in listing


# Options that are simply off when not given: no value stands in for them.
NO_DEFAULT = {"password_env", "start", "end"}


def test_every_option_with_a_default_shows_it():
    from core.cli import main as group

    for name, command in group.commands.items():
        optional = [p for p in command.params if isinstance(p, click.Option) and not (p.is_flag or p.multiple or p.required or p.name == "help")]
        for param in optional:
            assert param.show_default or param.name in NO_DEFAULT, f"{name} {param.opts}"
        if any(p.show_default for p in optional):
            help_text = run(name, "--help").output
            text = " ".join(help_text.split())
            for p in optional:
                shown = f"({p.show_default})" if isinstance(p.show_default, str) else p.default
                assert not p.show_default or f"[default: {shown}" in text, f"{name} {p.opts}"


# --- table output: every figure of the JSON ----------------------------------------------------


def _cells(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def _fmt(value, decimals=1):
    return "-" if value is None else f"{value:.{decimals}f}"


def _n(figure):
    """n as the table prints it: marked * when below min_n (low_n)."""
    return f"{figure['n']}{'*' if figure['low_n'] else ''}"


def _section(lines: list[str], header_start: str, count: int) -> list[list[str]]:
    """The ``count`` rows under the first header line starting with ``header_start``."""
    at = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    return [_cells(line) for line in lines[at + 1 : at + 1 + count]]


def assert_table_shows(table: str, result: dict) -> None:
    lines = table.splitlines()
    assert f"{result['indicator_set']}: CSI {_fmt(result['csi'])} ± {_fmt(result['margin_of_error'])} (95 %), n = {_n(result)}" in lines
    assert f"* n below {result['min_n']} (low_n): indicative, not solid" in lines
    nodes = result["nodes"]
    for cells, (code, node) in zip(_section(lines, "node ", len(nodes)), nodes.items(), strict=True):
        rate = node.get("satisfaction_rate")
        dist = node.get("distribution")
        assert cells == [
            code + (" (weight 0)" if node["weight"] == 0 else ""),
            f"{node['weight']:g}",
            _fmt(node["score"]),
            _fmt(node["margin_of_error"]),
            _n(node),
            "-" if rate is None else f"{rate * 100:.1f} %",
            _fmt(node.get("nps")),
            " ".join(f"{k}:{v}" for k, v in dist.items()) if dist else "-",
        ], code
    tps = result["touchpoints"]
    for cells, (code, tp) in zip(_section(lines, "touchpoint ", len(tps)), tps.items(), strict=True):
        assert cells == [code, _fmt(tp["score"]), _fmt(tp["margin_of_error"]), _n(tp)]
    groups = result.get("groups", {})
    if groups:
        for cells, (label, g) in zip(_section(lines, "group ", len(groups)), groups.items(), strict=True):
            assert cells == [label, _fmt(g["csi"]), _fmt(g["margin_of_error"]), _n(g)]
        matrix = _section(lines, "node scores by ", len(nodes) + 1)
        assert matrix[0] == ["node", *groups]
        for cells, code in zip(matrix[1:], nodes, strict=True):
            assert cells[1:] == [f"{_fmt(g['nodes'][code]['score'])} / {g['nodes'][code]['n']}" for g in groups.values()], code


def test_table_shows_every_figure_of_the_json(responses_csv):
    for by in (["--by", "segment"], ["--by", "period", "--period", "quarter"], []):
        args = ["score", "--config", STORE, "--responses", str(responses_csv), *by]
        result = json.loads(run(*args, "--format", "json").output)
        table = run(*args, "--format", "table").output
        assert_table_shows(table, result)
    assert "recommend (weight 0)" in table and "nps_recommend" in table and "(weight 0): scored and shown, but adds nothing to the CSI" in table
    nps_row = next(_cells(line) for line in table.splitlines() if line.strip().startswith("nps_recommend"))
    assert nps_row[6] == "0.0"  # one promoter (10), one detractor (5)


def test_report_table_shows_every_figure_of_the_json(app_db_url, responses_csv):
    env = {"CSM_DATABASE_URL": app_db_url}
    run("create-tenant", "acme", "Acme", env=env)
    run("upload-config", "--tenant", "acme", STORE, env=env)
    assert run("import-responses", "--tenant", "acme", str(responses_csv), env=env).exit_code == 0
    result = json.loads(run("report", "--tenant", "acme", "--by", "segment", "--format", "json", env=env).output)
    table = run("report", "--tenant", "acme", "--by", "segment", env=env).output
    assert table.startswith(f"configuration version {result['version']}\n")
    assert_table_shows(table, result)


def test_seed_demo_prints_the_address_served(tmp_path):
    env = {"CSM_DATABASE_URL": f"sqlite:///{tmp_path / 'csm.db'}", "CSM_DEMO_KEYS_FILE": str(tmp_path / "keys.json")}
    assert run("init-db", env=env).exit_code == 0
    given = run("seed-demo", "--responses", "20", "--port", "8123", env=env)
    assert '"http://127.0.0.1:8123/api/v1/scores?by=store_type"' in given.output and "API docs: http://127.0.0.1:8123/docs" in given.output
    from_settings = run("seed-demo", "--responses", "20", env={**env, "CSM_HOST": "0.0.0.0", "CSM_PORT": "9000"})
    assert "API docs: http://127.0.0.1:9000/docs" in from_settings.output
    default = run("seed-demo", "--responses", "20", env=env)
    assert "API docs: http://127.0.0.1:8000/docs" in default.output


def test_score_min_n_and_compare_options(responses_csv, tmp_path):
    """--min-n sets low_n; --compare compares periods (r1 in 2026-01, r2 in 2026-04: each
    period has one response, so April is compared with January and nothing is tested);
    a bad --compare exits 2 naming it; the configuration's analysis.min_n is the default."""
    args = ["score", "--config", STORE, "--responses", str(responses_csv), "--by", "period"]
    out = json.loads(run(*args, "--compare", "previous", "--min-n", "1", "--format", "json").output)
    assert out["min_n"] == 1 and out["low_n"] is False and out["compare"] == "previous"
    april = next(g for label, g in out["groups"].items() if label.startswith("2026-04"))
    assert april["compare"]["with"] == "2026-01" and april["compare"]["csi"]["p_value"] is None
    bad = run(*args, "--compare", "2026Q1")
    assert bad.exit_code == 2 and "--compare: compare must be `previous` or a month label such as 2026-03, not '2026Q1'" in bad.stderr
    alone = run("score", "--config", STORE, "--responses", str(responses_csv), "--compare", "previous")
    assert alone.exit_code == 2 and "--compare: compare needs `period` among the breakdown keys" in alone.stderr
    config = tmp_path / "with-analysis.yaml"
    config.write_text((ROOT / "config" / "examples" / "store.yaml").read_text() + "analysis:\n  min_n: 2\n", encoding="utf-8")
    out = json.loads(run("score", "--config", str(config), "--responses", str(responses_csv), "--format", "json").output)
    assert out["min_n"] == 2 and out["low_n"] is False
