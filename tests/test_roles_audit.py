"""Roles per key (viewer < integrator < admin), key expiry and the audit log."""

from datetime import datetime, timedelta, timezone


from tests.conftest import STORE_YAML, auth
from tests.test_api import TWO


def key_with(t, role, **extra):
    r = t.post("/api/v1/keys", json={"name": f"{role} key", "role": role, **extra})
    assert r.status_code == 201, r.json
    return auth(r.json["api_key"]), r.json["key"]["id"]


# (method, path, body kind, least role that may call it)
ENDPOINTS = [
    ("get", "/api/v1/tenant", None, "viewer"),
    ("get", "/api/v1/industries", None, "viewer"),
    ("get", "/api/v1/config/versions", None, "viewer"),
    ("get", "/api/v1/config/versions/1", None, "viewer"),
    ("get", "/api/v1/scores", None, "viewer"),
    ("get", "/api/v1/tenant/plugins", None, "viewer"),
    ("get", "/api/v1/tenant/capabilities", None, "viewer"),
    ("post", "/api/v1/config/validate", "yaml", "integrator"),
    ("post", "/api/v1/responses", "responses", "integrator"),
    ("post", "/api/v1/responses/csv", "csv", "integrator"),
    ("post", "/api/v1/config/versions", "yaml", "admin"),
    ("get", "/api/v1/keys", None, "admin"),
    ("post", "/api/v1/keys", "key", "admin"),
    ("get", "/api/v1/audit", None, "admin"),
    ("put", "/api/v1/tenant/plugins/retail", None, "admin"),
]
RANK = {"viewer": 0, "integrator": 1, "admin": 2}


def call(client, method, path, kind, headers, n=[0]):
    n[0] += 1
    kw = {
        None: {},
        "yaml": {"data": STORE_YAML.encode(), "content_type": "application/yaml"},
        "responses": {"json": {"responses": [{"response_id": f"x{n[0]}", "answers": {"env_overall": "A"}}]}},
        "csv": {"data": f"response_id,env_overall\ncsv{n[0]},B\n".encode(), "content_type": "text/csv"},
        "key": {"json": {"name": "another"}},
    }[kind]
    return getattr(client, method)(path, headers=headers, **kw)


def test_each_role_may_do_exactly_what_it_should(make_tenant):
    t = make_tenant("acme")
    t.upload()
    for role in ("viewer", "integrator", "admin"):
        headers, _ = key_with(t, role)
        for method, path, kind, least in ENDPOINTS:
            status = call(t.client, method, path, kind, headers).status_code
            if RANK[role] >= RANK[least]:
                assert status in (200, 201), (role, method, path, status)
            else:
                assert status == 403, (role, method, path, status)


def test_forbidden_calls_change_nothing(make_tenant):
    t = make_tenant("acme")
    t.upload()
    viewer, _ = key_with(t, "viewer")
    assert t.client.post("/api/v1/responses", json={"responses": TWO}, headers=viewer).status_code == 403
    assert t.client.post("/api/v1/config/versions", data=STORE_YAML.encode(), content_type="application/yaml", headers=viewer).status_code == 403
    assert t.get("/api/v1/scores").json["n"] == 0
    assert len(t.get("/api/v1/config/versions").json) == 1


def test_role_change_and_expiry(make_tenant):
    t = make_tenant("acme")
    headers, key_id = key_with(t, "viewer")
    assert t.client.get("/api/v1/keys", headers=headers).status_code == 403
    r = t.client.patch(f"/api/v1/keys/{key_id}", json={"role": "admin"}, headers=t.headers)
    assert r.status_code == 200 and r.json["role"] == "admin"
    assert t.client.get("/api/v1/keys", headers=headers).status_code == 200
    assert t.client.patch(f"/api/v1/keys/{key_id}", json={"role": "root"}, headers=t.headers).status_code == 422
    assert t.client.patch("/api/v1/keys/424242", json={"role": "viewer"}, headers=t.headers).status_code == 404
    past = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat()
    assert t.post("/api/v1/keys", json={"name": "old", "expires_at": past}).status_code == 422
    soon = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    r = t.post("/api/v1/keys", json={"name": "temp", "expires_at": soon})
    assert r.status_code == 201 and r.json["key"]["expires_at"] is not None


def test_expired_key_is_refused(make_tenant, app):
    from core.api.context import state
    from core.db import unit_of_work
    from core.db.repositories import ApiKeyRepository
    from core.db.tenancy import bind_tenant

    t = make_tenant("acme")
    with app.app_context(), unit_of_work(state().sessions) as session:
        bind_tenant(session, t.id)
        _key, plaintext = ApiKeyRepository(session).create(t.id, "expired", role="admin", expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
    assert t.client.get("/api/v1/tenant", headers=auth(plaintext)).status_code == 401


def test_audit_log_records_who_did_what(make_tenant):
    t = make_tenant("acme")
    t.upload()
    _, key_id = key_with(t, "integrator")
    t.client.patch(f"/api/v1/keys/{key_id}", json={"role": "viewer"}, headers=t.headers)
    t.delete(f"/api/v1/keys/{key_id}")
    events = t.get("/api/v1/audit").json
    admin_key = t.get("/api/v1/keys").json[0]["id"]
    assert [(e["action"], e["actor"], e["target"]) for e in events] == [
        ("key.revoke", f"key {admin_key}", f"key {key_id}"),
        ("key.role_change", f"key {admin_key}", f"key {key_id}"),
        ("key.create", f"key {admin_key}", f"key {key_id}"),
        ("config.upload", f"key {admin_key}", "version 1"),
        ("key.create", "operator", f"key {admin_key}"),
        ("tenant.create", "operator", "acme"),
    ]
    assert events[1]["details"] == {"before": "integrator", "after": "viewer"}
    assert events[0]["actor_key_id"] == admin_key
    page = t.get("/api/v1/audit?page=2&page_size=4")
    assert [e["action"] for e in page.json] == ["key.create", "tenant.create"]
    assert t.get("/api/v1/audit?page_size=100000").status_code == 422


def test_audit_log_is_per_tenant(make_tenant):
    a, b = make_tenant("tenant-a"), make_tenant("tenant-b")
    a.upload()
    assert [e["action"] for e in b.get("/api/v1/audit").json] == ["key.create", "tenant.create"]
