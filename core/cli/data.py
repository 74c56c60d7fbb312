"""A tenant's data: ``csm upload-config``, ``csm import-responses`` and ``csm report``."""

from __future__ import annotations

from pathlib import Path

import click

from core.cli.common import Context, config_failed, fail
from core.cli.csv_file import CsvParts, split_csv
from core.cli.inputs import IsoDateTime, VersionOrAll
from core.cli.offline import BY_HELP, COMPARE_HELP, FORMAT_HELP, FORMATS, MIN_N_HELP, PERIOD_HELP, PERIODS
from core.cli.output import print_result
from core.cli.progress import progress
from core.config import ConfigError
from core.ingest import BatchError, read_csv_batch
from core.operations import base, configuration, reports, responses
from core.scoring import ScoringInputError

TENANT_HELP = "Tenant slug."
VERSION = click.IntRange(min=1)


@click.command("upload-config", short_help="Store a configuration as the next version.")
@click.option("--tenant", required=True, help=TENANT_HELP)
@click.argument("config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def upload_config(ctx: Context, tenant: str, config: Path):
    """Store a configuration file as the tenant's next version."""
    try:
        with ctx.unit_of_work() as session:
            version, _ = configuration.upload_config(session, ctx.tenant_id(session, tenant), config.read_bytes(), str(config), ctx.registry.template)
    except ConfigError as exc:
        config_failed(exc, str(config))
    click.echo(f"{tenant}: stored configuration version {version.version} ({version.indicator_set_code})")


class _Refused(Exception):
    """Some batch of the file was refused: roll the whole import back."""


@click.command("import-responses", short_help="Import a CSV of responses, all or nothing.")
@click.option("--tenant", required=True, help=TENANT_HELP)
@click.option("--version", type=VERSION, default=None, show_default="the latest", help="Configuration version the answers were collected under.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def import_responses(ctx: Context, tenant: str, version: int | None, file: Path):
    """Import a CSV of responses, all or nothing.

    A file of more than CSM_MAX_BATCH rows is checked and stored in batches of that many
    rows, all in one transaction: a problem on any line stores nothing. Problems name the
    file's line.
    """
    size = ctx.settings["MAX_BATCH"]
    csv = split_csv(file.read_bytes(), size)
    if csv.ragged:
        fail(f"{file}: nothing stored, {len(csv.ragged)} row(s) with more or fewer fields than the header", csv.ragged)
    problems: list[tuple[int, str, str]] = []
    totals = {"problems": 0, "accepted": 0, "version": None}
    try:
        with ctx.unit_of_work() as session:
            tenant_id = ctx.tenant_id(session, tenant)
            with progress(csv.rows or 0, f"importing {file.name}", show=len(csv.parts) > 1) as bar:
                _import_parts(session, tenant_id, version, csv, size, problems, totals, bar)
            if problems:
                raise _Refused
    except _Refused:
        fail(f"{file}: nothing stored, {totals['problems']} problem(s)", csv.describe(problems), totals["problems"])
    except base.NothingToUse as exc:  # no configuration yet
        fail(str(exc))
    except base.NotFound as exc:
        fail(f"--version: {exc}")
    click.echo(f"{tenant}: imported {totals['accepted']} responses under configuration version {totals['version']}")


def _import_parts(session, tenant_id: int, version, csv: CsvParts, size: int, problems: list, totals: dict, bar) -> None:
    """Ingest each part in the caller's transaction, collecting every problem; a response
    id met earlier in the file is named as such (not as "already stored": nothing is)."""
    first_seen: dict[str, int] = {}  # response_id -> file row where it first appears
    max_rows = None if csv.whole else size  # a file kept whole is read whole, so its own problem is named
    for i, part in enumerate(csv.parts):
        read = {}

        def batch_of(iset, part=part):
            read["batch"] = read_csv_batch(part, iset, max_rows=max_rows)
            return read["batch"]

        try:
            result = responses.ingest(session, tenant_id, batch_of, version)
            totals["accepted"] += result.accepted
            totals["version"] = result.version
            errors = []
        except BatchError as exc:
            errors = exc.errors
            totals["problems"] += exc.total
        batch = read.get("batch")
        ids = {}
        if batch is not None:
            csv.parsed(i, len(batch))
            if "response_id" in batch.meta.columns:
                for row, key in enumerate(batch.meta["response_id"].tolist()):
                    if isinstance(key, str) and key.strip():
                        ids[row] = key.strip()
                        first_seen.setdefault(key.strip(), csv.row_of(i, row))
        for e in errors:
            row = csv.row_of(i, e.row)
            key = ids.get(e.row)
            if e.field == "response_id" and key is not None and first_seen[key] < row:
                problems.append((row, e.field, f"duplicate response_id {key!r} in this file (first on {csv.where(first_seen[key])})"))
            else:
                problems.append((row, e.field, e.message))
        bar.advance(csv.part_rows[i] or 0)
        if any(e.row < 0 for e in errors):
            return  # the file itself (header, encoding): every part would say the same


@click.command(short_help="Score a tenant's stored responses.")
@click.option("--tenant", required=True, help=TENANT_HELP)
@click.option("--version", type=VersionOrAll(), default=None, show_default="the latest", help="Configuration version, or 'all' to pool every version's responses (when their trees score alike).")
@click.option("--by", multiple=True, help=BY_HELP)
@click.option("--period", type=PERIODS, default=None, show_default="month with --by period", help=PERIOD_HELP)
@click.option("--from", "start", type=IsoDateTime(), default=None, help="Collected at or after this time (no offset: UTC).")
@click.option("--to", "end", type=IsoDateTime(), default=None, help="Collected before this time (no offset: UTC).")
@click.option("--min-n", "min_n", type=click.IntRange(min=1), default=None, show_default="analysis.min_n, else 30", help=MIN_N_HELP)
@click.option("--compare", default=None, show_default="no comparison", help=COMPARE_HELP)
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True, help=FORMAT_HELP)
@click.pass_obj
def report(ctx: Context, tenant: str, version, by, period, start, end, min_n, compare, fmt):
    """Score a tenant's stored responses (as GET /api/v1/scores does)."""
    if start is not None and end is not None and start >= end:
        fail("--from must be before --to")
    if "period" in by and period is None:
        period = "month"
    from core.db.repositories import ResponseRepository

    try:
        with ctx.unit_of_work() as session:
            tenant_id = ctx.tenant_id(session, tenant)
            many = ResponseRepository(session).count(tenant_id, None if version == "all" else version) > ctx.settings["MAX_BATCH"]
            with progress(2, f"report {tenant}", show=many) as bar:
                result = reports.report(session, tenant_id, version, start, end, tuple(by), period, on_stage=bar.next_stage, min_n=min_n, compare=compare)
                bar.advance()
    except base.NotFound as exc:
        fail(str(exc))
    except ScoringInputError as exc:
        fail(f"--{exc.field}: {exc}")
    print_result(result, fmt)
