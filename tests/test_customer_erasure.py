"""Erasing one customer's responses through the API (``DELETE
/api/v1/customers/{customer_id}/responses``) and the CLI (``csm erase``), on SQLite and on
PostgreSQL: scores read from the answer store afterwards equal scores recomputed from the
JSON rows that remain, the cached answer and its ETag change, the export no longer holds
the rows, the erasure is audited without the id, and only admins may erase. (The isolation
matrix, tests/test_isolation.py, tries the route across tenants.)"""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from click.testing import CliRunner

from core.cli import main as csm
from core.db.repositories import AnswerBlockRepository, ResponseRepository
from core.demo.synthetic import synthetic_responses
from core.ingest import batch_from_frame, prepare_rows
from core.operations.configuration import config_of, config_version
from core.operations.reports import report
from core.scoring import score
from tests.helpers import TEXT_YAML, TWO, app_session, auth

URL = "/api/v1/customers/{}/responses"


def with_customers(*customers):
    """tests/helpers.TWO, r1 of the first customer, r2 of the second."""
    return [{**item, "customer_id": customer} for item, customer in zip(TWO, customers)]


def test_known_answer_erasing_one_of_two_customers(make_tenant):
    """TWO scored by hand (tests/test_api.py::test_known_answer_scores): r1 alone has the
    index 87.6, r2 alone 31.7333, the two together 59.6667. Erasing r2's customer leaves
    87.6; erasing the same customer again erases 0 and changes nothing."""
    acme = make_tenant("acme")
    acme.upload()
    assert acme.post("/api/v1/responses", json={"responses": with_customers("keep", "gone")}).status_code == 201
    before = acme.get("/api/v1/scores")
    assert before.json["csi"] == pytest.approx(59.6667, abs=1e-4) and before.json["n"] == 2
    assert acme.client.get("/api/v1/scores", headers={**acme.headers, "If-None-Match": before.headers["ETag"]}).status_code == 304

    r = acme.delete(URL.format("gone"))
    assert (r.status_code, r.json) == (200, {"erased": 1, "purchases": 0})
    after = acme.get("/api/v1/scores")
    assert after.json["csi"] == pytest.approx(87.6, abs=1e-4) and after.json["n"] == 1
    assert after.headers["ETag"] != before.headers["ETag"]
    revalidated = acme.client.get("/api/v1/scores", headers={**acme.headers, "If-None-Match": before.headers["ETag"]})
    assert revalidated.status_code == 200 and revalidated.json["n"] == 1  # the old tag no longer matches
    assert [x["response_id"] for x in acme.get("/api/v1/responses").json] == ["r1"]

    again = acme.delete(URL.format("gone"))
    assert (again.status_code, again.json) == (200, {"erased": 0, "purchases": 0})
    assert acme.get("/api/v1/scores").headers["ETag"] == after.headers["ETag"]  # nothing changed
    digest = hashlib.sha256(b"gone").hexdigest()[:16]
    events = [e for e in acme.get("/api/v1/audit?page_size=100").json if e["action"] == "responses.erase_customer"]
    assert [(e["target"], e["details"]["responses"]) for e in events] == [(f"customer sha256:{digest}", 0), (f"customer sha256:{digest}", 1)]
    assert all("gone" not in str(e) for e in events)


def _ingest(app, tenant_id, rows: int, batch: int):
    """Synthetic responses (customers drawn from rows / 2 ids, so most have several) in
    batches of ``batch``: several blocks, each customer in several of them."""
    with app_session(app, tenant_id) as session:
        iset = config_of(session, config_version(session, tenant_id)).indicator_set
    frame = synthetic_responses(iset, rows, seed=9, attributes={"segment": ["vip", "new", "regular"]}, touchpoints=["web", "store"], start="2025-11-01", months=6)
    for start in range(0, rows, batch):
        with app_session(app, tenant_id) as session:
            stored = config_version(session, tenant_id)
            prepared = prepare_rows(batch_from_frame(frame.iloc[start : start + batch], iset), iset)
            ResponseRepository(session).insert_many(tenant_id, stored.id, stored.version, prepared)
    return iset, frame


@pytest.mark.parametrize("by,period", [((), None), (("segment", "period"), "month"), (("customer_id",), None), (("touchpoint",), None)])
def test_scores_after_erasure_equal_scores_from_the_remaining_json(app, make_tenant, by, period):
    acme, beta = make_tenant("acme"), make_tenant("beta")
    acme.upload(TEXT_YAML)
    beta.upload(TEXT_YAML)
    iset, frame = _ingest(app, acme.id, rows=1300, batch=400)
    _ingest(app, beta.id, rows=300, batch=300)
    counts = frame["customer_id"].value_counts()
    victims = list(counts.index[:3])  # the three customers with the most responses
    held = [int(counts[v]) for v in victims]
    assert min(held) >= 2
    beta_before = beta.get("/api/v1/scores?by=customer_id").json

    for victim, n in zip(victims, held):
        r = acme.delete(URL.format(victim))
        assert (r.status_code, r.json["erased"]) == (200, n)
    with app_session(app, acme.id) as session:
        remaining = ResponseRepository(session).load_frame(acme.id, 1)
        assert len(remaining) == 1300 - sum(held) and not remaining["customer_id"].isin(victims).any()
        assert AnswerBlockRepository(session).count_rows(acme.id) == len(remaining)
        expected = score(remaining, iset, by=by, period=period, canonical=True).to_dict()
        from_store = report(session, acme.id, None, by=by, period=period)
    assert {k: v for k, v in from_store.items() if k not in ("version", "versions")} == expected
    query = f"?by={','.join(by)}" + (f"&period={period}" if period else "") if by else ""
    assert acme.get(f"/api/v1/scores{query}").json == from_store  # through the API too
    if by == ("customer_id",):
        assert not set(victims) & set(from_store["groups"])
    assert beta.get("/api/v1/scores?by=customer_id").json == beta_before  # another tenant's same ids untouched


def test_the_export_after_erasure_lacks_the_rows(make_tenant):
    acme = make_tenant("acme")
    acme.upload()
    items = with_customers("keep-me", "erase-me-please")
    assert acme.post("/api/v1/responses", json={"responses": items}).status_code == 201
    assert acme.delete(URL.format("erase-me-please")).json["erased"] == 1
    export = acme.get("/api/v1/tenant/export")
    assert export.status_code == 200
    with zipfile.ZipFile(io.BytesIO(export.get_data())) as archive:
        everything = b"".join(archive.read(name) for name in archive.namelist())
        csv = archive.read("responses/v1.csv").decode()
    assert b"erase-me-please" not in everything and b"r2" not in csv.encode()
    assert "keep-me" in csv and len(csv.strip().splitlines()) == 2  # header and r1


def test_only_admins_erase_and_ids_with_slashes_can_be_erased(make_tenant, client):
    acme = make_tenant("acme")
    acme.upload()
    assert acme.post("/api/v1/responses", json={"responses": with_customers("shop/42", "other")}).status_code == 201
    for role in ("viewer", "integrator"):
        key = acme.post("/api/v1/keys", json={"name": role, "role": role}).json["api_key"]
        r = client.delete(URL.format("shop/42"), headers=auth(key))
        assert r.status_code == 403 and r.json["status"] == "Forbidden"
    assert client.delete(URL.format("shop/42")).status_code == 401
    assert acme.get("/api/v1/scores").json["n"] == 2  # nothing erased
    r = acme.delete(URL.format("shop%2F42"))
    assert (r.status_code, r.json) == (200, {"erased": 1, "purchases": 0})
    assert [x["customer_id"] for x in acme.get("/api/v1/responses").json] == ["other"]


def test_cli_erase(make_tenant, app_db_url):
    acme = make_tenant("acme")
    acme.upload()
    assert acme.post("/api/v1/responses", json={"responses": with_customers("c-1", "c-2")}).status_code == 201

    def run(*args):
        return CliRunner().invoke(csm, ["--database-url", app_db_url, *args], catch_exceptions=False)

    refused = run("erase", "--tenant", "acme", "--customer", "c-2")
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert acme.get("/api/v1/scores").json["n"] == 2
    unknown = run("erase", "--tenant", "nobody", "--customer", "c-2", "--yes")
    assert unknown.exit_code == 2 and "no tenant 'nobody'" in unknown.stderr
    done = run("erase", "--tenant", "acme", "--customer", "c-2", "--yes")
    assert done.exit_code == 0 and done.output.strip() == "acme: 1 response and 0 purchases of customer 'c-2' erased"
    assert acme.get("/api/v1/scores").json["csi"] == pytest.approx(87.6, abs=1e-4)  # r1 alone
    assert run("erase", "--tenant", "acme", "--customer", "c-2", "--yes").output.strip() == "acme: 0 responses and 0 purchases of customer 'c-2' erased"
    events = [e for e in acme.get("/api/v1/audit?page_size=100").json if e["action"] == "responses.erase_customer"]
    assert [(e["actor"], e["details"]["responses"]) for e in events] == [("cli", 0), ("cli", 1)]
