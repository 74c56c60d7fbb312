"""The error map (core/api/errors.py): every domain error it lists, raised by a view,
answers its status in the one error shape, with ``errors`` and headers as documented.
A class added to the map without a case here fails the test."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from core import idempotency
from core.app import create_app
from core.api.errors import ERROR_MAP
from core.config import ConfigError
from core.config.errors import ConfigIssue
from core.db.errors import ConfigVersionConflict, InvalidSlug, SlugTaken
from core.ingest import BatchError, RowError
from core.operations.base import Conflict, InvalidValue, NotFound, NothingToUse
from core.operations.erasure import ConfirmationMismatch
from core.operations.webhooks import InvalidWebhookUrl
from core.analysis.errors import AnalysisInputError
from core.scoring import ScoringInputError

ISSUE = ConfigIssue(("indicator_set", "children"), "sibling weights sum to 0.9, not 1", 21, "store.yaml")



def item(location, field, reason, line=None, index=None):
    return {"location": location, "field": field, "line": line, "index": index, "reason": reason}


# (exception, status, message, errors, Retry-After); total = len(errors) unless noted below
CASES = [
    (NotFound("key 7 not found"), 404, "key 7 not found", [], None),
    (Conflict("stored meanwhile"), 409, "stored meanwhile", [], None),
    (NothingToUse("this tenant has no configuration yet; upload one first"), 409, "this tenant has no configuration yet; upload one first", [], None),
    (
        BatchError([RowError(1, "answers.q1", "unknown option 'Z'")]),
        422,
        "nothing was stored: 1 problem(s) in the batch",
        [item("item", "answers.q1", "unknown option 'Z'", index=1)],
        None,
    ),
    (BatchError([RowError(0, "response_id", "dup")], total=3), 422, "nothing was stored: 3 problem(s) in the batch (first 1 listed)", [item("item", "response_id", "dup", index=0)], None),
    # a CSV batch: data row 1 starts on the file's line 4 (the header on line 1, a value spanning lines 2-3)
    (
        BatchError([RowError(1, "answers.q1", "unknown option 'Z'"), RowError(-1, "(header)", "a column has no name in the header")]).in_csv((1, [2, 4])),
        422,
        "nothing was stored: 2 problem(s) in the batch",
        [item("csv", "answers.q1", "unknown option 'Z'", line=4), item("csv", None, "a column has no name in the header", line=1)],
        None,
    ),
    (ConfigError([ISSUE]), 422, "the configuration has 1 problem(s)", [item("yaml", "indicator_set.children", "sibling weights sum to 0.9, not 1", line=21)], None),
    (ScoringInputError("unknown group-by column 'colour'"), 422, "unknown group-by column 'colour'", [item("query", "by", "unknown group-by column 'colour'")], None),
    (ScoringInputError("versions 1 and 2 score differently", "version"), 422, "versions 1 and 2 score differently", [item("query", "version", "versions 1 and 2 score differently")], None),
    (AnalysisInputError("target", "unknown question 'nope'"), 422, "target: unknown question 'nope'", [item("query", "target", "unknown question 'nope'")], None),
    (idempotency.InvalidKey("bad key"), 422, "bad key", [item("header", "Idempotency-Key", "bad key")], None),
    (idempotency.KeyReused("other payload"), 422, "other payload", [item("header", "Idempotency-Key", "other payload")], None),
    (idempotency.InFlight("still in progress"), 409, "still in progress", [item("header", "Idempotency-Key", "still in progress")], "1"),
    (ConfirmationMismatch("confirm with the slug"), 422, "confirm with the slug", [item("body", "confirm", "must be the slug of the tenant being deleted")], None),
    (ConfigVersionConflict("try again"), 409, "try again", [], "1"),
    (SlugTaken("tenant slug 'acme' is already taken"), 409, "tenant slug 'acme' is already taken", [item("body", "slug", "already taken")], None),
    (InvalidSlug("invalid tenant slug"), 422, "invalid tenant slug", [item("body", "slug", "invalid tenant slug")], None),
    # SQLite gave up waiting for the write lock: retry later, nothing was changed.
    (
        OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked")),
        503,
        "the database is busy with other writes; nothing was changed, retry shortly",
        [],
        "2",
    ),
    (InvalidWebhookUrl("url 10.0.0.1 is a private address"), 422, "url 10.0.0.1 is a private address", [item("body", "url", "url 10.0.0.1 is a private address")], None),
    (InvalidValue("body", "period", "'2026-3' is not a month: write it as 2026-03"), 422, "'2026-3' is not a month: write it as 2026-03", [item("body", "period", "'2026-3' is not a month: write it as 2026-03")], None),
]
TOTALS = {4: 3}  # CASES index → total, where errors lists fewer problems than there are (BatchError, total=3)


def test_every_mapped_class_has_a_case():
    assert set(ERROR_MAP) <= {type(exc) for exc, *_ in CASES} | {idempotency.IdempotencyError}
    assert any(isinstance(exc, idempotency.IdempotencyError) for exc, *_ in CASES)


@pytest.fixture(scope="module")
def raising(tmp_path_factory):
    """An app whose POST /api/v1/test/raise raises ``app.to_raise`` (no database involved)."""
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('errors') / 'unused.db'}"})

    def view():
        raise app.to_raise

    app.add_url_rule("/api/v1/test/raise", "test_raise", view, methods=["POST"])
    yield app
    app.extensions["csm"].engine.dispose()


@pytest.mark.parametrize("case", range(len(CASES)), ids=lambda i: type(CASES[i][0]).__name__)
def test_each_domain_error_answers_its_status_in_the_error_shape(raising, case):
    exc, status, message, errors, retry_after = CASES[case]
    raising.to_raise = exc
    r = raising.test_client().post("/api/v1/test/raise")
    assert r.status_code == status
    assert r.json == {"code": status, "status": r.json["status"], "message": message, "errors": errors, "total": TOTALS.get(case, len(errors))}
    assert isinstance(r.json["status"], str)
    assert r.headers.get("Retry-After") == retry_after
