"""``csm cases evaluate``: a configuration's time-limit commitments over a CSV of case
events, offline (no database), at any instant."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd

from core.batch import BatchError
from core.batch.csv_reader import read_csv
from core.cli.common import Context, fail, read_config
from core.cli.csv_file import split_csv
from core.cli.inputs import IsoDateTime
from core.cli.output import table
from core.commitments import CaseLog, evaluate
from core.commitments.report import iso
from core.commitments.table import MAX_COLUMNS, case_log
from core.scoring import ScoringInputError

FORMATS = click.Choice(["json", "table"])
PERIODS = click.Choice(["month", "quarter", "year"])


@click.group("cases", short_help="Time-limit commitments over case events.")
def cases():
    """Time-limit commitments (clocks, ladders, remedies) over case events."""


@cases.command("evaluate", short_help="Evaluate commitments over a CSV of case events offline.")
@click.option("--config", "config_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path), help="The configuration (YAML) with a commitments section.")
@click.option("--events", "events_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path), help="The events (CSV): case_id, type, at, ...")
@click.option("--at", "at", type=IsoDateTime(), default=None, help="Evaluate as at this instant (ISO 8601; default now). Later events are not yet known.")
@click.option("--by", multiple=True, help="On-time rates also by (repeatable): period, touchpoint, case_type, customer_id or an attribute column.")
@click.option("--period", type=PERIODS, default=None, show_default="month with --by period", help="Period length for --by period (of each clock's start, UTC).")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True, help="json: every figure; table: one line per case and commitment, then the rates.")
@click.pass_obj
def evaluate_cmd(ctx: Context, config_path: Path, events_path: Path, at, by, period, fmt):
    """Evaluate the commitments of a configuration over a CSV of case events.

    Columns: case_id, type, at (required); event_id, case_type, customer_id, touchpoint,
    customer.<field> and attribute columns (optional). Problems name the file's line.
    """
    config = read_config(ctx, config_path)
    commitments = config.section("commitments")
    if not commitments:
        fail(f"{config_path}: the configuration has no commitments (add a commitments section)")
    log = _read_events(events_path, ctx.settings["MAX_BATCH"])
    if "period" in by and period is None:
        period = "month"
    at = pd.Timestamp(at) if at is not None else pd.Timestamp.now(tz="UTC")
    evaluation = evaluate(commitments, log, at=at, calendars=config.section("calendars") or {})
    try:
        rates = evaluation.on_time_rates(by=tuple(by), period=period)
    except ScoringInputError as exc:
        fail(f"--by: {exc}")
    result = {"at": iso(evaluation.at), "cases": evaluation.cases(), "on_time_rate": rates}
    if fmt == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(_table_lines(result)))


def _read_events(path: Path, size: int) -> CaseLog:
    """The CSV read in parts of ``size`` rows (as ``csm score`` reads responses), then
    checked whole; every problem names its line."""
    name = str(path)
    csv = split_csv(path.read_bytes(), size)
    if csv.too_wide:
        fail(f"{name}: {len(csv.too_wide)} row(s) with more fields than the header", csv.too_wide)
    frames = []
    for i, part in enumerate(csv.parts):
        try:
            frame = read_csv(part, max_columns=MAX_COLUMNS, what="events", columns_hint="case_id, type, at, event_id, case_type, customer_id, touchpoint and attributes")
        except BatchError as exc:
            fail(f"{name}: {exc.total} problem(s)", csv.describe([(csv.row_of(i, e.row), e.field, e.message) for e in exc.errors]), exc.total)
        csv.parsed(i, len(frame))
        frames.append(frame)
    try:
        return case_log(pd.concat(frames, ignore_index=True))
    except BatchError as exc:
        fail(f"{name}: {exc.total} problem(s)", csv.describe([(e.row, e.field, e.message) for e in exc.errors]), exc.total)


def _table_lines(result: dict) -> list[str]:
    out = [f"as at {result['at']}"]
    rows = []
    for case_id, commitments in result["cases"].items():
        for code, f in commitments.items():
            status = f["status"] + (" (open)" if f["open"] and f["status"] == "breached" else "") + (" (paused)" if f["paused"] else "")
            remedies = ", ".join(f"{m['step']}:{m['status']}" for m in f["remedies_due"]) or "-"
            following = f"{f['next_step']['code']} at {f['next_step']['at'] or '(paused)'}" if f["next_step"] else "-"
            rows.append([case_id, code, str(f["cycle"]), status, _minutes(f["elapsed_seconds"]), _minutes(f["limit_seconds"]),
                         _minutes(f["remaining_seconds"]), ", ".join(f["steps"]) or "-", remedies, following])
    out += table(["case", "commitment", "cycle", "status", "elapsed", "limit", "remaining", "steps", "remedies", "next step"], rows, left={0, 1, 3, 7, 8, 9})
    out.append("")
    rate_rows = []
    for code, r in result["on_time_rate"].items():
        rate_rows.append([code, _percent(r["rate"]), str(r["n"]), str(r["met"]), str(r["breached"])])
        for label, g in r.get("groups", {}).items():
            rate_rows.append([f"  {label}", _percent(g["rate"]), str(g["n"]), str(g["met"]), str(g["breached"])])
    out += table(["on time", "rate", "n", "met", "breached"], rate_rows, left={0})
    return out


def _minutes(seconds) -> str:
    return "-" if seconds is None else f"{seconds / 60:.1f} min"


def _percent(rate) -> str:
    return "-" if rate is None else f"{rate * 100:.1f} %"
