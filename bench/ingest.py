"""Ingest benchmark: 100,000 responses through the bulk JSON API vs a raw Core executemany.

For each database (SQLite file, and PostgreSQL when it answers) this
1. creates a fresh database (SQLite file / PostgreSQL schema) migrated to head,
2. pushes N synthetic responses (20 questions) through the in-process API client in
   requests of 10,000, timing the whole path (JSON encode, HTTP handling, validation,
   storage, commit),
3. inserts the same rows, already validated and serialised, with a plain SQLAlchemy Core
   ``connection.execute(insert(table), list_of_dicts)`` into a second tenant, and
4. prints both rates and the ratio (target: the API reaches at least 50 % of the raw rate).

    python bench/ingest.py [--rows 100000] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import json  # noqa: E402

import pandas as pd  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from core.app import create_app  # noqa: E402
from core.db import make_session_factory, unit_of_work, upgrade  # noqa: E402
from core.db.engine import url_with_search_path  # noqa: E402
from core.db.tables import ResponseRow  # noqa: E402
from core.demo.synthetic import synthetic_responses  # noqa: E402
from core.ingest import batch_from_frame, prepare_rows  # noqa: E402
from core.operations import configuration, tenants  # noqa: E402

PG_URL = os.environ.get("CSM_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BATCH = 10_000


def bench_config() -> str:
    lines = [
        "version: 1",
        "scales:",
        "  sat5:",
        "    kind: ordinal",
        "    options:",
        *[f"      - {{code: '{c}', score: {s}, satisfied: {str(s >= 4).lower()}}}" for c, s in zip("ABCDE", (5, 4, 3, 2, 1))],
        "indicator_set:",
        "  code: bench",
        "  children:",
    ]
    for g in range(4):
        lines.append(f"    - code: g{g}")
        lines.append("      children:")
        for q in range(5):
            lines.append(f"        - {{code: q{g * 5 + q:02d}, scale: sat5}}")
    return "\n".join(lines) + "\n"


def payloads(iset, rows: int):
    frame = synthetic_responses(iset, rows, seed=11, attributes={"segment": ["a", "b", "c", "d"], "region": ["n", "s"]}, touchpoints=["web", "store", "phone"], start="2025-01-01", months=12)
    codes = [q.code for q in iset.questions]
    items = []
    answers = frame[codes].to_dict(orient="records")
    meta = frame[["response_id", "customer_id", "touchpoint", "collected_at"]].to_dict(orient="records")
    attrs = frame[["segment", "region"]].to_dict(orient="records")
    for m, a, ans in zip(meta, attrs, answers):
        items.append({**m, "attributes": a, "answers": {k: v for k, v in ans.items() if isinstance(v, str)}})
    return frame, items


def run(label: str, url: str, rows: int) -> None:
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "OPERATOR_KEY": "bench-operator", "RATE_LIMIT_ENABLED": False})  # measure ingest, not the limiter
    client = app.test_client()
    r = client.post("/api/v1/tenants", json={"slug": "bench", "name": "Bench"}, headers={"Authorization": "Bearer bench-operator"})
    headers = {"Authorization": f"Bearer {r.json['api_key']}"}
    assert client.post("/api/v1/config/versions", data=bench_config().encode(), content_type="application/yaml", headers=headers).status_code == 201

    engine = app.extensions["csm"].engine
    with unit_of_work(make_session_factory(engine)) as session:
        tenant, _k, _p = tenants.create_tenant(session, "raw", "Raw")
        version, config = configuration.upload_config(session, tenant.id, bench_config(), "bench.yaml", lambda *_: None)
    iset = config.indicator_set
    frame, items = payloads(iset, rows)

    bodies = [json.dumps({"responses": items[i : i + BATCH]}) for i in range(0, rows, BATCH)]
    started = time.perf_counter()
    for body in bodies:
        resp = client.post("/api/v1/responses", data=body, content_type="application/json", headers=headers)
        assert resp.status_code == 201, resp.json
    api_s = time.perf_counter() - started

    # the same rows, validated and serialised outside the timer, for the raw insert
    prepared = prepare_rows(batch_from_frame(frame, iset), iset).frame
    now = pd.Timestamp.now(tz="UTC").to_pydatetime()
    dicts = [
        {
            "tenant_id": tenant.id,
            "config_version_id": version.id,
            "version": version.version,
            "response_key": k,
            "customer_id": c,
            "touchpoint": t,
            "collected_at": ts,
            "attributes": a,
            "answers": ans,
            "created_at": now,
        }
        for k, c, t, ts, a, ans in zip(
            prepared["response_key"], prepared["customer_id"], prepared["touchpoint"], prepared["collected_at"].dt.to_pydatetime(), prepared["attributes"], prepared["answers"]
        )
    ]
    started = time.perf_counter()
    for i in range(0, rows, BATCH):
        with engine.begin() as conn:
            conn.execute(insert(ResponseRow.__table__), dicts[i : i + BATCH])
    raw_s = time.perf_counter() - started

    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM responses")).scalar()
    assert stored == 2 * rows, stored
    api_rate, raw_rate = rows / api_s, rows / raw_s
    print(f"{label:<11} API {api_s:6.2f} s ({api_rate:9,.0f} rows/s)   raw executemany {raw_s:6.2f} s ({raw_rate:9,.0f} rows/s)   API/raw = {api_rate / raw_rate:5.1%}")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    print(f"ingest of {args.rows:,} responses × 20 questions, requests of {BATCH:,}")
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{tmp}/bench.sqlite3", args.rows)
    if args.skip_postgres:
        return
    admin = create_engine(PG_URL, poolclass=NullPool, connect_args={"connect_timeout": 2})
    try:
        with admin.begin() as conn:
            schema = "csm_bench_" + uuid.uuid4().hex[:8]
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - report and carry on without PostgreSQL
        print(f"PostgreSQL  skipped: not reachable ({exc.__class__.__name__})")
        return
    try:
        run("PostgreSQL", url_with_search_path(PG_URL, schema), args.rows)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
