"""Roles per key (viewer < integrator < admin), key expiry and the audit log."""

import re
from datetime import datetime, timedelta, timezone

from datetime import timedelta as _minutes

from core.alerts import Deadline
from tests.helpers import CUSTOMER_SECTIONS, PUBLIC_HOOK_URL, STORE_YAML, TWO, auth, use_evaluator


def key_with(t, role, **extra):
    r = t.post("/api/v1/keys", json={"name": f"{role} key", "role": role, **extra})
    assert r.status_code == 201, r.json
    return auth(r.json["api_key"]), r.json["key"]["id"]


RANK = {"viewer": 0, "integrator": 1, "admin": 2}
OPERATOR = "operator"

# How to call each operation that takes a body: (method, path) → body kind. An operation
# with a request body in the spec must be listed (test_every_api_endpoint_declares_...).
BODIES = {
    ("post", "/api/v1/config/validate"): "yaml",
    ("post", "/api/v1/config/versions"): "yaml",
    ("post", "/api/v1/responses"): "responses",
    ("post", "/api/v1/responses/csv"): "csv",
    ("post", "/api/v1/keys"): "key",
    ("patch", "/api/v1/keys/{key_id}"): "role",
    ("delete", "/api/v1/tenant"): "wrong_confirm",
    ("post", "/api/v1/tenants"): "tenant",
    ("delete", "/api/v1/tenants/{slug}"): "wrong_confirm",
    ("post", "/api/v1/cases"): "cases",
    ("post", "/api/v1/case-events"): "events",
    ("post", "/api/v1/webhooks"): "webhook",
    ("patch", "/api/v1/webhooks/{endpoint_id}"): "webhook_change",
    ("post", "/api/v1/customers"): "customers",
    ("post", "/api/v1/service-requests"): "service_request",
    ("post", "/api/v1/purchases"): "purchases",
}
# The configuration the matrix runs under: the store's indicator set with the tobacco
# customers and services sections, so the customer routes have something to grade with.
MATRIX_YAML = STORE_YAML + "\n" + CUSTOMER_SECTIONS
# What a caller whose role suffices gets, by body kind: a success, except for deletions,
# which are called with a wrong confirmation (422: the role check passed, nothing is deleted).
ALLOWED = {"wrong_confirm": {422}}
SUCCESS = {200, 201, 204}


def path_template(rule: str) -> str:
    """A Flask rule as the spec writes its path: ``/keys/<int(max=...):key_id>`` → ``/keys/{key_id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def declared_endpoints(app) -> list[tuple[str, str, str | None]]:
    """(method, path, who may call it) for every API operation, from what its view declares:
    ``csm_role`` (core.api.auth.tenant_required) or ``csm_operator`` (operator_required)."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue  # the docs, the spec and their assets: public
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            func = getattr(view_class, method.lower()) if view_class is not None else view
            access = OPERATOR if getattr(func, "csm_operator", False) else getattr(func, "csm_role", None)
            found.append((method.lower(), path_template(rule.rule), access))
    return sorted(found)


def test_every_api_endpoint_declares_who_may_call_it(app, client):
    """A new endpoint cannot be forgotten: it must declare a role (or be the operator's),
    appear in the spec, and have a way to be called here if it takes a body."""
    endpoints = declared_endpoints(app)
    assert len(endpoints) >= 20
    undeclared = [(m, p) for m, p, access in endpoints if access not in (*RANK, OPERATOR)]
    assert undeclared == [], "endpoints without tenant_required(role=...) or operator_required"
    spec = client.get("/openapi.json").json
    documented = {(m, p) for p, ops in spec["paths"].items() for m in ops if m in {"get", "post", "put", "patch", "delete"}}
    assert documented == {(m, p) for m, p, _ in endpoints}
    with_body = {(m, p) for p, ops in spec["paths"].items() for m, op in ops.items() if isinstance(op, dict) and "requestBody" in op}
    assert with_body - set(BODIES) == set(), "add a body kind to BODIES"


def call(t, method, path, headers, n=[0]):
    """Call an operation with harmless arguments (a fresh spare key for key ids)."""
    n[0] += 1
    fill = {"version": "1", "code": "retail", "template": "supermarket-csi", "slug": t.slug, "name": "retail", "method": "tiers?satisfied=env_overall"}
    if "{key_id}" in path:
        fill["key_id"] = t.post("/api/v1/keys", json={"name": f"spare {n[0]}"}).json["key"]["id"]
    if "{endpoint_id}" in path:
        fill["endpoint_id"] = t.post("/api/v1/webhooks", json={"url": PUBLIC_HOOK_URL}).json["endpoint"]["id"]
    if "{alert_id}" in path:
        fill["alert_id"] = t.get("/api/v1/alerts").json[0]["id"]
    fill["case_id"] = "case-1"
    fill["customer_id"] = "cust-1"
    url = path.format(**fill)
    if method == "delete" and "{name}" in path:
        t.put(url)  # the admin enables the plugin, so disabling it is allowed
    kind = BODIES.get((method, path))
    kw = {
        None: {},
        "yaml": {"data": MATRIX_YAML.encode(), "content_type": "application/yaml"},
        "responses": {"json": {"responses": [{"response_id": f"x{n[0]}", "answers": {"env_overall": "A"}}]}},
        "csv": {"data": f"response_id,env_overall\ncsv{n[0]},B\n".encode(), "content_type": "text/csv"},
        "key": {"json": {"name": "another"}},
        "role": {"json": {"role": "viewer"}},
        "wrong_confirm": {"json": {"confirm": "not-the-slug"}},
        "tenant": {"json": {"slug": f"new-{n[0]}", "name": "New"}},
        "cases": {"json": {"cases": [{"case_id": f"case-{n[0]}", "case_type": "dine_in"}]}},
        "events": {"json": {"events": [{"case_id": f"case-{n[0]}", "type": "ordered", "at": "2026-01-01T10:00:00Z"}]}},
        "webhook": {"json": {"url": PUBLIC_HOOK_URL, "kinds": ["breached"]}},
        "webhook_change": {"json": {"description": "changed"}},
        "customers": {"json": {"customers": [{"customer_id": f"cust-{n[0]}", "attributes": {"contribution": 50, "compliance": 50, "capability": 50}}]}},
        "service_request": {"json": {"customer_id": "cust-1", "service": "phone_order"}},
        "purchases": {"json": {"purchases": [{"purchase_id": f"p-{n[0]}", "customer_id": "cust-1", "purchased_at": "2026-01-01T10:00:00Z", "amount": 10}]}},
    }[kind]
    return getattr(t.client, method)(url, headers=headers, **kw), ALLOWED.get(kind, SUCCESS)


def test_each_role_may_do_exactly_what_it_should(app, make_tenant):
    """Every endpoint × every role, the least role taken from the endpoint itself; operator
    routes refuse every tenant key."""
    t = make_tenant("acme")
    t.upload(MATRIX_YAML)
    assert t.post("/api/v1/customers", json={"customers": [{"customer_id": "cust-1", "attributes": {"contribution": 90, "compliance": 90, "capability": 90}}]}).status_code == 201
    use_evaluator(app, Deadline(_minutes(minutes=10)))
    r = t.post("/api/v1/case-events", json={"events": [{"case_id": "case-1", "type": "opened", "at": "2026-01-01T10:00:00Z"}]})
    assert r.status_code == 201 and r.json["alerts_raised"] == 1, r.json
    endpoints = declared_endpoints(app)
    for role in RANK:
        headers, _ = key_with(t, role)
        for method, path, access in endpoints:
            r, allowed = call(t, method, path, headers)
            if access != OPERATOR and RANK[role] >= RANK[access]:
                assert r.status_code in allowed, (role, method, path, r.status_code, r.get_data(as_text=True)[:200])
            else:
                assert r.status_code == 403, (role, method, path, r.status_code)
    assert t.get("/api/v1/tenant").status_code == 200  # nothing above deleted the tenant


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
