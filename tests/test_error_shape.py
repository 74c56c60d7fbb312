"""The one error shape: every error response of the spec is the shared ``Error`` schema,
every kind of refusal answers it with each problem located, batch rows are named the way
a person finds them (a CSV by the file's line, JSON by the item's index; the CLI names the
same lines), a configuration reports every problem, and a 401 says which scheme it wants.
On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from core.api.errors import LOCATIONS
from core.cli import main
from tests.helpers import OPERATOR_KEY, STORE_YAML, TEXT_YAML, THREE_PROBLEMS, THREE_PROBLEMS_YAML, auth

ERROR_KEYS = {"code", "status", "message", "errors", "total"}
ITEM_KEYS = {"location", "field", "line", "index", "reason"}


def located(r) -> list[tuple]:
    """(location, field, line, index) of each problem, after checking the shape."""
    body = r.json
    assert set(body) == ERROR_KEYS, body
    assert body["code"] == r.status_code and isinstance(body["status"], str) and body["message"], body
    assert body["total"] >= len(body["errors"]), body
    for item in body["errors"]:
        assert set(item) == ITEM_KEYS and item["location"] in LOCATIONS and item["reason"], item
    return [(e["location"], e["field"], e["line"], e["index"]) for e in body["errors"]]


def test_every_error_response_of_the_spec_is_the_shared_error_schema(client):
    spec = client.get("/openapi.json").json
    components = spec["components"]
    error = components["schemas"]["Error"]
    assert set(error["properties"]) == ERROR_KEYS and set(error["required"]) == ERROR_KEYS
    assert error["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/ErrorItem"}
    item = components["schemas"]["ErrorItem"]
    assert set(item["properties"]) == ITEM_KEYS and item["properties"]["location"]["enum"] == list(LOCATIONS)
    checked = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for status, answer in operation["responses"].items():
                if not status.startswith(("4", "5")):  # answers and 304 Not Modified carry no error
                    continue
                if "$ref" in answer:  # a shared response (flask-smorest's default, 422 of pagination)
                    answer = components["responses"][answer["$ref"].rsplit("/", 1)[1]]
                assert answer["content"] == {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}, (method, path, status)
                checked += 1
    assert checked > 100


def test_every_kind_of_refusal_answers_the_one_shape_naming_where(client, make_tenant):
    t = make_tenant("acme")
    t.upload()
    cases = [
        # no key at all: no problem in the request to locate, the scheme in WWW-Authenticate
        (client.get("/api/v1/tenant"), 401, []),
        (t.client.get("/api/v1/tenant", headers=auth("csm_abcdefgh_nope")), 401, []),
        (t.get("/api/v1/config/versions/7"), 404, []),
        (t.client.get("/api/v1/tenants", headers=t.headers), 403, []),
        (t.post("/api/v1/keys", data=b'{"name": ', content_type="application/json"), 400, [("body", None, None, None)]),
        (t.post("/api/v1/keys", json={"name": "k", "role": "boss", "colour": 1}), 422, [("body", "colour", None, None), ("body", "role", None, None)]),
        (t.get("/api/v1/scores?bye=segment"), 422, [("query", "bye", None, None)]),
        (t.get("/api/v1/responses?page_size=0"), 422, [("query", "page_size", None, None)]),
        (t.post("/api/v1/responses", json={"responses": [{"answers": {"env_overall": "A"}}]}, headers={"Idempotency-Key": "é"}), 422, [("header", "Idempotency-Key", None, None)]),
        (t.post("/api/v1/responses", json={"responses": [{"answers": {"env_overall": "A"}}, {"answers": {"env_overall": "Z"}}]}), 422, [("item", "answers.env_overall", None, 1)]),
        (t.post("/api/v1/responses/csv", data=b"env_overall\nA\nZ\n", content_type="text/csv"), 422, [("csv", "answers.env_overall", 3, None)]),
        (t.post("/api/v1/config/validate", data=STORE_YAML.replace("weight: 0.6\n", "weight: 0.5\n").encode(), content_type="application/yaml"), 422, [("yaml", "indicator_set.children", 21, None)]),
        (t.delete("/api/v1/tenant", json={"confirm": "nope"}), 422, [("body", "confirm", None, None)]),
        (client.post("/api/v1/tenants", json={"slug": "acme", "name": "Again"}, headers=auth(OPERATOR_KEY)), 409, [("body", "slug", None, None)]),
        (t.put("/api/v1/tenant/plugins/nope"), 404, []),
    ]
    for r, status, where in cases:
        assert r.status_code == status, (r.request.path, r.json)
        assert sorted(located(r), key=str) == sorted(where, key=str), (r.request.path, r.json)
    # a validation message names the problems instead of webargs' generic sentence
    bad_key = cases[5][0].json
    assert bad_key["message"] == "2 problem(s) in the request: body field 'colour': Unknown field.; body field 'role': Must be one of: viewer, integrator, admin."


def test_a_401_names_the_bearer_scheme(client, make_tenant):
    missing = client.get("/api/v1/tenant")
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="csm"'
    refused = client.get("/api/v1/tenant", headers=auth("csm_abcdefgh_nope"))
    assert refused.headers["WWW-Authenticate"] == 'Bearer realm="csm", error="invalid_token"'
    operator = client.post("/api/v1/tenants", json={"slug": "x", "name": "X"})
    assert operator.status_code == 401 and operator.headers["WWW-Authenticate"] == 'Bearer realm="csm"'
    assert "WWW-Authenticate" not in make_tenant("acme").get("/api/v1/config/versions/7").headers


# A CSV as a person writes it: the header on line 1, a comment spanning lines 2-3 (a quoted
# value with a line break), a blank line 4. The bad answers are on lines 5 and 7, which are
# data rows 1 and 3 (0-based), as the same items are in JSON.
CSV = (
    "response_id,env_overall,what_to_improve\n"
    'a1,A,"fine,\nreally"\n'
    "\n"
    "a2,Z,ok\n"
    "a3,B,\n"
    "a4,Q,x\n"
)
UNKNOWN = "unknown option '{}' for scale sat4 (expected one of A, B, C, D or their labels)"


def test_csv_errors_name_the_files_line_and_json_errors_the_items_index(make_tenant, app_db_url, tmp_path):
    t = make_tenant("acme")
    t.upload(TEXT_YAML)
    r = t.post("/api/v1/responses/csv", data=CSV.encode(), content_type="text/csv")
    assert r.status_code == 422
    assert r.json["errors"] == [
        {"location": "csv", "field": "answers.env_overall", "line": 5, "index": None, "reason": UNKNOWN.format("Z")},
        {"location": "csv", "field": "answers.env_overall", "line": 7, "index": None, "reason": UNKNOWN.format("Q")},
    ]
    items = [{"response_id": f"a{i}", "answers": {"env_overall": code}} for i, code in enumerate("AZBQ", start=1)]
    r = t.post("/api/v1/responses", json={"responses": items})
    assert r.status_code == 422
    assert r.json["errors"] == [
        {"location": "item", "field": "answers.env_overall", "line": None, "index": 1, "reason": UNKNOWN.format("Z")},
        {"location": "item", "field": "answers.env_overall", "line": None, "index": 3, "reason": UNKNOWN.format("Q")},
    ]
    # csm import-responses names the same lines
    path = tmp_path / "answers.csv"
    path.write_text(CSV, encoding="utf-8")
    result = CliRunner().invoke(main, ["--database-url", app_db_url, "import-responses", "--tenant", "acme", str(path)], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[1:] == [f"  line 5: answers.env_overall: {UNKNOWN.format('Z')}", f"  line 7: answers.env_overall: {UNKNOWN.format('Q')}"]
    assert t.get("/api/v1/responses").json == []


def test_a_duplicate_response_id_in_a_csv_names_both_lines_of_the_file(make_tenant):
    t = make_tenant("acme")
    t.upload()
    r = t.post("/api/v1/responses/csv", data=b"response_id,env_overall\nr1,A\n\nr1,B\n", content_type="text/csv")
    assert r.status_code == 422
    assert located(r) == [("csv", "response_id", 4, None)]


def test_the_api_reports_every_problem_of_a_configuration(make_tenant):
    t = make_tenant("acme")
    expected = [{"location": "yaml", "field": path, "line": line, "index": None, "reason": message} for path, line, message in THREE_PROBLEMS]
    for url in ("/api/v1/config/validate", "/api/v1/config/versions"):
        r = t.post(url, data=THREE_PROBLEMS_YAML.encode(), content_type="application/yaml")
        assert r.status_code == 422
        assert (r.json["message"], r.json["errors"], r.json["total"]) == ("the configuration has 3 problem(s)", expected, 3)
    assert t.get("/api/v1/config/versions").json == []


@pytest.mark.parametrize("count, listed", [(150, 100)])
def test_a_configuration_with_more_problems_than_listed_counts_them_all(make_tenant, count, listed):
    t = make_tenant("acme")
    nodes = "".join(f"    - {{code: q{i}, weight: 1, scale: nope}}\n" for i in range(count))
    text = f"version: 1\nscales:\n  s: {{kind: nps}}\nindicator_set:\n  code: x\n  children:\n{nodes}"
    r = t.post("/api/v1/config/validate", data=text.encode(), content_type="application/yaml")
    assert r.status_code == 422
    # each node: an unknown scale; the list: weights summing to 150
    assert (r.json["total"], len(r.json["errors"])) == (count + 1, listed)
    assert r.json["message"] == f"the configuration has {count + 1} problem(s) (the first {listed} listed)"
