"""JSON request bodies (core/api/json_body.py): finite numbers only, on every endpoint,
and bodies of more values than a batch may hold refused before they are decoded.

API tests run on SQLite and PostgreSQL (the ``app_db_url`` and ``make_tenant`` fixtures).
"""

import hashlib
import json
import tracemalloc

import pytest

from core.api import json_body
from core.api.json_body import non_finite_places, value_bound, value_floor
from core.app import create_app
from core.batch.limits import JSON_VALUES_PER_ITEM
from tests.helpers import OPERATOR_KEY, TEXT_YAML, TenantHandle, auth

OPERATOR = auth(OPERATOR_KEY)
ITEM = '{"answers": {"env_overall": "A"}}'


def send(client, method, url, body: str, headers):
    return client.open(url, method=method, data=body, content_type="application/json", headers=headers)


def counts(t) -> tuple:
    """What the tenant holds, as its admin reads it."""
    return (
        len(t.get("/api/v1/responses", query_string={"page_size": 1000}).json),
        [(k["name"], k["role"], k["revoked_at"]) for k in t.get("/api/v1/keys").json],
        len(t.get("/api/v1/config/versions").json),
        t.get("/api/v1/tenant").json["name"],
    )


# --- counting values before decoding --------------------------------------------------------


def test_value_bound_and_floor_by_hand():
    # values: the object, the list, 1, 2, {}, "x,y" = 6; keys are not values
    body = b'{"a": [1, 2, {}], "b": "x,y"}'
    # commas: 3 between values and 1 inside "x,y"; opening brackets: [ and two {; one of
    # them opens the empty {}: 4 + 3 - 1 + 1 = 7, one too many because of the string
    assert value_bound(body) == 7
    assert value_bound(body.replace(b'"x,y"', b'""')) == 6  # strings blanked: exact
    # six quotes that no backslash escapes: 3 strings, each a value or a key: at least 6 // 4 = 1 value
    assert value_floor(body) == 1
    assert value_floor(b'["a\\"b"]') == 0  # (4 - 1) // 4: an escaped quote is no delimiter
    assert value_bound(b"[]") == 1 and value_bound(b"{}") == 1 and value_bound(b"7") == 1


def test_non_finite_places_are_paths_in_document_order():
    mark = json_body._Found  # what the decoder's hooks put where a non-finite number was
    doc = {"responses": [{"answers": {"q": mark("NaN")}}, {"attributes": {"a": mark("1e400"), "b": 1}}]}
    assert non_finite_places(doc) == [("responses[0].answers.q", "NaN"), ("responses[1].attributes.a", "1e400")]
    assert non_finite_places(mark("Infinity")) == [("(body)", "Infinity")]
    assert non_finite_places({"x": float("nan")}) == []  # only the decoder's own marks count


# --- non-finite numbers, every endpoint -----------------------------------------------------


@pytest.fixture
def acme(make_tenant):
    t = make_tenant("acme")
    t.upload(TEXT_YAML)
    assert t.post("/api/v1/responses", json={"responses": [{"response_id": "kept", "answers": {"env_overall": "A"}}]}).status_code == 201
    return t


def test_non_finite_numbers_are_422_naming_their_place_on_every_endpoint(acme):
    t = acme
    key_id = t.get("/api/v1/keys").json[0]["id"]
    before = counts(t)
    cases = [  # (method, url, headers, body, the place named)
        ("post", "/api/v1/responses", t.headers, '{"responses": [{"answers": {"env_overall": "A"}, "attributes": {"seg": NaN}}]}', "responses[0].attributes.seg"),
        ("post", "/api/v1/responses", t.headers, '{"responses": [' + ITEM + ', {"answers": {"env_noise": Infinity}}]}', "responses[1].answers.env_noise"),
        ("post", "/api/v1/responses", t.headers, '{"responses": [{"answers": {"env_overall": "A"}, "attributes": {"seg": -Infinity}}]}', "responses[0].attributes.seg"),
        ("post", "/api/v1/responses", t.headers, '{"responses": [{"answers": {"env_overall": "A"}, "attributes": {"seg": 1e400}}]}', "responses[0].attributes.seg"),
        ("post", "/api/v1/responses", t.headers, '{"version": NaN, "responses": [' + ITEM + "]}", "version"),
        ("post", "/api/v1/keys", t.headers, '{"name": "k", "role": "viewer", "expires_at": NaN}', "expires_at"),
        ("patch", f"/api/v1/keys/{key_id}", t.headers, '{"role": Infinity}', "role"),
        ("post", "/api/v1/tenants", OPERATOR, '{"slug": "other", "name": NaN}', "name"),
        ("delete", "/api/v1/tenant", t.headers, '{"confirm": NaN}', "confirm"),
        ("delete", "/api/v1/tenants/acme", OPERATOR, '{"confirm": -Infinity}', "confirm"),
        ("post", "/api/v1/config/validate", t.headers, '{"yaml": "version: 1", "filename": NaN}', "filename"),
        ("post", "/api/v1/config/versions", t.headers, '{"yaml": NaN}', "yaml"),
        ("post", "/api/v1/responses", t.headers, "NaN", "(body)"),
    ]
    for method, url, headers, body, place in cases:
        r = send(t.client, method, url, body, headers)
        assert r.status_code == 422, (url, body, r.status_code, r.json)
        assert place in [e["field"] for e in r.json["errors"] if e["location"] == "body"], (url, r.json)
        assert f"{place} is " in r.json["message"] and "not finite" in r.json["message"]
    assert counts(t) == before
    assert [x["slug"] for x in t.client.get("/api/v1/tenants", headers=OPERATOR).json] == ["acme"]


def test_every_non_finite_place_is_listed_and_finite_numbers_pass(acme):
    t = acme
    body = '{"responses": [{"answers": {"env_overall": "A", "env_noise": NaN}, "attributes": {"a": Infinity, "b": 2.5}}, ' + ITEM + "]}"
    r = send(t.client, "post", "/api/v1/responses", body, t.headers)
    assert [(e["location"], e["field"], e["reason"]) for e in r.json["errors"]] == [
        ("body", "responses[0].answers.env_noise", "NaN is not a finite number"),
        ("body", "responses[0].attributes.a", "Infinity is not a finite number"),
    ]
    # tiny (subnormal) floats are finite numbers like any other
    fine = '{"responses": [{"answers": {"env_noise": 1e-320}, "attributes": {"tiny": 5e-324}}]}'
    assert send(t.client, "post", "/api/v1/responses", fine, t.headers).status_code == 201


# --- bounded decoding ---------------------------------------------------------------------


@pytest.fixture
def small(app_db_url):
    """A tenant of an app whose batches hold at most 10 items: 640 values per body."""
    app = create_app({"DATABASE_URL": app_db_url, "OPERATOR_KEY": OPERATOR_KEY, "TESTING": True, "MAX_BATCH": 10})
    t = TenantHandle(app.test_client(), "small")
    t.upload(TEXT_YAML)
    yield t
    app.extensions["csm"].engine.dispose()


def test_a_body_of_more_values_than_a_batch_may_hold_is_refused_before_decoding(small, monkeypatch):
    t = small
    most = 10 * JSON_VALUES_PER_ITEM
    assert most == 640
    decoded, loads = [], json.loads
    monkeypatch.setattr(json_body.json, "loads", lambda s, *a, **k: decoded.append(s) or loads(s, *a, **k))
    hostile = [
        '{"responses": [' + ",".join(["{}"] * 1000) + "]}",  # the empty items of the probe
        '{"responses": [{"answers": {"env_noise": [' + ",".join(["[]"] * 700) + "]}}]}",  # all in one item
        '{"responses": [{"answers": {' + ",".join(f'"k{i}": 0' for i in range(700)) + "}}]}",  # distinct keys: their quotes tell
        "[" + ",".join(["0"] * 700) + "]",
    ]
    for body in hostile:
        r = send(t.client, "post", "/api/v1/responses", body, t.headers)
        assert r.status_code == 422, r.json
        assert r.json["message"] == (
            "the JSON body holds more than 640 values (objects, arrays, strings, numbers), the most one request may hold "
            f"({JSON_VALUES_PER_ITEM} per item of a batch of at most 10 items, CSM_MAX_BATCH): send fewer items per request"
        )
        assert [(e["location"], e["field"], e["reason"]) for e in r.json["errors"]] == [("body", None, "more than 640 values")]
    assert not set(hostile) & set(decoded)  # refused without decoding them
    # within the value limit, too many items are refused by the batch's own item limit
    r = send(t.client, "post", "/api/v1/responses", '{"responses": [' + ",".join([ITEM] * 11) + "]}", t.headers)
    assert r.status_code == 422 and [(e["location"], e["field"], e["reason"]) for e in r.json["errors"]] == [("item", "responses", "the batch holds more than 10 responses; at most 10 per batch")]
    assert t.get("/api/v1/responses").json == []


def test_commas_and_brackets_inside_strings_are_not_values(small):
    t = small
    text = ",[{" * 1000  # 3,000 characters that would count as values outside a string
    items = [{"response_id": f"r{i}", "answers": {"env_overall": "A", "what_to_improve": text}, "attributes": {"note": '"{[,]}"'}} for i in range(10)]
    body = json.dumps({"responses": items})
    assert value_bound(body.encode()) > 640
    r = send(t.client, "post", "/api/v1/responses", body, t.headers)
    assert r.status_code == 201, r.json
    assert {x["answers"]["what_to_improve"] for x in t.get("/api/v1/responses").json} == {text}


def test_what_strings_hold_of_commas_and_brackets_by_hand():
    # "x,y" holds one comma; "[{" two openings; "[]" an opening and its empty pair: 1 + 2 + 0
    body = b'["x,y", "[{", "[]", "plain", 1]'
    assert json_body.structure_in_strings(body, 100) == 3
    # the array and its five values: 9 counted, less 3 = 6, as with the strings blanked
    assert value_bound(body) == 9 and value_bound(b'["", "", "", "", 1]') == 9 - 3 == 6
    assert json_body.structure_in_strings(body, 1) == 1  # stops once enough is found


def _long_distinct_keys(size: int, items: int, keys: int) -> bytes:
    """``items`` items whose answers hold ``keys`` keys each, every key in the body
    distinct and as long as fills ``size``: within the value limit, decoded, refused by
    ingest (unknown question codes)."""
    width = max(1, (size - items * 15) // (items * keys) - 6)
    numbers = iter(range(items * keys))
    parts = ('{"answers": {' + ",".join(f'"k{next(numbers):0{width}d}": 0' for _ in range(keys)) + "}}" for _ in range(items))
    return ('{"responses": [' + ",".join(parts) + "]}").encode()


@pytest.mark.parametrize("items,keys", [(1, 150_000), (2_000, 75)], ids=["one item", "spread over a batch"])
def test_a_body_of_long_distinct_keys_costs_under_four_times_its_size(acme, items, keys):
    """The costliest body the value limit lets through is one of long distinct keys (each
    key an object of its own, the decoder's memo and the object's slot): 8 MiB of them
    cost the request under 4x the body, as the 31 MiB bodies of bench/json_body.py do
    (3.8x). Before, the body's bytes stayed beside its text and decoded value (one more
    body's worth) and ingest gathered every key into a set before refusing (some 30 MiB
    at 31 MiB): 5.4x."""
    t = acme
    body = _long_distinct_keys(8 << 20, items, keys)
    assert value_bound(body) < 640_000 and len(body) > 7 << 20
    tracemalloc.start()
    try:
        r = t.client.post("/api/v1/responses", data=body, content_type="application/json", headers=t.headers)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "answers", r.json
    assert "unknown question codes" in r.json["errors"][0]["reason"]
    assert peak < 4 * len(body), peak / len(body)
    assert counts(t)[0] == 1  # nothing stored beside the fixture's response


def test_the_body_bytes_are_let_go_once_decoded_and_idempotency_still_knows_them(acme):
    """request_json drops the request's copy of the bytes before decoding; the digest that
    Idempotency-Key compares is taken first, so a replay and a different body still tell."""
    t = acme
    app = t.client.application
    body = json.dumps({"responses": [{"response_id": "d-1", "answers": {"env_overall": "B"}}]}).encode()
    with app.test_request_context("/api/v1/responses", method="POST", data=body, content_type="application/json"):
        from flask import request

        from core.api.common import body_digest, request_json

        assert request_json(request)["responses"][0]["response_id"] == "d-1"
        assert request.get_data() == b"" and body_digest(request) == hashlib.sha256(body).digest()
        assert request_json(request)["responses"][0]["response_id"] == "d-1"  # decoded once, kept
    first = t.client.post("/api/v1/responses", data=body, content_type="application/json", headers={**t.headers, "Idempotency-Key": "k-1"})
    again = t.client.post("/api/v1/responses", data=body, content_type="application/json", headers={**t.headers, "Idempotency-Key": "k-1"})
    other = t.client.post("/api/v1/responses", data=body.replace(b"d-1", b"d-2"), content_type="application/json", headers={**t.headers, "Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code, again.headers.get("Idempotent-Replayed"), other.status_code) == (201, 201, "true", 422)
