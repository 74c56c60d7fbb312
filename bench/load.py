"""Load test: several tenants, integrators ingesting while viewers read scores, on gunicorn.

For ``--seconds`` (default 60), against gunicorn (``--workers`` processes × 4 threads) on
PostgreSQL (``--database sqlite`` for a SQLite file):
* per tenant (``--tenants``), ``--integrators`` clients each POST batches of ``--batch``
  responses, one after the other;
* per tenant, ``--viewers`` clients GET ``/api/v1/scores`` (alternately without grouping
  and ``by=segment,period``) as fast as answers come, from the tenant's first stored batch.
Every request has a 60 s timeout. Prints, per kind of request, the count, the throughput,
p50/p95 latency and the errors (any status other than 200/201, or no answer; target 0),
and the responses acknowledged. Results:
var/bench/load.json.

    python bench/load.py [--seconds 60] [--tenants 3] [--integrators 2] [--viewers 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import OPERATOR, bench_config, items_of, machine, percentile, print_machine, scratch_database, synthetic_frame, write_results  # noqa: E402
from stored import PORT, Server  # noqa: E402

from core.config import load_config  # noqa: E402
from core.db import upgrade  # noqa: E402


def call(method: str, path: str, key: str, body: bytes | None = None, content_type: str = "application/json"):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    headers = {"Authorization": f"Bearer {key}"}
    if body is not None:
        headers["Content-Type"] = content_type
    t0 = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, time.perf_counter() - t0, data
    except OSError:
        return None, time.perf_counter() - t0, b""
    finally:
        conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--tenants", type=int, default=3)
    ap.add_argument("--integrators", type=int, default=2, help="ingesting clients per tenant")
    ap.add_argument("--viewers", type=int, default=2, help="score-reading clients per tenant")
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    args = ap.parse_args()
    info = machine()
    print_machine(info)
    iset = load_config(bench_config()).indicator_set
    with scratch_database(args.database) as url:
        if url is None:
            return
        upgrade(url)
        server = Server(url, args.workers)
        try:
            keys = []
            for t in range(args.tenants):
                status, _, data = call("POST", "/api/v1/tenants", OPERATOR, json.dumps({"slug": f"load{t}", "name": f"Load {t}"}).encode())
                assert status == 201, data
                key = json.loads(data)["api_key"]
                status, _, data = call("POST", "/api/v1/config/versions", key, bench_config().encode(), "application/yaml")
                assert status == 201, data
                keys.append(key)
            records: dict[str, list] = {"ingest": [], "scores": []}
            acknowledged = [0]
            lock = threading.Lock()
            stop = time.perf_counter() + args.seconds

            # Viewers start once their tenant has data: `by=segment` over no responses at all
            # is a 422 (no such attribute), not a load figure.
            has_data = {key: threading.Event() for key in keys}

            def integrator(key: str, seed: int):
                i = 0
                while time.perf_counter() < stop:
                    body = json.dumps({"responses": items_of(synthetic_frame(iset, args.batch, seed=seed * 10_000 + i), iset)}).encode()
                    status, took, data = call("POST", "/api/v1/responses", key, body)
                    with lock:
                        records["ingest"].append((status, took))
                        if status == 201:
                            acknowledged[0] += json.loads(data)["accepted"]
                            has_data[key].set()
                    i += 1

            def viewer(key: str):
                has_data[key].wait(timeout=args.seconds)
                i = 0
                while time.perf_counter() < stop:
                    path = "/api/v1/scores" + ("?by=segment,period&period=month" if i % 2 else "")
                    status, took, _ = call("GET", path, key)
                    with lock:
                        records["scores"].append((status, took))
                    i += 1

            threads = []
            for t, key in enumerate(keys):
                threads += [threading.Thread(target=integrator, args=(key, t * 100 + j)) for j in range(args.integrators)]
                threads += [threading.Thread(target=viewer, args=(key,)) for _ in range(args.viewers)]
            started = time.perf_counter()
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            elapsed = time.perf_counter() - started
            rss = server.peak_rss_mib()
        finally:
            server.stop()
        summary = {}
        print(f"{args.tenants} tenants × ({args.integrators} integrators + {args.viewers} viewers), gunicorn {args.workers} workers × 4 threads, "
              f"{args.database}, {elapsed:.0f} s")
        for kind, rows in records.items():
            ok = {201} if kind == "ingest" else {200}
            times = [t for s, t in rows if s in ok]
            errors = [s for s, _ in rows if s not in ok]
            summary[kind] = {"requests": len(rows), "per_s": round(len(rows) / elapsed, 1), "p50_s": round(percentile(times, 50), 4),
                             "p95_s": round(percentile(times, 95), 4), "errors": len(errors), "error_statuses": sorted({str(e) for e in errors})}
            s = summary[kind]
            print(f"  {kind:<7} {s['requests']:6,} requests  {s['per_s']:7.1f}/s  p50 {s['p50_s'] * 1000:8.1f} ms  p95 {s['p95_s'] * 1000:8.1f} ms  errors {s['errors']} {s['error_statuses']}")
        rate = acknowledged[0] / elapsed
        print(f"  responses acknowledged: {acknowledged[0]:,} ({rate:,.0f}/s); worker peak RSS {', '.join(f'{v:,.0f} MiB' for v in rss)}")
    write_results("load", {"benchmark": "load", "machine": info, "args": vars(args), "seconds": round(elapsed, 1), "summary": summary,
                           "acknowledged": acknowledged[0], "worker_peak_rss_mib": rss})


if __name__ == "__main__":
    main()
