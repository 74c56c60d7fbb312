"""The spec states the rules the server enforces, at their boundaries: what the spec's
schema refuses the server refuses (422, naming the field), what it allows the server
accepts, and the rules a schema cannot state are 422s the operation documents.
(tests/test_fuzz.py checks the same across generated requests; these are the known cases.)

Only status codes and the field's name somewhere in the answer are checked, not the error
body's layout.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers import OPERATOR_KEY, STORE_YAML, auth

MAX_PAGE = 2**31 - 1


@pytest.fixture
def spec(client):
    return client.get("/openapi.json").json


def body_schema(spec, path, method, media="application/json"):
    schema = spec["paths"][path][method]["requestBody"]["content"][media]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return schema


def matches(pattern: str, value: str) -> bool:
    """ECMA-262 ``pattern`` semantics (a search) for these plain patterns, by Python's re."""
    return re.search(pattern, value) is not None


@pytest.fixture
def tenant(make_tenant, client):
    handle = make_tenant("rules")
    client.post("/api/v1/config/versions", data=STORE_YAML, content_type="application/yaml", headers=handle.headers)
    return handle


@pytest.mark.parametrize("name", ["a\x7fb", "a\x85b", "tab\there", "line\nbreak", "\x00"])
def test_a_control_character_in_a_name_is_refused_by_spec_and_server(client, spec, tenant, name):
    for path, headers in (("/api/v1/tenants", auth(OPERATOR_KEY)), ("/api/v1/keys", tenant.headers)):
        pattern = body_schema(spec, path, "post")["properties"]["name"]["pattern"]
        assert not matches(pattern, name)
        body = {"slug": "other", "name": name} if path == "/api/v1/tenants" else {"name": name}
        r = client.post(path, json=body, headers=headers)
        assert r.status_code == 422, (path, r.get_data(as_text=True))
        assert "name" in r.get_data(as_text=True)


def test_a_name_of_any_printable_text_passes_both(client, spec, tenant):
    name = "Café 東京 😀 «ok» -=+@"
    pattern = body_schema(spec, "/api/v1/tenants", "post")["properties"]["name"]["pattern"]
    assert matches(pattern, name)
    r = client.post("/api/v1/tenants", json={"slug": "printable", "name": name}, headers=auth(OPERATOR_KEY))
    assert r.status_code == 201
    assert r.json["tenant"]["name"] == name
    assert client.post("/api/v1/keys", json={"name": name}, headers=tenant.headers).status_code == 201


def test_confirm_has_the_slugs_pattern_and_must_name_the_tenant(client, spec, tenant):
    pattern = body_schema(spec, "/api/v1/tenant", "delete")["properties"]["confirm"]["pattern"]
    assert matches(pattern, tenant.slug) and not matches(pattern, "Rules!")
    for confirm in ("Rules!", "other-slug"):  # outside the pattern; inside it but another tenant's
        r = client.delete("/api/v1/tenant", json={"confirm": confirm}, headers=tenant.headers)
        assert r.status_code == 422 and "confirm" in r.get_data(as_text=True)
    assert client.get("/api/v1/tenant", headers=tenant.headers).status_code == 200  # nothing deleted
    assert "`confirm`" in spec["paths"]["/api/v1/tenant"]["delete"]["description"]
    assert client.delete("/api/v1/tenant", json={"confirm": tenant.slug}, headers=tenant.headers).status_code == 204


def test_an_empty_document_is_refused_by_spec_and_server(client, spec, tenant):
    for path in ("/api/v1/config/validate", "/api/v1/config/versions"):
        assert body_schema(spec, path, "post")["properties"]["yaml"]["minLength"] == 1
        assert body_schema(spec, path, "post", "application/yaml")["minLength"] == 1
        assert client.post(path, json={"yaml": ""}, headers=tenant.headers).status_code == 422
        assert client.post(path, data=b"", content_type="application/yaml", headers=tenant.headers).status_code == 422
    assert [v["version"] for v in client.get("/api/v1/config/versions", headers=tenant.headers).json] == [1]


def test_an_item_without_answers_and_an_empty_csv_are_refused_by_spec_and_server(client, spec, tenant):
    item = spec["components"]["schemas"]["ResponseItem"]
    assert item["properties"]["answers"]["minProperties"] == 1
    r = client.post("/api/v1/responses", json={"responses": [{"answers": {}}]}, headers=tenant.headers)
    assert r.status_code == 422 and "answers" in r.get_data(as_text=True)
    assert body_schema(spec, "/api/v1/responses/csv", "post", "text/csv")["minLength"] == 1
    assert client.post("/api/v1/responses/csv", data=b"", content_type="text/csv", headers=tenant.headers).status_code == 422
    assert client.get("/api/v1/responses", headers=tenant.headers).json == []


def test_page_stops_at_the_spec_maximum(client, spec, tenant):
    page = next(p for p in spec["paths"]["/api/v1/responses"]["get"]["parameters"] if p["name"] == "page")
    assert page["schema"]["maximum"] == MAX_PAGE
    assert client.get(f"/api/v1/responses?page={MAX_PAGE}", headers=tenant.headers).status_code == 200
    r = client.get(f"/api/v1/responses?page={MAX_PAGE + 1}", headers=tenant.headers)
    assert r.status_code == 422 and "page" in r.get_data(as_text=True)


def test_documented_422s_a_schema_cannot_state(client, spec, tenant):
    window = "from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z"  # from == to: an empty window
    assert client.get(f"/api/v1/scores?{window}", headers=tenant.headers).status_code == 422
    assert client.get("/api/v1/scores?from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:01Z", headers=tenant.headers).status_code == 200
    assert client.get("/api/v1/scores?period=month", headers=tenant.headers).status_code == 422
    assert "`from`" in spec["paths"]["/api/v1/scores"]["get"]["description"]
    r = client.post("/api/v1/keys", json={"name": "late", "expires_at": "2000-01-01T00:00:00Z"}, headers=tenant.headers)
    assert r.status_code == 422 and "expires_at" in r.get_data(as_text=True)
    assert "`expires_at`" in spec["paths"]["/api/v1/keys"]["post"]["description"]
