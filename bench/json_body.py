"""What a JSON body costs the worker that reads it: peak memory and time per request.

Posts hostile bodies just under the body limit (CSM_MAX_CONTENT_LENGTH, 32 MiB), and for
reference one valid batch of 10,000 responses, to ``POST /api/v1/responses`` through the
in-process client (SQLite file, rate limiting off), and prints for each the status, the
peak of Python allocations during the request (tracemalloc; numpy and pandas report
theirs to it too), that peak over the body's size, and the time. The body itself is built
before measuring, as the server holds it once received.

    python bench/json_body.py [--mib 31] [--only TEXT]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from core.app import create_app  # noqa: E402
from core.db import upgrade  # noqa: E402
from common import machine, print_machine, write_results  # noqa: E402

MiB = 1 << 20
OPERATOR = "bench-operator"
CONFIG = """version: 1
scales:
  ten: {kind: numeric, min: 0, max: 10}
indicator_set:
  code: bench
  children:
""" + "".join(f"    - {{code: q{i:02d}, scale: ten}}\n" for i in range(20))


def repeated(head: str, element: str, tail: str, size: int) -> bytes:
    """``head`` + element,element,... + ``tail``, about ``size`` bytes."""
    count = (size - len(head) - len(tail)) // (len(element) + 1)
    return (head + ",".join([element] * count) + tail).encode()


def distinct_keys(size: int, count: int | None = None) -> bytes:
    """One item whose answers have distinct keys: as many as fit (``count`` None), or
    ``count`` keys padded to fill ``size``."""
    head, tail = '{"responses": [{"answers": {', "}}]}"
    width = 1 if count is None else max(1, (size - len(head) - len(tail)) // count - 6)
    keys, total, i = [], len(head) + len(tail), 0
    while total < size and (count is None or i < count):
        key = f'"k{i:0{width}d}": 0'
        keys.append(key)
        total += len(key) + 1
        i += 1
    return (head + ",".join(keys) + tail).encode()


def spread_keys(size: int, items: int = 10_000, per_item: int = 61) -> bytes:
    """``items`` items whose answers have ``per_item`` keys each, every key distinct in the
    body, padded to fill ``size``: the value limit's worth of long distinct keys, spread
    over a full batch instead of one object."""
    head, tail = '{"responses": [', "]}"
    width = max(1, (size - len(head) - len(tail) - items * 15) // (items * per_item) - 6)
    key = 0
    parts = []
    for _ in range(items):
        parts.append('{"answers": {' + ",".join(f'"k{(key := key + 1):0{width}d}": 0' for _ in range(per_item)) + "}}")
    return (head + ",".join(parts) + tail).encode()


def valid_batch() -> bytes:
    items = [{"response_id": f"r{i}", "attributes": {"segment": "abcd"[i % 4]}, "answers": {f"q{q:02d}": (i + q) % 11 for q in range(20)}} for i in range(10_000)]
    return json.dumps({"responses": items}).encode()


def bodies(size: int):
    yield "empty items {}", repeated('{"responses": [', "{}", "]}", size)
    yield "empty lists in one item", repeated('{"responses": [{"answers": {"q00": [', "[]", "]}}]}", size)
    yield "floats in one item", repeated('{"responses": [{"answers": {"q00": [', "1.5", "]}}]}", size)
    yield "distinct keys in one item", distinct_keys(size)
    yield "zeros at the top level", repeated("[", "0", "]", size)
    yield "630,000 distinct long keys (under limit)", distinct_keys(size, 630_000)
    yield "10,000 items x 61 distinct long keys (under limit)", spread_keys(size)
    yield "640,000 empty items (2 MiB)", repeated('{"responses": [', "{}", "]}", 640_000 * 3)
    yield "valid: 10,000 responses x 20 answers", valid_batch()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=float, default=31, help="size of the hostile bodies, in MiB")
    parser.add_argument("--only", default="", help="run only the bodies whose label contains this text")
    args = parser.parse_args()
    info = machine()
    print_machine(info)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        upgrade(url)
        app = create_app({"DATABASE_URL": url, "OPERATOR_KEY": OPERATOR, "RATE_LIMIT_ENABLED": False})
        client = app.test_client()
        created = client.post("/api/v1/tenants", json={"slug": "bench", "name": "Bench"}, headers={"Authorization": f"Bearer {OPERATOR}"})
        headers = {"Authorization": f"Bearer {created.json['api_key']}"}
        assert client.post("/api/v1/config/versions", data=CONFIG.encode(), content_type="application/yaml", headers=headers).status_code == 201
        print(f"{'body':40} {'size':>9} {'status':>6} {'peak':>10} {'peak/size':>9} {'time':>7}")
        for label, body in bodies(int(args.mib * MiB)):
            if args.only not in label:
                continue
            tracemalloc.start()
            started = time.perf_counter()
            response = client.post("/api/v1/responses", data=body, content_type="application/json", headers=headers)
            elapsed = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            message = (response.json or {}).get("message", "")[:70]
            print(f"{label:40} {len(body) / MiB:7.1f} MiB {response.status_code:>6} {peak / MiB:6.0f} MiB {peak / len(body):8.1f}x {elapsed:6.2f}s  {message}")
            results.append({"body": label, "mib": round(len(body) / MiB, 1), "status": response.status_code, "peak_mib": round(peak / MiB, 1), "peak_per_size": round(peak / len(body), 2), "seconds": round(elapsed, 3)})
        app.extensions["csm"].engine.dispose()
    write_results("json_body", {"benchmark": "json_body", "machine": info, "results": results})


if __name__ == "__main__":
    main()
