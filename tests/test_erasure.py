"""Erasure: a tenant admin exports everything the tenant owns, then deletes the tenant.

Every test runs on SQLite and on PostgreSQL. Row counts are read straight from the tables
(the ``engine`` fixture, on the same database as the app), not through the API.
"""

import hashlib
import io
import json
import logging
import re
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import func, insert, select, text

from core.cli import main as csm
from core.db.repositories.tenants import owned_tables
from core.db.tables import ApiKeyRow, IdempotencyKeyRow, TenantRow
from core.operations import base, erasure
from tests.helpers import CUSTOMER_SECTIONS, OPERATOR_KEY, STORE_YAML, TWO, auth, fill_cases_and_webhooks, fill_customers

# Version 2: environment re-weighted 0.5/0.5, plus an open (text) question, never scored.
V2_YAML = (
    STORE_YAML.replace("{code: env_overall, weight: 0.7,", "{code: env_overall, weight: 0.5,")
    .replace("{code: env_noise, weight: 0.3,", "{code: env_noise, weight: 0.5,")
    .replace("  nps: {kind: nps}", "  nps: {kind: nps}\n  comment: {kind: text}")
    .replace(
        "        - {code: cashier_attitude, weight: 0.5, scale: sat4,",
        "        - {code: what_to_improve, scale: comment}\n        - {code: cashier_attitude, weight: 0.5, scale: sat4,",
    )
    + CUSTOMER_SECTIONS  # customers graded under version 2
)
# Collected under version 2: CSV-hostile text (comma, quotes, newline, CJK), a decimal
# answer, a number-like attribute, customer ids and touchpoints, an attribute only one row has.
UNDER_V2 = [
    {"response_id": "v2-a", "customer_id": "c-1", "touchpoint": "checkout", "collected_at": "2026-05-03T08:30:15.123456Z",
     "attributes": {"segment": "vip", "store": "007"},
     "answers": {"env_overall": "B", "env_noise": 2.5, "checkout_speed": "A", "cashier_attitude": "C", "nps_recommend": 9,
                 "what_to_improve": 'faster tills, "please"\nand 更多收银台'}},
    {"response_id": "v2-b", "collected_at": "2026-05-04T09:00:00+08:00", "attributes": {"segment": "new"},
     "answers": {"env_overall": "D", "checkout_speed": "B", "nps_recommend": 3}},
]
BETA = [
    {"response_id": "beta-only-1", "attributes": {"segment": "beta-secret-segment"}, "collected_at": "2026-02-01T00:00:00Z",
     "answers": {"env_overall": "A", "env_noise": 0, "checkout_speed": "A", "cashier_attitude": "A", "nps_recommend": 10}},
]
EXPECTED_FILES = {
    "manifest.json",
    "tenant.json",
    "api_keys.json",
    "tenant_plugins.json",
    "config_versions/index.json",
    "config_versions/v1.yaml",
    "config_versions/v1.resolved.json",
    "config_versions/v2.yaml",
    "config_versions/v2.resolved.json",
    "responses/v1.csv",
    "responses/v2.csv",
    "audit_events.jsonl",
    *(CASE_FILES := ("cases.jsonl", "alerts.jsonl", "webhook_endpoints.json", "webhook_deliveries.jsonl", "customers.jsonl", "service_requests.jsonl", "purchases.jsonl")),
}
TENANT_TABLES = {
    "api_keys", "config_versions", "responses", "audit_events", "idempotency_keys", "tenant_plugins", "answer_blocks",
    "cases", "case_events", "alerts", "webhook_endpoints", "webhook_deliveries", "webhook_attempts",
    "customers", "customer_grades", "service_requests", "purchases",
}
EXPORTED_COUNTS = (
    "api_keys", "tenant_plugins", "config_versions", "responses", "cases", "case_events", "alerts", "webhook_endpoints", "webhook_deliveries", "webhook_attempts",
    "customers", "customer_grades", "service_requests", "purchases", "audit_events",
)


def populate(make_tenant, engine, app):
    """acme: 2 versions (uploaded by different admin keys), responses under both, a viewer
    key and a revoked integrator key, an idempotency key, an enabled plugin, a case with
    its event, alert, webhook endpoint, delivery and attempt (helpers.fill_cases_and_webhooks), a graded customer and its service request (helpers.fill_customers);
    beta: its own of each. Returns the two TenantHandles."""
    acme, beta = make_tenant("acme"), make_tenant("beta")
    acme.upload()
    assert acme.post("/api/v1/responses", json={"responses": TWO}).status_code == 201
    second_admin = acme.post("/api/v1/keys", json={"name": "second admin", "role": "admin"}).json
    r = acme.client.post("/api/v1/config/versions", data=V2_YAML.encode(), content_type="application/yaml", headers=auth(second_admin["api_key"]))
    assert r.status_code == 201 and r.json["version"] == 2, r.json
    assert acme.post("/api/v1/responses", json={"version": 2, "responses": UNDER_V2}).status_code == 201
    assert acme.post("/api/v1/keys", json={"name": "dashboard", "role": "viewer"}).status_code == 201
    integrator = acme.post("/api/v1/keys", json={"name": "old feed", "role": "integrator"}).json["key"]["id"]
    assert acme.delete(f"/api/v1/keys/{integrator}").status_code == 204
    beta.upload(STORE_YAML + CUSTOMER_SECTIONS)
    assert beta.post("/api/v1/responses", json={"responses": BETA}).status_code == 201
    for t in (acme, beta):
        assert t.put("/api/v1/tenant/plugins/retail").status_code == 200
        fill_cases_and_webhooks(app, t, t.slug)
        fill_customers(t, t.slug)
    later = datetime.now(timezone.utc) + timedelta(hours=24)
    with engine.begin() as connection:
        for t in (acme, beta):
            connection.execute(insert(IdempotencyKeyRow).values(tenant_id=t.id, key=f"{t.slug}-retry-1", request_hash="0" * 64, status_code=201, response_body="{}", expires_at=later))
    return acme, beta


def counts(engine, tenant_id):
    """Rows per tenant-scoped table, counted directly in each table."""
    with engine.connect() as connection:
        return {t.name: connection.scalar(select(func.count()).select_from(t).where(t.c.tenant_id == tenant_id)) for t in owned_tables()}


def tenant_rows(engine):
    with engine.connect() as connection:
        return sorted(connection.scalars(select(TenantRow.slug)))


def open_archive(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.data))


# --- export -----------------------------------------------------------------------------


def test_export_holds_exactly_the_tenants_data(make_tenant, engine, app):
    acme, beta = populate(make_tenant, engine, app)
    response = acme.get("/api/v1/tenant/export")
    archive = open_archive(response)
    assert re.fullmatch(r'attachment; filename="csm-export-acme-\d{8}T\d{6}Z\.zip"', response.headers["Content-Disposition"])
    assert set(archive.namelist()) == EXPECTED_FILES
    files = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(files["manifest.json"])

    # The manifest's counts are the rows of each table (read after the export, whose own
    # audit event is part of the archive), and its checksums are those of the files.
    in_db = counts(engine, acme.id)
    assert manifest["counts"] == {k: in_db[k] for k in EXPORTED_COUNTS}
    assert manifest["counts"] == {
        "api_keys": 4, "tenant_plugins": 1, "config_versions": 2, "responses": 4, "cases": 1, "case_events": 1, "alerts": 1,
        "webhook_endpoints": 1, "webhook_deliveries": 1, "webhook_attempts": 1, "customers": 1, "customer_grades": 1, "service_requests": 1,
        "purchases": 1, "audit_events": in_db["audit_events"],
    }
    [customer] = [json.loads(line) for line in files["customers.jsonl"].decode().splitlines()]
    assert customer["customer_id"] == "customer-of-acme" and customer["attributes"] == {"capability": 40.0, "compliance": 50.0, "contribution": 30.0}
    assert [(g["period"], g["grade"], g["score"], g["config_version"]) for g in customer["grades"]] == [("2026-03", "G3", 38.0, 2)]
    [request] = [json.loads(line) for line in files["service_requests.jsonl"].decode().splitlines()]
    assert (request["customer_id"], request["service"], request["outcome"], request["grade"]) == ("customer-of-acme", "phone_order", "entitled", "G3")
    [purchase] = [json.loads(line) for line in files["purchases.jsonl"].decode().splitlines()]
    assert (purchase["purchase_id"], purchase["customer_id"], purchase["purchased_at"], purchase["amount"], purchase["category_spend"]) == ("purchase-of-acme", "customer-of-acme", "2026-03-10T09:00:00Z", 120.0, 400.0)
    [case] = [json.loads(line) for line in files["cases.jsonl"].decode().splitlines()]
    assert case["case_id"] == "case-of-acme" and case["attributes"] == {"note": "acme"}
    assert [(e["type"], e["at"], e["attributes"]) for e in case["events"]] == [("opened", "2026-01-01T10:00:00Z", {"note": "acme"})]
    [alert] = [json.loads(line) for line in files["alerts.jsonl"].decode().splitlines()]
    assert (alert["kind"], alert["case_id"], alert["occurred_at"]) == ("breached", "case-of-acme", "2026-01-01T10:10:00Z")
    [endpoint] = json.loads(files["webhook_endpoints.json"])
    assert endpoint["description"] == "acme hook" and "secret" not in endpoint
    [delivery] = [json.loads(line) for line in files["webhook_deliveries.jsonl"].decode().splitlines()]
    assert delivery["status"] == "delivered" and [a["attempt"] for a in delivery["log"]] == [1]
    assert manifest["responses_by_version"] == {"1": 2, "2": 2}
    assert set(manifest["files"]) == EXPECTED_FILES - {"manifest.json"}
    for name, entry in manifest["files"].items():
        assert entry["sha256"] == hashlib.sha256(files[name]).hexdigest(), name
        assert entry["bytes"] == len(files[name])
    assert "idempotency_keys" in manifest["not_exported"]

    assert json.loads(files["tenant.json"])["slug"] == "acme" and manifest["tenant"] == {"id": acme.id, "slug": "acme"}
    keys = json.loads(files["api_keys.json"])
    assert sorted(k["role"] for k in keys) == ["admin", "admin", "integrator", "viewer"]
    assert set(keys[0]) == {"id", "name", "prefix", "role", "created_at", "expires_at", "revoked_at"}
    assert [k["name"] for k in keys if k["revoked_at"]] == ["old feed"]
    [plugin] = json.loads(files["tenant_plugins.json"])
    assert plugin["plugin"] == "retail" and plugin["enabled_by_key_id"] == keys[0]["id"] and set(plugin) == {"plugin", "enabled_at", "enabled_by_key_id"}
    assert files["config_versions/v1.yaml"].decode() == STORE_YAML
    assert files["config_versions/v2.yaml"].decode() == V2_YAML
    resolved = acme.get("/api/v1/config/versions/2").json
    assert json.loads(files["config_versions/v2.resolved.json"]) == resolved["document"]
    events = [json.loads(line) for line in files["audit_events.jsonl"].decode().splitlines()]
    assert [e["action"] for e in events][:2] == ["tenant.create", "key.create"] and events[-1]["action"] == "tenant.export"
    assert len(events) == in_db["audit_events"]

    v1 = files["responses/v1.csv"].decode()
    assert v1.splitlines()[0] == "response_id,customer_id,touchpoint,collected_at,segment,env_overall,env_noise,checkout_speed,cashier_attitude,nps_recommend"
    # r2 was sent as 2026-04-02T10:00:00+08:00: stored and exported in UTC; labels are
    # exported as the option codes they were canonicalised to (满意 → A, Fairly dissatisfied → C).
    assert v1.splitlines()[1:] == ["r1,,,2026-01-15T10:00:00.000000Z,vip,A,2,B,A,10", "r2,,,2026-04-02T02:00:00.000000Z,new,C,8,D,B,5"]

    # Nothing of beta, and no key hash (of either tenant) in the archive, compressed or not.
    with engine.connect() as connection:
        hashes = list(connection.scalars(select(ApiKeyRow.key_hash)))
    assert len(hashes) == 5  # acme: 4 keys, beta: 1
    everything = [response.data, *files.values()]
    for secret in [*hashes, acme.key, beta.key, "beta-only-1", "beta-secret-segment", "beta-retry-1", "case-of-beta", "beta hook", "whsec_", "customer-of-beta"]:
        assert not any(secret.encode() in blob for blob in everything), secret


def test_exported_responses_reimport_and_score_identically(make_tenant, engine, app, monkeypatch):
    """Round trip: the archive's YAML files uploaded in order into a fresh tenant, each
    responses/vN.csv posted to /responses/csv?version=N, give the same scores, node by node.
    Version 1 holds TWO, whose CSI 59.667 is worked by hand in test_api.test_known_answer_scores.
    Version 2 (environment 0.5/0.5; v2-a: B 66.667, noise 2.5 reversed 75, A 100, C 33.333;
    v2-b: D 0, no noise, B 66.667, no attitude): environment = 0.5 × (66.667 + 0)/2 +
    0.5 × 75 = 54.167; checkout = 0.5 × (100 + 66.667)/2 + 0.5 × 33.333 = 58.333;
    CSI = 0.4 × 54.167 + 0.6 × 58.333 = 56.667.
    """
    acme, _beta = populate(make_tenant, engine, app)
    monkeypatch.setattr("core.export.CSV_CHUNK_ROWS", 1)  # every row its own to_csv call: chunks join up
    archive = open_archive(acme.get("/api/v1/tenant/export"))
    restored = make_tenant("acme-restored")
    for n in (1, 2):
        assert restored.upload(archive.read(f"config_versions/v{n}.yaml").decode())["version"] == n
        r = restored.post(f"/api/v1/responses/csv?version={n}", data=archive.read(f"responses/v{n}.csv"), content_type="text/csv")
        assert r.status_code == 201 and r.json == {"accepted": 2, "version": n}, r.json
    for n, csi in ((1, 59.6667), (2, 56.6667)):
        for query in (f"version={n}", f"version={n}&by=segment", f"version={n}&by=period&period=month"):
            original, copy = acme.get(f"/api/v1/scores?{query}").json, restored.get(f"/api/v1/scores?{query}").json
            assert copy == original, query
        assert original["csi"] == pytest.approx(csi, abs=1e-4)
    # The stored rows themselves round-trip: ids, customer ids, touchpoints, times, attributes, answers.
    def stored(tenant_id):
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT response_key, customer_id, touchpoint, collected_at, attributes, answers, version FROM responses WHERE tenant_id = :t ORDER BY response_key"),
                {"t": tenant_id},
            ).all()
        return [(*r[:4], json.loads(r[4]), json.loads(r[5]), r[6]) for r in rows]

    assert len(stored(acme.id)) == 4
    assert stored(restored.id) == stored(acme.id)


def test_only_admins_export(make_tenant, client):
    acme = make_tenant("acme")
    empty = open_archive(acme.get("/api/v1/tenant/export"))  # before any configuration or response
    assert set(empty.namelist()) == {"manifest.json", "tenant.json", "api_keys.json", "tenant_plugins.json", "config_versions/index.json", "audit_events.jsonl", *CASE_FILES}
    assert json.loads(empty.read("manifest.json"))["counts"] == {**dict.fromkeys(EXPORTED_COUNTS, 0), "api_keys": 1, "audit_events": 3}
    acme.upload()
    for role in ("viewer", "integrator"):
        key = acme.post("/api/v1/keys", json={"name": role, "role": role}).json["api_key"]
        assert client.get("/api/v1/tenant/export", headers=auth(key)).status_code == 403
    assert client.get("/api/v1/tenant/export").status_code == 401
    assert client.get("/api/v1/tenant/export", headers=auth(OPERATOR_KEY)).status_code == 401


# --- delete -----------------------------------------------------------------------------


def test_the_schema_has_exactly_the_tenant_tables_the_cascade_must_cover():
    """If a table with tenant_id is added, the row-count checks below cover it automatically;
    this keeps the list honest."""
    assert {t.name for t in owned_tables()} == TENANT_TABLES


def test_delete_removes_every_row_of_the_tenant_and_nothing_else(make_tenant, engine, app, caplog):
    acme, beta = populate(make_tenant, engine, app)
    before = counts(engine, acme.id)
    assert set(before) == TENANT_TABLES and all(n > 0 for n in before.values()), before
    # The cascade must also get past the two foreign keys between the tenant's own rows:
    # config_versions.created_by_key_id (SET NULL, both versions were uploaded by a key)
    # and responses.config_version_id (no action; responses exist under both versions).
    with engine.connect() as connection:
        authors = connection.execute(text("SELECT version, created_by_key_id FROM config_versions WHERE tenant_id = :t ORDER BY version"), {"t": acme.id}).all()
    assert [v for v, _ in authors] == [1, 2] and all(key is not None for _, key in authors)
    beta_before, beta_scores = counts(engine, beta.id), beta.get("/api/v1/scores").json
    with caplog.at_level(logging.INFO, logger="csm.erasure"):
        r = acme.client.delete("/api/v1/tenant", json={"confirm": "acme"}, headers=acme.headers)
    assert r.status_code == 204 and r.data == b""
    assert counts(engine, acme.id) == dict.fromkeys(TENANT_TABLES, 0)
    assert tenant_rows(engine) == ["beta"]
    assert counts(engine, beta.id) == beta_before
    assert beta.get("/api/v1/scores").json == beta_scores
    assert acme.get("/api/v1/tenant").status_code == 401
    assert acme.get("/api/v1/tenant/export").status_code == 401
    # The tenant's audit log is gone with it; the deletion is in the application log instead.
    [record] = [r for r in caplog.records if r.name == "csm.erasure"]
    message = record.getMessage()
    assert f"'acme' (id {acme.id}) deleted by key " in message
    assert "responses=4" in message and "config_versions=2" in message and "idempotency_keys=1" in message and "tenant_plugins=1" in message


def test_operator_deletes_a_tenant_by_slug(make_tenant, engine, app, client):
    acme, beta = populate(make_tenant, engine, app)
    beta_before = counts(engine, beta.id)
    op = auth(OPERATOR_KEY)
    assert client.delete("/api/v1/tenants/acme", json={"confirm": "acme"}, headers=acme.headers).status_code == 403
    assert client.delete("/api/v1/tenants/acme", json={"confirm": "beta"}, headers=op).status_code == 422
    assert client.delete("/api/v1/tenants/nobody", json={"confirm": "nobody"}, headers=op).status_code == 404
    assert all(n > 0 for n in counts(engine, acme.id).values())
    assert client.delete("/api/v1/tenants/acme", json={"confirm": "acme"}, headers=op).status_code == 204
    assert counts(engine, acme.id) == dict.fromkeys(TENANT_TABLES, 0)
    assert counts(engine, beta.id) == beta_before
    assert tenant_rows(engine) == ["beta"]
    assert acme.get("/api/v1/tenant").status_code == 401
    assert client.delete("/api/v1/tenants/acme", json={"confirm": "acme"}, headers=op).status_code == 404


def test_wrong_role_or_confirmation_deletes_nothing(make_tenant, engine, app, client):
    acme, beta = populate(make_tenant, engine, app)
    before = {t.id: counts(engine, t.id) for t in (acme, beta)}
    for role in ("viewer", "integrator"):
        key = acme.post("/api/v1/keys", json={"name": role, "role": role}).json["api_key"]
        assert client.delete("/api/v1/tenant", json={"confirm": "acme"}, headers=auth(key)).status_code == 403
    assert client.delete("/api/v1/tenant", json={"confirm": "acme"}).status_code == 401
    assert client.delete("/api/v1/tenant", json={"confirm": "acme"}, headers=auth(OPERATOR_KEY)).status_code == 401
    # Two keys were just added and each call above was audited or refused; recount.
    before[acme.id] = counts(engine, acme.id)
    missing = acme.delete("/api/v1/tenant")
    assert missing.status_code == 422 and ("body", "confirm") in {(e["location"], e["field"]) for e in missing.json["errors"]}
    for body in ({"confirm": "beta"}, {"confirm": "ACME"}, {"confirm": ""}, {"confirm": "acme", "tenant_id": beta.id}):
        r = acme.client.delete("/api/v1/tenant", json=body, headers=acme.headers)
        assert r.status_code == 422, body
    assert {t.id: counts(engine, t.id) for t in (acme, beta)} == before
    assert tenant_rows(engine) == ["acme", "beta"]


def test_a_rolled_back_deletion_is_not_logged(make_tenant, engine, session_factory, caplog):
    acme = make_tenant("acme")
    with caplog.at_level(logging.INFO, logger="csm.erasure"), session_factory() as session:
        deleted = erasure.delete_tenant(session, acme.id, "acme", base.CLI)
        assert deleted.tenant.slug == "acme" and deleted.rows["api_keys"] == 1
        session.rollback()
    assert [r for r in caplog.records if r.name == "csm.erasure"] == []
    assert tenant_rows(engine) == ["acme"]


# --- the same through the CLI -----------------------------------------------------------


def test_cli_export_reimport_and_delete(make_tenant, engine, app, app_db_url, tmp_path):
    acme, beta = populate(make_tenant, engine, app)
    beta_before = counts(engine, beta.id)

    def run(*args):
        return CliRunner().invoke(csm, ["--database-url", app_db_url, *args], catch_exceptions=False)

    out = tmp_path / "acme.zip"
    result = run("export", "--tenant", "acme", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "4 responses" in result.output and not (tmp_path / "acme.zip.partial").exists()
    archive = zipfile.ZipFile(out)
    assert set(archive.namelist()) == EXPECTED_FILES
    assert run("export", "--tenant", "nobody", "--out", str(tmp_path / "x.zip")).exit_code == 2
    assert not (tmp_path / "x.zip").exists() and not (tmp_path / "x.zip.partial").exists()

    archive.extractall(tmp_path / "acme")
    assert run("create-tenant", "restored", "Restored").exit_code == 0
    for n in (1, 2):
        assert run("upload-config", "--tenant", "restored", str(tmp_path / "acme" / "config_versions" / f"v{n}.yaml")).exit_code == 0
        imported = run("import-responses", "--tenant", "restored", "--version", str(n), str(tmp_path / "acme" / "responses" / f"v{n}.csv"))
        assert imported.exit_code == 0 and "imported 2 responses" in imported.output, imported.output
    for n in ("1", "2"):
        reports = [json.loads(run("report", "--tenant", slug, "--version", n, "--by", "segment", "--format", "json").output) for slug in ("acme", "restored")]
        assert reports[0] == reports[1]

    refused = run("delete-tenant", "acme")
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert all(n > 0 for n in counts(engine, acme.id).values())
    deleted = run("delete-tenant", "acme", "--yes")
    assert deleted.exit_code == 0 and "tenant acme deleted" in deleted.output
    assert counts(engine, acme.id) == dict.fromkeys(TENANT_TABLES, 0)
    assert counts(engine, beta.id) == beta_before
    assert run("delete-tenant", "acme", "--yes").exit_code == 2
