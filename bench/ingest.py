"""Ingest benchmark: 100,000 responses through the bulk JSON API vs a raw Core executemany.

For each database (SQLite file, and PostgreSQL when it answers) this
1. creates a fresh database (SQLite file / PostgreSQL schema) migrated to head,
2. pushes N synthetic responses (20 questions) through the in-process API client in
   requests of 10,000, timing the whole path (JSON encode, HTTP handling, validation,
   storage, commit),
   which also writes each batch's block of the answer store (core.store) in the same
   transaction, printing the rate of every 100,000 rows as the table grows,
3. inserts the same rows, already validated and serialised, with a plain SQLAlchemy Core
   ``connection.execute(insert(table), list_of_dicts)`` into a second tenant (no store),
4. prints both rates and the ratio (target: the API reaches at least 50 % of the raw
   rate), the machine, and writes var/bench/ingest.json. With more than 100,000 rows, each
   100,000's rate is printed by wall clock and by the process's CPU time (which the
   machine's other load disturbs less), with the bytes read from the database meanwhile.

    python bench/ingest.py [--rows 100000] [--skip-postgres] [--order random|arrival]

``--rows 1000000`` is the end-to-end run (the raw baseline then covers the first
``--raw-rows``, default 100,000, on the grown table). ``--order`` decides the collection
times: ``random`` (default, the hard case) spreads every batch over the whole year;
``arrival`` gives batch i the i-th slice of the year in time order, as responses arrive
from a survey that runs all year. The SQLite rate falls as the table grows in the first
order and holds in the second: the rows' index on ``(tenant_id, version, collected_at)``
takes each batch's rows at random places of a B-tree that outgrows SQLite's page cache,
so each batch reads and writes back pages all over it (README, "Storage and performance").
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import json  # noqa: E402

import pandas as pd  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from core.app import create_app  # noqa: E402
from core.db import make_session_factory, unit_of_work, upgrade  # noqa: E402
from core.db.engine import url_with_search_path  # noqa: E402
from core.db.tables import ResponseRow  # noqa: E402
from core.ingest import batch_from_frame, prepare_rows  # noqa: E402
from core.operations import configuration, tenants  # noqa: E402

from common import BATCH, PG_URL, bench_config, items_of, machine, print_machine, synthetic_frame, write_results  # noqa: E402

STEP = 100_000  # rows per printed rate while the table grows


def bytes_read() -> int:
    """Bytes this process has read through read()/pread() so far (Linux ``rchar``): SQLite
    reads every page it does not hold in its page cache this way, whether or not the
    operating system has it cached, so this counts page-cache misses whatever the load
    on the machine. 0 where /proc is not there."""
    try:
        with open("/proc/self/io") as io:
            return next(int(line.split()[1]) for line in io if line.startswith("rchar:"))
    except (OSError, StopIteration):
        return 0


def in_arrival_order(frame: pd.DataFrame, index: int, batches: int) -> pd.DataFrame:
    """The frame's collection times replaced by the ``index``-th of ``batches`` equal slices
    of the year, increasing through the batch."""
    span = pd.Timedelta(days=365) / batches
    steps = pd.to_timedelta(range(len(frame)), unit="s") * (span.total_seconds() / len(frame))
    frame["collected_at"] = (pd.Timestamp("2025-01-01", tz="UTC") + span * index + steps).strftime("%Y-%m-%dT%H:%M:%SZ")
    return frame


def run(label: str, url: str, rows: int, raw_rows: int, settings: dict | None = None, order: str = "random") -> dict:
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "OPERATOR_KEY": "bench-operator", "RATE_LIMIT_ENABLED": False, **(settings or {})})  # measure ingest, not the limiter
    client = app.test_client()
    r = client.post("/api/v1/tenants", json={"slug": "bench", "name": "Bench"}, headers={"Authorization": "Bearer bench-operator"})
    headers = {"Authorization": f"Bearer {r.json['api_key']}"}
    assert client.post("/api/v1/config/versions", data=bench_config().encode(), content_type="application/yaml", headers=headers).status_code == 201

    engine = app.extensions["csm"].engine
    with unit_of_work(make_session_factory(engine)) as session:
        tenant, _k, _p = tenants.create_tenant(session, "raw", "Raw")
        version, config = configuration.upload_config(session, tenant.id, bench_config(), "bench.yaml", lambda *_: None)
    iset = config.indicator_set
    api_s, step_s, steps, done, first = 0.0, 0.0, [], 0, None
    step_cpu, step_read = 0.0, 0
    for start in range(0, rows, BATCH):
        n = min(BATCH, rows - start)
        frame = synthetic_frame(iset, n, seed=11 * 100_000 + start // BATCH)
        if order == "arrival":
            frame = in_arrival_order(frame, start // BATCH, -(-rows // BATCH))
        first = frame if first is None else first
        body = json.dumps({"responses": items_of(frame, iset)})  # encoded outside the timer
        t0, c0, r0 = time.perf_counter(), time.process_time(), bytes_read()
        resp = client.post("/api/v1/responses", data=body, content_type="application/json", headers=headers)
        took = time.perf_counter() - t0
        step_cpu, step_read = step_cpu + time.process_time() - c0, step_read + bytes_read() - r0
        assert resp.status_code == 201, resp.json
        api_s, step_s, done = api_s + took, step_s + took, done + n
        if done % STEP == 0 or done == rows:
            step_rows = done - (steps[-1]["rows"] if steps else 0)
            steps.append({"rows": done, "rows_per_s": round(step_rows / step_s), "cpu_rows_per_s": round(step_rows / step_cpu), "read_mib": round(step_read / 2**20, 1)})
            step_s, step_cpu, step_read = 0.0, 0.0, 0
    if rows > STEP:
        print(f"{label:<11} API rows/s as the table grows: " + ", ".join(f"{s['rows'] // 1000}k: {s['rows_per_s']:,}" for s in steps))
        print(f"{label:<11} rows per CPU second: " + ", ".join(f"{s['rows'] // 1000}k: {s['cpu_rows_per_s']:,}" for s in steps))
        print(f"{label:<11} MiB read from the database file per 100k rows: " + ", ".join(f"{s['rows'] // 1000}k: {s['read_mib']:,}" for s in steps))

    # rows validated and serialised outside the timer, for the raw insert
    frame = pd.concat([synthetic_frame(iset, BATCH, seed=22 * 100_000 + i) for i in range(max(1, raw_rows // BATCH))], ignore_index=True)
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
    for i in range(0, len(dicts), BATCH):
        with engine.begin() as conn:
            conn.execute(insert(ResponseRow.__table__), dicts[i : i + BATCH])
    raw_s = time.perf_counter() - started

    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM responses")).scalar()
    assert stored == rows + len(dicts), stored
    api_rate, raw_rate = rows / api_s, len(dicts) / raw_s
    print(f"{label:<11} API {api_s:6.2f} s ({api_rate:9,.0f} rows/s, store written)   raw executemany {raw_s:6.2f} s for {len(dicts):,} ({raw_rate:9,.0f} rows/s)   API/raw = {api_rate / raw_rate:5.1%}")
    engine.dispose()
    return {"database": label, "rows": rows, "order": order, "api_s": round(api_s, 2), "api_rows_per_s": round(api_rate), "raw_rows": len(dicts), "raw_s": round(raw_s, 2), "raw_rows_per_s": round(raw_rate), "api_vs_raw": round(api_rate / raw_rate, 3), "growth": steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--raw-rows", type=int, default=100_000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--sqlite-cache-mb", type=int, default=None, help="SQLite page cache per connection (default: the setting's)")
    parser.add_argument("--order", choices=["random", "arrival"], default="random", help="collection times: each batch over the whole year, or in arrival order")
    args = parser.parse_args()
    info = machine()
    print_machine(info)
    print(f"ingest of {args.rows:,} responses × 20 questions, requests of {BATCH:,}, collection times in {args.order} order")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = {} if args.sqlite_cache_mb is None else {"SQLITE_CACHE_MB": args.sqlite_cache_mb}
        results.append(run("SQLite", f"sqlite:///{tmp}/bench.sqlite3", args.rows, min(args.raw_rows, args.rows), cache, args.order))
    if args.skip_postgres:
        write_results("ingest", {"benchmark": "ingest", "machine": info, "results": results})
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
        results.append(run("PostgreSQL", url_with_search_path(PG_URL, schema), args.rows, min(args.raw_rows, args.rows), order=args.order))
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    write_results("ingest", {"benchmark": "ingest", "machine": info, "results": results})


if __name__ == "__main__":
    main()
