"""Analysis benchmark: drivers (relative weights and Shapley over 20 drivers), KANO and the
PLS model on 100,000 synthetic responses; wall time and peak traced memory of each, printed.

Shapley over 20 drivers is not enumerated (2^20 subset regressions): above 15 drivers the
analysis samples random orders of entry (default 5,000, seeded), each costing one
Cholesky factorisation that yields all 20 marginal gains; the line printed says which.

    python bench/analysis.py [--rows 100000] [--drivers 20]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from core.analysis.drivers import drivers  # noqa: E402
from core.analysis.kano import ANSWERS, kano  # noqa: E402
from core.analysis.pls import pls  # noqa: E402


def measure(label: str, fn) -> dict:
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<44} {seconds:8.3f} s   peak {peak / 2**20:8.1f} MiB")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--drivers", type=int, default=20)
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
