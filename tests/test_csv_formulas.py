"""Formula injection: CSV cells CSM writes never start a spreadsheet formula, and the
import reads them back exactly (core/batch/csv_cells.py holds the one rule).

The API tests run on SQLite and PostgreSQL (the ``make_tenant`` fixture).
"""

import csv
import io
import zipfile

import pandas as pd
from click.testing import CliRunner

from core.batch import read_csv
from core.batch.csv_cells import escape_frame, escape_text, unescape_text
from core.cli import main as csm
from tests.helpers import TEXT_YAML

# The probes: live formulas (OWASP's examples), the other leading characters spreadsheets
# evaluate, and the values the escape itself must keep apart.
FORMULAS = ['=HYPERLINK("http://x","open")', "=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]
ESCAPE_ITSELF = ["'quoted", "''", "'", "\ufeffmark"]
PLAIN = ["plain", "a=b", "1-2", "  -x"]
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")

# store.yaml plus a text question, with a noise scale of -10..10 so that negative numbers
# are answers too.
SIGNED_YAML = TEXT_YAML.replace("ten: {kind: numeric, min: 0, max: 10}", "ten: {kind: numeric, min: -10, max: 10}")


def test_the_escape_rule_by_hand():
    values = pd.Series([*FORMULAS, *ESCAPE_ITSELF, *PLAIN, None], dtype=object)
    written = escape_text(values)
    assert written.tolist() == [
        "'=HYPERLINK(\"http://x\",\"open\")", "'=cmd|' /C calc'!A0", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx",
        "''quoted", "'''", "''", "'\ufeffmark",
        "plain", "a=b", "1-2", "  -x",
        None,
    ]
    assert unescape_text(written).tolist()[:-1] == values.tolist()[:-1]
    # numbers are constants to a spreadsheet: never escaped
    assert escape_text(pd.Series([-1.0, -2.5, 3.0])).tolist() == [-1.0, -2.5, 3.0]
    # column names follow the same rule
    assert list(escape_frame(pd.DataFrame({"=seg": ["x"], "plain": ["-y"]})).columns) == ["'=seg", "plain"]


def test_the_reader_undoes_the_escape_and_hand_written_files_may_use_it():
    data = "response_id,'=seg,env_overall\n'=1+1,'@x,A\n''quoted,'',B\nplain,',C\n"
    frame = read_csv(data, max_columns=10)
    assert list(frame.columns) == ["response_id", "=seg", "env_overall"]
    assert frame["response_id"].tolist() == ["=1+1", "'quoted", "plain"]
    # '' is one quote; a lone ' is the escape of the empty text, a blank cell
    assert frame["=seg"].tolist()[:2] == ["@x", "'"] and pd.isna(frame["=seg"].iloc[2])


def exported_csv(tenant) -> str:
    archive = zipfile.ZipFile(io.BytesIO(tenant.get("/api/v1/tenant/export").data))
    return archive.read("responses/v1.csv").decode("utf-8")


def stored(tenant) -> list[dict]:
    """The tenant's responses as stored, unanswered questions left out (a CSV stores its
    blank cells as null answers, JSON items only the answers they hold)."""
    rows = tenant.get("/api/v1/responses", query_string={"page_size": 100}).json
    for r in rows:
        del r["created_at"]
        r["answers"] = {k: v for k, v in r["answers"].items() if v is not None}
    return sorted(rows, key=lambda r: r["response_id"])


def probe_items() -> list[dict]:
    """One response per probe, the probe in every text place a response has."""
    items = []
    for i, probe in enumerate([*FORMULAS, *ESCAPE_ITSELF, *PLAIN]):
        items.append({
            "response_id": f"{probe}#{i}" if i % 2 else probe,  # the probe leading, and unique
            "customer_id": probe,
            "touchpoint": probe,
            "collected_at": "2026-01-15T10:00:00Z",
            "attributes": {"segment": probe, "=cmd|' /C calc'!A0": probe},
            "answers": {"env_overall": "A", "env_noise": -(i % 4) - 0.5 * (i % 2), "what_to_improve": probe},
        })
    return items


def test_export_neutralises_every_formula_and_reimports_exactly(make_tenant, app_db_url, tmp_path):
    acme = make_tenant("acme")
    acme.upload(SIGNED_YAML)
    r = acme.post("/api/v1/responses", json={"responses": probe_items()})
    assert r.status_code == 201, r.json
    original = stored(acme)

    text = exported_csv(acme)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    assert "'=cmd|' /C calc'!A0" in header
    noise = header.index("env_noise")
    text_cells = [cell for row in [header, *body] for j, cell in enumerate(row) if not (row is not header and j == noise)]
    assert not [c for c in text_cells if c.startswith(DANGEROUS_START)]
    # every probe that starts with a formula character is written with one quote before it
    written = {row[header.index("customer_id")] for row in body}
    assert {"'=HYPERLINK(\"http://x\",\"open\")", "'=cmd|' /C calc'!A0", "'+1", "'-1", "'@SUM(A1)", "''quoted", "'''", "'\ufeffmark", "plain", "1-2"} <= written
    # negative numbers stay numbers
    assert {row[noise] for row in body} == {"0", "-1.5", "-2", "-3.5"}

    # back through the API...
    restored = make_tenant("restored")
    restored.upload(SIGNED_YAML)
    r = restored.post("/api/v1/responses/csv?version=1", data=text.encode(), content_type="text/csv")
    assert r.status_code == 201, r.json
    assert stored(restored) == original
    # ... and through the CLI, which reads files the same way
    path = tmp_path / "v1.csv"
    path.write_text(text, encoding="utf-8", newline="")
    runner = CliRunner()
    assert runner.invoke(csm, ["--database-url", app_db_url, "create-tenant", "cli-copy", "CLI copy"], catch_exceptions=False).exit_code == 0
    yaml_path = tmp_path / "signed.yaml"
    yaml_path.write_text(SIGNED_YAML, encoding="utf-8")
    assert runner.invoke(csm, ["--database-url", app_db_url, "upload-config", "--tenant", "cli-copy", str(yaml_path)], catch_exceptions=False).exit_code == 0
    imported = runner.invoke(csm, ["--database-url", app_db_url, "import-responses", "--tenant", "cli-copy", str(path)], catch_exceptions=False)
    assert imported.exit_code == 0, imported.output
    assert f"imported {len(original)} responses" in imported.output


def test_leading_tabs_and_carriage_returns_never_reach_a_cell(make_tenant):
    """Ids, attributes and text answers are stored stripped, so a tab or carriage return
    never leads a stored value; the rule escapes them anyway (test_the_escape_rule_by_hand)."""
    acme = make_tenant("acme")
    acme.upload(SIGNED_YAML)
    item = {"response_id": "\t=1", "attributes": {"segment": "\r=2"}, "answers": {"env_overall": "A", "what_to_improve": "\t\r=3"}}
    assert acme.post("/api/v1/responses", json={"responses": [item]}).status_code == 201
    row = next(csv.DictReader(io.StringIO(exported_csv(acme), newline="")))
    assert (row["response_id"], row["segment"], row["what_to_improve"]) == ("'=1", "'=2", "'=3")
