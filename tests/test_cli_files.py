"""`csm import-responses`, `csm score` and `csm report` on files and stored data: batches of
at most CSM_MAX_BATCH rows stored all or nothing, problems named by the file's line,
collected_at checked alike by score and import, API timestamps for --from/--to, no pandas
warning, and a progress bar on a terminal only."""

import gc
import json
import warnings

import click.testing
import pytest
from click.testing import CliRunner

from core.cli import main
from tests.helpers import ROOT

STORE = str(ROOT / "config" / "examples" / "store.yaml")
HEADER = "response_id,collected_at,segment,env_overall,env_noise,checkout_speed,cashier_attitude,nps_recommend\n"


def row(i: int, when: str = "2026-01-15T10:00:00Z", segment: str = "vip", nps: int = 10, rid: str | None = None) -> str:
    return f"{rid or f'r{i}'},{when},{segment},{'ABCD'[i % 4]},{i % 11},B,A,{nps}\n"


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def tenant_env(app_db_url):
    """A tenant `acme` with config/examples/store.yaml, imports in batches of 2 rows."""
    env = {"CSM_DATABASE_URL": app_db_url, "CSM_MAX_BATCH": "2"}
    assert run("create-tenant", "acme", "Acme", env=env).exit_code == 0
    assert run("upload-config", "--tenant", "acme", STORE, env=env).exit_code == 0
    return env


def write(tmp_path, text: str, name: str = "responses.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def stored(env, *extra) -> dict:
    result = run("report", "--tenant", "acme", "--format", "json", *extra, env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_file_longer_than_a_batch_is_stored_whole(tenant_env, tmp_path):
    path = write(tmp_path, HEADER + "".join(row(i) for i in range(1, 6)))
    imported = run("import-responses", "--tenant", "acme", str(path), env=tenant_env)
    assert imported.exit_code == 0, imported.output
    assert "acme: imported 5 responses under configuration version 1" in imported.stdout
    offline = json.loads(run("score", "--config", STORE, "--responses", str(path), "--format", "json", env=tenant_env).stdout)
    report = stored(tenant_env)
    assert report["n"] == offline["n"] == 5
    assert {k: v for k, v in report.items() if k not in ("version", "versions")} == offline  # same scores as one batch read offline


def test_a_bad_line_in_a_later_batch_stores_nothing_and_is_named_by_line(tenant_env, tmp_path):
    rows = [
        row(1),                                             # line 2
        row(2, segment='"two\nlines"'),                     # lines 3-4: a quoted value spanning lines
        row(3, rid="r1"),                                   # line 5: r1 again, in the next batch
        "\n",                                               # line 6: blank, skipped
        row(4),                                             # line 7
        row(5, nps=12),                                     # line 8: outside the scale, third batch
    ]
    path = write(tmp_path, HEADER + "".join(rows))
    refused = run("import-responses", "--tenant", "acme", str(path), env=tenant_env)
    assert refused.exit_code == 2
    assert refused.stderr.startswith(f"error: {path}: nothing stored, 2 problem(s)\n")
    assert "  line 5: response_id: duplicate response_id 'r1' in this file (first on line 2)\n" in refused.stderr
    assert "  line 8: answers.nps_recommend: " in refused.stderr and "12" in refused.stderr
    assert stored(tenant_env)["n"] == 0  # the first two batches were rolled back with the third
    fixed = write(tmp_path, HEADER + "".join(rows[:2] + [row(3)] + rows[3:5] + [row(5)]))
    imported = run("import-responses", "--tenant", "acme", str(fixed), env=tenant_env)
    assert imported.exit_code == 0 and "imported 5 responses" in imported.stdout
    again = run("import-responses", "--tenant", "acme", str(fixed), env=tenant_env)
    assert again.exit_code == 2 and "line 2: response_id: response_id 'r1' is already stored" in again.stderr


def test_a_row_with_more_fields_than_the_header_is_named_by_line(tenant_env, tmp_path):
    path = write(tmp_path, HEADER + row(1) + row(2) + row(3).replace("\n", ",extra\n"))
    for command in (["import-responses", "--tenant", "acme", str(path)], ["score", "--config", STORE, "--responses", str(path)]):
        result = run(*command, env=tenant_env)
        assert result.exit_code == 2
        assert "line 4: 9 fields, the header has 8" in result.stderr


def test_score_checks_collected_at_as_import_does(tenant_env, tmp_path):
    path = write(tmp_path, HEADER + row(1) + row(2, when="yesterday") + row(3, when="2999-01-01T00:00:00Z") + row(4, when="2026-015"))
    imported = run("import-responses", "--tenant", "acme", str(path), env=tenant_env)
    scored = run("score", "--config", STORE, "--responses", str(path), "--by", "period", env=tenant_env)
    assert imported.exit_code == scored.exit_code == 2
    expected = [
        "  line 3: collected_at: 'yesterday' is not an ISO 8601 date-time (e.g. 2026-03-31T14:05:00+08:00)",
        "  line 4: collected_at: lies in the future",
        "  line 5: collected_at: '2026-015' is not an ISO 8601 date-time (e.g. 2026-03-31T14:05:00+08:00)",
    ]
    assert scored.stderr.splitlines()[1:] == expected
    assert [line for line in imported.stderr.splitlines() if line.startswith("  line")] == expected


def test_no_pandas_warning_reaches_the_terminal(tmp_path):
    """Under warnings-as-errors (what `python -W error` does): mixed offsets, a date
    without a time, a bad date; grouped by period."""
    good = write(tmp_path, HEADER + row(1, when="2026-01-15") + row(2, when="2026-03-31T23:30:00-02:00") + row(3, when="2026-02-01 08:00"), "good.csv")
    bad = write(tmp_path, HEADER + row(1, when="2026-015") + row(2), "bad.csv")
    gc.collect()  # what earlier tests left for the collector must not warn inside the block
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # A database connection an earlier test left open may be collected meanwhile; its
        # ResourceWarning is no warning of these commands.
        warnings.simplefilter("ignore", ResourceWarning)
        result = run("score", "--config", STORE, "--responses", str(good), "--by", "period", "--format", "json")
        refused = run("score", "--config", STORE, "--responses", str(bad), "--by", "period")
    assert result.exit_code == 0, result.output
    assert {label: g["n"] for label, g in json.loads(result.stdout)["groups"].items()} == {"2026-01": 1, "2026-02": 1, "2026-04": 1}  # UTC months
    assert refused.exit_code == 2 and "line 2: collected_at: '2026-015' is not an ISO 8601 date-time" in refused.stderr


def test_report_takes_the_apis_timestamps(tenant_env, tmp_path):
    path = write(tmp_path, HEADER + row(1, when="2026-01-15T10:00:00Z") + row(2, when="2026-04-01T18:00:00Z"))
    assert run("import-responses", "--tenant", "acme", str(path), env=tenant_env).exit_code == 0
    assert stored(tenant_env, "--from", "2026-03-01T00:00:00Z")["n"] == 1
    assert stored(tenant_env, "--to", "2026-04-02T00:00:00+08:00")["n"] == 1  # 2026-04-01T16:00Z: before r2
    assert stored(tenant_env, "--to", "2026-04-02T03:00:00+08:00")["n"] == 2
    assert stored(tenant_env, "--from", "2026-01-15 10:00", "--to", "2026-01-16")["n"] == 1  # no offset: UTC
    bad = run("report", "--tenant", "acme", "--from", "yesterday", env=tenant_env)
    assert bad.exit_code == 2 and "'yesterday' is not an ISO 8601 date-time" in bad.stderr
    reversed_ = run("report", "--tenant", "acme", "--from", "2026-04-01T00:00:00Z", "--to", "2026-04-01T00:00:00+00:00", env=tenant_env)
    assert reversed_.exit_code == 2 and "--from must be before --to" in reversed_.stderr


@pytest.fixture
def terminal(monkeypatch):
    """CliRunner's streams answer isatty() like a terminal's."""
    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda self: True, raising=False)


def test_a_multi_batch_import_draws_a_progress_bar_on_a_terminal(tenant_env, tmp_path, terminal):
    path = write(tmp_path, HEADER + "".join(row(i) for i in range(1, 6)))
    result = run("import-responses", "--tenant", "acme", str(path), env=tenant_env)
    assert result.exit_code == 0
    assert "importing responses.csv" in result.stderr and "[####" in result.stderr and "5/5" in result.stderr
    assert "importing" not in result.stdout and result.stdout.startswith("acme: imported 5 responses")
    scored = run("score", "--config", STORE, "--responses", str(path), "--format", "json", env=tenant_env)
    assert "scoring responses.csv" in scored.stderr and json.loads(scored.stdout)["n"] == 5
    report = run("report", "--tenant", "acme", "--format", "json", env=tenant_env)
    assert "report acme" in report.stderr and "2/2" in report.stderr and json.loads(report.stdout)["n"] == 5


def test_one_batch_draws_no_bar_even_on_a_terminal(tenant_env, tmp_path, terminal):
    path = write(tmp_path, HEADER + row(1) + row(2))
    result = run("import-responses", "--tenant", "acme", str(path), env=tenant_env)
    assert result.exit_code == 0 and result.stderr == ""


def test_no_progress_bar_when_not_a_terminal(tenant_env, tmp_path):
    path = write(tmp_path, HEADER + "".join(row(i) for i in range(1, 6)))
    for command in (
        ["import-responses", "--tenant", "acme", str(path)],
        ["score", "--config", STORE, "--responses", str(path)],
        ["report", "--tenant", "acme"],
    ):
        result = run(*command, env=tenant_env)
        assert result.exit_code == 0 and result.stderr == "", command
