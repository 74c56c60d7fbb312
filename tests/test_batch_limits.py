"""Batch limits have one home (core/batch/limits.py) and one enforcement: the JSON endpoint,
the CSV endpoint and `csm import-responses` refuse the same batch with the same message."""

from __future__ import annotations

import ast

from click.testing import CliRunner

from core.app import create_app
from core.batch import limits
from core.cli import main
from core.db.tables import ResponseRow
from core.settings import DEFAULTS, load_settings
from tests.helpers import OPERATOR_KEY, ROOT, TenantHandle

LIMIT_REASON = "the batch holds more than 3 responses; at most 3 per batch"
# the batch as a whole: neither an item index nor a line
OVER_THE_LIMIT = {where: [{"location": where, "field": "responses", "line": None, "index": None, "reason": LIMIT_REASON}] for where in ("item", "csv")}


def csv_of(ids: list[str]) -> bytes:
    return ("response_id,env_overall\n" + "".join(f"{i},A\n" for i in ids)).encode()


def test_csm_max_batch_is_the_one_limit_of_json_csv_and_the_clis_batches(app_db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("CSM_MAX_BATCH", "3")
    app = create_app({"DATABASE_URL": app_db_url, "OPERATOR_KEY": OPERATOR_KEY, "TESTING": True})
    try:
        t = TenantHandle(app.test_client(), "acme")
        t.upload()
        four = [{"response_id": f"j{i}", "answers": {"env_overall": "A"}} for i in range(4)]

        r = t.post("/api/v1/responses", json={"responses": four})
        assert (r.status_code, r.json["errors"]) == (422, OVER_THE_LIMIT["item"])
        r = t.post("/api/v1/responses/csv", data=csv_of(["c0", "c1", "c2", "c3"]), content_type="text/csv")
        assert (r.status_code, r.json["errors"]) == (422, OVER_THE_LIMIT["csv"])
        path = tmp_path / "four.csv"
        path.write_bytes(csv_of(["f0", "f1", "f2", "f3"]))
        assert t.get("/api/v1/responses").json == []
        # the CLI cuts a file into batches of at most the limit, stored together
        cli = CliRunner().invoke(main, ["import-responses", "--tenant", "acme", str(path)], env={"CSM_DATABASE_URL": app_db_url}, catch_exceptions=False)
        assert cli.exit_code == 0 and "imported 4 responses" in cli.output, cli.output
        path.write_bytes(csv_of(["g0", "g1", "g2"]))

        # exactly at the limit, each way in stores its batch
        assert t.post("/api/v1/responses", json={"responses": four[:3]}).status_code == 201
        assert t.post("/api/v1/responses/csv", data=csv_of(["c0", "c1", "c2"]), content_type="text/csv").status_code == 201
        cli = CliRunner().invoke(main, ["import-responses", "--tenant", "acme", str(path)], env={"CSM_DATABASE_URL": app_db_url}, catch_exceptions=False)
        assert cli.exit_code == 0 and "imported 3 responses" in cli.output, cli.output
        assert len(t.get("/api/v1/responses").json) == 13  # 4 by the CLI, then 3 each way
    finally:
        app.extensions["csm"].engine.dispose()


def test_every_batch_limit_is_defined_once():
    """No other module assigns a name that core/batch/limits.py defines, and the places that
    need a value take it from there: the setting's default, the table's column widths."""
    names = {n for n in vars(limits) if n.isupper()}
    defined_elsewhere = []
    for path in (ROOT / "core").rglob("*.py"):
        if path == ROOT / "core" / "batch" / "limits.py":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            defined_elsewhere += [f"{path.relative_to(ROOT)}: {t.id}" for t in targets if isinstance(t, ast.Name) and t.id in names]
    # scoring keeps its own cap on located answer errors (offline `csm score` too); the
    # batch passes limits.MAX_ERRORS to canonicalise explicitly
    assert defined_elsewhere == ["core/scoring/errors.py: MAX_ERRORS"]
    assert DEFAULTS["MAX_BATCH"] is limits.MAX_BATCH and load_settings(environ={})["MAX_BATCH"] == 10_000
    assert load_settings(environ={"CSM_MAX_BATCH": "25"})["MAX_BATCH"] == 25
    columns = ResponseRow.__table__.c
    assert (columns.response_key.type.length, columns.customer_id.type.length, columns.touchpoint.type.length) == (
        limits.MAX_ID_LENGTH, limits.MAX_ID_LENGTH, limits.MAX_TOUCHPOINT_LENGTH,
    )  # fmt: skip


def test_the_api_documents_the_limit_it_enforces(client):
    spec = client.get("/openapi.json").json
    assert spec["components"]["schemas"]["Ingest"]["properties"]["responses"]["description"].startswith(f"Up to {limits.MAX_BATCH:,} responses")
