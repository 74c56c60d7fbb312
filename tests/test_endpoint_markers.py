"""``@idempotent`` and ``@ingest_limited`` work on any endpoint, not only the ingest ones:
a route of its own (added to a test app) gets the Idempotency-Key protocol and joins the
ingest budget by carrying the markers."""

from __future__ import annotations

from flask import jsonify

from core.api.auth import tenant_required
from core.api.idempotent import idempotent
from core.api.ratelimit import ingest_limited
from tests.helpers import TenantHandle, assert_429, tenant


def add_counting_route(app, *decorators):
    """POST /api/v1/test/count: 201 with how often its body ran."""
    calls = []

    def count():
        calls.append(1)
        return jsonify({"calls": len(calls)}), 201

    view = count
    for decorate in reversed(decorators):
        view = decorate(view)
    app.add_url_rule("/api/v1/test/count", "test_count", view, methods=["POST"])
    return calls


def test_any_endpoint_can_be_idempotent(app):
    calls = add_counting_route(app, tenant_required, idempotent)
    t = TenantHandle(app.test_client(), "acme")
    first = t.post("/api/v1/test/count", data=b"body", headers={"Idempotency-Key": "k"})
    again = t.post("/api/v1/test/count", data=b"body", headers={"Idempotency-Key": "k"})
    assert (first.status_code, first.json, "Idempotent-Replayed" in first.headers) == (201, {"calls": 1}, False)
    assert (again.status_code, again.json, again.headers["Idempotent-Replayed"]) == (201, {"calls": 1}, "true")
    other = t.post("/api/v1/test/count", data=b"another body", headers={"Idempotency-Key": "k"})
    assert other.status_code == 422 and [(e["location"], e["field"]) for e in other.json["errors"]] == [("header", "Idempotency-Key")]
    assert t.post("/api/v1/test/count", data=b"body").json == {"calls": 2}  # without a key: runs
    assert len(calls) == 2


def test_any_endpoint_can_join_the_ingest_budget(make_app):
    app = make_app(RATE_LIMIT="100 per minute", RATE_LIMIT_INGEST="2 per minute")
    add_counting_route(app, ingest_limited, tenant_required)
    t = tenant(app)
    t.upload()
    assert t.post("/api/v1/responses", json={"responses": [{"answers": {"env_overall": "A"}}]}).status_code == 201
    assert t.post("/api/v1/test/count").status_code == 201
    assert_429(t.post("/api/v1/test/count"), "2 per 1 minute")
    assert t.post("/api/v1/responses/csv", data=b"env_overall\nB\n", content_type="text/csv").status_code == 429
    assert t.get("/api/v1/tenant").status_code == 200  # unmarked: only the general budget
