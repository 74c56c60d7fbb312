"""Benchmark: CSM scoring against a minimal hand-written pandas pass (the floor).

    python bench/score.py [--rows N] [--repeat K] [--seed S]

Builds a stored-looking dataset (default 1,000,000 responses × 20 questions, answers as
canonical option codes of a four-option scale, 5 % blanks), groups it by touchpoint ×
segment × month (6 × 4 × 12 = 288 groups), and times

  (a) ``core.scoring.score(..., by=["touchpoint", "segment", "period"], period="month",
      canonical=True)``, which also produces the whole tree, distributions,
      satisfaction rates, touchpoints and per-group nodes;
  (b) the floor: only the per-group CSI and margin of error, written directly with
      pandas/numpy (map codes to normalised scores, groupby mean per question, weighted
      roll-up with renormalisation, respondent indices, groupby sd).

It prints the best time of each over ``--repeat`` runs, their ratio, the peak memory each
allocates while running (tracemalloc, measured in separate untimed runs because tracing
slows allocation down) and the process's peak resident size; then checks that both agree
on every group's CSI and margin of error and exits with status 1 if they differ by more
than 1e-9.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.model import Indicator, IndicatorSet  # noqa: E402
from core.model.standard_scales import SAT4
from core.scoring import score  # noqa: E402

TOLERANCE = 1e-9
GROUP_WEIGHTS = (0.3, 0.25, 0.25, 0.2)
QUESTION_WEIGHTS = (0.3, 0.2, 0.2, 0.15, 0.15)
TOUCHPOINTS = ("store", "online", "delivery", "hotline", "app", "returns")
SEGMENTS = ("new", "regular", "vip", "business")
OPTIONS = ("A", "B", "C", "D")


def indicator_set() -> IndicatorSet:
    """4 groups × 5 questions on a satisfied..dissatisfied scale; one question reversed."""
    groups = []
    for gi, gw in enumerate(GROUP_WEIGHTS):
        questions = tuple(
            Indicator(
                f"Q{gi * 5 + qi + 1:02d}",
                qw,
                scale="sat4",
                touchpoint=TOUCHPOINTS[(gi * 5 + qi) % len(TOUCHPOINTS)],
                reverse=(gi, qi) == (3, 4),
            )
            for qi, qw in enumerate(QUESTION_WEIGHTS)
        )
        groups.append(Indicator(f"G{gi + 1}", gw, children=questions))
    return IndicatorSet("bench", tuple(groups), {"sat4": SAT4})


def dataset(rows: int, iset: IndicatorSet, seed: int) -> pd.DataFrame:
    """Responses as read back from storage: one str column of option codes per question."""
    rng = np.random.default_rng(seed)
    tp = rng.integers(0, len(TOUCHPOINTS), rows)
    seg = rng.integers(0, len(SEGMENTS), rows)
    start = np.datetime64("2025-01-01T00:00:00", "s")
    seconds = rng.integers(0, 365 * 24 * 3600, rows)
    data = {
        "response_id": np.arange(rows),
        "customer_id": rng.integers(0, rows // 3 + 1, rows),
        "touchpoint": pd.array(np.array(TOUCHPOINTS, dtype=object)[tp], dtype="str"),
        "segment": pd.array(np.array(SEGMENTS, dtype=object)[seg], dtype="str"),
        "collected_at": pd.Series(start + seconds.astype("timedelta64[s]")),
    }
    spelled = np.array(list(OPTIONS) + [None], dtype=object)
    for j, q in enumerate(iset.scored_questions):
        # Answers lean satisfied and drift a little with touchpoint and question.
        p = np.array([0.35, 0.35, 0.2, 0.1]) + np.array([-0.01, 0.0, 0.0, 0.01]) * (j % 7)
        p = p / p.sum()
        answer = rng.choice(4, size=rows, p=p)
        answer = np.where((tp == j % 6) & (rng.random(rows) < 0.2), 3, answer)
        answer[rng.random(rows) < 0.05] = 4  # blank
        data[q.code] = pd.array(spelled[answer], dtype="str")
    return pd.DataFrame(data)


# --- the floor --------------------------------------------------------------------------
def floor(df: pd.DataFrame, iset: IndicatorSet) -> pd.DataFrame:
    """Per-group CSI and margin of error, and nothing else, as directly as pandas allows."""
    scores = {}
    for q in iset.scored_questions:
        scale = iset.scales[q.scale]
        lut = np.array([scale.normalise(o.score, q.reverse) for o in scale.options] + [np.nan])
        scores[q.code] = lut[pd.Index([o.code for o in scale.options]).get_indexer(df[q.code])]
    x = pd.DataFrame(scores)
    keys = [df["touchpoint"], df["segment"], df["collected_at"].dt.to_period("M").rename("period")]
    means = x.groupby(keys, sort=True).mean()

    def roll(frame: np.ndarray, cols: list[str]) -> np.ndarray:
        """Weighted mean over children with data, weights renormalised, bottom-up."""
        pos = {c: i for i, c in enumerate(cols)}
        tops = []
        for group in iset.children:
            sub = frame[:, [pos[c.code] for c in group.children]]
            w = np.array([c.weight for c in group.children])
            has = ~np.isnan(sub)
            tops.append((np.where(has, sub, 0) @ w) / np.where(has @ w > 0, has @ w, np.nan))
        top = np.column_stack(tops)
        w = np.array([g.weight for g in iset.children])
        has = ~np.isnan(top)
        return (np.where(has, top, 0) @ w) / np.where(has @ w > 0, has @ w, np.nan)

    csi = roll(means.to_numpy(), list(means.columns))
    respondent = pd.Series(roll(x.to_numpy(), list(x.columns)))
    spread = respondent.groupby(keys, sort=True).agg(["std", "count"])
    moe = 1.96 * spread["std"] / np.sqrt(spread["count"])
    out = pd.DataFrame({"csi": csi, "moe": moe.to_numpy()}, index=means.index)
    out.index = [" | ".join(str(v) for v in key) for key in out.index]
    return out


def csm(df: pd.DataFrame, iset: IndicatorSet):
    return score(df, iset, by=["touchpoint", "segment", "period"], period="month", canonical=True)


def best_time(fn, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def traced_peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20260301)
    args = ap.parse_args()

    iset = indicator_set()
    t0 = time.perf_counter()
    df = dataset(args.rows, iset, args.seed)
    print(f"dataset: {len(df):,} responses x {len(iset.scored_questions)} questions "
          f"(built in {time.perf_counter() - t0:.1f} s)")

    t_csm, result = best_time(lambda: csm(df, iset), args.repeat)
    t_floor, expected = best_time(lambda: floor(df, iset), args.repeat)
    print(f"groups: {len(result.groups)} (touchpoint x segment x month)")
    print(f"CSM score():  {t_csm:8.3f} s   (best of {args.repeat})")
    print(f"pandas floor: {t_floor:8.3f} s   (best of {args.repeat})")
    print(f"ratio CSM / floor: {t_csm / t_floor:.2f}")

    mib = 1024 * 1024
    print(f"peak memory allocated during the call (tracemalloc): "
          f"CSM {traced_peak(lambda: csm(df, iset)) / mib:,.0f} MiB, "
          f"floor {traced_peak(lambda: floor(df, iset)) / mib:,.0f} MiB")
    print(f"process peak resident size (getrusage ru_maxrss, dataset included): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")

    got = pd.DataFrame(
        {"csi": [g.csi for g in result.groups.values()], "moe": [g.margin_of_error for g in result.groups.values()]},
        index=list(result.groups),
        dtype=np.float64,
    )
    if sorted(got.index) != sorted(expected.index):
        print("MISMATCH: the two disagree on which groups exist")
        return 1
    got = got.loc[expected.index]
    d_csi = np.nanmax(np.abs(got["csi"] - expected["csi"]))
    d_moe = np.nanmax(np.abs(got["moe"] - expected["moe"]))
    same_nan = (got.isna() == expected.isna()).all().all()
    print(f"max |diff| over groups: CSI {d_csi:.3g}, margin of error {d_moe:.3g}")
    print(f"overall CSI {result.csi:.4f} ± {result.margin_of_error:.4f} (n = {result.n:,})")
    if not same_nan or d_csi > TOLERANCE or d_moe > TOLERANCE:
        print(f"MISMATCH: difference above {TOLERANCE}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
