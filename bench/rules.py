"""Rules benchmark: 100,000 customers graded and 100,000 case conditions evaluated.

1. grades N synthetic retailers with the tobacco configuration (config/examples/tobacco.yaml:
   a CEL score over three attributes, nine bands, the service menu), timing the
   attribute check (text cells → typed) and the grading separately;
2. evaluates a case condition of the restaurant ladder shape
   (``case.type == "dine_in" && "complained" in case.events``) over N cases given as a
   frame, and a score condition with a missing attribute on 1 % of the rows (those go to
   the runtime, row by row);
3. evaluates the same case condition on 10,000 cases one record at a time through the
   runtime, for comparison.

Prints µs per record and the machine. Target: well under 10 µs per condition.

    python bench/rules.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from core.config import load_config  # noqa: E402
from core.rules import compile_expression, types as T  # noqa: E402

from common import machine, print_machine, write_results  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def per_record(seconds: float, n: int) -> str:
    return f"{seconds * 1e6 / n:.2f} µs per record ({n:,} in {seconds:.3f} s)"


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    n = parser.parse_args().rows
    rng = np.random.default_rng(8)
    info = machine()
    print_machine(info)

    config = load_config((ROOT / "config" / "examples" / "tobacco.yaml").read_text(encoding="utf-8"), "tobacco.yaml")
    customers, menu = config.section("customers"), config.section("services")
    raw = pd.DataFrame(
        {
            "customer_id": [f"R{i:06d}" for i in range(n)],
            **{a: np.round(rng.uniform(0, 100, n), 1).astype(str) for a in ("contribution", "compliance", "capability")},
            "region": rng.choice(["urban", "rural"], n),
        }
    )
    (typed, errors), check_s = timed(lambda: customers.check(raw))
    assert not errors
    graded, grade_s = timed(lambda: customers.grade(typed))
    assert not graded.errors
    services, menu_s = timed(lambda: {g: menu.entitled(g) for g in set(graded.grade.tolist())})
    print(f"customers, attribute check (text → typed): {per_record(check_s, n)}")
    print(f"customers, score + grade (CEL on columns):  {per_record(grade_s, n)}")
    print(f"counts: {graded.counts(customers.grading.grades)}")

    case_vars = {"case": T.record(type=T.STRING, events=T.list_of(T.STRING))}
    condition = compile_expression('case.type == "dine_in" && "complained" in case.events', case_vars, returns=T.BOOL)
    events = [["ordered"], ["ordered", "dish_served"], ["ordered", "complained"]]
    cases = pd.DataFrame({"type": rng.choice(["dine_in", "take_away"], n), "events": [events[i % 3] for i in range(n)]})
    values, case_s = timed(lambda: condition.evaluate_many({"case": cases}))
    print(f"case condition on columns:                  {per_record(case_s, n)}  ({int(values.sum()):,} true)")

    score = compile_expression("customer.contribution >= 60.0 && customer.compliance >= 60.0", {"customer": customers.cel_record}, returns=T.BOOL)
    holed = typed.copy()
    holed.loc[rng.choice(n, n // 100, replace=False), "compliance"] = np.nan
    failed: dict[int, str] = {}
    _, holed_s = timed(lambda: score.evaluate_many({"customer": holed}, errors=failed))
    print(f"condition, 1 % rows missing an attribute:   {per_record(holed_s, n)}  ({len(failed):,} not decided by the other side: errors)")

    m = min(n, 10_000)
    rows = [{"case": {"type": t, "events": e}} for t, e in zip(cases["type"][:m], cases["events"][:m])]
    _, row_s = timed(lambda: [condition.evaluate(r) for r in rows])
    print(f"case condition, one record at a time:       {per_record(row_s, m)}")
    figures = {"attribute_check": (check_s, n), "score_and_grade": (grade_s, n), "case_condition_columns": (case_s, n),
               "condition_with_missing": (holed_s, n), "case_condition_one_at_a_time": (row_s, m)}
    write_results("rules", {"benchmark": "rules", "machine": info,
                            "results": {k: {"records": r, "seconds": round(t, 4), "us_per_record": round(t * 1e6 / r, 3)} for k, (t, r) in figures.items()}})


if __name__ == "__main__":
    main()
