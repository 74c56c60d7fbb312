"""Scores of a tenant with many stored responses, served by gunicorn, read by a bounded load.

For each database (a SQLite file, and PostgreSQL when it answers) this
1. creates a fresh database migrated to head, a tenant and the bench questionnaire
   (20 questions, segment × region attributes, 3 touchpoints, a year of responses),
2. ingests responses through the API (``POST /api/v1/responses``, requests of 10,000) up
   to each size of ``--sizes`` in turn, printing the ingest rate,
3. at each size starts gunicorn (``--workers`` processes of 4 threads, ``wsgi:app``) on
   that database and times ``GET /api/v1/scores`` with ``--concurrency`` clients at once:
   * cold: every request asks for a key never asked before (a different ``to`` beyond the
     data), so no cached answer can serve it;
   * warm: the same request again and again;
   for two shapes, no grouping and ``by=segment,period``; prints p50/p95 and the peak
   resident size of each worker (VmHWM), then stops the server.

    python bench/stored.py [--sizes 100000,300000,1000000] [--skip-postgres]
    python bench/stored.py --sizes 1000000 --skip-sqlite --variant CSM_SCORE_CONCURRENCY=0 --variant CSM_SCORE_CONCURRENCY=1

Targets (issue figures, never asserted): cold p50/p95 ≤ 1 s, warm p95 ≤ 50 ms, worker
peak RSS ≤ 400 MB, at 1,000,000 responses. Results go to var/bench/stored.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    BATCH,
    OPERATOR,
    ROOT,
    bench_config,
    ingest_bodies,
    machine,
    percentile,
    print_machine,
    scratch_database,
    write_results,
)

from core.app import create_app  # noqa: E402
from core.db import upgrade  # noqa: E402
from core.db.tenancy import bind_tenant  # noqa: E402
from core.operations.configuration import config_of, config_version  # noqa: E402

SHAPES = {"overall": "", "by=segment,period": "by=segment,period&period=month"}
PORT = 18500


def load(url: str, sizes: list[int]):
    """A tenant on ``url`` and a generator that ingests up to each size, yielding it."""
    app = create_app({"DATABASE_URL": url, "OPERATOR_KEY": OPERATOR, "RATE_LIMIT_ENABLED": False})
    client = app.test_client()
    r = client.post("/api/v1/tenants", json={"slug": "bench", "name": "Bench"}, headers={"Authorization": f"Bearer {OPERATOR}"})
    key, tenant_id = r.json["api_key"], r.json["tenant"]["id"]
    headers = {"Authorization": f"Bearer {key}"}
    r = client.post("/api/v1/config/versions", data=bench_config().encode(), content_type="application/yaml", headers=headers)
    assert r.status_code == 201, r.json
    state = app.extensions["csm"]
    with state.sessions() as session:
        bind_tenant(session, tenant_id)
        iset = config_of(session, config_version(session, tenant_id, None)).indicator_set

    def grow():
        stored = 0
        bodies = ingest_bodies(iset, sizes[-1])
        for size in sizes:
            started, rows = time.perf_counter(), 0
            while stored < size:
                body = next(bodies)
                resp = client.post("/api/v1/responses", data=body, content_type="application/json", headers=headers)
                assert resp.status_code == 201, resp.json
                stored += resp.json["accepted"]
                rows += resp.json["accepted"]
            took = time.perf_counter() - started
            yield size, {"rows": rows, "seconds": round(took, 2), "rows_per_s": round(rows / took)}
        state.engine.dispose()

    return key, grow()


class Server:
    """gunicorn serving ``wsgi:app`` on ``url`` (with ``settings``, environment variables,
    on top); stopped on exit."""

    def __init__(self, url: str, workers: int, threads: int = 4, settings: dict[str, str] | None = None):
        env = {**os.environ, "CSM_DATABASE_URL": url, "CSM_RATE_LIMIT_ENABLED": "0", "CSM_OPERATOR_KEY": OPERATOR, **(settings or {})}
        cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", str(threads), "-k", "gthread",
               "-b", f"127.0.0.1:{PORT}", "--timeout", "300", "--log-level", "warning", "wsgi:app"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
                conn.request("GET", "/openapi.json")
                conn.getresponse().read()
                if len(self.workers()) >= workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def workers(self) -> list[int]:
        out = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.proc.pid:
                    out.append(int(entry.name))
        return out

    def peak_rss_mib(self) -> list[float]:
        peaks = []
        for pid in self.workers():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(round(int(line.split()[1]) / 1024, 1))
        return sorted(peaks)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def fire(paths: list[str], key: str, concurrency: int) -> tuple[list[float], dict[int, int]]:
    """Send every path once, ``concurrency`` at a time; seconds per request and status counts."""
    times: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    queue = list(reversed(paths))

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=600)
        while True:
            with lock:
                if not queue:
                    return
                path = queue.pop()
            t0 = time.perf_counter()
            conn.request("GET", path, headers={"Authorization": f"Bearer {key}"})
            resp = conn.getresponse()
            resp.read()
            took = time.perf_counter() - t0
            with lock:
                times.append(took)
                statuses[resp.status] = statuses.get(resp.status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, statuses


def measure(key: str, cold: int, warm: int, concurrency: int) -> dict:
    out = {}
    for name, query in SHAPES.items():
        base = "/api/v1/scores?" + query
        sep = "&" if query else ""
        # `to` beyond every response: the same answer, a key never asked for before.
        cold_paths = [f"{base}{sep}to=2031-01-01T00:{i // 60:02d}:{i % 60:02d}Z" for i in range(cold)]
        t_cold, s_cold = fire(cold_paths, key, concurrency)
        fire([base], key, 1)  # fill the cache for the warm run
        t_warm, s_warm = fire([base] * warm, key, concurrency)
        out[name] = {
            "cold_p50_s": round(percentile(t_cold, 50), 4), "cold_p95_s": round(percentile(t_cold, 95), 4),
            "warm_p50_s": round(percentile(t_warm, 50), 4), "warm_p95_s": round(percentile(t_warm, 95), 4),
            "statuses": {str(k): s_cold.get(k, 0) + s_warm.get(k, 0) for k in sorted({*s_cold, *s_warm})},
        }
        r = out[name]
        print(f"    {name:<18} cold p50 {r['cold_p50_s']:7.3f} s  p95 {r['cold_p95_s']:7.3f} s   "
              f"warm p50 {r['warm_p50_s'] * 1000:8.1f} ms  p95 {r['warm_p95_s'] * 1000:8.1f} ms   statuses {r['statuses']}")
    return out


def run(label: str, url: str, sizes: list[int], args) -> list[dict]:
    upgrade(url)
    key, grow = load(url, sizes)
    results = []
    for size, ingest in grow:
        print(f"  {label} {size:>9,} responses (ingested {ingest['rows']:,} through the API at {ingest['rows_per_s']:,} rows/s)")
        for variant in args.variant or [""]:
            settings = dict(part.split("=", 1) for part in variant.split(",") if part)
            if settings:
                print(f"   server settings {variant}; load average {os.getloadavg()[0]:.1f}")
            server = Server(url, args.workers, settings=settings)
            try:
                figures = measure(key, args.cold, args.warm, args.concurrency)
                rss = server.peak_rss_mib()
            finally:
                server.stop()
            print(f"    worker peak RSS (VmHWM): {', '.join(f'{v:,.0f} MiB' for v in rss)}; load average {os.getloadavg()[0]:.1f}")
            results.append({"database": label, "responses": size, "settings": settings, "ingest": ingest, "scores": figures, "worker_peak_rss_mib": rss,
                            "load_average": round(os.getloadavg()[0], 1)})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000", help="comma-separated response counts, ascending")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2, help="clients at once")
    parser.add_argument("--cold", type=int, default=6, help="cold requests per shape")
    parser.add_argument("--warm", type=int, default=40, help="warm requests per shape")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--name", default="stored", help="results file var/bench/NAME.json")
    parser.add_argument("--variant", action="append", metavar="CSM_X=V[,CSM_Y=W]",
                        help="measure each size once per variant, the server started with these settings (repeatable; an empty one = the defaults)")
    args = parser.parse_args()
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
    info = machine()
    print_machine(info)
    print(f"GET /scores over stored responses × 20 questions; gunicorn {args.workers} workers × 4 threads; "
          f"{args.concurrency} clients; ingest in requests of {BATCH:,}")
    results = []
    for kind, label, skip in (("sqlite", "SQLite", args.skip_sqlite), ("postgresql", "PostgreSQL", args.skip_postgres)):
        if skip:
            continue
        with scratch_database(kind) as url:
            if url is not None:
                results += run(label, url, sizes, args)
    write_results(args.name, {"benchmark": "stored", "machine": info, "args": vars(args), "results": results})


if __name__ == "__main__":
    main()
