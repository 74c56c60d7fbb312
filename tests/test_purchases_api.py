"""Purchase records through the API, and the loyalty and customer-value analyses on them.

POST /purchases is all or nothing and idempotent; GET /purchases pages; the analyses
``loyalty`` and ``customer_value`` read the stored purchases with the stored responses
and give the figures worked by hand below (SHOP_YAML, PURCHASES, RESPONSES); offline
(``apply`` on the same rows) they give the same. Runs on SQLite and PostgreSQL.

The worked example (as_of = the latest purchase, 2026-04-01T00:00Z):

    customer  purchases (amount)                        category_spend  responses (0..10)
    A         01-01, 02-01, 03-01, 04-01 (100 each)     500 (last one)  premium 8, recommend 10, refer 10
    B         03-01 (900)                               3000            (6, 8, refer 5), (4, 6, refer blank)
    C         01-15, 03-15 (50 each)                    none            none
    D         none                                      -               premium 10, recommend 10

Transactional (each component a 0..100 percentile rank, ties averaged; weights 1 each):
    recency days   A 0, B 31, C 17   (fewer is better) → A 100, C 50, B 0
    frequency      A 4, B 1, C 2                        → A 100, C 50, B 0
    share of wallet A 400/500 = 0.8, B 900/3000 = 0.3, C none → A 100, B 0 (n = 2)
    lifetime days  A 90, B 31, C 76 (01-15 → 04-01)     → A 100, C 50, B 0
    transactional  A 100, B 0, C (50+50+50)/3 = 50 (share of wallet absent: renormalised)
Emotional (mean of premium and recommend as 0..100, then mean over the customer's responses):
    A (80+100)/2 = 90; B ((60+80)/2 + (40+60)/2)/2 = 60; D 100; C none
Loyalty, composite {transactional: 3, emotional: 1}:
    A (3·100 + 90)/4 = 97.5; B (0 + 60)/4 = 15; C 50 (transactional only); D 100 (emotional only)
    ranked D, A, C, B.
Customer value, components {loyalty: loyalty, referrals: refer}, weights {revenue: 2, loyalty: 1,
referrals: 1}, cut-offs [0.7, 0.95]:
    revenue B 900, A 400, C 100 (total 1400): shares 0.642857, 0.285714, 0.071429;
    cumulative 0.642857 (A: the first is always A), 0.928571 (≤ 0.95: B), 1.0 (C)
    top 20 % = ceil(0.6) = 1 customer: B, 900/1400 = 0.642857
    revenue score (percentile) B 100, A 50, C 0; referrals A 100, B 50, C none
    value A (2·50 + 97.5 + 100)/4 = 74.375; B (2·100 + 15 + 50)/4 = 66.25; C (0 + 50)/3 = 16.667
"""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import text

from core.analysis.methods import ANALYSIS_METHODS
from core.ingest import read_csv_batch
from core.ingest.purchases import purchases_from_items
from core.operations.analyses import apply, from_text, resolve
from core.operations.configuration import read_config
from core.plugins import IndustryRegistry, get_plugin_manager
from tests.helpers import PURCHASES, RESPONSES, SHOP_YAML

METHODS = {m.code: m for m in ANALYSIS_METHODS}
REGISTRY = IndustryRegistry(get_plugin_manager())


def rows(engine, sql, **params):
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(sql), params)]


def post(t, items, **kw):
    return t.post("/api/v1/purchases", json={"purchases": items}, **kw)


@pytest.fixture
def shop(make_tenant):
    t = make_tenant("shop")
    t.upload(SHOP_YAML)
    r = t.post("/api/v1/responses/csv", data=RESPONSES.encode(), content_type="text/csv")
    assert r.status_code in (200, 201), r.json
    r = post(t, PURCHASES)
    assert r.status_code == 201, r.json
    return t


def offline(code: str, **given) -> dict:
    config = read_config(SHOP_YAML.encode(), "shop.yaml", REGISTRY.template)
    batch = read_csv_batch(RESPONSES.encode(), config.indicator_set)
    frame = pd.concat([batch.meta, batch.attributes, batch.answers], axis=1)
    method = METHODS[code]
    purchases = purchases_from_items(PURCHASES)[["customer_id", "purchased_at", "amount", "category_spend"]]
    return apply(method, frame, config.indicator_set, resolve(method, config.section("analysis"), from_text(method, given)), purchases)


def test_ingest_is_all_or_nothing_idempotent_and_pages(make_tenant, engine):
    t = make_tenant("buyer")
    r = post(t, PURCHASES)
    assert r.status_code == 201 and r.json == {"accepted": 7, "created": 7, "updated": 0, "unchanged": 0}
    assert r.headers["Location"].endswith("/api/v1/purchases")
    assert post(t, PURCHASES).json == {"accepted": 7, "created": 0, "updated": 0, "unchanged": 7}  # sent twice: nothing new
    corrected = [dict(PURCHASES[0], amount=120)]
    assert post(t, corrected).json == {"accepted": 1, "created": 0, "updated": 1, "unchanged": 0}
    assert rows(engine, "SELECT amount FROM purchases WHERE purchase_key = 'a1' AND tenant_id = :t", t=t.id) == [(120.0,)]
    page = t.get("/api/v1/purchases?page_size=2&page=2")
    assert page.status_code == 200 and [p["purchase_id"] for p in page.json] == ["a2", "a3"]  # oldest first: a1, c1 | a2, a3 | ...
    c1 = t.get("/api/v1/purchases?page_size=2").json[1]
    assert c1 == {**c1, "purchase_id": "c1", "customer_id": "C", "purchased_at": "2026-01-15T00:00:00+00:00", "amount": 50.0, "category_spend": None}
    a4 = t.get("/api/v1/purchases?customer_id=A").json[-1]
    assert a4["purchased_at"] == "2026-04-01T00:00:00+00:00" and a4["category_spend"] == 500.0  # +08:00 converted to UTC


BAD = [
    ({"purchase_id": "x", "customer_id": "A", "purchased_at": "2026-01-01", "amount": -1}, "amount", "must be a number >= 0"),
    ({"purchase_id": "x", "customer_id": "A", "purchased_at": "2026-01-01", "amount": True}, "amount", "must be a finite number"),
    ({"purchase_id": "x", "customer_id": "A", "purchased_at": "2026-01-01", "amount": "lots"}, "amount", "must be a finite number"),
    ({"purchase_id": "x", "customer_id": "A", "purchased_at": "yesterday", "amount": 1}, "purchased_at", "'yesterday' is not an ISO 8601 date-time (e.g. 2026-03-31T14:05:00+08:00)"),
    ({"purchase_id": "x", "customer_id": "A", "purchased_at": "2999-01-01", "amount": 1}, "purchased_at", "lies in the future"),
    ({"purchase_id": "x", "customer_id": "A", "purchased_at": "2026-01-01", "amount": 1, "category_spend": 0}, "category_spend", "must be a number > 0"),
    ({"purchase_id": "x", "customer_id": None, "purchased_at": "2026-01-01", "amount": 1}, "customer_id", "required field is missing"),
    ({"purchase_id": "x" * 201, "customer_id": "A", "purchased_at": "2026-01-01", "amount": 1}, "purchase_id", "longer than 200 characters"),
    ({"purchase_id": "x", "customer_id": "A", "purchased_at": "2026-01-01", "amount": 1, "store": "north"}, "store", None),
    ({"purchase_id": "a1", "customer_id": "A", "purchased_at": "2026-01-01", "amount": 1}, "purchase_id", "duplicate purchase_id 'a1' in this batch"),
]


@pytest.mark.parametrize("bad,field,reason", BAD, ids=[b[1] + str(i) for i, b in enumerate(BAD)])
def test_a_bad_purchase_refuses_the_batch_naming_item_and_field(make_tenant, engine, bad, field, reason):
    t = make_tenant("strict")
    r = post(t, [PURCHASES[0], bad])
    assert r.status_code == 422, r.json
    [error] = [e for e in r.json["errors"] if e["field"] == field]
    assert error["index"] == 1 and (reason is None or error["reason"] == reason)
    assert rows(engine, "SELECT count(*) FROM purchases WHERE tenant_id = :t", t=t.id) == [(0,)]  # nothing stored


def test_loyalty_on_stored_data_gives_the_worked_figures(shop):
    r = shop.get("/api/v1/analyses/loyalty")
    assert r.status_code == 200, r.json
    out = r.json
    assert out["analysis"] == "loyalty" and out["as_of"] == "2026-04-01T00:00:00+00:00" and out["purchases"] == 7
    by = {c["customer_id"]: c for c in out["ranked"]}
    assert [c["customer_id"] for c in out["ranked"]] == ["D", "A", "C", "B"]
    assert {k: by[k]["transactional"] for k in "ABC"} == {"A": 100.0, "B": 0.0, "C": pytest.approx(50.0)}
    assert by["D"]["transactional"] is None and by["C"]["emotional"] is None
    assert (by["A"]["emotional"], by["B"]["emotional"], by["D"]["emotional"]) == (pytest.approx(90.0), pytest.approx(60.0), pytest.approx(100.0))
    assert [by[k]["loyalty"] for k in "ABCD"] == [pytest.approx(97.5), pytest.approx(15.0), pytest.approx(50.0), pytest.approx(100.0)]
    assert (by["A"]["recency_days"], by["B"]["recency_days"], by["C"]["recency_days"]) == (0.0, 31.0, 17.0)
    assert (by["A"]["lifetime_days"], by["C"]["lifetime_days"]) == (90.0, 76.0)
    assert (by["A"]["share_of_wallet"], by["B"]["share_of_wallet"], by["C"]["share_of_wallet"]) == (0.8, 0.3, None)
    assert {k: v for k, v in out.items() if k not in ("version", "responses")} == offline("loyalty")
    # a call overrides the section: emotional only
    emotional = shop.get("/api/v1/analyses/loyalty", query_string={"composite": '{"emotional": 1}'}).json
    assert {c["customer_id"]: c["loyalty"] for c in emotional["ranked"]}["B"] == pytest.approx(60.0)


def test_customer_value_on_stored_data_gives_the_worked_figures(shop):
    r = shop.get("/api/v1/analyses/customer_value")
    assert r.status_code == 200, r.json
    out = r.json
    assert out["analysis"] == "customer_value" and out["customers"] == 3 and out["cutoffs"] == [0.7, 0.95]
    assert out["top_20_percent"] == {"customers": 1, "revenue_share": pytest.approx(900 / 1400)}
    assert [(c["customer_id"], c["class"]) for c in out["ranked"]] == [("A", "B"), ("B", "A"), ("C", "C")]
    assert [c["value"] for c in out["ranked"]] == [pytest.approx(74.375), pytest.approx(66.25), pytest.approx(50 / 3)]
    assert out["ranked"][0]["components"] == {"loyalty": pytest.approx(97.5), "referrals": pytest.approx(100.0), "revenue": pytest.approx(50.0)}
    assert out["ranked"][2]["components"]["referrals"] is None
    assert out["classes"]["A"] == {"customers": 1, "revenue_share": pytest.approx(900 / 1400)}
    assert {k: v for k, v in out.items() if k not in ("version", "responses")} == offline("customer_value")
    top = shop.get("/api/v1/analyses/customer_value", query_string={"top_n": "1", "cutoffs": "0.5,0.9"}).json
    assert [c["class"] for c in top["ranked"]] == [None, "A", None]  # only the largest customer classed


ANALYSIS_BAD = [
    ("loyalty", {"emotional": "nope"}, "emotional", "'nope' is not a scored question of the indicator set"),
    ("loyalty", {"weights": '{"loudness": 1}'}, "weights.loudness", None),
    ("loyalty", {"weights": '{"recency": "high"}'}, "weights.recency", "a weight is a number >= 0"),
    ("loyalty", {"as_of": "2026-02-01T00:00:00Z"}, "as_of", None),
    ("loyalty", {"as_of": "soon"}, "as_of", None),
    ("customer_value", {"cutoffs": "0.9,0.5"}, "cutoffs", None),
    ("customer_value", {"cutoffs": "a,b"}, "cutoffs", None),
    ("customer_value", {"components": '{"x": "nope"}'}, "components.x", None),
    ("customer_value", {"top_n": "0"}, "top_n", None),
    ("customer_value", {"weights": '{"ghost": 1}'}, "weights.ghost", None),
]


@pytest.mark.parametrize("code,given,field,reason", ANALYSIS_BAD, ids=[f"{c}-{f}" for c, _, f, _ in ANALYSIS_BAD])
def test_bad_analysis_parameters_are_422_naming_the_parameter(shop, code, given, field, reason):
    r = shop.get(f"/api/v1/analyses/{code}", query_string=given)
    assert r.status_code == 422, r.json
    [error] = r.json["errors"]
    assert error["field"] == field and (reason is None or error["reason"] == reason)


def test_without_purchases_customer_value_is_a_422_and_loyalty_uses_the_questions(make_tenant):
    t = make_tenant("nobuy")
    t.upload(SHOP_YAML)
    t.post("/api/v1/responses/csv", data=RESPONSES.encode(), content_type="text/csv")
    r = t.get("/api/v1/analyses/customer_value")
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "purchases"
    out = t.get("/api/v1/analyses/loyalty").json
    assert {c["customer_id"]: c["loyalty"] for c in out["ranked"]} == {"D": 100.0, "A": pytest.approx(90.0), "B": pytest.approx(60.0)}


def test_the_window_selects_the_purchases_too(shop):
    out = shop.get("/api/v1/analyses/customer_value", query_string={"to": "2026-02-15T00:00:00Z"}).json
    assert {c["customer_id"]: c["revenue"] for c in out["ranked"]} == {"A": 200.0, "C": 50.0}  # purchases before 02-15


def test_erasure_deletes_the_customers_purchases_and_export_holds_them(shop, engine):
    import io
    import json
    import zipfile

    archive = shop.get("/api/v1/tenant/export")
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.data)) as z:
        lines = z.read("purchases.jsonl").decode().splitlines()
        assert json.loads(z.read("manifest.json"))["counts"]["purchases"] == 7
    assert sorted(json.loads(line)["purchase_id"] for line in lines) == ["a1", "a2", "a3", "a4", "b1", "c1", "c2"]
    assert json.loads(lines[0]).keys() == {"purchase_id", "customer_id", "purchased_at", "amount", "category_spend", "recorded_at"}
    r = shop.delete("/api/v1/customers/A/responses")
    assert r.status_code == 200 and r.json == {"erased": 1, "purchases": 4}
    assert rows(engine, "SELECT customer_id, count(*) FROM purchases WHERE tenant_id = :t GROUP BY customer_id ORDER BY customer_id", t=shop.id) == [("B", 1), ("C", 2)]


def test_a_customer_attribute_is_a_value_component(shop):
    """customer.credit: the stored customers' credit as a 0..100 percentile rank among the
    customers valued. Credit A 700, B 500, C none (D 900 bought nothing, so is not valued):
    A 100, B 0 (n = 2). Revenue scores B 100, A 50, C 0; weights 1 each:
    A (50 + 100)/2 = 75, B (100 + 0)/2 = 50, C 0 (credit absent: renormalised)."""
    shop.upload(SHOP_YAML + "customers:\n  attributes:\n    credit: {type: number}\n    region: {type: string, required: false}\n")
    customers = [{"customer_id": c, "attributes": {"credit": v}} for c, v in (("A", 700), ("B", 500), ("D", 900))]
    assert shop.post("/api/v1/customers", json={"customers": customers}).status_code == 201
    out = shop.get("/api/v1/analyses/customer_value", query_string={"components": '{"credit": "customer.credit"}', "weights": "{}"}).json
    assert {c["customer_id"]: (c["value"], c["components"]["credit"]) for c in out["ranked"]} == {
        "A": (75.0, 100.0), "B": (50.0, 0.0), "C": (0.0, None)}
    r = shop.get("/api/v1/analyses/customer_value", query_string={"components": '{"x": "customer.region"}', "weights": "{}"})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "components.x"
    r = shop.get("/api/v1/analyses/customer_value", query_string={"components": '{"x": "customer.nope"}', "weights": "{}"})
    assert r.status_code == 422 and "no customer has the attribute 'nope'" in r.json["errors"][0]["reason"], r.json
