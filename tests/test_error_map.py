"""The error map (core/api/errors.py): every domain error it lists, raised by a view,
answers its status in the one error shape, with ``errors`` and headers as documented.
A class added to the map without a case here fails the test."""

from __future__ import annotations

import pytest

from core import idempotency
from core.app import create_app
from core.api.errors import ERROR_MAP
from core.config import ConfigError
from core.config.errors import ConfigIssue
from core.db.errors import ConfigVersionConflict, InvalidSlug, SlugTaken
from core.ingest import BatchError, RowError
from core.operations.base import Conflict, NotFound, NothingToUse
from core.operations.erasure import ConfirmationMismatch
from core.operations.webhooks import InvalidWebhookUrl
from core.scoring import ScoringInputError

ISSUE = ConfigIssue(("indicator_set", "children"), "sibling weights sum to 0.9, not 1", 21, "store.yaml")

# (exception, status, message, errors, Retry-After)
CASES = [
    (NotFound("key 7 not found"), 404, "key 7 not found", None, None),
    (Conflict("stored meanwhile"), 409, "stored meanwhile", None, None),
    (NothingToUse("this tenant has no configuration yet; upload one first"), 409, "this tenant has no configuration yet; upload one first", None, None),
    (
        BatchError([RowError(1, "answers.q1", "unknown option 'Z'")]),
        422,
        "nothing was stored: 1 problem(s) in the batch",
        [{"row": 1, "field": "answers.q1", "message": "unknown option 'Z'"}],
        None,
    ),
    (BatchError([RowError(0, "response_id", "dup")], total=3), 422, "nothing was stored: 3 problem(s) in the batch (first 1 listed)", [{"row": 0, "field": "response_id", "message": "dup"}], None),
    (ConfigError([ISSUE]), 422, "the configuration has 1 problem(s)", [ISSUE.to_dict()], None),
    (ScoringInputError("unknown group-by column 'colour'"), 422, "unknown group-by column 'colour'", {"by": ["unknown group-by column 'colour'"]}, None),
    (idempotency.InvalidKey("bad key"), 422, "bad key", {"Idempotency-Key": ["bad key"]}, None),
    (idempotency.KeyReused("other payload"), 422, "other payload", {"Idempotency-Key": ["other payload"]}, None),
    (idempotency.InFlight("still in progress"), 409, "still in progress", {"Idempotency-Key": ["still in progress"]}, "1"),
    (ConfirmationMismatch("confirm with the slug"), 422, "confirm with the slug", {"json": {"confirm": ["must be the slug of the tenant being deleted"]}}, None),
    (ConfigVersionConflict("try again"), 409, "try again", None, "1"),
    (SlugTaken("tenant slug 'acme' is already taken"), 409, "tenant slug 'acme' is already taken", {"slug": ["already taken"]}, None),
    (InvalidSlug("invalid tenant slug"), 422, "invalid tenant slug", {"slug": ["invalid tenant slug"]}, None),
    (InvalidWebhookUrl("url 10.0.0.1 is a private address"), 422, "url 10.0.0.1 is a private address", {"json": {"url": ["url 10.0.0.1 is a private address"]}}, None),
]


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


@pytest.mark.parametrize("exc, status, message, errors, retry_after", CASES, ids=lambda v: type(v).__name__ if isinstance(v, Exception) else None)
def test_each_domain_error_answers_its_status_in_the_error_shape(raising, exc, status, message, errors, retry_after):
    raising.to_raise = exc
    r = raising.test_client().post("/api/v1/test/raise")
    assert r.status_code == status
    expected = {"code": status, "status": r.json["status"], "message": message, **({"errors": errors} if errors is not None else {})}
    assert r.json == expected and isinstance(r.json["status"], str)
    assert r.headers.get("Retry-After") == retry_after
