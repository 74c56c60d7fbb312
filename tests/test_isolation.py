"""Tenant isolation through the API: every endpoint that takes an id, a number or a key,
tried by one tenant ("mallory") against the other's ("victim"), in both creation orders.

Each attempt must get exactly what a never-used id gets (404 for ids in the path or
query, an empty page from the listing filtered by version, the same 404 for a version
named in a body, 403 for operator-only routes): the answer is no oracle for what the
other tenant has. Nothing a response body or an export contains may
come from the victim, and the victim's rows, read straight from the tables before and
after, must be unchanged.

On PostgreSQL the matrix runs a second time with the application-layer filter switched off
(``core.db.tenancy.without_app_filter``): then only row-level security stands between the
tenants, and it alone must give the same answers. (test_rls.py shows that the switch
really removes the filter.)
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from sqlalchemy import inspect, text

from core.api.context import state
from core.db.tenancy import APP_FILTER_KEY, without_app_filter
from tests.helpers import CUSTOMER_SECTIONS, OPERATOR_KEY, STORE_YAML, TENANT_TABLES, auth, fill_cases_and_webhooks, fill_customers

SECRET = "victim-secret"
VICTIM, MALLORY = "victim-tenant", "mallory-tenant"
NOWHERE = 2_000_000_000  # an id or number no tenant has
PLUGIN, NO_PLUGIN = "retail", "no-such-plugin"  # the victim enables PLUGIN; nobody has NO_PLUGIN


def answers(n: int, prefix: str, segment: str) -> list[dict]:
    return [
        {
            "response_id": f"{prefix}-{i}",
            "collected_at": f"2026-01-{10 + i}T10:00:00Z",
            "attributes": {"segment": segment},
            "answers": {"env_overall": "AB"[i % 2], "env_noise": i, "checkout_speed": "C", "cashier_attitude": "A", "nps_recommend": 9},
        }
        for i in range(n)
    ]


def build_victim(t, app) -> dict:
    """Three configuration versions (2 and 3 exist only here), responses under 2 and 3
    (those under 2 of one customer), an integrator key, an Idempotency-Key, an enabled plugin, a case with events and the
    alert they raised, a webhook endpoint with a delivery and its logged attempt; every
    stored text carries SECRET."""
    for n in (1, 2, 3):
        t.upload(STORE_YAML + CUSTOMER_SECTIONS + f"# {SECRET} configuration {n}\n")
    customer = f"customer-of-{SECRET}"  # answers responses here and is a graded customer (fill_customers)
    r = t.post("/api/v1/responses", json={"responses": [{**item, "customer_id": customer} for item in answers(3, SECRET, SECRET)], "version": 2})
    assert r.status_code == 201, r.json
    r = t.post("/api/v1/responses", json={"responses": answers(2, f"{SECRET}-late", SECRET)}, headers={"Idempotency-Key": "shared-key"})
    assert r.status_code == 201, r.json
    extra = t.post("/api/v1/keys", json={"name": f"{SECRET} integrator", "role": "integrator"})
    assert extra.status_code == 201
    assert t.put(f"/api/v1/tenant/plugins/{PLUGIN}").status_code == 200
    keys = [k["id"] for k in t.get("/api/v1/keys").json]
    customers = fill_customers(t, SECRET)["customers"]
    return {"versions": [2, 3], "keys": keys, "customers": sorted({customer, *customers}), **fill_cases_and_webhooks(app, t, SECRET)}


def build_mallory(t) -> None:
    t.upload()
    assert t.post("/api/v1/responses", json={"responses": answers(2, "m", "plain")}).status_code == 201


@pytest.fixture(params=["victim-first", "mallory-first"])
def world(request, make_tenant, app):
    """(victim, mallory, victim's ids): created in both orders, so the victim's ids lie
    below the attacker's in one run and above them in the other."""
    order = (VICTIM, MALLORY) if request.param == "victim-first" else (MALLORY, VICTIM)
    made = {slug: make_tenant(slug) for slug in order}
    victim, mallory = made[VICTIM], made[MALLORY]
    if request.param == "victim-first":
        ids = build_victim(victim, app)
        build_mallory(mallory)
    else:
        build_mallory(mallory)
        ids = build_victim(victim, app)
    return victim, mallory, ids


def snapshot(engine, tenant_id: int) -> dict[str, list[tuple]]:
    """Every row of the tenant in every tenant table, all columns, read as the owner."""
    with engine.connect() as connection:
        return {
            table: sorted(map(tuple, connection.execute(text(f"SELECT * FROM {table} WHERE {column} = :t"), {"t": tenant_id}).all()), key=repr)
            for table, column in TENANT_TABLES.items()
        }


def same_answer(a, b, *, ids: tuple[str, str]) -> bool:
    """Same status and the same body once the id each request named is blanked out."""

    def blank(response, named):
        return re.sub(rf"\b{named}\b", "ID", json.dumps(response.json, sort_keys=True))

    same = a.status_code == b.status_code and blank(a, ids[0]) == blank(b, ids[1])
    same = same and a.headers.get("X-Pagination") == b.headers.get("X-Pagination")
    assert same, (a.status_code, a.json, a.headers, b.status_code, b.json, b.headers)
    return same


def attack(victim, mallory, ids) -> list[bytes]:
    """The whole matrix, with mallory's admin key; returns every body mallory received."""
    seen: list[bytes] = []

    def call(method, url, **kw):
        r = getattr(mallory.client, method)(url, headers={**mallory.headers, **kw.pop("headers", {})}, **kw)
        seen.append(r.get_data())
        assert r.status_code < 500, (method, url, r.status_code, r.get_data()[:300])
        return r

    # ids in the path: the victim's versions and keys are 404, exactly like ids nobody has
    for n in ids["versions"]:
        r, none = call("get", f"/api/v1/config/versions/{n}"), call("get", f"/api/v1/config/versions/{NOWHERE}")
        assert r.status_code == 404 and same_answer(r, none, ids=(str(n), str(NOWHERE)))
    for key_id in ids["keys"]:
        for method, kw in (("patch", {"json": {"role": "viewer"}}), ("patch", {"json": {"role": "admin"}}), ("delete", {})):
            r = call(method, f"/api/v1/keys/{key_id}", **kw)
            none = call(method, f"/api/v1/keys/{NOWHERE}", **kw)
            assert r.status_code == 404 and same_answer(r, none, ids=(str(key_id), str(NOWHERE)))

    # the victim's customer: erasing it erases nothing (0, as for a customer nobody has)
    for customer in ids["customers"]:
        r, none = call("delete", f"/api/v1/customers/{customer}/responses"), call("delete", "/api/v1/customers/no-such-customer/responses")
        assert r.status_code == 200 and r.json == {"erased": 0, "purchases": 0} and same_answer(r, none, ids=(customer, "no-such-customer"))

    # alerts, cases and webhook endpoints, by id in the path and in the query
    for alert_id in ids["alerts"]:
        for method, suffix in (("get", ""), ("post", "/acknowledge")):
            r, none = call(method, f"/api/v1/alerts/{alert_id}{suffix}"), call(method, f"/api/v1/alerts/{NOWHERE}{suffix}")
            assert r.status_code == 404 and same_answer(r, none, ids=(str(alert_id), str(NOWHERE)))
    for case_id in ids["cases"]:
        r, none = call("get", f"/api/v1/cases/{case_id}?at=2026-01-01T12:00:00Z"), call("get", "/api/v1/cases/no-such-case?at=2026-01-01T12:00:00Z")
        assert r.status_code == 404 and same_answer(r, none, ids=(case_id, "no-such-case"))
        r, none = call("get", f"/api/v1/alerts?case_id={case_id}"), call("get", "/api/v1/alerts?case_id=no-such-case")
        assert r.status_code == 200 and r.json == [] and same_answer(r, none, ids=(case_id, "no-such-case"))
    for hook_id in ids["webhooks"]:
        for method, suffix, kw in (("get", "", {}), ("patch", "", {"json": {"enabled": False}}), ("post", "/rotate-secret", {}), ("get", "/deliveries", {}), ("delete", "", {})):
            r = call(method, f"/api/v1/webhooks/{hook_id}{suffix}", **kw)
            none = call(method, f"/api/v1/webhooks/{NOWHERE}{suffix}", **kw)
            assert r.status_code == 404 and same_answer(r, none, ids=(str(hook_id), str(NOWHERE)))
    assert call("get", "/api/v1/alerts").json == [] and call("get", "/api/v1/cases").json == [] and call("get", "/api/v1/webhooks").json == []

    # customers by id in the path, in the query and in a body
    for customer_id in ids["customers"]:
        for suffix in ("", "/grades"):
            r, none = call("get", f"/api/v1/customers/{customer_id}{suffix}"), call("get", f"/api/v1/customers/no-such-customer{suffix}")
            assert r.status_code == 404 and same_answer(r, none, ids=(customer_id, "no-such-customer"))
        r, none = call("get", f"/api/v1/service-requests?customer_id={customer_id}"), call("get", "/api/v1/service-requests?customer_id=no-such-customer")
        assert r.status_code == 200 and r.json == [] and same_answer(r, none, ids=(customer_id, "no-such-customer"))
        body = {"service": "phone_order", "at": "2026-03-10T09:00:00Z"}
        r = call("post", "/api/v1/service-requests", json={**body, "customer_id": customer_id})
        none = call("post", "/api/v1/service-requests", json={**body, "customer_id": "no-such-customer"})
        assert r.status_code == 404 and same_answer(r, none, ids=(customer_id, "no-such-customer"))
    assert call("get", "/api/v1/customers").json == [] and call("get", "/api/v1/service-requests").json == []

    # purchases: listed by customer and analysed, as a tenant without any; mallory's own go to mallory
    for customer_id in ids["customers"]:
        r, none = call("get", f"/api/v1/purchases?customer_id={customer_id}"), call("get", "/api/v1/purchases?customer_id=no-such-customer")
        assert r.status_code == 200 and r.json == [] and same_answer(r, none, ids=(customer_id, "no-such-customer"))
    assert call("get", "/api/v1/purchases").json == []
    for analysis in ("loyalty", "customer_value"):
        r = call("get", f"/api/v1/analyses/{analysis}")
        assert r.status_code == 422 and r.json["errors"][0]["field"] == "purchases"  # mallory has none, nor questions naming loyalty
    r = call("post", "/api/v1/purchases", json={"purchases": [{"purchase_id": "purchase-m", "customer_id": "m", "purchased_at": "2026-03-10T09:00:00Z", "amount": 1}]})
    assert r.status_code == 201 and r.json["created"] == 1, r.json

    # numbers in the query
    for n in ids["versions"]:
        for query in ("", "&by=segment", "&by=period&period=quarter"):
            r, none = call("get", f"/api/v1/scores?version={n}{query}"), call("get", f"/api/v1/scores?version={NOWHERE}{query}")
            assert r.status_code == 404 and same_answer(r, none, ids=(str(n), str(NOWHERE)))
        for analysis in ("drivers?target=env_overall", "kano?features=[]", "astrology"):
            r, none = call("get", f"/api/v1/analyses/{analysis}&version={n}".replace("astrology&", "astrology?")), call("get", f"/api/v1/analyses/{analysis}&version={NOWHERE}".replace("astrology&", "astrology?"))
            assert r.status_code == 404 and same_answer(r, none, ids=(str(n), str(NOWHERE)))
        r, none = call("get", f"/api/v1/responses?version={n}"), call("get", f"/api/v1/responses?version={NOWHERE}")
        assert r.status_code == 200 and r.json == [] and same_answer(r, none, ids=(str(n), str(NOWHERE)))
        csv = f"response_id,env_overall\ncsv-{n},A\n".encode()
        r = call("post", f"/api/v1/responses/csv?version={n}", data=csv, content_type="text/csv")
        none = call("post", f"/api/v1/responses/csv?version={NOWHERE}", data=csv, content_type="text/csv")
        assert r.status_code == 404 and same_answer(r, none, ids=(str(n), str(NOWHERE)))

    # numbers in a body (bulk references): the same 404 as a version that exists nowhere
    for n in ids["versions"]:
        body = {"responses": answers(1, f"bulk-{n}", "plain")}
        r = call("post", "/api/v1/responses", json={**body, "version": n})
        none = call("post", "/api/v1/responses", json={**body, "version": NOWHERE})
        assert r.status_code == 404 and same_answer(r, none, ids=(str(n), str(NOWHERE)))

    # the victim's Idempotency-Key is mallory's own fresh key: it runs, nothing is replayed
    r = call("post", "/api/v1/responses", json={"responses": answers(1, "idem", "plain")}, headers={"Idempotency-Key": "shared-key"})
    assert r.status_code == 201 and r.json["accepted"] == 1 and "Idempotent-Replayed" not in r.headers
    # the victim's response ids are free in mallory's tenant (unique per tenant)
    r = call("post", "/api/v1/responses", json={"responses": answers(1, SECRET, "plain")[:1]})
    assert r.status_code == 201, r.json

    # plugins: names are global, the enabled state is each tenant's. The victim enabled
    # PLUGIN: mallory disabling it gets what disabling a plugin nobody has gets; enabling it
    # and disabling it again changes mallory's tenant only.
    r, none = call("delete", f"/api/v1/tenant/plugins/{PLUGIN}"), call("delete", f"/api/v1/tenant/plugins/{NO_PLUGIN}")
    assert r.status_code == 404 and same_answer(r, none, ids=(PLUGIN, NO_PLUGIN))
    listed = call("get", "/api/v1/tenant/plugins").json
    assert [(p["name"], p["enabled"], p["enabled_at"]) for p in listed] == [("core", True, None), (PLUGIN, False, None)]
    assert call("get", "/api/v1/tenant/capabilities").json["case_types"] == []
    r = call("put", f"/api/v1/tenant/plugins/{PLUGIN}")
    assert r.status_code == 200 and r.json["enabled"] and r.json["enabled_by_key_id"] == own_key(mallory)
    assert {c["code"] for c in call("get", "/api/v1/tenant/capabilities").json["case_types"]} >= {"product_repair"}
    assert call("delete", f"/api/v1/tenant/plugins/{PLUGIN}").status_code == 204
    assert call("put", f"/api/v1/tenant/plugins/{NO_PLUGIN}").status_code == 404

    # the victim's slug: deleting, confirming or operating on it is refused
    r = call("delete", "/api/v1/tenant", json={"confirm": VICTIM})
    assert r.status_code == 422 and [(e["location"], e["field"]) for e in r.json["errors"]] == [("body", "confirm")]
    assert call("delete", f"/api/v1/tenants/{VICTIM}", json={"confirm": VICTIM}).status_code == 403
    assert call("get", "/api/v1/tenants").status_code == 403
    assert call("post", "/api/v1/tenants", json={"slug": "mallory-2", "name": "M"}).status_code == 403

    # listings, the audit log, the scores and the export hold mallory's own data only
    assert call("get", "/api/v1/tenant").json["slug"] == MALLORY
    assert [v["version"] for v in call("get", "/api/v1/config/versions").json] == [1]
    own_keys = call("get", "/api/v1/keys").json
    assert len(own_keys) == 1 and not {k["id"] for k in own_keys} & set(ids["keys"])
    events = call("get", "/api/v1/audit?page_size=100").json
    assert {e["action"] for e in events} == {"tenant.create", "key.create", "config.upload", "plugin.enable", "plugin.disable", "responses.erase_customer"}
    scores = call("get", "/api/v1/scores?by=segment").json
    matrix = call("get", "/api/v1/analyses/loyalty_matrix?loyalty=nps_recommend&segment=segment&min_n=1").json
    assert matrix["n"] == 2 + 1 + 1 and set(matrix["segments"]) == {"plain"}
    assert scores["n"] == 2 + 1 + 1 and set(scores["groups"]) == {"plain"}  # its own 2, "idem" and the reused id
    listed = call("get", "/api/v1/responses?page_size=100").json
    assert sorted(x["response_id"] for x in listed) == ["idem-0", "m-0", "m-1", f"{SECRET}-0"]
    export = call("get", "/api/v1/tenant/export")
    assert export.status_code == 200
    with zipfile.ZipFile(io.BytesIO(export.get_data())) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["tenant"]["slug"] == MALLORY and manifest["counts"]["api_keys"] == 1 and manifest["counts"]["tenant_plugins"] == 0
        seen.extend(archive.read(name) for name in archive.namelist())
    return seen


def own_key(t) -> int:
    return t.get("/api/v1/keys").json[0]["id"]


def leaks(bodies: list[bytes]) -> list[bytes]:
    """Bodies mentioning the victim (its slug, or its stored texts other than the response
    id mallory reused on purpose: ``victim-secret-0`` is mallory's own row, and the case
    and customer ids mallory names, which a 404 echoes)."""
    found = []
    for body in bodies:
        cleaned = body.replace(f"{SECRET}-0".encode(), b"").replace(f"case-of-{SECRET}".encode(), b"").replace(f"customer-of-{SECRET}".encode(), b"")
        if VICTIM.encode() in body or SECRET.encode() in cleaned:
            found.append(body[:300])
    return found


def run_matrix(world, engine):
    victim, mallory, ids = world
    before = snapshot(engine, victim.id)
    assert all(before[t] for t in TENANT_TABLES), {t: len(rows) for t, rows in before.items()}
    bodies = attack(victim, mallory, ids)
    assert leaks(bodies) == []
    assert snapshot(engine, victim.id) == before
    # ...and the victim still works as before
    assert victim.get("/api/v1/scores?version=2").json["n"] == 3
    assert victim.get("/api/v1/scores").json["n"] == 2
    assert len(victim.get("/api/v1/keys").json) == 2
    assert [p["name"] for p in victim.get("/api/v1/tenant/plugins").json if p["enabled"]] == ["core", PLUGIN]
    assert [a["id"] for a in victim.get("/api/v1/alerts").json] == ids["alerts"]
    assert [h["enabled"] for h in victim.get("/api/v1/webhooks").json] == [True]


def test_every_id_taking_endpoint_refuses_the_other_tenants_ids(world, engine):
    run_matrix(world, engine)


@pytest.mark.postgres
def test_row_level_security_alone_refuses_them_too(world, engine, app, monkeypatch):
    """The same matrix with every repository's ``tenant_id`` filter switched off."""
    csm = app.extensions["csm"]
    monkeypatch.setattr(csm, "sessions", without_app_filter(csm.sessions))
    with app.app_context():
        probe = state().sessions()
        assert probe.info[APP_FILTER_KEY] is False
        probe.close()
    run_matrix(world, engine)


def test_the_matrix_covers_every_route_that_names_something(app):
    """A new route with a path parameter must be added to the matrix above (or here, with
    the reason it names nothing tenant-owned)."""
    covered = {
        "/api/v1/config/versions/<int(max=2147483647):version>": "matrix: versions",
        "/api/v1/keys/<int(max=2147483647):key_id>": "matrix: keys",
        "/api/v1/tenants/<slug>": "matrix: operator only, 403",
        "/api/v1/tenant/plugins/<string(maxlength=64):name>": "matrix: plugins (names are global, enabled state the tenant's)",
        "/api/v1/industries/<code>": "installed plugins' catalogues, the same for every tenant",
        "/api/v1/analyses/<string:method>": "matrix: analyses (method codes are the plugins', versions the tenant's)",
        "/api/v1/alerts/<int(max=2147483647):alert_id>": "matrix: alerts",
        "/api/v1/alerts/<int(max=2147483647):alert_id>/acknowledge": "matrix: alerts",
        "/api/v1/cases/<string(maxlength=200):case_id>": "matrix: cases",
        "/api/v1/customers/<path:customer_id>/responses": "matrix: the victim's customer",
        "/api/v1/webhooks/<int(max=2147483647):endpoint_id>": "matrix: webhooks",
        "/api/v1/webhooks/<int(max=2147483647):endpoint_id>/rotate-secret": "matrix: webhooks",
        "/api/v1/webhooks/<int(max=2147483647):endpoint_id>/deliveries": "matrix: webhooks",
        "/api/v1/industries/<code>/templates/<template>": "installed plugins' templates, the same for every tenant",
        "/api/v1/customers/<string(maxlength=200):customer_id>": "matrix: customers",
        "/api/v1/customers/<string(maxlength=200):customer_id>/grades": "matrix: customers",
    }
    with_parameters = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/") and rule.arguments}
    assert with_parameters == set(covered)


# --- keys that include tenant_id ------------------------------------------------------------


def test_the_same_response_ids_version_numbers_and_idempotency_keys_in_two_tenants(make_tenant, engine):
    a, b = make_tenant("tenant-a"), make_tenant("tenant-b")
    for t in (a, b):
        assert t.upload()["version"] == 1
        r = t.post("/api/v1/responses", json={"responses": answers(2, "r", "x")}, headers={"Idempotency-Key": "k-1"})
        assert r.status_code == 201 and r.json == {"accepted": 2, "version": 1} and "Idempotent-Replayed" not in r.headers
        assert t.upload()["version"] == 2
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT tenant_id, response_key, version FROM responses ORDER BY tenant_id, response_key")).all()
        versions = connection.execute(text("SELECT tenant_id, version FROM config_versions ORDER BY 1, 2")).all()
        claims = connection.execute(text("SELECT tenant_id, key FROM idempotency_keys ORDER BY 1")).all()
    assert [tuple(r) for r in rows] == [(a.id, "r-0", 1), (a.id, "r-1", 1), (b.id, "r-0", 1), (b.id, "r-1", 1)]
    assert [tuple(v) for v in versions] == [(a.id, 1), (a.id, 2), (b.id, 1), (b.id, 2)]
    assert [tuple(c) for c in claims] == [(a.id, "k-1"), (b.id, "k-1")]


def test_unique_keys_of_tenant_tables_include_tenant_id(engine):
    """Composite with tenant_id, so one tenant's values never collide with (and so never
    reveal) another's; the two global ones hold nothing a tenant chose: a random key
    prefix, and the slug the operator gave the tenant."""
    inspector = inspect(engine)
    unique = {
        (table, tuple(u["column_names"]))
        for table in TENANT_TABLES
        for u in inspector.get_unique_constraints(table)
    }
    assert unique == {
        ("tenants", ("slug",)),
        ("api_keys", ("prefix",)),
        ("config_versions", ("tenant_id", "version")),
        ("responses", ("tenant_id", "response_key")),
        ("idempotency_keys", ("tenant_id", "key")),
        ("tenant_plugins", ("tenant_id", "plugin")),
        ("cases", ("tenant_id", "case_key")),
        ("case_events", ("tenant_id", "case_id", "event_key")),
        ("alerts", ("tenant_id", "dedup_key")),
        ("customers", ("tenant_id", "customer_key")),
        ("customer_grades", ("tenant_id", "customer_id", "period")),
        ("purchases", ("tenant_id", "purchase_key")),
        ("webhook_deliveries", ("tenant_id", "endpoint_id", "alert_id")),
        ("webhook_deliveries", ("tenant_id", "message_id")),
    }


def test_a_key_of_one_tenant_never_reaches_the_other(world, client):
    """The key decides the tenant: nothing in a URL, query or body can switch it."""
    victim, mallory, _ids = world
    for t, other in ((victim, mallory), (mallory, victim)):
        assert t.get("/api/v1/tenant").json["slug"] == t.slug
        assert t.get(f"/api/v1/tenant?tenant_id={other.id}").json["slug"] == t.slug
        r = t.post("/api/v1/keys", json={"name": "x", "tenant_id": other.id})
        assert r.status_code == 422 and ("body", "tenant_id") in {(e["location"], e["field"]) for e in r.json["errors"]}
    assert client.get("/api/v1/tenant", headers=auth(OPERATOR_KEY)).status_code == 401
