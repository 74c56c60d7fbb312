"""The REST API end to end, on SQLite and on PostgreSQL (the `db_url` fixture's two variants)."""

import math

import pytest

from tests.helpers import OPERATOR_KEY, STORE_YAML, TWO, auth


def count(tenant):
    return tenant.get("/api/v1/scores").json["n"]


# --- docs and auth ----------------------------------------------------------------------


def test_openapi_spec_and_offline_docs(client):
    spec = client.get("/openapi.json").json
    assert spec["info"]["title"] == "CSM customer-satisfaction API"
    for path in ("/api/v1/tenants", "/api/v1/config/versions", "/api/v1/responses", "/api/v1/responses/csv", "/api/v1/scores"):
        assert path in spec["paths"]
    assert "ResponseItem" in spec["components"]["schemas"]
    page = client.get("/docs").get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in page and "//cdn" not in page
    asset = client.get("/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000


def test_keys_are_required_and_checked(client, make_tenant):
    assert client.get("/api/v1/tenant").status_code == 401
    assert client.get("/api/v1/tenant", headers=auth("csm_abcdefgh_nope")).status_code == 401
    assert client.get("/api/v1/tenant", headers={"Authorization": "Basic xyz"}).status_code == 401
    t = make_tenant("acme")
    assert t.get("/api/v1/tenant").json["slug"] == "acme"


def test_operator_creates_tenants_and_nobody_else_does(client, make_tenant):
    t = make_tenant("acme")
    assert client.post("/api/v1/tenants", json={"slug": "x1", "name": "X"}, headers=auth("wrong")).status_code == 403
    assert client.post("/api/v1/tenants", json={"slug": "x1", "name": "X"}, headers=t.headers).status_code == 403
    dup = client.post("/api/v1/tenants", json={"slug": "acme", "name": "Again"}, headers=auth(OPERATOR_KEY))
    assert dup.status_code == 409 and dup.json["errors"] == [{"location": "body", "field": "slug", "line": None, "index": None, "reason": "already taken"}]
    bad = client.post("/api/v1/tenants", json={"slug": "Bad Slug", "name": "X", "tenant_id": 5}, headers=auth(OPERATOR_KEY))
    assert bad.status_code == 422
    assert {(e["location"], e["field"]) for e in bad.json["errors"]} == {("body", "slug"), ("body", "tenant_id")}
    listed = client.get("/api/v1/tenants", headers=auth(OPERATOR_KEY)).json
    assert [x["slug"] for x in listed] == ["acme"]


def test_keys_can_be_created_listed_and_revoked(make_tenant):
    t = make_tenant("acme")
    created = t.post("/api/v1/keys", json={"name": "integration"})
    assert created.status_code == 201
    second = {"Authorization": f"Bearer {created.json['api_key']}"}
    assert t.client.get("/api/v1/tenant", headers=second).status_code == 200
    names = [k["name"] for k in t.get("/api/v1/keys").json]
    assert names == ["first admin key", "integration"]
    assert all("hash" not in k and "api_key" not in k for k in t.get("/api/v1/keys").json)
    assert t.delete(f"/api/v1/keys/{created.json['key']['id']}").status_code == 204
    assert t.client.get("/api/v1/tenant", headers=second).status_code == 401
    assert t.delete("/api/v1/keys/999999").status_code == 404


# --- industries ---------------------------------------------------------------------------


def test_industries_and_retail_catalogue(make_tenant):
    t = make_tenant("acme")
    assert [i["code"] for i in t.get("/api/v1/industries").json] == ["retail"]
    retail = t.get("/api/v1/industries/retail").json
    assert retail["name_zh"] == "零售（超市）"
    assert retail["templates"][0]["code"] == "supermarket-csi"
    touchpoints = {tp["code"] for s in retail["stages"] for tp in s["touchpoints"]}
    assert {"checkout_counter", "store_floor"} <= touchpoints
    yaml_text = t.get("/api/v1/industries/retail/templates/supermarket-csi")
    assert yaml_text.status_code == 200 and "您对我超市的整体购物环境是否满意" in yaml_text.get_data(as_text=True)
    assert t.get("/api/v1/industries/bakery").status_code == 404
    assert t.get("/api/v1/industries/retail/templates/nope").status_code == 404


def test_plugin_installed_outside_the_repo_appears_in_the_api(app_db_url, tmp_path, monkeypatch):
    import sys

    from core.app import create_app
    from tests import external_plugin
    from tests.helpers import TenantHandle

    monkeypatch.syspath_prepend(str(external_plugin.install(tmp_path / "site")))
    app = create_app({"DATABASE_URL": app_db_url, "OPERATOR_KEY": OPERATOR_KEY})
    try:
        t = TenantHandle(app.test_client(), "bakers")
        assert [i["code"] for i in t.get("/api/v1/industries").json] == ["bakery", "retail"]
        assert t.get("/api/v1/industries/bakery").json["kpis"][0]["code"] == "stale_rate"
        t.upload("version: 1\nindustry: bakery\nindicator_set: {template: bakery-csi}\n")
        r = t.post("/api/v1/responses", json={"responses": [{"answers": {"fresh": "Y", "friendly": "N"}}]})
        assert r.status_code == 201
        assert t.get("/api/v1/scores").json["csi"] == 50.0
    finally:
        app.extensions["csm"].engine.dispose()
        sys.modules.pop(external_plugin.PACKAGE, None)


# --- configuration --------------------------------------------------------------------------


def test_validate_reports_every_problem_with_path_and_line(make_tenant):
    t = make_tenant("acme")
    ok = t.post("/api/v1/config/validate", data=STORE_YAML.encode(), content_type="application/yaml")
    assert ok.status_code == 200 and ok.json["summary"]["scored_questions"] == 5
    bad = STORE_YAML.replace("weight: 0.6\n", "weight: 0.5\n")
    r = t.post("/api/v1/config/validate", json={"yaml": bad, "filename": "store.yaml"})
    assert r.status_code == 422
    assert r.json["errors"] == [
        {"location": "yaml", "field": "indicator_set.children", "line": 21, "index": None, "reason": "sibling weights sum to 0.9, not 1"}
    ]
    assert r.json["total"] == 1
    assert t.get("/api/v1/config/versions").json == []  # validating stores nothing
    assert t.post("/api/v1/config/validate", json={"nope": 1}).status_code == 422
    assert t.post("/api/v1/config/validate", data=b"\xff\xfe", content_type="application/yaml").status_code == 422


def test_uploads_create_numbered_immutable_versions(make_tenant):
    t = make_tenant("acme")
    v1 = t.upload()
    v2 = t.upload(STORE_YAML.replace("name: Store satisfaction", "name: Store satisfaction v2"))
    assert (v1["version"], v2["version"]) == (1, 2)
    assert [v["version"] for v in t.get("/api/v1/config/versions").json] == [1, 2]
    one = t.get("/api/v1/config/versions/1").json
    assert one["yaml"] == STORE_YAML
    assert one["document"]["indicator_set"]["name"] == "Store satisfaction"
    assert t.get("/api/v1/config/versions/3").status_code == 404
    rejected = t.post("/api/v1/config/versions", data=b"version: 1\n", content_type="application/yaml")
    assert rejected.status_code == 422 and rejected.json["errors"][0]["field"] == "indicator_set"
    assert len(t.get("/api/v1/config/versions").json) == 2


# --- responses and scores -------------------------------------------------------------------


def test_known_answer_scores(make_tenant):
    """Hand computation for TWO under store.yaml (all scores normalised to 0..100):

    r1: env_overall A → 100; env_noise 2 on 0..10 reversed → 100 − 20 = 80; speed B → 66.667;
        attitude 满意 (= A) → 100; nps 10 → 100
    r2: env_overall C → 33.333; env_noise 8 reversed → 20; speed D → 0; attitude b (= B) → 66.667; nps 5 → 50
    question means: env_overall 66.667, env_noise 50, speed 33.333, attitude 83.333, nps 75
    environment = 0.7 × 66.667 + 0.3 × 50 = 61.667; checkout = 0.5 × 33.333 + 0.5 × 83.333 = 58.333
    CSI = 0.4 × 61.667 + 0.6 × 58.333 + 0 × 75 = 59.667
    respondent indices: r1 0.4 × (0.7·100 + 0.3·80) + 0.6 × (66.667 + 100)/2 = 37.6 + 50 = 87.6
                        r2 0.4 × (0.7·33.333 + 0.3·20) + 0.6 × (0 + 66.667)/2 = 11.733 + 20 = 31.733
    MOE = 1.96 × sd / √2 with sd = |87.6 − 31.733| / √2
    NPS = 50 % promoters − 50 % detractors = 0
    """
    t = make_tenant("acme")
    t.upload()
    r = t.post("/api/v1/responses", json={"responses": TWO})
    assert r.status_code == 201 and r.json == {"accepted": 2, "version": 1}
    s = t.get("/api/v1/scores").json
    assert s["version"] == 1 and s["n"] == 2
    assert s["csi"] == pytest.approx(59.6667, abs=1e-4)
    sd = (87.6 - 31.7333333) / math.sqrt(2)
    assert s["margin_of_error"] == pytest.approx(1.96 * sd / math.sqrt(2), abs=1e-3)
    assert s["nodes"]["environment"]["score"] == pytest.approx(61.6667, abs=1e-4)
    assert s["nodes"]["checkout"]["score"] == pytest.approx(58.3333, abs=1e-4)
    assert s["nodes"]["env_overall"]["satisfaction_rate"] == 0.5
    assert s["nodes"]["nps_recommend"]["nps"] == 0.0
    assert s["nodes"]["env_overall"]["distribution"] == {"A": 1, "B": 0, "C": 1, "D": 0}
    assert s["touchpoints"]["checkout"]["score"] == pytest.approx(58.3333, abs=1e-4)


def test_breakdowns_by_attribute_and_period_and_filters(make_tenant):
    t = make_tenant("acme")
    t.upload()
    t.post("/api/v1/responses", json={"responses": TWO})
    by_segment = t.get("/api/v1/scores?by=segment").json
    assert by_segment["group_by"] == ["segment"]
    assert by_segment["groups"]["vip"]["csi"] == pytest.approx(87.6, abs=1e-4)
    assert by_segment["groups"]["new"]["n"] == 1
    by_quarter = t.get("/api/v1/scores?by=period&period=quarter").json
    # r2 was collected 2026-04-02T10:00+08:00 = 02:00 UTC, in Q2
    assert set(by_quarter["groups"]) == {"2026Q1", "2026Q2"}
    by_month = t.get("/api/v1/scores?by=period").json
    assert set(by_month["groups"]) == {"2026-01", "2026-04"}
    only_q1 = t.get("/api/v1/scores?from=2026-01-01T00:00:00Z&to=2026-04-01T00:00:00Z").json
    assert only_q1["n"] == 1 and only_q1["csi"] == pytest.approx(87.6, abs=1e-4)
    assert t.get("/api/v1/scores?by=colour").status_code == 422
    assert t.get("/api/v1/scores?period=week").status_code == 422
    assert t.get("/api/v1/scores?from=yesterday").status_code == 422
    assert t.get("/api/v1/scores?version=9").status_code == 404


def test_bad_batch_stores_nothing_and_names_rows_and_fields(make_tenant):
    t = make_tenant("acme")
    t.upload()
    t.post("/api/v1/responses", json={"responses": TWO})
    bad = [
        {"answers": {"env_overall": "A"}},
        {"answers": {"env_overall": "Z", "env_noise": 11}},
        {"answers": {"nope": "A"}, "collected_at": "last tuesday"},
        {"response_id": "r1", "answers": {"env_overall": "A"}},
    ]
    r = t.post("/api/v1/responses", json={"responses": bad})
    assert r.status_code == 422
    assert {e["location"] for e in r.json["errors"]} == {"item"} and r.json["total"] == 5
    found = {(e["index"], e["field"]) for e in r.json["errors"]}
    assert found == {(1, "answers.env_overall"), (1, "answers.env_noise"), (2, "answers.nope"), (2, "collected_at"), (3, "response_id")}
    assert count(t) == 2


def test_no_configuration_yet_and_batch_limits(app, make_tenant):
    t = make_tenant("acme")
    assert t.post("/api/v1/responses", json={"responses": TWO}).status_code == 409
    t.upload()
    app.config["MAX_BATCH"] = app.extensions["csm"].settings["MAX_BATCH"] = 3
    r = t.post("/api/v1/responses", json={"responses": [{"answers": {"env_overall": "A"}}] * 4})
    assert r.status_code == 422 and r.json["errors"] == [{"location": "item", "field": "responses", "line": None, "index": None, "reason": "the batch holds more than 3 responses; at most 3 per batch"}]
    assert t.post("/api/v1/responses", json={"responses": []}).status_code == 422
    assert t.post("/api/v1/responses", json={"responses": [1, 2]}).status_code == 422
    assert t.post("/api/v1/responses", json={"responses": TWO, "version": 7}).status_code == 404
    assert count(t) == 0


def test_csv_upload_and_its_errors(make_tenant):
    t = make_tenant("acme")
    t.upload()
    csv = "response_id,collected_at,segment,env_overall,env_noise,checkout_speed,cashier_attitude,nps_recommend\n" \
          "c1,2026-02-01T09:00:00Z,vip,A,2,B,A,10\nc2,2026-02-02T09:00:00Z,new,C,8,D,B,5\n"
    r = t.post("/api/v1/responses/csv", data=csv.encode(), content_type="text/csv")
    assert r.status_code == 201 and r.json["accepted"] == 2
    assert t.get("/api/v1/scores").json["csi"] == pytest.approx(59.6667, abs=1e-4)
    bad = csv.replace("c1,", "c3,").replace("c2,", "c4,").replace(",D,B,5", ",D,B,55")
    r = t.post("/api/v1/responses/csv", data=bad.encode(), content_type="text/csv")
    assert r.status_code == 422
    # the second data row is the file's line 3 (the header is line 1)
    assert r.json["errors"] == [{"location": "csv", "field": "answers.nps_recommend", "line": 3, "index": None, "reason": "value 55 is outside the scale 0..10"}]
    assert count(t) == 2
    r = t.post("/api/v1/responses/csv", data={"file": (__import__("io").BytesIO(csv.replace("c1", "c5").replace("c2", "c6").encode()), "r.csv")}, content_type="multipart/form-data")
    assert r.status_code == 201
    assert t.post("/api/v1/responses/csv", data=b"", content_type="text/csv").status_code == 422
    assert t.post("/api/v1/responses/csv", data=b'a,"b\n1', content_type="text/csv").status_code == 422


def test_responses_are_scored_against_the_version_they_were_collected_under(make_tenant):
    t = make_tenant("acme")
    t.upload()
    t.post("/api/v1/responses", json={"responses": TWO})
    # version 2 puts all weight on the environment
    t.upload(STORE_YAML.replace("weight: 0.4\n", "weight: 1.0\n").replace("      weight: 0.6\n", "      weight: 0\n"))
    assert t.get("/api/v1/scores").json["n"] == 0  # nothing collected under v2 yet
    v1 = t.get("/api/v1/scores?version=1").json
    assert v1["version"] == 1 and v1["csi"] == pytest.approx(59.6667, abs=1e-4)


def test_tenants_never_see_each_other(make_tenant):
    a, b = make_tenant("tenant-a"), make_tenant("tenant-b")
    a.upload()
    a.post("/api/v1/responses", json={"responses": TWO})
    assert b.get("/api/v1/config/versions").json == []
    assert b.get("/api/v1/config/versions/1").status_code == 404
    assert b.get("/api/v1/scores").status_code == 404
    b.upload()
    assert b.get("/api/v1/scores").json["n"] == 0
    # the same response_id is free in another tenant
    assert b.post("/api/v1/responses", json={"responses": TWO[:1]}).status_code == 201
    a_key_id = a.get("/api/v1/keys").json[0]["id"]
    assert b.delete(f"/api/v1/keys/{a_key_id}").status_code == 404
    assert a.get("/api/v1/tenant").status_code == 200
    assert a.get("/api/v1/scores").json["n"] == 2


def test_oversized_body_is_413(app, make_tenant):
    t = make_tenant("acme")
    app.config["MAX_CONTENT_LENGTH"] = 1000
    r = t.post("/api/v1/config/validate", data=b"#" * 2000, content_type="application/yaml")
    assert r.status_code == 413


def test_out_of_range_ids_and_versions_are_4xx_not_500(make_tenant):
    t = make_tenant("acme")
    t.upload()
    huge = 10**22
    assert t.get(f"/api/v1/config/versions/{huge}").status_code == 404
    assert t.delete(f"/api/v1/keys/{huge}").status_code == 404
    assert t.get(f"/api/v1/scores?version={huge}").status_code == 422
    assert t.post("/api/v1/responses", json={"responses": TWO, "version": huge}).status_code == 422
    assert t.post(f"/api/v1/responses/csv?version={huge}", data=b"env_overall\nA\n", content_type="text/csv").status_code == 422
    assert t.post("/api/v1/responses", data="{not json", content_type="application/json").status_code == 400
    assert count(t) == 0
