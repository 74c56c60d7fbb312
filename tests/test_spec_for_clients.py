"""/openapi.json as a client generator reads it: every operation named and summarised,
bodies and answers under their real media types, the ingest item typed, and the standard
headers documented where they are sent (tests/test_standard_headers.py checks that they
are sent; tests/test_generated_client.py generates a client from this spec and uses it).
"""

from __future__ import annotations

import re

import pytest

from core.app import create_app

OPERATION_ID = re.compile(r"^[a-z][a-z0-9_]*$")
RATE_LIMIT_HEADERS = {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}
# Resources that never change once created: they answer with an ETag and honour If-None-Match.
# immutable resources, answered with an ETag
IMMUTABLE = {("get", "/api/v1/config/versions/{version}"), ("get", "/api/v1/industries/{code}"), ("get", "/api/v1/industries/{code}/templates/{template}")}
PAGED = {("get", "/api/v1/responses"), ("get", "/api/v1/audit"), ("get", "/api/v1/cases"), ("get", "/api/v1/alerts"), ("get", "/api/v1/webhooks/{endpoint_id}/deliveries"), ("get", "/api/v1/customers"), ("get", "/api/v1/service-requests"), ("get", "/api/v1/purchases")}


@pytest.fixture(scope="module")
def spec():
    """The spec (it does not depend on the database: building it connects to none)."""
    app = create_app({"DATABASE_URL": "sqlite://"})
    yield app.test_client().get("/openapi.json").json
    app.extensions["csm"].engine.dispose()


def operations(spec):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method, path, op


def resolved(spec, obj):
    """``obj`` with a top-level ``$ref`` into the components followed."""
    while isinstance(obj, dict) and "$ref" in obj:
        section, name = obj["$ref"].split("/")[-2:]
        obj = spec["components"][section][name]
    return obj


def answers(spec, op):
    return {status: resolved(spec, answer) for status, answer in op["responses"].items()}


def test_every_operation_has_a_unique_snake_case_operation_id_and_a_one_line_summary(spec):
    ids = [op.get("operationId") for _, _, op in operations(spec)]
    assert len(ids) >= 28 and None not in ids
    assert len(set(ids)) == len(ids)
    assert [i for i in ids if not OPERATION_ID.fullmatch(i)] == []
    summaries = {(m, p): op.get("summary", "") for m, p, op in operations(spec)}
    assert [k for k, s in summaries.items() if not s.strip() or "\n" in s] == []


def test_yaml_and_csv_bodies_are_documented_under_their_media_types(spec):
    binary = {"type": "string", "format": "binary", "minLength": 1}  # an empty document or CSV is refused
    for path in ("/api/v1/config/validate", "/api/v1/config/versions"):
        content = spec["paths"][path]["post"]["requestBody"]["content"]
        assert content["application/yaml"]["schema"] == binary, path
        assert content["application/json"]["schema"]["required"] == ["yaml"], path
    content = spec["paths"]["/api/v1/responses/csv"]["post"]["requestBody"]["content"]
    assert content["text/csv"]["schema"] == binary
    assert content["multipart/form-data"]["schema"]["properties"]["file"] == binary
    assert list(spec["paths"]["/api/v1/responses"]["post"]["requestBody"]["content"]) == ["application/json"]


def test_the_export_and_the_template_are_binary_answers_of_their_media_types(spec):
    export = spec["paths"]["/api/v1/tenant/export"]["get"]["responses"]["200"]
    assert export["content"] == {"application/zip": {"schema": {"type": "string", "format": "binary"}}}
    assert "Content-Disposition" in export["headers"]
    template = spec["paths"]["/api/v1/industries/{code}/templates/{template}"]["get"]["responses"]["200"]
    assert list(template["content"]) == ["application/yaml"]


def test_the_ingest_item_is_typed(spec):
    """Each field of a pushed response says what it takes, so a generated client types it
    (and Swagger UI shows an example, not ``additionalProp1``)."""
    ingest = spec["components"]["schemas"]["Ingest"]
    assert ingest["properties"]["responses"]["items"] == {"$ref": "#/components/schemas/ResponseItem"}
    item = spec["components"]["schemas"]["ResponseItem"]
    assert item["required"] == ["answers"] and item["additionalProperties"] is False
    string_or_number = [{"type": "string"}, {"type": "number"}]
    for name in ("attributes", "answers"):
        mapping = item["properties"][name]
        assert mapping["type"] == "object" and mapping["additionalProperties"]["anyOf"] == string_or_number, name
        assert mapping["example"], name
    assert item["properties"]["answers"]["example"]["env_overall"] == "A"
    for name in ("response_id", "customer_id", "touchpoint"):
        assert item["properties"][name]["anyOf"] == string_or_number, name
    assert item["properties"]["collected_at"]["format"] == "date-time"


def test_every_201_documents_location(spec):
    created = [(m, p) for m, p, op in operations(spec) if "201" in op["responses"]]
    assert len(created) == 11
    assert [(m, p) for m, p, op in operations(spec) if "201" in op["responses"] and "Location" not in op["responses"]["201"].get("headers", {})] == []


def test_error_answers_document_their_headers(spec):
    for method, path, op in operations(spec):
        documented = answers(spec, op)
        assert "401" in documented, (method, path)
        assert "WWW-Authenticate" in documented["401"]["headers"], (method, path)
        assert "Retry-After" in documented["429"]["headers"], (method, path)
        if "409" in documented:
            assert "Retry-After" in documented["409"]["headers"], (method, path)
    assert spec["components"]["headers"]["RETRY_AFTER"]["schema"] == {"type": "integer", "minimum": 1}


def test_every_answer_documents_the_rate_limit_headers(spec):
    missing = [(m, p, status) for m, p, op in operations(spec) for status, answer in answers(spec, op).items() if not RATE_LIMIT_HEADERS <= set(answer.get("headers", {}))]
    assert missing == []


def test_pages_document_x_pagination_and_link(spec):
    paged = {(m, p) for m, p, op in operations(spec) if any(param.get("name") == "page_size" for param in op.get("parameters", []))}
    assert paged == PAGED
    for method, path in PAGED:
        ok = spec["paths"][path][method]["responses"]["200"]["headers"]
        assert {"X-Pagination", "Link"} <= set(ok), path
        assert "422" in spec["paths"][path][method]["responses"], path


def test_immutable_resources_document_etag_and_if_none_match(spec):
    with_etag = {(m, p) for m, p, op in operations(spec) if "304" in op["responses"]}
    assert with_etag == IMMUTABLE | {("get", "/api/v1/scores")}  # scores: the answer cache's ETag (tests/test_answer_cache.py)
    for method, path in IMMUTABLE | {("get", "/api/v1/scores")}:
        op = spec["paths"][path][method]
        assert "ETag" in op["responses"]["200"]["headers"], path
        assert {"$ref": "#/components/parameters/IF_NONE_MATCH"} in op["parameters"], path
        assert "ETag" in resolved(spec, op["responses"]["304"])["headers"], path
    scores = spec["paths"]["/api/v1/scores"]["get"]["responses"]
    for code in ("200", "304"):  # the cached answers' revalidation rule (core.api.answer_cache)
        assert scores[code]["headers"]["Cache-Control"] == {"$ref": "#/components/headers/CACHE_CONTROL"}, code
    assert "private, no-cache" in spec["components"]["headers"]["CACHE_CONTROL"]["description"]
