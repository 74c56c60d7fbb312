"""Constants and helpers the test modules share.

Test modules import them from here, never from ``conftest.py``, ``tests/db_fixtures.py``
(those provide fixtures) or from another test module; ``tests/test_layout.py`` checks.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import make_url

from core.db import unit_of_work
from core.db.base import Base
from core.db.tenancy import bind_tenant

ROOT = Path(__file__).resolve().parent.parent
OPERATOR_KEY = "operator-test-key-0123456789"
STORE_YAML = (ROOT / "config" / "examples" / "store.yaml").read_text(encoding="utf-8")
# Nine grades of retailers and their service menu (the worked grades: tests/test_customers.py).
TOBACCO_YAML = (ROOT / "config" / "examples" / "tobacco.yaml").read_text(encoding="utf-8")
# Its customers and services sections, to add to another configuration.
CUSTOMER_SECTIONS = "customers:" + TOBACCO_YAML.split("\ncustomers:", 1)[1]

# Two responses to config/examples/store.yaml, scored by hand in
# tests/test_api.py::test_known_answer_scores.
TWO = [
    {"response_id": "r1", "collected_at": "2026-01-15T10:00:00Z", "attributes": {"segment": "vip"},
     "answers": {"env_overall": "A", "env_noise": 2, "checkout_speed": "B", "cashier_attitude": "满意", "nps_recommend": 10}},
    {"response_id": "r2", "collected_at": "2026-04-02T10:00:00+08:00", "attributes": {"segment": "new"},
     "answers": {"env_overall": "Fairly dissatisfied", "env_noise": "8", "checkout_speed": "D", "cashier_attitude": "b", "nps_recommend": 5}},
]

# config/examples/store.yaml with three independent problems, each reported (path, line,
# message): sibling weights 0.4 + 0.5 (the list starting on line 21), an unknown scale
# (line 25) and a code used twice (line 31).
THREE_PROBLEMS_YAML = (
    STORE_YAML.replace("weight: 0.6\n", "weight: 0.5\n")
    .replace("{code: env_overall, weight: 0.7, scale: sat4", "{code: env_overall, weight: 0.7, scale: sat9")
    .replace("{code: checkout_speed,", "{code: env_overall,")
)
THREE_PROBLEMS = [
    ("indicator_set.children", 21, "sibling weights sum to 0.9, not 1"),
    ("indicator_set.children.0.children.0.scale", 25, "unknown scale 'sat9' (known: nps, sat4, ten)"),
    ("indicator_set.children.1.children.0.code", 31, "duplicate code 'env_overall'"),
]

# Every tenant table and the column naming its tenant, found from the models (not from the
# migration), so a table added later without row-level security fails these tests.
TENANT_TABLES = {"tenants": "id", **{t.name: "tenant_id" for t in Base.metadata.sorted_tables if "tenant_id" in t.c}}

# --- databases ------------------------------------------------------------------------------

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# The application's role in tests (cluster-wide; trust auth ignores the password, password
# auth uses it).
APP_ROLE = "csm_app_test"
APP_PASSWORD = "csm-app-test"


def pg_base_url() -> str:
    return os.environ.get("CSM_TEST_DATABASE_URL", DEFAULT_PG_URL)


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


@contextmanager
def app_session(app, tenant_id):
    """A unit of work as the application runs one (on PostgreSQL under row-level security)."""
    with unit_of_work(app.extensions["csm"].sessions) as session:
        bind_tenant(session, tenant_id)
        yield session


# --- the API --------------------------------------------------------------------------------


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


class TenantHandle:
    """A tenant created through the API, with its admin key and a few shortcuts."""

    def __init__(self, client, slug: str):
        r = client.post("/api/v1/tenants", json={"slug": slug, "name": slug.title()}, headers=auth(OPERATOR_KEY))
        assert r.status_code == 201, r.json
        self.client = client
        self.id = r.json["tenant"]["id"]
        self.slug = slug
        self.key = r.json["api_key"]
        self.headers = auth(self.key)

    def get(self, url, **kw):
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url, **kw):
        return self.client.post(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def put(self, url, **kw):
        return self.client.put(url, headers=self.headers, **kw)

    def delete(self, url, **kw):
        return self.client.delete(url, headers=self.headers, **kw)

    def upload(self, yaml_text: str = STORE_YAML):
        r = self.post("/api/v1/config/versions", data=yaml_text.encode(), content_type="application/yaml")
        assert r.status_code == 201, r.json
        return r.json

# a two-question document defining its one scale
SMALL = """version: 1
scales:
  ten: {kind: numeric, min: 0, max: 10}
indicator_set:
  code: small
  children:
    - {code: q1, scale: ten, weight: 0.5}
    - {code: q2, scale: ten, weight: 0.5}
"""

# The restaurant's ladder (seed 003): no dish within 10 minutes, a fruit plate; after 15,
# 20 % off as well; after 20, on a complaint, the manager brings double compensation within
# 5 minutes. A commitments section, appended to a document such as SMALL.
RESTAURANT = """
commitments:
  - code: first_dish
    name_zh: 上菜时限
    applies_to: 'case.type == "dine_in"'
    clock: {start: ordered, stop: dish_served}
    limit: 10m
    ladder:
      - {code: fruit_plate, after: 10m, remedy: "free fruit plate"}
      - {code: discount_20, after: 15m, remedy: "20 % off the meal", percent_off: 20}
      - {code: double_refund, after: 20m, when: '"complained" in case.events', respond_within: 5m,
         delivered: compensation_paid, remedy: "manager brings double compensation"}
"""

# store.yaml plus an open (text) question, so text answers can be tried too
TEXT_YAML = STORE_YAML.replace("  nps: {kind: nps}", "  nps: {kind: nps}\n  comment: {kind: text}").replace(
    '(0-10)?"}', '(0-10)?"}\n        - {code: what_to_improve, scale: comment}'
)


def tenant(app) -> TenantHandle:
    """A new tenant (unique slug, so several apps can share the database and Redis)."""
    return TenantHandle(app.test_client(), "t-" + uuid.uuid4().hex[:10])


def assert_429(r, limit_text: str):
    assert r.status_code == 429
    assert r.json["code"] == 429 and r.json["status"] == "Too Many Requests"
    assert limit_text in r.json["message"]
    retry_after = int(r.headers["Retry-After"])
    assert 1 <= retry_after <= 60  # every limit here is per minute


# --- cases, alerts and webhooks ---------------------------------------------------------------

# A public address for endpoints that are registered but never delivered to (nothing in
# those tests runs a delivery); deliveries in tests go to a Receiver on 127.0.0.1.
PUBLIC_HOOK_URL = "https://93.184.215.14/csm-hook"


def use_evaluator(app, evaluator) -> None:
    """Make ``app`` evaluate cases with ``evaluator`` (core.alerts.evaluation)."""
    from core.operations.cases import EVALUATOR_KEY

    app.extensions["csm"].sessions.kw["info"][EVALUATOR_KEY] = evaluator


def use_customer_fields(app, hook) -> None:
    """Make ``app`` read customers' fields (``customer.*``) through ``hook`` (session,
    tenant id, customer ids → customer id → fields); None: back to none."""
    from core.operations.cases import CUSTOMER_FIELDS_KEY

    state = app.extensions["csm"]
    for factory in (state.sessions, state.read_sessions):
        if hook is None:
            factory.kw["info"].pop(CUSTOMER_FIELDS_KEY, None)
        else:
            factory.kw["info"][CUSTOMER_FIELDS_KEY] = hook


class Receiver:
    """A webhook receiver on 127.0.0.1 in a thread, recording every request.

    ``answers`` is the list of statuses to give, one per request (the last repeats); a
    3xx answers with ``Location: redirect_to``. While ``held`` is cleared, requests wait
    for it (to catch a sender mid-request); ``started`` is set once a request arrived.
    """

    def __init__(self, answers=(204,), redirect_to: str = "http://127.0.0.1:9/"):
        import http.server
        import threading

        self.answers = list(answers)
        self.requests: list[tuple[dict, bytes]] = []
        self.held = threading.Event()
        self.held.set()
        self.started = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                receiver.started.set()
                receiver.held.wait(30)
                status = receiver.answers[min(len(receiver.requests), len(receiver.answers)) - 1]
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def ids(self) -> list[str]:
        return [h["webhook-id"] for h, _ in self.requests]

    def close(self) -> None:
        self.held.set()
        self.server.shutdown()
        self.server.server_close()


def fill_customers(t, mark: str = "x") -> dict:
    """Give tenant ``t`` (whose latest configuration has CUSTOMER_SECTIONS) a row in each
    customer table through the API: customer ``customer-of-<mark>`` graded G3 for
    2026-03 (0.5 × 30 + 0.3 × 50 + 0.2 × 40 = 38), one entitled service request (no
    alert, so the alert tables hold what fill_cases_and_webhooks put there) and one
    purchase (``purchase-of-<mark>``) of that customer. Returns the ids."""
    customer_id = f"customer-of-{mark}"
    r = t.post("/api/v1/customers", json={"period": "2026-03", "customers": [{"customer_id": customer_id, "attributes": {"contribution": 30, "compliance": 50, "capability": 40}}]})
    assert r.status_code == 201 and r.json["counts"]["G3"] == 1, r.json
    r = t.post("/api/v1/service-requests", json={"customer_id": customer_id, "service": "phone_order", "at": "2026-03-10T09:00:00Z"})
    assert r.status_code == 201 and r.json["outcome"] == "entitled", r.json
    r = t.post("/api/v1/purchases", json={"purchases": [{"purchase_id": f"purchase-of-{mark}", "customer_id": customer_id, "purchased_at": "2026-03-10T09:00:00Z", "amount": 120, "category_spend": 400}]})
    assert r.status_code == 201 and r.json["created"] == 1, r.json
    return {"customers": [customer_id]}


def fill_cases_and_webhooks(app, t, mark: str = "x") -> dict:
    """Give tenant ``t`` a row in each case, alert and webhook table through the API: a
    case (``case-of-<mark>``) and an event breaching a 10-minute deadline, so one alert;
    an endpoint on a local Receiver (private receivers allowed for the while), and that
    alert's delivery attempted once. Every stored text carries ``mark``. Returns the ids."""
    from datetime import timedelta

    from core.alerts import Deadline
    from core.operations import webhooks

    use_evaluator(app, Deadline(timedelta(minutes=10)))
    receiver = Receiver()
    settings = app.extensions["csm"].settings
    settings["WEBHOOK_ALLOW_PRIVATE"] = True
    case_id = f"case-of-{mark}"
    try:
        hook = t.post("/api/v1/webhooks", json={"url": receiver.url, "description": f"{mark} hook"})
        assert hook.status_code == 201, hook.json
        r = t.post("/api/v1/cases", json={"cases": [{"case_id": case_id, "case_type": "dine_in", "attributes": {"note": mark}}]})
        assert r.status_code == 201, r.json
        r = t.post("/api/v1/case-events", json={"events": [{"case_id": case_id, "type": "opened", "at": "2026-01-01T10:00:00Z", "attributes": {"note": mark}}]})
        assert r.status_code == 201 and r.json["alerts_raised"] == 1, r.json
        hook_id = hook.json["endpoint"]["id"]
        [delivery] = t.get(f"/api/v1/webhooks/{hook_id}/deliveries").json
        assert webhooks.deliver(app.extensions["csm"].sessions, t.id, delivery["id"], settings).status == "delivered"
    finally:
        settings["WEBHOOK_ALLOW_PRIVATE"] = False
        receiver.close()
    return {"alerts": [a["id"] for a in t.get("/api/v1/alerts").json], "cases": [case_id], "webhooks": [hook_id]}


# --- analyses -------------------------------------------------------------------------------

# A journey with every mark: overall question, an expectation pair, peak and end stages,
# a KANO feature on the core's `kano` scale, loyalty questions.
ESTATE_YAML = """version: 1
scales:
  ten: {kind: numeric, min: 0, max: 10}
indicator_set:
  code: estate
  children:
    - code: sales
      weight: 0.5
      peak_end: peak
      children:
        - {code: sign, weight: 0.5, scale: ten, touchpoint: contract}
        - {code: sign_exp, weight: 0, scale: ten, expectation_of: sign, touchpoint: contract}
        - {code: hand, weight: 0.5, scale: ten, touchpoint: handover}
    - code: service
      weight: 0.5
      peak_end: end
      children:
        - {code: fix, scale: ten, touchpoint: repairs}
        - {code: fee, scale: ten, touchpoint: fees}
    - code: extra
      weight: 0
      children:
        - {code: overall, weight: 0.4, scale: ten, role: overall}
        - {code: loyal, weight: 0.3, scale: ten}
        - {code: again, weight: 0.3, scale: ten}
        - {code: app_f, weight: 0, scale: kano}
        - {code: app_d, weight: 0, scale: kano}
analysis:
  kano:
    features: [{code: app, functional: app_f, dysfunctional: app_d}]
  pls:
    constructs: {SALES: [sign, hand], SERV: [fix, fee], SAT: [overall, loyal]}
    paths: {SAT: [SALES, SERV]}
  min_n: 10
"""


def estate_csv(n: int = 120, seed: int = 3) -> str:
    rng = np.random.default_rng(seed)
    sign, hand, fix, fee = (rng.integers(0, 11, n) for _ in range(4))
    overall = np.clip(np.round(0.1 * sign + 0.2 * hand + 0.5 * fix + 0.2 * fee + rng.normal(0, 1, n)), 0, 10).astype(int)
    frame = pd.DataFrame({
        "response_id": [f"r{i}" for i in range(n)],
        "collected_at": pd.date_range("2026-01-01", periods=n, freq="h", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": rng.choice(["north", "south"], n),
        "sign": sign, "sign_exp": np.clip(sign + rng.integers(-2, 3, n), 0, 10), "hand": hand, "fix": fix, "fee": fee,
        "overall": overall, "loyal": np.clip(overall + rng.integers(-2, 3, n), 0, 10), "again": np.clip(overall + rng.integers(-3, 2, n), 0, 10),
        "app_f": rng.choice(["like", "neutral", "must_be"], n), "app_d": rng.choice(["dislike", "neutral", "live_with"], n),
    })
    frame.loc[::17, "fee"] = None  # some blanks
    return frame.to_csv(index=False)


# --- the purchases worked example (tests/test_purchases_api.py works it by hand) ----------

SHOP_YAML = """version: 1
scales:
  ten: {kind: numeric, min: 0, max: 10}
indicator_set:
  code: shop
  children:
    - {code: overall, weight: 1, scale: ten, role: overall}
    - {code: premium, weight: 0, scale: ten}
    - {code: recommend, weight: 0, scale: ten}
    - {code: refer, weight: 0, scale: ten}
analysis:
  loyalty:
    emotional: [premium, recommend]
    weights: {recency: 1, frequency: 1, share_of_wallet: 1, lifetime: 1}
    composite: {transactional: 3, emotional: 1}
  customer_value:
    components: {loyalty: loyalty, referrals: refer}
    weights: {revenue: 2, loyalty: 1, referrals: 1}
    cutoffs: [0.7, 0.95]
"""

PURCHASES = [
    {"purchase_id": "a1", "customer_id": "A", "purchased_at": "2026-01-01T00:00:00Z", "amount": 100},
    {"purchase_id": "a2", "customer_id": "A", "purchased_at": "2026-02-01T00:00:00Z", "amount": 100},
    {"purchase_id": "a3", "customer_id": "A", "purchased_at": "2026-03-01T00:00:00Z", "amount": 100},
    {"purchase_id": "a4", "customer_id": "A", "purchased_at": "2026-04-01T08:00:00+08:00", "amount": 100, "category_spend": 500},
    {"purchase_id": "b1", "customer_id": "B", "purchased_at": "2026-03-01T00:00:00Z", "amount": 900, "category_spend": 3000},
    {"purchase_id": "c1", "customer_id": "C", "purchased_at": "2026-01-15T00:00:00Z", "amount": 50},
    {"purchase_id": "c2", "customer_id": "C", "purchased_at": "2026-03-15T00:00:00Z", "amount": "50"},
]
RESPONSES = """customer_id,collected_at,overall,premium,recommend,refer
A,2026-03-02T00:00:00Z,9,8,10,10
B,2026-03-02T00:00:00Z,5,6,8,5
B,2026-03-03T00:00:00Z,4,4,6,
D,2026-03-04T00:00:00Z,10,10,10,
"""


# --- the tobacco case's worked grades (config/examples/tobacco.yaml) ---------------------

# contribution, compliance, capability -> 0.5 c + 0.3 k + 0.2 a, worked by hand:
WORKED = [
    ("A", 90, 80, 70, 83.0, "G8"),  # 45 + 24 + 14 = 83: 80 <= 83 < 90
    ("B", 40, 40, 40, 40.0, "G4"),  # 20 + 12 + 8 = 40: a band's min is inclusive
    ("C", 30, 50, 40, 38.0, "G3"),  # 15 + 15 + 8 = 38
    ("D", 100, 100, 100, 100.0, "G9"),
    ("E", 0, 0, 0, 0.0, "G1"),
    ("F", 70, 70, 70, 70.0, "G7"),  # exactly the G7 line
    ("G", 89.9, 90, 90, 89.95, "G8"),  # 44.95 + 27 + 18 = 89.95: not yet G9
]
BASIC = ["phone_order", "online_order", "delivery"]
EXPECTED = ["business_guidance", "agreement_supply"]
