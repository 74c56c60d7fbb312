"""Offline commands (no database): ``csm validate`` and ``csm score``."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from core.cli.common import Context, fail, read_config
from core.cli.csv_file import CsvParts, split_csv
from core.cli.inputs import check_collected_at
from core.cli.output import print_result
from core.cli.progress import progress
from core.ingest import BatchError, read_csv_batch
from core.analysis.significance import DEFAULT_MIN_N
from core.scoring import AnswerValidationError, ScoringInputError, score
from core.scoring.compare import check_compare

PERIODS = click.Choice(["month", "quarter", "year"])
BY_HELP = "Breakdown (repeatable): touchpoint, an attribute column, or period."
PERIOD_HELP = "Period length for --by period."
FORMATS = click.Choice(["json", "table"])
FORMAT_HELP = "json: the API's shape; table: every figure of it, for reading."
MIN_N_HELP = "Flag figures resting on fewer responses low_n."
COMPARE_HELP = "With --by period: compare each period with the previous one ('previous') or a named period (2026-03, 2026Q1, 2026)."


@click.command(short_help="Check a configuration file (YAML).")
@click.argument("config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def validate(ctx: Context, config: Path):
    """Check a configuration file; print a summary, or every problem with its line."""
    tenant_config = read_config(ctx, config)
    s = tenant_config.summary()
    click.echo(f"{config}: valid")
    click.echo(f"  indicator set {s['indicator_set']} ({s['name'] or 'unnamed'}): {s['groups']} groups, {s['questions']} questions ({s['scored_questions']} scored)")
    click.echo(f"  scales: {', '.join(s['scales'])}" + (f"; template {s['template']} from {s['industry']}" if s["template"] else ""))
    if "customer_attributes" in s:
        click.echo(f"  customers: {s['customer_attributes']} attributes; grades {', '.join(s['grades']) or 'none'}")
    if "services" in s:
        click.echo(f"  services: {s['services']} in {s['service_categories']} categories")


@click.command("score", short_help="Score a CSV of responses offline (no database).")
@click.option("--config", "config_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path), help="The configuration (YAML).")
@click.option("--responses", "responses_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path), help="The responses (CSV).")
@click.option("--by", multiple=True, help=BY_HELP)
@click.option("--period", type=PERIODS, default=None, show_default="month with --by period", help=PERIOD_HELP)
@click.option("--min-n", "min_n", type=click.IntRange(min=1), default=None, show_default="analysis.min_n, else 30", help=MIN_N_HELP)
@click.option("--compare", default=None, show_default="no comparison", help=COMPARE_HELP)
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True, help=FORMAT_HELP)
@click.pass_obj
def score_cmd(ctx: Context, config_path: Path, responses_path: Path, by, period, min_n, compare, fmt):
    """Score a CSV of responses against a configuration, offline (no database).

    The CSV is checked as `csm import-responses` checks it (answers, collected_at);
    problems name the file's line. Periods are calendar periods in UTC.
    """
    config = read_config(ctx, config_path)
    iset = config.indicator_set
    if min_n is None:
        min_n = config.section("analysis").min_n if config.section("analysis") is not None else DEFAULT_MIN_N
    csv = responses_csv(ctx, responses_path)
    if "period" in by and period is None:
        period = "month"
    try:
        check_compare(compare, tuple(by), period)
    except ScoringInputError as exc:
        fail(f"--{exc.field}: {exc}")
    result = None
    with progress(len(csv.parts) + 1, f"scoring {responses_path.name}", show=len(csv.parts) > 1) as bar:
        frame, problems, total = read_responses(csv, iset, bar)
        if frame is not None:
            bar.stage("scoring")
            try:
                result = score(frame, iset, by=tuple(by), period=period, min_n=min_n, compare=compare).to_dict()
            except AnswerValidationError as exc:
                problems += [(e.row, e.field, e.reason) for e in exc.errors]
                total += exc.total
            except ScoringInputError as exc:
                result = exc
            bar.advance()
    if problems:
        fail(f"{responses_path}: {total} problem(s)", csv.describe(problems), total)
    if isinstance(result, ScoringInputError):
        fail(f"--{result.field}: {result}")
    print_result(result, fmt)


def responses_csv(ctx: Context, path: Path) -> CsvParts:
    """A responses CSV split into batches of MAX_BATCH rows; ragged rows exit 2."""
    csv = split_csv(path.read_bytes(), ctx.settings["MAX_BATCH"])
    if csv.ragged:
        fail(f"{path}: {len(csv.ragged)} row(s) with more or fewer fields than the header", csv.ragged)
    return csv


def read_responses(csv: CsvParts, iset, bar) -> tuple[pd.DataFrame | None, list, int]:
    """The CSV's rows checked as `csm import-responses` checks them, as one frame of
    canonical answers (meta, attributes, answers), or None with the problems (row, field,
    message) and their total (``csv.describe`` names the file's lines); times that are
    wrong come as problems beside the frame."""
    bar.stage("reading")
    problems, total, frames = [], 0, []
    for i, part in enumerate(csv.parts):
        try:
            batch = read_csv_batch(part, iset)
        except BatchError as exc:
            problems += [(csv.row_of(i, e.row), e.field, e.message) for e in exc.errors]
            total += exc.total
            if any(e.row < 0 for e in exc.errors):
                break  # the file itself (header, encoding): every part would say the same
            continue
        csv.parsed(i, len(batch))
        frames.append(pd.concat([batch.meta, batch.attributes, batch.answers], axis=1))
        bar.advance()
    if problems:
        return None, problems, total
    frame = pd.concat(frames, ignore_index=True)
    parsed, time_errors = check_collected_at(frame)
    if parsed is not None:
        frame["collected_at"] = parsed
    return frame, list(time_errors), len(time_errors)
