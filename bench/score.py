"""Benchmark: CSM scoring against true floors, in one run.

    python bench/score.py [--rows N] [--repeat K] [--seed S]

Builds a stored-looking dataset (default 1,000,000 responses × 20 questions, answers as
canonical option codes of a four-option scale, 5 % blanks), groups it by touchpoint ×
segment × month (6 × 4 × 12 = 288 groups), and times

  (a) CSM offline: ``core.scoring.score(frame, by=["touchpoint", "segment", "period"],
      period="month", canonical=True)`` on string codes, which also produces the whole
      tree, distributions, satisfaction rates, touchpoints and per-group nodes;
  (b) CSM from its answer store: the same data as blocks of 10,000 rows
      (``core.store``, as the database holds them), scored by ``score_blocks``;
  (c) the integer floor: only the per-group CSI and margin of error, in the fewest numpy
      passes we could write, from the small-integer codes and µs times a block holds
      (lookup tables, one ``bincount`` per question, the roll-up on the group table,
      respondent indices accumulated through weight tables, one pass for the spread);
  (d) the string floor: the same after mapping the string codes to positions
      (``Index.get_indexer``) and the keys to codes (``factorize``).

Prints the best time of each over ``--repeat`` runs, the ratios (targets: store ≤ 2× the
integer floor, offline ≤ 1.5× the string floor), the peak memory each allocates
(tracemalloc, in separate untimed runs), the machine, and checks that all agree on every
group's CSI and margin of error (exit status 1 above 1e-9). Results: var/bench/score.json.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, print_machine, write_results  # noqa: E402

from core.model import Indicator, IndicatorSet  # noqa: E402
from core.model.standard_scales import SAT4  # noqa: E402
from core.scoring import score  # noqa: E402
from core.store import encode, score_blocks  # noqa: E402
from core.store.columns import build  # noqa: E402

BLOCK = 10_000

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


# --- the floors -------------------------------------------------------------------------
def int_inputs(df: pd.DataFrame, iset: IndicatorSet):
    """What a block hands a reader: int8 option positions, small-int key codes, µs times."""
    codes = {q.code: pd.Index(OPTIONS).get_indexer(df[q.code]).astype(np.int8) for q in iset.scored_questions}
    tp = pd.Index(TOUCHPOINTS).get_indexer(df["touchpoint"]).astype(np.int8)
    seg = pd.Index(SEGMENTS).get_indexer(df["segment"]).astype(np.int8)
    us = df["collected_at"].to_numpy(dtype="datetime64[us]").astype(np.int64)
    return codes, tp, seg, us


def floor_from_ints(codes, tp, seg, us, iset: IndicatorSet):
    """Per-group CSI and margin of error from integer codes, as directly as numpy allows."""
    month = us.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64)
    key = (tp.astype(np.int64) * len(SEGMENTS) + seg) * 10_000 + month
    g, uniq = pd.factorize(key, sort=True)
    G = len(uniq)
    n = len(g)
    qscore, num_tabs = {}, {}
    for q in iset.scored_questions:
        scale = iset.scales[q.scale]
        lut = np.array([scale.normalise(o.score, q.reverse) for o in scale.options])
        per = np.bincount(g * 5 + codes[q.code] + 1, minlength=G * 5).reshape(G, 5)[:, 1:]
        cnt = per.sum(axis=1)
        qscore[q.code] = np.where(cnt > 0, (per @ lut) / np.maximum(cnt, 1), np.nan)
        num_tabs[q.code] = np.append(lut, 0.0)
    tops, w_top = [], np.array([c.weight for c in iset.children])
    index_num, index_den = np.zeros(n), np.zeros(n)
    for gi, group in enumerate(iset.children):
        w = np.array([c.weight for c in group.children])
        sub = np.column_stack([qscore[c.code] for c in group.children])
        has = ~np.isnan(sub)
        tops.append(np.where(has, sub, 0) @ w / np.where(has @ w > 0, has @ w, np.nan))
        num, den = np.zeros(n), np.zeros(n)
        for c, wc in zip(group.children, w):
            num += (num_tabs[c.code] * wc)[codes[c.code]]
            den += np.append(np.full(4, wc), 0.0)[codes[c.code]]
        with np.errstate(invalid="ignore", divide="ignore"):
            top = num / den
        ok = den > 0
        index_num += np.where(ok, top, 0.0) * w_top[gi]
        index_den += ok * w_top[gi]
    top = np.column_stack(tops)
    has = ~np.isnan(top)
    csi = np.where(has, top, 0) @ w_top / np.where(has @ w_top > 0, has @ w_top, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        index = index_num / index_den
    ok = ~np.isnan(index)
    cnt = np.bincount(g, weights=ok, minlength=G)
    x = np.where(ok, index, 0.0)
    mean = np.bincount(g, weights=x, minlength=G) / np.maximum(cnt, 1)
    ss = np.bincount(g, weights=np.where(ok, x - mean[g], 0.0) ** 2, minlength=G)
    with np.errstate(invalid="ignore", divide="ignore"):
        moe = np.where(cnt >= 2, 1.96 * np.sqrt(ss / (cnt - 1)) / np.sqrt(cnt), np.nan)
    month_labels = [f"{1970 + int(m) // 12:04d}-{int(m) % 12 + 1:02d}" for m in uniq % 10_000]
    labels = [f"{TOUCHPOINTS[int(k) // 10_000 // len(SEGMENTS)]} | {SEGMENTS[int(k) // 10_000 % len(SEGMENTS)]} | {ml}" for k, ml in zip(uniq, month_labels)]
    return pd.DataFrame({"csi": csi, "moe": moe}, index=labels)


def floor_from_strings(df: pd.DataFrame, iset: IndicatorSet):
    """The integer floor after turning the string codes and keys into integers."""
    return floor_from_ints(*int_inputs(df, iset), iset)


def blocks_of(df: pd.DataFrame, iset: IndicatorSet) -> list[bytes]:
    """The dataset as the answer store keeps it: blocks of BLOCK rows."""
    out = []
    answers = df[[q.code for q in iset.questions]]
    for lo in range(0, len(df), BLOCK):
        part = slice(lo, lo + BLOCK)
        cols = build(df["collected_at"].iloc[part].dt.tz_localize("UTC"), df["touchpoint"].iloc[part], df["customer_id"].iloc[part].astype(str),
                     df[["segment"]].iloc[part], answers.iloc[part], iset)
        out.append(encode(cols.with_ids(np.arange(lo, lo + cols.n))))
    return out


BY = ["touchpoint", "segment", "period"]


def csm(df: pd.DataFrame, iset: IndicatorSet):
    return score(df, iset, by=BY, period="month", canonical=True)


def csm_store(blocks: list[bytes], iset: IndicatorSet):
    return score_blocks(blocks, iset, by=BY, period="month")


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


def frame_of(result) -> pd.DataFrame:
    return pd.DataFrame(
        {"csi": [g.csi for g in result.groups.values()], "moe": [g.margin_of_error for g in result.groups.values()]},
        index=list(result.groups), dtype=np.float64,
    )


def differences(got: pd.DataFrame, expected: pd.DataFrame) -> float | None:
    if sorted(got.index) != sorted(expected.index):
        return None
    got = got.loc[expected.index]
    if not (got.isna() == expected.isna()).all().all():
        return None
    return float(max(np.nanmax(np.abs(got["csi"] - expected["csi"])), np.nanmax(np.abs(got["moe"] - expected["moe"]))))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20260301)
    args = ap.parse_args()
    info = machine()
    print_machine(info)

    iset = indicator_set()
    t0 = time.perf_counter()
    df = dataset(args.rows, iset, args.seed)
    blocks = blocks_of(df, iset)
    ints = int_inputs(df, iset)
    print(f"dataset: {len(df):,} responses x {len(iset.scored_questions)} questions, {len(blocks)} blocks "
          f"(built in {time.perf_counter() - t0:.1f} s)")

    runs = {
        "csm_offline": lambda: csm(df, iset),
        "csm_store": lambda: csm_store(blocks, iset),
        "floor_ints": lambda: floor_from_ints(*ints, iset),
        "floor_strings": lambda: floor_from_strings(df, iset),
    }
    times, results = {}, {}
    for name, fn in runs.items():
        times[name], results[name] = best_time(fn, args.repeat)
    print(f"groups: {len(results['csm_offline'].groups)} (touchpoint x segment x month)")
    for name, label in (("csm_offline", "CSM score() from string codes"), ("csm_store", "CSM from its answer store"),
                        ("floor_ints", "floor from integer codes"), ("floor_strings", "floor from string codes")):
        print(f"{label:<32} {times[name]:8.3f} s   (best of {args.repeat})")
    ratios = {
        "store_vs_int_floor": times["csm_store"] / times["floor_ints"],
        "offline_vs_string_floor": times["csm_offline"] / times["floor_strings"],
    }
    print(f"ratio CSM store / integer floor:   {ratios['store_vs_int_floor']:.2f}  (target <= 2)")
    print(f"ratio CSM offline / string floor:  {ratios['offline_vs_string_floor']:.2f}  (target <= 1.5)")

    mib = 1024 * 1024
    peaks = {name: round(traced_peak(fn) / mib, 1) for name, fn in runs.items()}
    print("peak memory allocated during the call (tracemalloc): " + ", ".join(f"{k} {v:,.0f} MiB" for k, v in peaks.items()))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak resident size (getrusage ru_maxrss, dataset included): {rss:,.0f} MiB")

    expected = results["floor_ints"]
    diffs = {
        "csm_offline": differences(frame_of(results["csm_offline"]), expected),
        "csm_store": differences(frame_of(results["csm_store"]), expected),
        "floor_strings": differences(results["floor_strings"], expected),
    }
    print("max |diff| against the integer floor (CSI and margin of error): " + ", ".join(f"{k} {v if v is None else f'{v:.3g}'}" for k, v in diffs.items()))
    result = results["csm_offline"]
    print(f"overall CSI {result.csi:.4f} ± {result.margin_of_error:.4f} (n = {result.n:,})")
    write_results("score", {"benchmark": "score", "machine": info, "rows": args.rows, "seconds": times, "ratios": ratios,
                            "tracemalloc_peak_mib": peaks, "max_rss_mib": rss, "max_diff": diffs})
    if any(v is None or v > TOLERANCE for v in diffs.values()):
        print(f"MISMATCH: difference above {TOLERANCE}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
