"""Hostile input, on SQLite and PostgreSQL: every bad request is a 4xx in the JSON error
shape that names the field, changes nothing, and is never a 500.

Covers unknown and read-only fields, malformed JSON, wrong types, unicode oddities, out-of-
scale values, over-long strings and arrays, hostile CSV, page sizes, bodies over the limit
(also chunked, also against a served app), hostile YAML through the API with bounded
memory, and a sweep of hostile payloads over every operation of the OpenAPI spec.
"""

from __future__ import annotations

import http.client
import io
import json
import threading
import tracemalloc
from datetime import datetime, timezone

import pytest
from werkzeug.serving import make_server

from core.alerts import AlertCandidate
from core.app import create_app
from core.operations.alerts import raise_alerts
from tests.helpers import CUSTOMER_SECTIONS, OPERATOR_KEY, PUBLIC_HOOK_URL, STORE_YAML, TEXT_YAML, app_session, auth

OPERATOR = auth(OPERATOR_KEY)
ERROR_KEYS = {"code", "status", "message", "errors", "total"}
ITEM = {"response_id": "ok-1", "answers": {"env_overall": "A"}}


# --- helpers ----------------------------------------------------------------------------


def named_fields(errors) -> set[str]:
    """Every place an error body names: each item's ``field``, or for a problem of the
    body, file or document as a whole ``(location)``, ``(location line N)`` where it has
    a line (a CSV header, a ragged CSV row, a YAML document's line)."""
    found: set[str] = set()
    for entry in errors:
        if entry["field"] is not None:
            found.add(entry["field"])
        else:
            found.add(f"({entry['location']} line {entry['line']})" if entry["line"] is not None else f"({entry['location']})")
    return found


def assert_error_shape(r, context=""):
    assert r.is_json, (context, r.status_code, r.get_data(as_text=True)[:300])
    body = r.get_json()
    assert ERROR_KEYS <= set(body), (context, body)
    assert body["code"] == r.status_code and isinstance(body["status"], str) and isinstance(body["message"], str), (context, body)
    text = r.get_data(as_text=True)
    assert "Traceback" not in text and 'File "' not in text, (context, text[:300])


def assert_refused(r, status: int, *fields: str, context=""):
    """``r`` is ``status`` in the error shape and its errors name every one of ``fields``."""
    assert r.status_code == status, (context, r.status_code, r.get_data(as_text=True)[:500])
    assert_error_shape(r, context)
    named = named_fields(r.json.get("errors"))
    for field in fields:
        assert field in named, (context, field, r.json)


def snapshot(t) -> dict:
    """What a tenant holds, as its admin sees it through the API."""
    return {
        "tenant": t.get("/api/v1/tenant").json,
        "keys": t.get("/api/v1/keys").json,
        "versions": t.get("/api/v1/config/versions").json,
        "responses": t.get("/api/v1/responses?page_size=1000").json,
        "audit_events": json.loads(t.get("/api/v1/audit").headers["X-Pagination"])["total"],
    }


def patch(t, url, **kw):
    return t.client.patch(url, headers=t.headers, **kw)


def raw_json(t, method, url, text: str | bytes, headers=None):
    data = text.encode() if isinstance(text, str) else text
    return getattr(t.client, method)(url, data=data, content_type="application/json", headers=headers or t.headers)


@pytest.fixture
def acme(make_tenant):
    """A configured tenant with one stored response and a viewer key (id in ``viewer_id``)."""
    t = make_tenant("acme")
    t.upload(TEXT_YAML)
    assert t.post("/api/v1/responses", json={"responses": [ITEM]}).status_code == 201
    r = t.post("/api/v1/keys", json={"name": "viewer", "role": "viewer"})
    t.viewer_id = r.json["key"]["id"]
    t.viewer = auth(r.json["api_key"])
    return t


# --- unknown and read-only fields --------------------------------------------------------


def test_unknown_and_read_only_fields_are_422_naming_the_field_and_change_nothing(acme):
    t = acme
    before = snapshot(t)
    tenants_before = t.client.get("/api/v1/tenants", headers=OPERATOR).json
    key = f"/api/v1/keys/{t.viewer_id}"
    forbidden = {"tenant_id": 999, "id": 999, "created_at": "2020-01-01T00:00:00Z", "role": "admin"}
    cases = []  # (method, url, headers, body, the field the answer must name)
    for field, value in forbidden.items():
        cases += [
            ("post", "/api/v1/tenants", OPERATOR, {"slug": "newcomer", "name": "N", field: value}, field),
            ("post", "/api/v1/responses", None, {"responses": [{**ITEM, "response_id": "new-1"}], field: value}, field),
            ("post", "/api/v1/responses", None, {"responses": [{**ITEM, "response_id": "new-2", field: value}]}, field),
            ("post", "/api/v1/config/validate", None, {"yaml": STORE_YAML, field: value}, field),
            ("post", "/api/v1/config/versions", None, {"yaml": STORE_YAML, field: value}, field),
            ("delete", "/api/v1/tenant", None, {"confirm": "acme", field: value}, field),
            ("delete", "/api/v1/tenants/acme", OPERATOR, {"confirm": "acme", field: value}, field),
        ]
        if field != "role":  # a key's role is what these two set
            cases += [
                ("post", "/api/v1/keys", None, {"name": "new key", "role": "admin", field: value}, field),
                ("patch", key, None, {"role": "admin", field: value}, field),
            ]
    cases += [
        ("post", "/api/v1/keys", None, {"name": "new key", "prefix": "aaaaaaaa"}, "prefix"),
        ("post", "/api/v1/keys", None, {"name": "new key", "key_hash": "0" * 64}, "key_hash"),
        ("post", "/api/v1/keys", None, {"name": "new key", "revoked_at": None}, "revoked_at"),
        ("patch", key, None, {"role": "admin", "name": "renamed"}, "name"),
        ("patch", key, None, {"role": "admin", "revoked_at": None}, "revoked_at"),
        ("post", "/api/v1/responses", None, {"responses": [{**ITEM, "response_id": "new-3", "version": 1}]}, "version"),
    ]
    for method, url, headers, body, field in cases:
        r = getattr(t.client, method)(url, json=body, headers=headers or t.headers)
        assert_refused(r, 422, field, context=(method, url, body))
    assert snapshot(t) == before
    assert t.client.get("/api/v1/tenants", headers=OPERATOR).json == tenants_before


# --- malformed JSON ---------------------------------------------------------------------

MALFORMED = {
    "truncated": b'{"name": ',
    "not UTF-8": b'{"name": "\xff\xfe"}',
    "trailing garbage": b'{"name": "x"} {}',
    "nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "a 5,000-digit number": b'{"name": ' + b"9" * 5000 + b"}",
    "a single quote": b"{'name': 'x'}",
}


def test_malformed_json_is_400_on_every_json_endpoint(acme):
    t = acme
    before = snapshot(t)
    endpoints = [
        ("post", "/api/v1/tenants", OPERATOR),
        ("post", "/api/v1/keys", None),
        ("patch", f"/api/v1/keys/{t.viewer_id}", None),
        ("post", "/api/v1/responses", None),
        ("post", "/api/v1/config/validate", None),
        ("post", "/api/v1/config/versions", None),
        ("delete", "/api/v1/tenant", None),
        ("delete", "/api/v1/tenants/acme", OPERATOR),
    ]
    for method, url, headers in endpoints:
        for label, body in MALFORMED.items():
            r = raw_json(t, method, url, body, headers)
            assert_refused(r, 400, "(body)", context=(method, url, label))
    assert snapshot(t) == before


# --- wrong types ------------------------------------------------------------------------


def test_wrong_types_are_422_naming_the_field(acme):
    t = acme
    before = snapshot(t)
    key = f"/api/v1/keys/{t.viewer_id}"
    cases = [
        ("post", "/api/v1/tenants", OPERATOR, {"slug": 5, "name": "x"}, "slug"),
        ("post", "/api/v1/tenants", OPERATOR, {"slug": "fine-slug", "name": None}, "name"),
        ("post", "/api/v1/tenants", OPERATOR, {"slug": "fine-slug", "name": ["x"]}, "name"),
        ("post", "/api/v1/keys", None, {"name": 5}, "name"),
        ("post", "/api/v1/keys", None, {"name": "k", "role": ["admin"]}, "role"),
        ("post", "/api/v1/keys", None, {"name": "k", "role": "root"}, "role"),
        ("post", "/api/v1/keys", None, {"name": "k", "expires_at": 12}, "expires_at"),
        ("post", "/api/v1/keys", None, {"name": "k", "expires_at": "2999-01-01T00:00:00"}, "expires_at"),  # no time zone
        ("post", "/api/v1/keys", None, {"name": "k", "expires_at": "9999-12-31T23:59:59-14:00"}, "expires_at"),  # year 10000 in UTC
        ("patch", key, None, {"role": 1}, "role"),
        ("patch", key, None, {"role": None}, "role"),
        ("post", "/api/v1/responses", None, {"responses": {"a": 1}}, "responses"),
        ("post", "/api/v1/responses", None, {"responses": "x"}, "responses"),
        ("post", "/api/v1/responses", None, {"responses": [1, "x", None]}, "responses"),
        ("post", "/api/v1/responses", None, {"responses": [ITEM], "version": "1"}, "version"),
        ("post", "/api/v1/responses", None, {"responses": [ITEM], "version": True}, "version"),
        ("post", "/api/v1/responses", None, {"responses": [ITEM], "version": 1.5}, "version"),
        ("post", "/api/v1/responses", None, {"responses": [{"answers": ["A"]}]}, "answers"),
        ("post", "/api/v1/responses", None, {"responses": [{"answers": {"env_overall": "A"}, "attributes": ["vip"]}]}, "attributes"),
        ("post", "/api/v1/responses", None, {"responses": [{"answers": {"env_overall": "A"}, "collected_at": 5}]}, "collected_at"),
        ("post", "/api/v1/responses", None, {"responses": [{"answers": {"env_overall": "A"}, "collected_at": "last tuesday"}]}, "collected_at"),
        ("post", "/api/v1/responses", None, {"responses": [{"answers": {"env_overall": "A"}, "response_id": {"a": 1}}]}, "response_id"),
        ("post", "/api/v1/responses", None, {"responses": [{"answers": {"env_overall": "A"}, "customer_id": [1]}]}, "customer_id"),
        ("post", "/api/v1/responses", None, {"responses": [{"answers": {"env_overall": "A"}, "touchpoint": True}]}, "touchpoint"),
        ("post", "/api/v1/responses", None, {"responses": [{"answers": {"env_overall": {"code": "A"}}}]}, "answers.env_overall"),
        ("post", "/api/v1/responses", None, {"responses": [{"answers": {"env_overall": "A"}, "attributes": {"segment": {"a": 1}}}]}, "attributes.segment"),
        ("post", "/api/v1/config/validate", None, {"yaml": 5}, "yaml"),
        ("post", "/api/v1/config/validate", None, {"yaml": STORE_YAML, "filename": 5}, "filename"),
        ("post", "/api/v1/config/versions", None, {"yml": STORE_YAML}, "yaml"),
        ("delete", "/api/v1/tenant", None, {"confirm": 5}, "confirm"),
        ("delete", "/api/v1/tenant", None, {"confirm": "not-the-slug"}, "confirm"),
    ]
    for method, url, headers, body, field in cases:
        r = getattr(t.client, method)(url, json=body, headers=headers or t.headers)
        assert_refused(r, 422, field, context=(method, url, body))
    for url, field in [
        ("/api/v1/scores?version=abc", "version"),
        ("/api/v1/scores?version=0", "version"),
        ("/api/v1/scores?from=yesterday", "from"),
        ("/api/v1/scores?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"),
        ("/api/v1/scores?by=" + "x" * 501, "by"),
        ("/api/v1/scores?by=no_such_attribute", "by"),
        ("/api/v1/scores?period=decade", "period"),
        ("/api/v1/responses?version=x", "version"),
        ("/api/v1/responses?page=abc", "page"),
        ("/api/v1/audit?page_size=-1", "page_size"),
    ]:
        assert_refused(t.get(url), 422, field, context=url)
    assert snapshot(t) == before


def test_a_naive_time_in_a_query_is_utc(acme):
    """(It used to reach the database as a naive time and fail with a 500.)"""
    t = acme
    naive = t.get("/api/v1/scores?from=2000-01-01T00:00:00&to=2999-01-01T00:00:00")
    aware = t.get("/api/v1/scores?from=2000-01-01T00:00:00Z&to=2999-01-01T00:00:00Z")
    assert naive.status_code == aware.status_code == 200
    assert naive.json["n"] == aware.json["n"] == 1


# --- unicode ----------------------------------------------------------------------------

NUL = "a\x00b"
SURROGATE = "a\ud800b"  # sent as the JSON escape \ud800: valid JSON, not valid text
CONTROL = "a\x1bb"
# Valid Unicode that must come back exactly as sent: right-to-left override, zero-width
# space and joiner, a ZWJ emoji sequence, a 4-byte emoji, combining marks, CJK, Arabic.
ODD_BUT_VALID = "\u202eabc\u200b\u200d👩\u200d💻😀e\u0301\u0308中文العربية"


def test_nul_and_lone_surrogates_are_422_in_every_string_field(acme):
    t = acme
    before = snapshot(t)
    for bad in (NUL, SURROGATE):
        cases = [
            ("post", "/api/v1/tenants", OPERATOR, {"slug": "other", "name": bad}, "name"),
            ("post", "/api/v1/keys", None, {"name": bad}, "name"),
            ("patch", f"/api/v1/keys/{t.viewer_id}", None, {"role": bad}, "role"),
            ("post", "/api/v1/config/validate", None, {"yaml": "version: 1\n# " + bad}, "yaml" if bad == SURROGATE else "(yaml line 2)"),
            ("post", "/api/v1/config/validate", None, {"yaml": STORE_YAML, "filename": bad}, "filename"),
            ("delete", "/api/v1/tenant", None, {"confirm": bad}, "confirm"),
        ]
        for field in ("response_id", "customer_id", "touchpoint"):
            cases.append(("post", "/api/v1/responses", None, {"responses": [{"answers": {"env_overall": "A"}, field: bad}]}, field))
        for code in ("env_overall", "env_noise", "what_to_improve"):
            cases.append(("post", "/api/v1/responses", None, {"responses": [{"answers": {"env_overall": "A", code: bad}}]}, f"answers.{code}"))
        cases.append(("post", "/api/v1/responses", None, {"responses": [{"answers": {"env_overall": "A"}, "attributes": {"segment": bad}}]}, "attributes.segment"))
        cases.append(("post", "/api/v1/responses", None, {"responses": [{"answers": {"env_overall": "A"}, "attributes": {bad: "vip"}}]}, f"attributes.{bad}"))
        cases.append(("post", "/api/v1/responses", None, {"responses": [{"answers": {"env_overall": "A", bad: "A"}}]}, f"answers.{bad}"))
        for method, url, headers, body, field in cases:
            r = getattr(t.client, method)(url, json=body, headers=headers or t.headers)
            assert_refused(r, 422, field, context=(method, url, repr(body)))
    for field, body in [
        ("name", {"name": CONTROL}),
        ("name", {"name": "tab\there"}),
    ]:
        assert_refused(t.post("/api/v1/keys", json=body), 422, field)
    assert snapshot(t) == before


def test_odd_but_valid_unicode_is_stored_and_returned_exactly(acme):
    t = acme
    created = t.client.post("/api/v1/tenants", json={"slug": "unicode", "name": ODD_BUT_VALID}, headers=OPERATOR)
    assert created.status_code == 201 and created.json["tenant"]["name"] == ODD_BUT_VALID
    assert t.client.get("/api/v1/tenant", headers=auth(created.json["api_key"])).json["name"] == ODD_BUT_VALID
    assert t.post("/api/v1/keys", json={"name": ODD_BUT_VALID}).status_code == 201
    assert ODD_BUT_VALID in [k["name"] for k in t.get("/api/v1/keys").json]
    item = {
        "response_id": "u-" + ODD_BUT_VALID,
        "customer_id": ODD_BUT_VALID,
        "touchpoint": ODD_BUT_VALID,
        "attributes": {ODD_BUT_VALID[:30]: ODD_BUT_VALID},
        "answers": {"env_overall": "满意", "what_to_improve": ODD_BUT_VALID * 3},
    }
    assert t.post("/api/v1/responses", json={"responses": [item]}).status_code == 201
    csv = f"response_id,customer_id,segment,env_overall,what_to_improve\ncsv-{ODD_BUT_VALID},{ODD_BUT_VALID},{ODD_BUT_VALID},B,{ODD_BUT_VALID}\n"
    assert t.post("/api/v1/responses/csv", data=csv.encode(), content_type="text/csv").status_code == 201
    stored = {r["response_id"]: r for r in t.get("/api/v1/responses").json}
    json_row, csv_row = stored["u-" + ODD_BUT_VALID], stored["csv-" + ODD_BUT_VALID]
    assert (json_row["customer_id"], json_row["touchpoint"]) == (ODD_BUT_VALID, ODD_BUT_VALID)
    assert json_row["attributes"] == {ODD_BUT_VALID[:30]: ODD_BUT_VALID}
    assert json_row["answers"] == {"env_overall": "A", "what_to_improve": ODD_BUT_VALID * 3}
    assert (csv_row["customer_id"], csv_row["attributes"], csv_row["answers"]) == (ODD_BUT_VALID, {"segment": ODD_BUT_VALID}, {"env_overall": "B", "what_to_improve": ODD_BUT_VALID})
    by = t.get("/api/v1/scores", query_string={"by": "segment"}).json
    assert ODD_BUT_VALID in by["groups"]


# --- out-of-scale values ------------------------------------------------------------------


def test_out_of_scale_values_are_422_naming_the_answer(acme):
    t = acme
    before = snapshot(t)
    cases = [
        ('{"env_overall": "Z"}', "answers.env_overall"),
        ('{"env_overall": 5}', "answers.env_overall"),
        ('{"env_overall": true}', "answers.env_overall"),
        ('{"env_noise": 11}', "answers.env_noise"),
        ('{"env_noise": -0.5}', "answers.env_noise"),
        ('{"env_noise": "loud"}', "answers.env_noise"),
        # not finite: refused as the body is read, naming the place in the body
        ('{"env_noise": 1e400}', "responses[0].answers.env_noise"),
        ('{"env_noise": -Infinity}', "responses[0].answers.env_noise"),
        ('{"env_noise": 100000000000000000000000000000}', "answers.env_noise"),
        ('{"env_noise": false}', "answers.env_noise"),
        ('{"nps_recommend": 10.5}', "answers.nps_recommend"),
        ('{"nps_recommend": -1}', "answers.nps_recommend"),
    ]
    for answers, field in cases:
        r = raw_json(t, "post", "/api/v1/responses", '{"responses": [{"answers": ' + answers + "}]}")
        assert_refused(r, 422, field, context=answers)
    csv = b"env_overall,env_noise,nps_recommend\nA,10.000001,10\nA,3,11\nE,3,3\n"
    r = t.post("/api/v1/responses/csv", data=csv, content_type="text/csv")
    assert_refused(r, 422, "answers.env_noise", "answers.nps_recommend", "answers.env_overall")
    assert {(e["line"], e["field"]) for e in r.json["errors"]} == {(2, "answers.env_noise"), (3, "answers.nps_recommend"), (4, "answers.env_overall")}
    assert snapshot(t) == before


# --- over-long strings and arrays --------------------------------------------------------


def test_over_long_strings_and_arrays_are_422_naming_the_field(acme):
    t = acme
    before = snapshot(t)
    many = [{"answers": {"env_overall": "A"}}] * 10_001
    assert_refused(t.post("/api/v1/responses", json={"responses": many}), 422, "responses")
    rows = ("env_overall\n" + "A\n" * 10_001).encode()
    assert_refused(t.post("/api/v1/responses/csv", data=rows, content_type="text/csv"), 422, "responses")
    a = {"env_overall": "A"}
    cases = [
        ({"responses": [{"answers": a, "attributes": {"segment": list(range(1000))}}]}, "attributes.segment"),
        ({"responses": [{"answers": {"env_overall": ["A"] * 1000}}]}, "answers.env_overall"),
        ({"responses": [{"answers": a, "response_id": "r" * 201}]}, "response_id"),
        ({"responses": [{"answers": a, "customer_id": "c" * 201}]}, "customer_id"),
        ({"responses": [{"answers": a, "touchpoint": "t" * 101}]}, "touchpoint"),
        ({"responses": [{"answers": a, "attributes": {"segment": "s" * 201}}]}, "attributes.segment"),
        ({"responses": [{"answers": a, "attributes": {"s" * 65: "vip"}}]}, "attributes." + "s" * 65),
        ({"responses": [{"answers": {**a, "what_to_improve": "w" * 5001}}]}, "answers.what_to_improve"),
        # more different names than a batch may use: refused before any table is built
        ({"responses": [{"answers": a, "attributes": {f"attr{i}": 1 for i in range(101)}}]}, "attributes"),
        ({"responses": [{"answers": {**a, **{f"q{i}": 1 for i in range(51)}}}]}, "answers"),
        ({"responses": [{"answers": a, **{f"field{i}": 1 for i in range(51)}}]}, "responses"),
        ({"responses": [{"answers": a, "attributes": {f"a{i}_{j}": 1 for j in range(20)}} for i in range(2000)]}, "attributes"),
    ]
    for body, field in cases:
        assert_refused(t.post("/api/v1/responses", json=body), 422, field, context=field)
    for name in ("k" * 201, "k" * 1_000_000):
        assert_refused(t.post("/api/v1/keys", json={"name": name}), 422, "name")
    assert_refused(t.client.post("/api/v1/tenants", json={"slug": "x" * 64, "name": "X"}, headers=OPERATOR), 422, "slug")
    assert snapshot(t) == before
    # the limits themselves are allowed
    edge = {"response_id": "r" * 200, "attributes": {f"attr{i}": "v" * 200 for i in range(100)}, "answers": {**a, "what_to_improve": "w" * 5000}}
    assert t.post("/api/v1/responses", json={"responses": [edge]}).status_code == 201


# --- hostile CSV --------------------------------------------------------------------------


def test_hostile_csv_is_422_and_never_shifts_columns(acme):
    t = acme
    before = snapshot(t)
    wide = ",".join(f"c{i}" for i in range(100_000)) + "\n" + ",".join("1" for _ in range(100_000)) + "\n"
    cases = [
        (wide.encode(), "(csv line 1)"),  # a problem of the header names its line
        ("x" * 200_000 + ",env_overall\n1,A\n", "(csv)"),  # a header cell over the csv module's 128 KiB: no line can be told
        ("env_overall,segment\nA,vip\nB,new,extra\n", "(csv line 3)"),  # a ragged row
        ("env_overall,segment\nA,vip,1\nB,new,2\n", "(csv line 2)"),  # one field too many on every row: not an index
        ("env_overall\nA\n" + ",".join("1" for _ in range(100_000)) + "\n", "(csv line 3)"),
        (bytes(range(256)) * 50, "(csv)"),  # binary garbage
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "(csv)"),
        (b"\xef\xbb\xbf", "(csv)"),  # a BOM and nothing else
        (b"\n\n\n", "(csv)"),
        (b"", "(csv)"),
        ('env_overall,segment\n"A,vip\n', "(csv)"),  # unterminated quote
        ("env_overall,env_overall\nA,B\n", "env_overall"),
        ("env_overall,,segment\nA,1,vip\n", "(csv line 1)"),
        ("response_id,env_overall\nr\x00,A\n", "response_id"),
        ("env_overall,segment\nA,v\x00ip\n", "attributes.segment"),
        ("env_overall,seg\x00ment\nA,vip\n", "attributes.seg\x00ment"),
        ("env_overall\n", "responses"),  # a header and no rows
        ("\ufeffresponse_id,env_overall\nr1,A\n\ufeffr2,B\n", "response_id"),  # two files joined: a BOM before a data row
        ("env_overall,segment\nA,vip\nB\n", "(csv line 3)"),  # a row cut short
    ]
    for data, field in cases:
        body = data.encode() if isinstance(data, str) else data
        r = t.post("/api/v1/responses/csv", data=body, content_type="text/csv")
        assert_refused(r, 422, field, context=(field, body[:60]))
    assert snapshot(t) == before
    # a row shorter than the header is refused like a longer one (it was cut off); a row
    # that writes its empty last cell is complete
    r = t.post("/api/v1/responses/csv", data=b"response_id,env_overall,segment\nshort-1,A\n", content_type="text/csv")
    assert_refused(r, 422, "(csv line 2)")
    assert [(e["line"], e["reason"]) for e in r.json["errors"]] == [(2, "the row has 2 fields but the header has 3: a row cut short would be stored with blanks")]
    assert snapshot(t) == before
    assert t.post("/api/v1/responses/csv", data=b"response_id,env_overall,segment\nshort-1,A,\n", content_type="text/csv").status_code == 201
    stored = {r["response_id"]: r for r in t.get("/api/v1/responses").json}
    assert stored["short-1"]["attributes"] == {"segment": None} and stored["short-1"]["answers"] == {"env_overall": "A"}


# --- pages ------------------------------------------------------------------------------


def test_page_sizes_and_pages_beyond_the_maximum_are_422_naming_the_field(acme):
    t = acme
    for url, field in [
        ("/api/v1/audit?page_size=1001", "page_size"),  # every listing's maximum: MAX_PAGE_SIZE, 1000
        ("/api/v1/audit?page_size=0", "page_size"),
        ("/api/v1/audit?page=0", "page"),
        ("/api/v1/audit?page=100000000000000000000", "page"),  # used to overflow the database's integers: 500
        ("/api/v1/audit?page=2147483648", "page"),
        ("/api/v1/responses?page_size=1001", "page_size"),
        ("/api/v1/responses?page=100000000000000000000", "page"),
    ]:
        assert_refused(t.get(url), 422, field, context=url)
    assert t.get("/api/v1/audit?page=2147483647").json == []
    assert t.get("/api/v1/audit?page_size=1000").status_code == 200
    assert t.get("/api/v1/responses?page_size=1000").status_code == 200


def test_responses_listing_pages_in_collection_order_for_every_role(acme):
    """Known answer: 1 stored in the fixture + 4 here = 5 responses; pages of 2 hold 2, 2, 1."""
    t = acme
    items = [{"response_id": f"p{i}", "collected_at": f"2026-01-0{i}T00:00:00Z", "answers": {"env_overall": "B"}} for i in (4, 2, 3, 1)]
    assert t.post("/api/v1/responses", json={"responses": items}).status_code == 201
    pages = [t.client.get(f"/api/v1/responses?page={n}&page_size=2", headers=t.viewer) for n in (1, 2, 3)]
    assert [r.status_code for r in pages] == [200, 200, 200]
    assert [[x["response_id"] for x in r.json] for r in pages] == [["p1", "p2"], ["p3", "p4"], ["ok-1"]]
    meta = json.loads(pages[0].headers["X-Pagination"])
    assert (meta["total"], meta["total_pages"], meta["next_page"]) == (5, 3, 2)
    assert pages[0].json[0] == {
        "response_id": "p1", "customer_id": None, "touchpoint": None, "collected_at": "2026-01-01T00:00:00+00:00",
        "version": 1, "attributes": {}, "answers": {"env_overall": "B"}, "created_at": pages[0].json[0]["created_at"],
    }
    assert [x["response_id"] for x in t.get("/api/v1/responses?version=1&page_size=10").json] == ["p1", "p2", "p3", "p4", "ok-1"]
    assert t.get("/api/v1/responses?version=2").json == []
    assert t.client.get("/api/v1/responses").status_code == 401


# --- bodies over the limit ----------------------------------------------------------------

LIMIT = 4000


def _over_limit_bodies() -> dict[str, tuple[str, str, bytes]]:
    csv = b"env_overall\n" + b"A\n" * 3000
    multipart = (
        b"--bound\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.csv\"\r\nContent-Type: text/csv\r\n\r\n"
        + csv
        + b"\r\n--bound--\r\n"
    )
    return {
        "raw YAML": ("/api/v1/config/validate", "application/yaml", b"#" * 5000),
        "YAML in JSON": ("/api/v1/config/versions", "application/json", json.dumps({"yaml": "#" * 5000}).encode()),
        "JSON ingest": ("/api/v1/responses", "application/json", json.dumps({"responses": [ITEM] * 200}).encode()),
        "CSV": ("/api/v1/responses/csv", "text/csv", csv),
        "multipart CSV": ("/api/v1/responses/csv", "multipart/form-data; boundary=bound", multipart),
        "a key": ("/api/v1/keys", "application/json", json.dumps({"name": "k" * 5000}).encode()),
    }


def test_bodies_over_the_limit_are_413_with_or_without_content_length(app, acme):
    """Werkzeug enforces the limit on a chunked body only as it is read, and its reader
    returned the first MAX_CONTENT_LENGTH bytes as the whole body: an over-long chunked CSV
    was stored cut short. Now every reader answers 413."""
    t = acme
    before = snapshot(t)
    app.config["MAX_CONTENT_LENGTH"] = LIMIT
    for label, (url, ctype, body) in _over_limit_bodies().items():
        assert len(body) > LIMIT
        with_length = t.post(url, data=body, content_type=ctype)
        assert_refused(with_length, 413, context=label)
        chunked = t.post(
            url, input_stream=io.BytesIO(body), content_type=ctype, headers={"Transfer-Encoding": "chunked"},
            environ_overrides={"wsgi.input_terminated": True},  # what a server that reads chunked bodies sets
        )
        assert_refused(chunked, 413, context=("chunked", label))
    app.config["MAX_CONTENT_LENGTH"] = 10 * LIMIT
    assert snapshot(t) == before
    # exactly at the limit is allowed, chunked too
    csv = b"response_id,env_overall\nexact,A\n"
    app.config["MAX_CONTENT_LENGTH"] = len(csv)
    r = t.post("/api/v1/responses/csv", input_stream=io.BytesIO(csv), content_type="text/csv", headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    assert r.status_code == 201 and r.json["accepted"] == 1


def test_chunked_bodies_over_the_limit_are_413_from_a_served_app(app, acme):
    """The same through a real HTTP server (Werkzeug's) and chunked transfer encoding."""
    t = acme
    app.config["MAX_CONTENT_LENGTH"] = LIMIT
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for label, (url, ctype, body) in _over_limit_bodies().items():
            connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
            try:
                chunks = (body[i : i + 500] for i in range(0, len(body), 500))
                connection.request("POST", url, body=chunks, headers={**t.headers, "Content-Type": ctype}, encode_chunked=True)
                response = connection.getresponse()
                payload = json.loads(response.read())
            finally:
                connection.close()
            assert response.status == 413, (label, payload)
            assert payload["code"] == 413 and ERROR_KEYS <= set(payload), label
    finally:
        server.shutdown()
        thread.join(5)
    app.config["MAX_CONTENT_LENGTH"] = 10 * LIMIT
    assert [r["response_id"] for r in t.get("/api/v1/responses").json] == ["ok-1"]


# --- YAML ---------------------------------------------------------------------------------

ALIAS_BOMB = "\n".join(
    ["version: 1", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{x}: &{x} [" + ",".join([f"*{p}"] * 9) + "]" for p, x in zip("abcdefgh", "bcdefghi")]
)  # expanded: 9**9 = 387,420,489 strings


def nested(depth: int) -> str:
    """A document nested ``depth`` levels deep, counting the root as 1 (as the reader does)."""
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("as_json", [False, True], ids=["raw YAML", "YAML in JSON"])
def test_hostile_yaml_through_the_api_is_422_with_a_clear_message(acme, as_json):
    t = acme
    before = snapshot(t)

    def send(url, text):
        if as_json:
            return t.post(url, json={"yaml": text})
        return t.post(url, data=text.encode(), content_type="application/yaml")

    cases = [
        (ALIAS_BOMB, "anchors and aliases"),
        ("version: 1\nx: !!python/object/apply:os.system ['echo pwned']\n", "python/object/apply:os.system"),
        ("version: 1\nx: !!python/name:os.system\n", "python/name:os.system"),
        ("version: 1\nx: !custom 1\n", "!custom"),
        (nested(51), "nesting deeper than 50 levels"),
        ("#" * 1_000_001, "limit of 1000000 bytes"),
    ]
    for url in ("/api/v1/config/validate", "/api/v1/config/versions"):
        for text, expected in cases:
            r = send(url, text)
            assert_refused(r, 422, context=(url, expected))
            assert expected in json.dumps(r.json["errors"]), (url, expected, r.json)
    # the limits themselves are not refused as such (these fail later, as configurations)
    at_depth = send("/api/v1/config/validate", nested(50))
    assert at_depth.status_code == 422 and "nesting" not in json.dumps(at_depth.json)
    at_size = send("/api/v1/config/validate", "#" * 1_000_000)
    assert at_size.status_code == 422 and "limit" not in json.dumps(at_size.json)
    assert snapshot(t) == before


@pytest.mark.parametrize("document", [ALIAS_BOMB, nested(10_000), "#" * 1_000_001], ids=["alias bomb", "10,000 levels", "1 MB + 1"])
def test_hostile_yaml_costs_bounded_memory(acme, document):
    """Peak Python allocation while the request runs stays under 50 MB (the alias bomb would
    expand to 387 million strings, some 20 GB, if it were expanded)."""
    t = acme
    tracemalloc.start()
    try:
        r = t.post("/api/v1/config/validate", data=document.encode(), content_type="application/yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.status_code == 422
    assert peak < 50 * 1024 * 1024, peak


# --- never a 500 --------------------------------------------------------------------------

DEEP = b"[" * 50_000 + b"]" * 50_000
HOSTILE_BODIES = [
    ("application/json", b"{"),
    ("application/json", b"null"),
    ("application/json", b"[]"),
    ("application/json", b'"just a string"'),
    ("application/json", b"1e400"),
    ("application/json", DEEP),
    ("application/json", b'{"x": ' + b"1" * 5000 + b"}"),
    (
        "application/json",
        (b'{"name": "\\u0000", "slug": "\\ud800", "role": "\\udfff", "confirm": "\\u0000", "yaml": "\\ud800", "filename": "\\u0000",'
         b' "responses": [{"answers": {"\\ud800": "\\u0000", "env_noise": 1e308}, "attributes": {"x": [[]]}, "collected_at": "\\u0000"}]}'),
    ),
    ("application/json", json.dumps({"responses": [{"answers": {"env_overall": "A"}, "attributes": {f"k{i}": i}} for i in range(500)]}).encode()),
    ("application/json", json.dumps({"name": "n", "role": "admin", "expires_at": "0001-01-01T00:00:00-23:59", "slug": "-", "confirm": "x" * 100}).encode()),
    (
        "application/json",
        (b'{"cases": [{"case_id": "\\u0000", "attributes": {"x": [[]], "\\ud800": 1e999}, "opened_at": "\\u0000", "case_type": 7}],'
         b' "events": [{"case_id": "\\ud800", "type": "\\u0000", "at": 1e308, "attributes": {"a": {"b": 1}}, "event_id": []}],'
         b' "url": "http://[::1", "kinds": ["x"], "enabled": "maybe"}'),
    ),
    ("application/json", json.dumps({"events": [{"case_id": f"c{i}", "type": "t", "at": "2026-01-01T00:00:00Z", "attributes": {f"k{i}": i}} for i in range(500)]}).encode()),
    ("application/json", json.dumps({"url": "http://169.254.169.254/latest/meta-data", "kinds": None, "description": "\u0000"}).encode()),
    (
        "application/json",
        (b'{"customers": [{"customer_id": "\\u0000", "attributes": {"contribution": "1e999", "compliance": [[]], "\\ud800": 1}}, {"customer_id": []}],'
         b' "period": "2026-13", "customer_id": "\\ud800", "service": "\\u0000", "at": "9999-99-99"}'),
    ),
    ("application/json", json.dumps({"customers": [{"customer_id": f"cu{i}", "attributes": {f"k{i}": i}} for i in range(500)]}).encode()),
    (
        "application/json",
        (b'{"purchases": [{"purchase_id": "\\u0000", "customer_id": "\\ud800", "purchased_at": 1e308, "amount": "1e999", "category_spend": [[]]},'
         b' {"purchase_id": [], "customer_id": {"a": 1}, "purchased_at": "9999-99-99", "amount": -0.0, "category_spend": "nan"}]}'),
    ),
    ("application/json", json.dumps({"purchases": [{"purchase_id": f"p{i}", "customer_id": "c", "purchased_at": "2026-01-01", "amount": i, f"k{i}": i} for i in range(500)]}).encode()),
    ("application/yaml", ALIAS_BOMB.encode()),
    ("application/yaml", b"\x00\xff\xfe"),
    ("application/yaml", nested(60).encode()),
    ("text/csv", bytes(range(256))),
    ("text/csv", b"a,b\n1,2,3\n"),
    ("text/csv", b"response_id,env_overall\n\x00,\x00\n"),
    ("text/csv", ("env_overall," + ",".join(f"c{i}" for i in range(5000)) + "\nA\n").encode()),
    ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n\xff\xfe\x00\r\n--x--\r\n'),
    ("multipart/form-data; boundary=x", b"--x\r\ngarbage without an end"),
    ("multipart/form-data", b"no boundary at all"),
    ("application/x-www-form-urlencoded", b"a=%ff%fe&b=\x00&file=x"),
    ("application/octet-stream", b"\x00" * 100),
    (None, b""),
]
HOSTILE_QUERIES = [
    "",
    "?version=abc&page=0&page_size=99999",
    "?version=99999999999999999999&page=99999999999999999999",
    "?from=%00&to=%ff&by=%00,%ff%fe,period&period=%00",
    "?by=" + "a," * 300,
    "?from=9999-12-31T23:59:59-14:00",
    "?from=0001-01-01T00:00:00%2B14:00",
]


def _operations(spec, fill):
    for path, methods in spec["paths"].items():
        for method in methods:
            if method in {"get", "post", "patch", "put", "delete"}:
                yield method, path.format(**fill)


def test_no_payload_gets_a_500_from_any_operation(acme, app):
    """Every operation the OpenAPI spec lists (so new ones are swept too), every hostile body
    or query above: a status below 500, and errors in the JSON error shape."""
    t = acme
    template = t.get("/api/v1/industries/retail").json["templates"][0]["code"]
    spare = t.post("/api/v1/keys", json={"name": "to be revoked"}).json["key"]["id"]
    hook = t.post("/api/v1/webhooks", json={"url": PUBLIC_HOOK_URL}).json["endpoint"]["id"]
    with app_session(app, t.id) as session:
        [alert] = raise_alerts(session, t.id, [AlertCandidate("breached", "hostile", datetime.now(timezone.utc), case_id="c1")])
    assert t.post("/api/v1/cases", json={"cases": [{"case_id": "c1"}]}).status_code == 201
    t.upload(TEXT_YAML + "\n" + CUSTOMER_SECTIONS)  # so the customer routes have a section to check against
    assert t.post("/api/v1/customers", json={"customers": [{"customer_id": "cu1", "attributes": {"contribution": 50, "compliance": 50, "capability": 50}}]}).status_code == 201
    fill = {"customer_id": "cu1", "method": "drivers", "version": "1", "key_id": str(spare), "code": "retail", "template": template, "slug": "acme", "name": "retail", "case_id": "c1", "alert_id": str(alert.id), "endpoint_id": str(hook)}
    spec = t.client.get("/openapi.json").json
    operations = sorted(set(_operations(spec, fill)))
    assert len(operations) >= 20
    failures = []
    count = 0
    for method, url in operations:
        headers = OPERATOR if url.startswith("/api/v1/tenants") else t.headers
        if method == "get":
            attempts = [(url + query, {}) for query in HOSTILE_QUERIES]
        else:
            attempts = [(url, {"data": body, "content_type": ctype}) for ctype, body in HOSTILE_BODIES]
            attempts.append((url + HOSTILE_QUERIES[2], {"json": {}}))
        for target, kw in attempts:
            r = getattr(t.client, method)(target, headers=headers, **kw)
            count += 1
            label = (method, target[:80], kw.get("content_type"), (kw.get("data") or b"")[:40])
            if r.status_code >= 500:
                failures.append((label, r.status_code, r.get_data(as_text=True)[:200]))
            elif r.status_code >= 400:
                try:
                    assert_error_shape(r, label)
                except AssertionError as exc:
                    failures.append((label, r.status_code, str(exc)[:200]))
    # unknown paths and methods are errors in the same shape
    for method, url in [("get", "/api/v1/nope"), ("put", "/api/v1/responses"), ("post", "/api/v1/scores"), ("get", "/api/v1/keys/abc")]:
        r = getattr(t.client, method)(url, headers=t.headers)
        assert r.status_code in (404, 405), (method, url)
        assert_error_shape(r, (method, url))
    assert count > 300
    assert failures == []
    assert t.get("/api/v1/tenant").json["slug"] == "acme"  # nothing above deleted the tenant


def test_an_unexpected_exception_is_a_json_500_without_a_traceback(app_db_url, monkeypatch, caplog):
    """A bug (simulated: scoring raises) gives the JSON error shape and a generic message;
    the exception and its traceback go to the log, not to the client."""
    from core.operations import reports

    app = create_app({"DATABASE_URL": app_db_url, "OPERATOR_KEY": OPERATOR_KEY})  # not TESTING: as deployed
    try:
        client = app.test_client()
        key = client.post("/api/v1/tenants", json={"slug": "acme", "name": "Acme"}, headers=OPERATOR).json["api_key"]

        def broken(*args, **kwargs):
            raise RuntimeError("secret-internal-detail at /srv/csm/core/scoring.py")

        monkeypatch.setattr(reports, "report", broken)
        r = client.get("/api/v1/scores", headers=auth(key))
    finally:
        app.extensions["csm"].engine.dispose()
    assert r.status_code == 500
    assert_error_shape(r)
    assert r.json["status"] == "Internal Server Error"
    assert "secret-internal-detail" not in r.get_data(as_text=True)
    logged = [rec for rec in caplog.records if rec.exc_info]
    assert any("secret-internal-detail" in str(rec.exc_info[1]) for rec in logged)
