"""Analysis benchmark: drivers (relative weights and Shapley over 20 drivers), KANO and the
PLS model on 100,000 synthetic responses, and loyalty and customer value over
``--customers`` customers (default 50,000) with four purchases each; wall time and peak
traced memory of each, printed.

Shapley over 20 drivers is not enumerated (2^20 subset regressions): above 15 drivers the
analysis samples random orders of entry (default 5,000, seeded), each costing one
Cholesky factorisation that yields all 20 marginal gains; the line printed says which.

    python bench/analysis.py [--rows 100000] [--drivers 20] [--customers 50000]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from core.analysis.drivers import drivers  # noqa: E402
from core.analysis.kano import ANSWERS, kano  # noqa: E402
from core.analysis.pls import pls  # noqa: E402
from core.config import load_config  # noqa: E402
from core.operations.analyses import apply, find_method, resolve  # noqa: E402
from core.plugins import IndustryRegistry, get_plugin_manager  # noqa: E402

from common import machine, print_machine, write_results  # noqa: E402

RESULTS: list[dict] = []
SHOP = (Path(__file__).resolve().parent.parent / "config" / "examples" / "shop-loyalty.yaml").read_text(encoding="utf-8")


def measure(label: str, fn) -> dict:
    """Time one run untraced, then the peak of a second run under tracemalloc (which slows
    Python-heavy code several times: the ranked lists ran 0.8 s untraced, 3.2 s traced)."""
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<44} {seconds:8.3f} s   peak {peak / 2**20:8.1f} MiB")
    RESULTS.append({"analysis": label, "seconds": round(seconds, 4), "peak_mib": round(peak / 2**20, 1)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--drivers", type=int, default=20)
    parser.add_argument("--customers", type=int, default=50_000)
    args = parser.parse_args()
    info = machine()
    print_machine(info)
    rng = np.random.default_rng(0)
    n, k = args.rows, args.drivers
    latent = rng.normal(size=(n, 1))
    x = np.clip(np.round(60 + 15 * (0.6 * latent + 0.8 * rng.normal(size=(n, k)))), 0, 100)
    y = np.clip(x @ np.linspace(1.0, 0.1, k) / np.linspace(1.0, 0.1, k).sum() + rng.normal(0, 8, n), 0, 100)
    frame = pd.DataFrame(x, columns=[f"q{i}" for i in range(k)]).assign(overall=y)
    codes = [f"q{i}" for i in range(k)]
    print(f"{n:,} responses, {k} drivers")
    measure(f"drivers: relative_weights ({k} drivers)", lambda: drivers(frame, "overall", codes, method="relative_weights"))
    out = measure(f"drivers: shapley ({k} drivers)", lambda: drivers(frame, "overall", codes, method="shapley"))
    how = out["computation"]
    print(f"  shapley computed as: {how['shapley']}" + (f", {how['orders']} orders of entry" if how["shapley"] == "sampled" else f", {how['subsets']} subsets"))
    measure("drivers: shapley (12 drivers, exact)", lambda: drivers(frame, "overall", codes[:12], method="shapley"))
    measure("drivers: relative_weights + 200 bootstrap", lambda: drivers(frame, "overall", codes, bootstrap=200))
    kano_frame = pd.DataFrame({f"{p}{i}": rng.choice(ANSWERS, n) for i in range(10) for p in ("f", "d")})
    features = [{"code": f"feature{i}", "functional": f"f{i}", "dysfunctional": f"d{i}"} for i in range(10)]
    measure("kano: 10 features", lambda: kano(kano_frame, features))
    blocks = {f"LV{b}": codes[4 * b: 4 * b + 4] for b in range(min(5, k // 4))}
    names = list(blocks)
    paths = {names[i]: names[:i] for i in range(1, len(names))}
    out = measure(f"pls: {len(names)} constructs, centroid", lambda: pls(frame, blocks, paths))
    print(f"  converged in {out['iterations']} iterations, GoF {out['gof']:.3f}")
    measure(f"pls: {len(names)} constructs, path scheme", lambda: pls(frame, blocks, paths, scheme="path"))
    purchase_methods(rng, args.customers)
    write_results("analysis", {"benchmark": "analysis", "machine": info, "rows": n, "drivers": k, "customers": args.customers, "results": RESULTS})


def purchase_methods(rng: np.random.Generator, customers: int) -> None:
    """loyalty and customer_value as the API runs them (config/examples/shop-loyalty.yaml's
    settings), on four purchases per customer over a year and one response each."""
    config = load_config(SHOP, "shop-loyalty.yaml")
    ids = np.array([f"C{i:06d}" for i in range(customers)], dtype=object)
    bought = np.repeat(ids, 4)
    purchases = pd.DataFrame({
        "customer_id": bought,
        "purchased_at": pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 365 * 86400, len(bought)), unit="s"),
        "amount": rng.gamma(2.0, 50.0, len(bought)).round(2),
        "category_spend": np.where(rng.random(len(bought)) < 0.5, 2000.0, np.nan),
    })
    answers = {code: rng.integers(0, 11, customers).astype(float) for code in ("overall", "premium", "recommend", "refer")}
    responses = pd.DataFrame({"customer_id": ids, **answers})
    registry = IndustryRegistry(get_plugin_manager())
    print(f"{customers:,} customers, {len(purchases):,} purchases")
    for code in ("loyalty", "customer_value"):
        method = find_method(registry, list(registry.plugins), code)
        params = resolve(method, config.section("analysis"), {})
        measure(f"{code}: ranked list of every customer", lambda: apply(method, responses, config.indicator_set, params, purchases))


if __name__ == "__main__":
    main()
