"""Benchmark: time-limit commitment clocks over many cases.

    python bench/clocks.py [--cases N] [--repeat K] [--seed S]

Builds a restaurant's month (default 100,000 orders, 4 events each on average: ordered,
a complaint for 1 in 10, compensation for half of those, the dish served for 9 in 10
after 2-30 minutes) plus an after-sales queue of the same size on a business calendar
(09:00-12:00, 13:00-18:00 on weekdays, Asia/Shanghai, one holiday), and times

  (a) the restaurant ladder on event types (clock, three steps, a condition on the
      complaint, remedies delivered in time) with ``applies_to: case.type == "dine_in"``;
  (b) a 4-hour reply commitment on the business calendar, with pause and resume;
  (c) turning (a)'s evaluation into the JSON ``csm cases evaluate`` prints;
  (d) the sweep's path: the restaurant's cases as stored snapshots, in chunks of
      ``SWEEP_CHUNK`` (1,000), through the default case evaluator (one engine call per
      chunk), to alerts and next checks.

It prints the best time of each over ``--repeat`` runs and the time per case in µs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from core.alerts import CaseEvent, CaseSnapshot  # noqa: E402
from core.alerts.commitments import commitment_alerts  # noqa: E402
from core.commitments import CaseLog, evaluate  # noqa: E402
from core.config import load_config  # noqa: E402
from core.operations.cases import SWEEP_CHUNK  # noqa: E402

from common import machine, print_machine, write_results  # noqa: E402

CONFIG = """version: 1
scales:
  ten: {kind: numeric, min: 0, max: 10}
indicator_set:
  code: bench
  children:
    - {code: q1, scale: ten}
calendars:
  office:
    time_zone: Asia/Shanghai
    week: {mon-fri: ["09:00-12:00", "13:00-18:00"]}
    holidays: [2026-03-16]
commitments:
  - code: first_dish
    applies_to: 'case.type == "dine_in"'
    clock: {start: ordered, stop: dish_served}
    limit: 10m
    ladder:
      - {code: fruit_plate, after: 10m, remedy: "free fruit plate"}
      - {code: discount_20, after: 15m, remedy: "20 % off the meal", percent_off: 20}
      - {code: double_refund, after: 20m, when: '"complained" in case.events', respond_within: 5m,
         delivered: compensation_paid, remedy: "double compensation"}
  - code: reply
    applies_to: 'case.type == "after_sales"'
    clock: {start: opened, stop: replied, pause: waiting, resume: customer_replied}
    limit: 4h
    calendar: office
"""

START = pd.Timestamp("2026-03-01T00:00:00Z").timestamp()


def restaurant(n: int, rng: np.random.Generator) -> pd.DataFrame:
    ordered = START + rng.uniform(0, 30 * 86400, n)
    ids = np.array([f"r{i}" for i in range(n)], dtype=object)
    parts = [(ids, "ordered", ordered)]
    served = rng.random(n) < 0.9
    parts.append((ids[served], "dish_served", ordered[served] + rng.uniform(120, 1800, served.sum())))
    complained = rng.random(n) < 0.1
    parts.append((ids[complained], "complained", ordered[complained] + rng.uniform(300, 1500, complained.sum())))
    paid = complained & (rng.random(n) < 0.5)
    parts.append((ids[paid], "compensation_paid", ordered[paid] + 1560))
    return _frame(parts, "dine_in")


def after_sales(n: int, rng: np.random.Generator) -> pd.DataFrame:
    opened = START + rng.uniform(0, 30 * 86400, n)
    ids = np.array([f"a{i}" for i in range(n)], dtype=object)
    parts = [(ids, "opened", opened)]
    waits = rng.random(n) < 0.3
    parts.append((ids[waits], "waiting", opened[waits] + 1800))
    parts.append((ids[waits], "customer_replied", opened[waits] + 1800 + rng.uniform(600, 86400, waits.sum())))
    replied = rng.random(n) < 0.95
    parts.append((ids[replied], "replied", opened[replied] + rng.uniform(600, 3 * 86400, replied.sum())))
    return _frame(parts, "after_sales")


def _frame(parts, case_type: str) -> pd.DataFrame:
    ids = np.concatenate([p[0] for p in parts])
    types = np.concatenate([np.full(len(p[0]), p[1], dtype=object) for p in parts])
    at = pd.to_datetime(np.concatenate([p[2] for p in parts]), unit="s", utc=True)
    return pd.DataFrame({"case_id": ids, "type": types, "at": at, "case_type": case_type})


def _snapshots(events: pd.DataFrame) -> list[CaseSnapshot]:
    """The cases as the repository hands them to the evaluator: each with its log."""
    events = events.assign(at=events["at"].dt.floor("us")).sort_values(["case_id", "at"])
    out = []
    for case_id, group in events.groupby("case_id", sort=False):
        log = tuple(CaseEvent(t, at.to_pydatetime()) for t, at in zip(group["type"], group["at"]))
        out.append(CaseSnapshot(case_id, "dine_in", None, None, None, {}, log))
    return out


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    info = machine()
    print_machine(info)
    rng = np.random.default_rng(args.seed)
    config = load_config(CONFIG, "bench.yaml")
    dish, reply = config.section("commitments")
    calendars = config.section("calendars")
    at = pd.Timestamp("2026-04-01T00:00:00Z")
    logs = {}
    restaurant_events = restaurant(args.cases, rng)
    for name, events in (("restaurant", restaurant_events), ("after-sales", after_sales(args.cases, rng))):
        cases = events.drop_duplicates("case_id")[["case_id", "case_type"]].reset_index(drop=True)
        logs[name] = CaseLog(events=events[["case_id", "type", "at"]], cases=cases)
        print(f"{name}: {args.cases:,} cases, {len(events):,} events")
    n = args.cases
    t_dish, e_dish = best(lambda: evaluate([dish], logs["restaurant"], at=at), args.repeat)
    print(f"(a) restaurant ladder (always):           {t_dish:7.3f} s  {t_dish / n * 1e6:6.2f} µs per case")
    t_reply, _ = best(lambda: evaluate([reply], logs["after-sales"], at=at, calendars=calendars), args.repeat)
    print(f"(b) 4 h reply on a business calendar:     {t_reply:7.3f} s  {t_reply / n * 1e6:6.2f} µs per case")
    t_json, cases = best(lambda: e_dish.cases(), args.repeat)
    print(f"(c) JSON figures of (a):                  {t_json:7.3f} s  {t_json / n * 1e6:6.2f} µs per case")
    snapshots = _snapshots(restaurant_events)
    only_dish = type("Config", (), {"section": lambda self, name: (dish,) if name == "commitments" else {}})()

    def sweep():
        return [e for i in range(0, n, SWEEP_CHUNK) for e in commitment_alerts(only_dish, snapshots[i : i + SWEEP_CHUNK], at.to_pydatetime())]

    t_sweep, outcomes = best(sweep, args.repeat)
    alerts = sum(len(o.alerts) for o in outcomes)
    print(f"(d) sweep of (a), {SWEEP_CHUNK:,} per call:       {t_sweep:7.3f} s  {t_sweep / n * 1e6:6.2f} µs per case ({alerts:,} alerts)")
    rates = e_dish.on_time_rates()["first_dish"]
    print(f"on time (a): {rates['rate']:.3f} of n = {rates['n']:,}; cases with a figure: {len(cases):,}")
    figures = {"restaurant_ladder": t_dish, "reply_on_calendar": t_reply, "json_figures": t_json, "sweep": t_sweep}
    write_results("clocks", {"benchmark": "clocks", "machine": info, "cases": n, "alerts": alerts,
                             "results": {k: {"seconds": round(v, 4), "us_per_case": round(v / n * 1e6, 3)} for k, v in figures.items()}})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
