"""`csm customers grade` and `csm customers check` against a tenant's stored customers,
on SQLite and PostgreSQL; bad input exits 2 with a precise message. The customers and
their grades are those worked by hand in tests/test_customers.py."""

import json

from click.testing import CliRunner

from core.cli import main
from tests.helpers import ROOT, STORE_YAML

TOBACCO = str(ROOT / "config" / "examples" / "tobacco.yaml")
# A 90/80/70 -> 83 G8; C 30/50/40 -> 38 G3; E 0/0/0 -> G1
ITEMS = [
    {"customer_id": "A", "attributes": {"contribution": 90, "compliance": 80, "capability": 70}},
    {"customer_id": "C", "attributes": {"contribution": 30, "compliance": 50, "capability": 40}},
    {"customer_id": "E", "attributes": {"contribution": 0, "compliance": 0, "capability": 0}},
]


def run(*args, env):
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output, result.stderr


def test_grade_and_check_a_tenants_customers(app_db_url, make_tenant, tmp_path):
    env = {"CSM_DATABASE_URL": app_db_url}
    t = make_tenant("retailers")
    assert run("upload-config", "--tenant", "retailers", TOBACCO, env=env)[0] == 0
    assert t.post("/api/v1/customers", json={"customers": ITEMS, "period": "2026-03"}).status_code == 201

    code, out, _ = run("customers", "grade", "--tenant", "retailers", "--period", "2026-04", env=env)
    assert code == 0, out
    assert out.splitlines() == [
        "retailers: graded 3 customer(s) for 2026-04 with configuration version 1",
        "counts: G9 0, G8 1, G7 0, G6 0, G5 0, G4 0, G3 1, G2 0, G1 1",
    ]
    assert [g["period"] for g in t.get("/api/v1/customers/A/grades").json] == ["2026-03", "2026-04"]

    code, out, _ = run("customers", "check", "--tenant", "retailers", "--customer", "C", "--service", "agreement_supply", "--at", "2026-04-02T10:00:00+08:00", env=env)
    assert code == 0, out
    checked = json.loads(out)
    assert {k: checked[k] for k in ("customer_id", "at", "period", "grade", "outcome")} == {"customer_id": "C", "at": "2026-04-02T02:00:00Z", "period": "2026-04", "grade": "G3", "outcome": "above_grade"}
    assert checked["entitled"] == ["phone_order", "online_order", "delivery"] and checked["alert_id"] is not None
    assert [a["id"] for a in t.get("/api/v1/alerts?kind=above_grade").json] == [checked["alert_id"]]
    code, out, _ = run("customers", "check", "--tenant", "retailers", "--customer", "A", "--service", "free_gifts", env=env)
    assert code == 0 and json.loads(out)["outcome"] == "unknown_service"

    for args, message in [
        (("customers", "grade", "--tenant", "nobody"), "error: --tenant: no tenant 'nobody'"),
        (("customers", "grade", "--tenant", "retailers", "--period", "2026-Q2"), "error: --period: '2026-Q2' is not a month: write it as 2026-03 (monthly periods)"),
        (("customers", "check", "--tenant", "retailers", "--customer", "Z", "--service", "phone_order"), "error: customer 'Z' does not exist"),
        (("customers", "check", "--tenant", "retailers", "--customer", "A", "--service", " "), "error: --service: a service code of 1-100 characters"),
    ]:
        code, _, err = run(*args, env=env)
        assert code == 2 and err.splitlines()[0] == message, err
    code, _, err = run("customers", "check", "--tenant", "retailers", "--customer", "A", "--service", "x", "--at", "soon", env=env)
    assert code == 2 and "'soon' is not an ISO 8601 date-time" in err
    # a configuration without customers: nothing to grade with
    (tmp_path / "store.yaml").write_text(STORE_YAML, encoding="utf-8")
    assert run("upload-config", "--tenant", "retailers", str(tmp_path / "store.yaml"), env=env)[0] == 0
    code, _, err = run("customers", "grade", "--tenant", "retailers", env=env)
    assert code == 2 and err.splitlines()[0] == "error: configuration version 2 has no customers section; upload one that declares the customers' attributes"
