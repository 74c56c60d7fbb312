"""Every documented 2xx JSON answer matches its schema in /openapi.json, exactly.

A full session (tenant, configurations, ingest JSON and CSV with a replay, listings,
scores with and without breakdowns, industries and catalogues, versions, keys, webhooks,
cases and their events, alerts, audit) is
recorded; each JSON answer is validated against the schema the spec gives for its
operation and status (``$ref``s resolved in the spec's own components; OpenAPI 3.0
``nullable`` turned into JSON Schema's ``null`` type). Objects with listed properties are
closed here (``additionalProperties: false``) unless the spec says otherwise, so a field
the engine adds without documenting it fails this test; the API passes structured data
through unfiltered (core.api.common.JsonShape), so it would show. Every operation that
documents a 2xx JSON answer must have been validated at least once, so a new endpoint
fails until the session covers it. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import jsonschema_rs
import pytest

from core.app import create_app
from core.hookspecs import hookimpl
from core.model import KPI, AttributeValue, Factor, Industry, PluginInfo, RespondentAttribute, Rule, Scale, ServiceTier, Stage, Touchpoint
from core.plugins import get_plugin_manager
from core.alerts import Deadline
from tests.helpers import OPERATOR_KEY, PUBLIC_HOOK_URL, RESTAURANT, SMALL, STORE_YAML, TEXT_YAML, TOBACCO_YAML, auth

# Keywords of OpenAPI 3.0 schema objects that are documentation, not constraints, or have
# no JSON Schema counterpart; removed before validating.
NOT_CONSTRAINTS = {"nullable", "description", "title", "default", "example", "examples", "readOnly", "writeOnly", "deprecated", "xml", "externalDocs", "discriminator"}
SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")


class ServicePlugin:
    """An industry with something in every catalogue list (retail has no KPIs, rules or
    tiers), so each list's item schema meets real data."""

    csm_plugin_info = PluginInfo(name="service-catalogue", version="1.0", core=">=0.1")

    @hookimpl
    def csm_industries(self):
        return [
            Industry(
                "service",
                "Service desk",
                "服务台",
                "A test industry.",
                "test fixture",
                factors=(Factor("speed", "Speed", "速度", "test fixture"),),
                respondent_attributes=(RespondentAttribute("channel", "Channel", "渠道", (AttributeValue("web", "Web", "网页"), AttributeValue("phone")), "test fixture"),),
            )
        ]

    @hookimpl
    def csm_touchpoints(self, industry):
        if industry != "service":
            return []
        return [Stage("contact", "Contact", "联系", (Touchpoint("desk", "Desk", "柜台", "contact", "The desk.", "test fixture"),), "test fixture")]

    @hookimpl
    def csm_scales(self, industry):
        return [Scale("ten", "numeric", min=0, max=10, name="Ten"), Scale("open", "text"), Scale("nps", "nps")] if industry == "service" else []

    @hookimpl
    def csm_kpis(self, industry):
        return [KPI("wait", "Waiting time", "等待时间", "min", "lower_is_better", "Minutes.", "test fixture", {"target": 5, "alert": [10, 15]})] if industry == "service" else []

    @hookimpl
    def csm_expectation_rules(self, industry):
        return [Rule("callback", "Call back", "回电", "promise", "Within a day.", "test fixture", {"hours": 24})] if industry == "service" else []

    @hookimpl
    def csm_service_tiers(self, industry):
        return [ServiceTier("gold", "Gold", "金", 2, ("callback", "priority"), "", "test fixture"), ServiceTier("basic", "Basic", rank=1)] if industry == "service" else []


KANO_YAML = """version: 1
scales:
  ten: {kind: numeric, min: 0, max: 10}
indicator_set:
  code: k
  children:
    - {code: q, weight: 0, scale: ten, role: overall}
    - {code: x1, weight: 0.5, scale: ten, touchpoint: desk}
    - {code: x2, weight: 0.5, scale: ten}
    - {code: f, weight: 0, scale: kano}
    - {code: d, weight: 0, scale: kano}
analysis:
  kano: {features: [{code: app, functional: f, dysfunctional: d}]}
"""


class Recorder:
    """A test client that keeps every (method, url, response)."""

    def __init__(self, app):
        self.client = app.test_client()
        self.seen: list[tuple[str, str, object]] = []

    def __call__(self, method: str, url: str, headers: dict, **kw):
        r = getattr(self.client, method)(url, headers=headers, **kw)
        assert r.status_code < 400, (method, url, r.status_code, r.get_data(as_text=True)[:300])
        self.seen.append((method, url, r))
        return r


def run_session(call) -> None:
    op = auth(OPERATOR_KEY)
    created = call("post", "/api/v1/tenants", op, json={"slug": "acme", "name": "Acme"}).json
    call("get", "/api/v1/tenants", op)
    call("get", "/api/v1/tenants/acme", op)
    admin = auth(created["api_key"])
    call("get", "/api/v1/tenant", admin)
    call("post", "/api/v1/config/validate", admin, data=TEXT_YAML.encode(), content_type="application/yaml")
    call("post", "/api/v1/config/versions", admin, data=TEXT_YAML.encode(), content_type="application/yaml")
    template = "version: 1\nindustry: retail\nsource: survey of 2026\nindicator_set: {template: supermarket-csi, overrides: {service: {weight: 0.15}, checkout: {weight: 0.35}}}\n"
    call("post", "/api/v1/config/versions", admin, json={"yaml": template, "filename": "retail.yaml"})
    call("get", "/api/v1/config/versions", admin)
    call("get", "/api/v1/config/versions/1", admin)
    call("get", "/api/v1/config/versions/2", admin)
    items = [
        {"response_id": "r1", "customer_id": "c1", "touchpoint": "checkout", "collected_at": "2026-01-15T10:00:00Z", "attributes": {"segment": "vip", "visits": 3},
         "answers": {"env_overall": "A", "env_noise": 2, "checkout_speed": "B", "cashier_attitude": "满意", "nps_recommend": 10, "what_to_improve": "更快 ✓"}},
        {"response_id": "r2", "collected_at": "2026-04-02T10:00:00+08:00", "attributes": {"segment": "new"},
         "answers": {"env_overall": "C", "env_noise": 8, "checkout_speed": "D", "nps_recommend": 5}},
    ]
    for _ in range(2):  # the second is the replay
        call("post", "/api/v1/responses", {**admin, "Idempotency-Key": "k-1"}, json={"version": 1, "responses": items})
    csv = "response_id,collected_at,segment,env_overall,nps_recommend\nc1,2026-02-01T09:00:00Z,vip,B,9\nc2,2026-02-02T09:00:00Z,,D,0\n"
    call("post", "/api/v1/responses/csv?version=1", admin, data=csv.encode(), content_type="text/csv")
    call("get", "/api/v1/responses?page_size=3", admin)
    call("get", "/api/v1/responses?version=1&page=2&page_size=3", admin)
    for query in ("?version=1", "?version=1&by=segment", "?version=1&by=touchpoint,period&period=quarter", "?version=1&by=period&from=2026-02-01T00:00:00Z",
                  "?version=1&by=period&compare=previous&min_n=2", ""):
        call("get", "/api/v1/scores" + query, admin)  # "": version 2, nothing collected under it: all null
    call("get", "/api/v1/analyses", admin)
    for query in ("loyalty_matrix?version=1&loyalty=nps_recommend&segment=segment",
                  "tiers?version=1&satisfied=env_overall&recommend=nps_recommend", "ahp?criteria=a,b&judgements=[[\"a\",\"b\",3]]"):
        call("get", "/api/v1/analyses/" + query, admin)
    call("post", "/api/v1/config/versions", admin, data=KANO_YAML.encode(), content_type="application/yaml")
    rows = [(7, 6, 2, "like", "dislike"), (3, 2, 5, "neutral", "dislike"), (9, 9, 1, "like", "neutral"), (5, 4, 4, "like", "dislike"), (6, 7, 3, "must_be", "live_with")]
    kano_answers = [{"collected_at": "2026-05-01T00:00:00Z", "answers": dict(zip(("q", "x1", "x2", "f", "d"), row)), "attributes": {"region": "north"}} for row in rows]
    call("post", "/api/v1/responses", admin, json={"responses": kano_answers})
    call("get", "/api/v1/analyses/kano?segment=region", admin)
    call("get", "/api/v1/analyses/drivers?method=shapley&bootstrap=5", admin)
    call("delete", "/api/v1/customers/no-such-customer/responses", admin)  # erases 0
    call("get", "/api/v1/industries", admin)
    call("get", "/api/v1/industries/retail", admin)
    call("get", "/api/v1/industries/service", admin)
    call("get", "/api/v1/keys", admin)
    soon = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    key = call("post", "/api/v1/keys", admin, json={"name": "integration", "role": "integrator", "expires_at": soon}).json
    call("get", f"/api/v1/keys/{key['key']['id']}", admin)
    call("patch", f"/api/v1/keys/{key['key']['id']}", admin, json={"role": "viewer"})
    call("get", "/api/v1/keys", admin)
    call("put", "/api/v1/tenant/plugins/service-catalogue", admin)
    call("get", "/api/v1/tenant/plugins", admin)
    call("get", "/api/v1/tenant/capabilities", admin)
    hook = call("post", "/api/v1/webhooks", admin, json={"url": PUBLIC_HOOK_URL, "description": "alerts", "kinds": ["breached"]}).json
    hook_id = hook["endpoint"]["id"]
    call("patch", f"/api/v1/webhooks/{hook_id}", admin, json={"description": "breaches"})
    call("post", f"/api/v1/webhooks/{hook_id}/rotate-secret", admin)
    call("get", "/api/v1/webhooks", admin)
    call("get", f"/api/v1/webhooks/{hook_id}", admin)
    call("post", "/api/v1/cases", admin, json={"cases": [{"case_id": "k1", "case_type": "dine_in", "customer_id": "c1", "opened_at": "2026-01-01T10:00:00Z", "attributes": {"table": 5}}]})
    events = [{"case_id": "k1", "type": "opened", "at": "2026-01-01T10:00:00Z", "attributes": {"by": "web"}}, {"case_id": "k2", "type": "opened", "at": "2026-01-01T11:00:00Z", "event_id": "e1"}]
    call("post", "/api/v1/case-events", admin, json={"events": events})
    call("get", "/api/v1/cases", admin)
    call("get", "/api/v1/cases/k1", admin)
    alerts = call("get", "/api/v1/alerts?kind=breached&from=2026-01-01T00:00:00Z", admin).json
    call("get", f"/api/v1/alerts/{alerts[0]['id']}", admin)
    call("post", f"/api/v1/alerts/{alerts[0]['id']}/acknowledge", admin)
    call("get", f"/api/v1/webhooks/{hook_id}/deliveries", admin)
    call("post", "/api/v1/config/versions", admin, data=TOBACCO_YAML.encode(), content_type="application/yaml")
    customers = [{"customer_id": "A", "attributes": {"contribution": 90, "compliance": 80, "capability": 70, "region": "urban"}}, {"customer_id": 7, "attributes": {"contribution": 1, "compliance": 2, "capability": 3}}]
    for _ in range(2):  # the second is the replay
        call("post", "/api/v1/customers", {**admin, "Idempotency-Key": "c-1"}, json={"customers": customers, "period": "2026-03"})
    call("get", "/api/v1/customers?page_size=1", admin)
    call("get", "/api/v1/customers/A", admin)
    call("get", "/api/v1/customers/7/grades", admin)
    for service in ("phone_order", "online_allocation", "free_gifts"):
        call("post", "/api/v1/service-requests", admin, json={"customer_id": "7", "service": service, "at": "2026-03-05T10:00:00Z"})
    call("get", "/api/v1/service-requests?outcome=above_grade&from=2026-03-01T00:00:00Z", admin)
    purchases = [{"purchase_id": "p1", "customer_id": "A", "purchased_at": "2026-03-01T00:00:00Z", "amount": 120.5, "category_spend": 400},
                 {"purchase_id": 2, "customer_id": 7, "purchased_at": "2026-03-02T10:00:00+08:00", "amount": "30"}]
    for _ in range(2):  # the second is the replay
        call("post", "/api/v1/purchases", {**admin, "Idempotency-Key": "p-1"}, json={"purchases": purchases})
    call("get", "/api/v1/purchases?customer_id=A", admin)
    call("get", "/api/v1/audit?page_size=100", admin)
    # commitments' figures: the restaurant ladder, a remedy owed in time, a reopened case
    call("post", "/api/v1/config/versions", admin, data=(SMALL + RESTAURANT).encode(), content_type="application/yaml")
    dinner = [("ordered", "12:00"), ("complained", "12:21"), ("compensation_paid", "12:24"), ("dish_served", "12:30"), ("ordered", "13:00")]
    call("post", "/api/v1/case-events", admin, json={"events": [{"case_id": "d1", "type": t, "at": f"2026-03-01T{hm}:00Z", "event_id": f"d1-{i}"} for i, (t, hm) in enumerate(dinner)]})
    call("get", "/api/v1/cases/d1?at=2026-03-01T13:05:00Z", admin)
    call("get", "/api/v1/commitments/on-time?by=period,touchpoint&from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z", admin)
    call("get", "/api/v1/commitments/on-time", admin)


def closed(schema):
    """An OpenAPI 3.0 schema object as JSON Schema (draft 4), objects with properties closed."""
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return {"$ref": schema["$ref"]}
    out = {}
    for keyword, value in schema.items():
        if keyword in NOT_CONSTRAINTS:
            continue
        if keyword == "properties":
            out[keyword] = {name: closed(sub) for name, sub in value.items()}
        elif keyword in ("items", "not", "additionalProperties"):
            out[keyword] = closed(value)
        elif keyword in SUBSCHEMA_LISTS:
            out[keyword] = [closed(sub) for sub in value]
        else:
            out[keyword] = value
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if schema.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def path_of(app, method: str, url: str) -> str:
    """The spec's path of the operation serving ``url``."""
    endpoint, _ = app.url_map.bind("localhost").match(url.split("?")[0], method=method.upper())
    (rule,) = app.url_map.iter_rules(endpoint)
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)


def json_success(spec) -> set[tuple[str, str]]:
    """(method, path) of every operation documenting a 2xx JSON answer."""
    return {
        (method, path)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if isinstance(op, dict)
        for status, answer in op.get("responses", {}).items()
        if status.startswith("2") and "application/json" in answer.get("content", {})
    }


@pytest.fixture
def app(app_db_url):
    app = create_app({"DATABASE_URL": app_db_url, "OPERATOR_KEY": OPERATOR_KEY}, plugin_manager=get_plugin_manager(extra=[ServicePlugin()]), evaluator=Deadline(timedelta(minutes=10)))
    yield app
    app.extensions["csm"].engine.dispose()


def test_every_documented_json_answer_matches_its_schema_exactly(app):
    recorder = Recorder(app)
    run_session(recorder)
    spec = app.test_client().get("/openapi.json").json
    components = {"schemas": {name: closed(s) for name, s in spec["components"]["schemas"].items()}}
    validated: set[tuple[str, str]] = set()
    problems = []
    for method, url, r in recorder.seen:
        path = path_of(app, method, url)
        answers = spec["paths"][path][method]["responses"]
        documented = answers.get(str(r.status_code), {}).get("content", {})
        assert r.mimetype in documented, (method, url, r.status_code, r.mimetype, "undocumented answer")
        if r.mimetype != "application/json":
            continue
        schema = {**closed(documented["application/json"]["schema"]), "components": components}
        validator = jsonschema_rs.Draft4Validator(schema, validate_formats=True)
        problems += [(method, url, f"{'/'.join(map(str, e.instance_path))}: {e.message}") for e in validator.iter_errors(r.get_json())]
        validated.add((method, path))
    assert problems == []
    assert json_success(spec) - validated == set(), "operations whose JSON answers this session never produced"


def test_the_spec_has_no_untyped_objects(client):
    """No bare ``fields.Dict`` in the spec: an object lists its properties or types its
    values; a free-form mapping (``additionalProperties: {}``) says what it holds."""
    spec = client.get("/openapi.json").json
    untyped = []

    def walk(schema, where):
        if not isinstance(schema, dict):
            return
        if schema.get("type") == "object":
            values = schema.get("additionalProperties")
            if "properties" not in schema and not values and not (values == {} and schema.get("description")):
                untyped.append(where)
        for name, sub in schema.get("properties", {}).items():
            walk(sub, f"{where}.{name}")
        for keyword in ("items", "additionalProperties", "not"):
            walk(schema.get(keyword), f"{where}[{keyword}]")
        for keyword in SUBSCHEMA_LISTS:
            for i, sub in enumerate(schema.get(keyword, [])):
                walk(sub, f"{where}.{keyword}[{i}]")

    for name, schema in spec["components"]["schemas"].items():
        walk(schema, name)
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if isinstance(op, dict):
                for status, answer in op.get("responses", {}).items():
                    for content in answer.get("content", {}).values():
                        walk(content.get("schema"), f"{method} {path} {status}")
    assert untyped == []
