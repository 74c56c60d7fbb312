"""``csm import-purchases``: a CSV of purchase records into a tenant, all or nothing.

The file's columns are the item fields of ``POST /api/v1/purchases`` (purchase_id,
customer_id, purchased_at, amount[, category_spend]), checked by the same checker
(``core.ingest.purchases``); a problem on any line stores nothing and is named by its
line. Importing the file again stores nothing new (purchase ids are unique per tenant).
"""

from __future__ import annotations

from pathlib import Path

import click

from core.batch import BatchError
from core.batch.csv_reader import data_row_lines
from core.cli.common import Context, fail
from core.cli.data import TENANT_HELP
from core.ingest.purchases import purchases_from_csv
from core.operations.purchases import store_purchases


def read_purchases(path: Path, require_id: bool):
    """The file's purchases, checked; exit 2 with every problem by line otherwise."""
    data = path.read_bytes()
    try:
        return purchases_from_csv(data, require_id=require_id)
    except BatchError as exc:
        lines = data_row_lines(data)

        def where(row: int) -> str:
            return f"line {lines[1][row]}" if lines is not None and 0 <= row < len(lines[1]) else f"row {row + 1}"

        fail(f"{path}: nothing stored, {exc.total} problem(s)" if require_id else f"{path}: {exc.total} problem(s)",
             [f"{e.field}: {e.message}" if e.row < 0 else f"{where(e.row)}: {e.field}: {e.message}" for e in exc.errors], exc.total)


@click.command("import-purchases", short_help="Import a CSV of purchase records, all or nothing.")
@click.option("--tenant", required=True, help=TENANT_HELP)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def import_purchases(ctx: Context, tenant: str, file: Path):
    """Import a CSV of purchases (purchase_id, customer_id, purchased_at, amount[,
    category_spend]), all or nothing; problems name the file's line."""
    frame = read_purchases(file, require_id=True)
    with ctx.unit_of_work() as session:
        done = store_purchases(session, ctx.tenant_id(session, tenant), frame)
    click.echo(f"{tenant}: imported {done.accepted} purchases ({done.created} new, {done.updated} changed, {done.unchanged} unchanged)")
