"""The standard headers the API sends: ``Link`` on pages (RFC 8288), ``Location`` on every
201, ``ETag`` and 304 on immutable resources, ``WWW-Authenticate`` on 401 (RFC 6750) and
the rate-limit headers on every answer, without touching a 409's ``Retry-After: 1``.
On SQLite and PostgreSQL (the rate-limit ones: the limiter does not touch the database).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from core.db.repositories import IdempotencyRepository
from core.idempotency import request_hash
from tests.helpers import OPERATOR_KEY, STORE_YAML, TWO, app_session, auth, tenant

LINK = re.compile(r'<([^>]+)>; rel="([a-z]+)"')


def links(r) -> dict[str, str]:
    """rel → target of a ``Link`` header."""
    return {rel: target for target, rel in LINK.findall(r.headers.get("Link", ""))}


@pytest.fixture
def five(make_tenant):
    """A tenant with five stored responses (collected in this order) under version 1."""
    t = make_tenant("acme")
    t.upload()
    items = [{"response_id": f"r{i}", "collected_at": f"2026-01-0{i}T00:00:00Z", "answers": {"env_overall": "A"}} for i in range(1, 6)]
    assert t.post("/api/v1/responses", json={"responses": items}).status_code == 201
    return t


# --- Link -------------------------------------------------------------------------------


def test_link_names_first_prev_next_last_with_the_other_parameters_kept(five):
    """5 items in pages of 2: pages 1..3; page 2 links 1, 3 and the ends."""
    r = five.get("/api/v1/responses?version=1&page=2&page_size=2")
    assert [x["response_id"] for x in r.json] == ["r3", "r4"]
    assert links(r) == {
        "first": "/api/v1/responses?version=1&page=1&page_size=2",
        "prev": "/api/v1/responses?version=1&page=1&page_size=2",
        "next": "/api/v1/responses?version=1&page=3&page_size=2",
        "last": "/api/v1/responses?version=1&page=3&page_size=2",
    }
    # The links and X-Pagination tell the same pages.
    meta = json.loads(r.headers["X-Pagination"])
    assert (meta["previous_page"], meta["next_page"], meta["last_page"]) == (1, 3, 3)
    assert [x["response_id"] for x in five.get(links(r)["next"]).json] == ["r5"]


def test_link_at_the_ends_beyond_them_and_on_an_empty_listing(five, make_tenant):
    first = five.get("/api/v1/responses?page_size=2")
    assert set(links(first)) == {"first", "next", "last"} and links(first)["next"] == "/api/v1/responses?page=2&page_size=2"
    assert links(five.get("/api/v1/responses?page=3&page_size=2")) == {
        "first": "/api/v1/responses?page=1&page_size=2",
        "prev": "/api/v1/responses?page=2&page_size=2",
        "last": "/api/v1/responses?page=3&page_size=2",
    }
    assert set(links(five.get("/api/v1/responses?page=9&page_size=2"))) == {"first", "last"}
    empty = make_tenant("empty").get("/api/v1/responses")
    assert empty.json == [] and "Link" not in empty.headers and json.loads(empty.headers["X-Pagination"])["total"] == 0


def test_every_listing_sends_link(five):
    """The audit log too: tenant.create, key.create, config.upload (3 events)."""
    r = five.get("/api/v1/audit?page_size=1")
    assert links(r) == {"first": "/api/v1/audit?page=1&page_size=1", "next": "/api/v1/audit?page=2&page_size=1", "last": "/api/v1/audit?page=3&page_size=1"}


# --- Location ---------------------------------------------------------------------------


def test_every_201_says_where_the_created_resource_is(client, make_tenant):
    op = auth(OPERATOR_KEY)
    r = client.post("/api/v1/tenants", json={"slug": "acme", "name": "Acme"}, headers=op)
    assert r.status_code == 201 and r.headers["Location"] == "/api/v1/tenants/acme"
    assert client.get(r.headers["Location"], headers=op).json["id"] == r.json["tenant"]["id"]
    admin = auth(r.json["api_key"])

    r = client.post("/api/v1/config/versions", data=STORE_YAML.encode(), content_type="application/yaml", headers=admin)
    assert r.headers["Location"] == "/api/v1/config/versions/1"
    assert client.get(r.headers["Location"], headers=admin).json["yaml"] == STORE_YAML

    r = client.post("/api/v1/keys", json={"name": "shop"}, headers=admin)
    assert r.headers["Location"] == f"/api/v1/keys/{r.json['key']['id']}"
    assert client.get(r.headers["Location"], headers=admin).json["name"] == "shop"

    for replay in (False, True):  # a replay carries it too (it is built from the body)
        r = client.post("/api/v1/responses", json={"responses": TWO}, headers={**admin, "Idempotency-Key": "k"})
        assert r.status_code == 201 and ("Idempotent-Replayed" in r.headers) is replay
        assert r.headers["Location"] == "/api/v1/responses?version=1"
    r = client.post("/api/v1/responses/csv?version=1", data=b"response_id,env_overall\nc1,B\n", content_type="text/csv", headers=admin)
    assert r.status_code == 201 and r.headers["Location"] == "/api/v1/responses?version=1"
    assert [x["response_id"] for x in client.get(r.headers["Location"], headers=admin).json] == ["r1", "r2", "c1"]


def test_a_key_of_another_tenant_is_404_at_its_location(make_tenant):
    a, b = make_tenant("a-co"), make_tenant("b-co")
    location = a.post("/api/v1/keys", json={"name": "mine"}).headers["Location"]
    assert b.get(location).status_code == 404


# --- ETag -------------------------------------------------------------------------------


def test_a_version_has_a_stable_etag_and_a_matching_if_none_match_is_304(make_tenant):
    t = make_tenant("acme")
    t.upload()
    t.upload(STORE_YAML.replace("name: Store satisfaction", "name: Store satisfaction 2"))
    first = t.get("/api/v1/config/versions/1")
    tag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{40}"', tag)
    assert t.get("/api/v1/config/versions/1").headers["ETag"] == tag
    assert t.get("/api/v1/config/versions/2").headers["ETag"] != tag
    for sent in (tag, "W/" + tag, f'"other", {tag}', "*"):
        r = t.client.get("/api/v1/config/versions/1", headers={**t.headers, "If-None-Match": sent})
        assert (r.status_code, r.data, r.headers["ETag"]) == (304, b"", tag), sent
    changed = t.client.get("/api/v1/config/versions/2", headers={**t.headers, "If-None-Match": tag})
    assert changed.status_code == 200 and changed.json["version"] == 2


def test_the_same_yaml_in_another_tenant_is_another_representation(make_tenant):
    a, b = make_tenant("a-co"), make_tenant("b-co")
    a.upload()
    b.upload()
    tag = a.get("/api/v1/config/versions/1").headers["ETag"]
    assert b.client.get("/api/v1/config/versions/1", headers={**b.headers, "If-None-Match": tag}).status_code == 200


def test_catalogues_and_templates_have_etags(make_tenant):
    t = make_tenant("acme")
    for url in ("/api/v1/industries/retail", "/api/v1/industries/retail/templates/supermarket-csi"):
        tag = t.get(url).headers["ETag"]
        assert t.client.get(url, headers={**t.headers, "If-None-Match": tag}).status_code == 304, url


# --- WWW-Authenticate -------------------------------------------------------------------


def test_401_carries_the_bearer_challenge(client):
    assert client.get("/api/v1/tenant").headers["WWW-Authenticate"] == 'Bearer realm="csm"'
    r = client.get("/api/v1/tenant", headers=auth("csm_not-a-key"))
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == 'Bearer realm="csm", error="invalid_token"'
    r = client.get("/api/v1/tenants")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == 'Bearer realm="csm"'
    wrong_operator = client.get("/api/v1/tenants", headers=auth("not-the-operator"))
    assert wrong_operator.status_code == 403 and "WWW-Authenticate" not in wrong_operator.headers


# --- rate-limit headers -----------------------------------------------------------------


def rate(r) -> tuple[int, int]:
    return int(r.headers["X-RateLimit-Limit"]), int(r.headers["X-RateLimit-Remaining"])


def test_every_answer_says_where_the_key_stands(make_app):
    app = make_app(RATE_LIMIT="10 per minute", RATE_LIMIT_INGEST="2 per minute")
    t = tenant(app)
    t.upload()  # the admin key's 1st request
    assert rate(t.get("/api/v1/tenant")) == (10, 8)
    missing = t.get("/api/v1/config/versions/9")
    assert missing.status_code == 404 and rate(missing) == (10, 7)
    # An ingest request counts against both budgets (10: 6 left, 2: 1 left); the one
    # closer to running out is told.
    ingest = t.post("/api/v1/responses", json={"responses": TWO})
    assert ingest.status_code == 201 and rate(ingest) == (2, 1)
    reset = int(ingest.headers["X-RateLimit-Reset"])
    assert time.time() < reset <= time.time() + 61
    assert [rate(t.get("/api/v1/tenant")) for _ in range(6)] == [(10, n) for n in (5, 4, 3, 2, 1, 0)]
    over = t.get("/api/v1/tenant")
    assert over.status_code == 429 and rate(over) == (10, 0)
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    unauthenticated = app.test_client().get("/api/v1/tenant")
    assert unauthenticated.status_code == 401 and rate(unauthenticated) == (10, 9)  # counted by address
    assert "X-RateLimit-Limit" not in app.test_client().get("/openapi.json").headers  # the docs are not limited


def test_a_409_keeps_its_retry_after_of_one_second(make_app):
    """flask-limiter's own header option would set Retry-After to the end of the rate-limit
    window on every answer; a request in flight asks for a retry after 1 s."""
    app = make_app()
    t = tenant(app)
    t.upload()
    body = json.dumps({"responses": TWO}).encode()
    with app_session(app, t.id) as s:
        now = datetime.now(UTC)
        IdempotencyRepository(s).claim(t.id, "busy", request_hash("POST /responses", "", hashlib.sha256(body).digest()), now, now + timedelta(hours=24))
    r = t.post("/api/v1/responses", data=body, content_type="application/json", headers={"Idempotency-Key": "busy"})
    assert r.status_code == 409 and r.headers["Retry-After"] == "1"
    assert rate(r) == (60, 59)
    ok = t.get("/api/v1/tenant")
    assert ok.status_code == 200 and "Retry-After" not in ok.headers
