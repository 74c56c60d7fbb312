"""``csm grade``: grade a CSV of customers offline (no database), as the tenant's
configuration says, and list the services each grade is entitled to."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np
import pandas as pd

from core.batch import BatchError, read_csv
from core.batch.limits import MAX_ATTRIBUTES
from core.cli.common import Context, fail, read_config
from core.cli.csv_file import split_csv
from core.rules.customers import ID, period_label

FORMATS = click.Choice(["json", "table"])


def read_customers(ctx: Context, path: Path, model):
    """A CSV of customers (customer_id and one column per attribute), with its
    ``split_csv`` view; checked and typed by the customers section ``model`` when there
    is one, else as text. Exit 2 with every problem by line otherwise."""
    name = str(path)
    csv = split_csv(path.read_bytes(), ctx.settings["MAX_BATCH"])
    if csv.ragged:
        fail(f"{name}: {len(csv.ragged)} row(s) with more or fewer fields than the header", csv.ragged)
    frames = []
    for i, part in enumerate(csv.parts):
        try:
            frame = read_csv(part, max_columns=MAX_ATTRIBUTES + 1, what="customers", columns_hint="customer_id and the attributes")
        except BatchError as exc:
            fail(f"{name}: {exc.total} problem(s)", csv.describe([(csv.row_of(i, e.row), e.field, e.message) for e in exc.errors]), exc.total)
        csv.parsed(i, len(frame))
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if model is None:
        if ID not in frame.columns:
            fail(f"{name}: no {ID} column (customer_id and the attributes)")
        return frame, csv
    typed, errors = model.check(frame)
    if errors:
        fail(f"{name}: {len(errors)} problem(s)", csv.describe([(e.row, e.field, e.message) for e in errors]))
    return typed, csv


@click.command("grade", short_help="Grade a CSV of customers offline (no database).")
@click.option("--config", "config_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path), help="The configuration (YAML) with a customers section.")
@click.option("--customers", "customers_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path), help="The customers (CSV): customer_id and one column per attribute.")
@click.option("--period", default=None, show_default="the current period", help="The evaluation period: 2026-03 (monthly, bimonthly), 2026-Q1 (quarterly).")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True, help="json: customers by id with grade, score and services, and counts per grade.")
@click.pass_obj
def grade_cmd(ctx: Context, config_path: Path, customers_path: Path, period: str | None, fmt: str):
    """Grade every customer of a CSV: its score, its grade and the services its grade
    is entitled to; problems name the file's line and column (exit code 2)."""
    config = read_config(ctx, config_path)
    model = config.section("customers")
    if model is None or model.grading is None:
        fail(f"{config_path}: the configuration has no customers.grading to grade with")
    try:
        label = period_label(model.grading.reevaluate, period)
    except ValueError as exc:
        fail(f"--period: {exc} ({model.grading.reevaluate} periods)")
    name = str(customers_path)
    typed, csv = read_customers(ctx, customers_path, model)
    result = model.grade(typed)
    if result.errors:
        fail(f"{name}: {len(result.errors)} customer(s) cannot be graded", csv.describe([(e.row, e.field, e.message) for e in result.errors]))
    menu = config.section("services")
    ids = typed[ID].tolist()
    grades = result.grade.tolist()
    scores = [None if np.isnan(s) else round(float(s), 6) for s in result.score]
    entitled = {g: list(menu.entitled(g)) if menu is not None else [] for g in set(grades)}
    out = {
        "period": label,
        "customers": {cid: {"grade": g, "score": s, "services": entitled[g]} for cid, g, s in zip(ids, grades, scores)},
        "counts": result.counts(model.grading.grades),
    }
    if fmt == "json":
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    width = max([len("customer"), *(len(c) for c in ids)])
    click.echo(f"period {label}: {len(ids)} customer(s)")
    click.echo(f"{'customer':<{width}}  grade     score  services")
    for cid, row in out["customers"].items():
        score = "-" if row["score"] is None else f"{row['score']:.2f}"
        click.echo(f"{cid:<{width}}  {row['grade'] or '-':<6}  {score:>7}  {', '.join(row['services']) or '-'}")
    click.echo("counts: " + ", ".join(f"{g} {n}" for g, n in out["counts"].items()))
