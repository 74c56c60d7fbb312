"""A configuration version stored in an older format scores exactly as before, and the
Alembic migration brings stored documents forward (and back) on both databases."""

import json
from pathlib import Path

from sqlalchemy import text

from core.db import downgrade, make_engine, upgrade
from core.db.repositories import ConfigVersionRepository
from core.db.tenancy import bind_tenant

FORMAT_1 = json.loads((Path(__file__).parent / "data" / "store-format-1.json").read_text(encoding="utf-8"))
STORE_YAML = (Path(__file__).resolve().parent.parent / "config" / "examples" / "store.yaml").read_text(encoding="utf-8")

ANSWERS = [
    {"env_overall": "A", "env_noise": 2, "checkout_speed": "B", "cashier_attitude": "C", "nps_recommend": 9},
    {"env_overall": "C", "env_noise": 7, "checkout_speed": "D", "cashier_attitude": "B", "nps_recommend": 4},
    {"env_overall": "B", "env_noise": 5, "checkout_speed": "A", "cashier_attitude": "A", "nps_recommend": 10},
]


def test_a_version_stored_in_format_1_scores_exactly_as_format_2(app, make_tenant):
    t = make_tenant("acme")
    t.upload()  # version 1, stored in the current format
    sessions = app.extensions["csm"].sessions
    with sessions.begin() as session:
        bind_tenant(session, t.id)
        legacy = ConfigVersionRepository(session).add(t.id, STORE_YAML, FORMAT_1, "store-csi")
    assert legacy.version == 2 and "format_version" not in legacy.document
    for version in (1, 2):
        items = [{"response_id": f"v{version}-{i}", "answers": a, "attributes": {"segment": "vip" if i else "new"}} for i, a in enumerate(ANSWERS)]
        r = t.post("/api/v1/responses", json={"version": version, "responses": items})
        assert r.status_code == 201, r.json
    current, old = (t.get(f"/api/v1/scores?version={v}&by=segment").json for v in (1, 2))
    assert (old.pop("version"), old.pop("versions"), current.pop("version"), current.pop("versions")) == (2, [2], 1, [1])
    assert old == current
    assert old["n"] == 3 and old["csi"] is not None


def _stored_documents(url):
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return [json.loads(d) for d in connection.execute(text("SELECT document FROM config_versions ORDER BY id")).scalars()]
    finally:
        engine.dispose()


def test_the_migration_records_the_format_of_every_stored_document(db_url):
    upgrade(db_url, "0003")
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            tenant = connection.execute(text("INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme') RETURNING id")).scalar()
            for number in (1, 2):
                connection.execute(
                    text("INSERT INTO config_versions (tenant_id, version, indicator_set_code, yaml_text, document, checksum) VALUES (:t, :v, 'store-csi', :y, :d, 'x')"),
                    {"t": tenant, "v": number, "y": STORE_YAML, "d": json.dumps(FORMAT_1)},
                )
    finally:
        engine.dispose()
    upgrade(db_url, "0004")
    assert _stored_documents(db_url) == [{**FORMAT_1, "format_version": 2}] * 2
    downgrade(db_url, "0003")
    assert _stored_documents(db_url) == [FORMAT_1] * 2
