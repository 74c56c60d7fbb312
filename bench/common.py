"""What every benchmark shares: the machine it ran on, the bench questionnaire, synthetic
ingest payloads, scratch databases, and the JSON file each run writes its results to.

Benchmarks print figures and never assert timings (the tests do not time anything).
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from core.db.engine import url_with_search_path  # noqa: E402

PG_URL = os.environ.get("CSM_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RESULTS_DIR = ROOT / "var" / "bench"
BATCH = 10_000
OPERATOR = "bench-operator"


def machine(pg_url: str | None = PG_URL) -> dict:
    """Cores, memory, Python, numpy/pandas, SQLite and (when it answers) PostgreSQL versions."""
    info = {
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "sqlite": sqlite3.sqlite_version,
        "postgresql": None,
    }
    try:
        with open("/proc/meminfo") as f:
            info["memory_gib"] = round(int(f.readline().split()[1]) / 1024**2, 1)
    except OSError:
        pass
    if pg_url:
        try:
            engine = create_engine(pg_url, poolclass=NullPool, connect_args={"connect_timeout": 2})
            with engine.connect() as conn:
                info["postgresql"] = conn.execute(text("SHOW server_version")).scalar()
            engine.dispose()
        except Exception:  # noqa: BLE001 - a machine without PostgreSQL is still described
            pass
    return info


def print_machine(info: dict) -> None:
    mem = f", {info['memory_gib']} GiB" if "memory_gib" in info else ""
    print(
        f"machine: {info['cores']} cores ({info['machine']}{mem}), Python {info['python']}, numpy {info['numpy']}, "
        f"pandas {info['pandas']}, SQLite {info['sqlite']}, PostgreSQL {info['postgresql'] or 'not reachable'}"
    )


def write_results(name: str, payload: dict) -> Path:
    """Write ``payload`` to var/bench/<name>.json (the latest run of that benchmark)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"results written to {path.relative_to(ROOT)}")
    return path


def bench_config() -> str:
    """20 questions on a five-option scale in 4 groups of 5 (weights shared equally)."""
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


def synthetic_frame(iset, rows: int, seed: int) -> pd.DataFrame:
    """The bench's responses in the CSV form: segment (4 values), region (2), touchpoint (3),
    a year of collection times, 20 answers with 5 % blanks."""
    from core.demo.synthetic import synthetic_responses

    return synthetic_responses(
        iset, rows, seed=seed, attributes={"segment": ["a", "b", "c", "d"], "region": ["n", "s"]},
        touchpoints=["web", "store", "phone"], start="2025-01-01", months=12,
    )


def items_of(frame: pd.DataFrame, iset) -> list[dict]:
    """JSON ingest items (``POST /responses``) of a synthetic frame."""
    codes = [q.code for q in iset.questions]
    answers = frame[codes].to_dict(orient="records")
    meta = frame[["response_id", "customer_id", "touchpoint", "collected_at"]].to_dict(orient="records")
    attrs = frame[["segment", "region"]].to_dict(orient="records")
    return [
        {**m, "attributes": a, "answers": {k: v for k, v in ans.items() if isinstance(v, str)}}
        for m, a, ans in zip(meta, attrs, answers)
    ]


def ingest_bodies(iset, rows: int, seed: int = 11) -> Iterator[bytes]:
    """``rows`` responses as JSON bodies of BATCH responses each, generated batch by batch
    (a million items never sit in memory at once)."""
    for start in range(0, rows, BATCH):
        n = min(BATCH, rows - start)
        frame = synthetic_frame(iset, n, seed=seed * 100_000 + start // BATCH)
        yield json.dumps({"responses": items_of(frame, iset)}).encode()


@contextmanager
def scratch_database(kind: str) -> Iterator[str | None]:
    """A fresh, unmigrated database URL: a SQLite file in a temporary directory, or a new
    PostgreSQL schema (dropped afterwards); None when PostgreSQL does not answer."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite3"
        return
    admin = create_engine(PG_URL, poolclass=NullPool, connect_args={"connect_timeout": 2})
    schema = "csm_bench_" + uuid.uuid4().hex[:8]
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - report and carry on without PostgreSQL
        print(f"PostgreSQL skipped: not reachable ({exc.__class__.__name__})")
        yield None
        return
    try:
        yield url_with_search_path(PG_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else float("nan")
