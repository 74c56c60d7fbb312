"""The ``csm`` command: validate and score offline, manage the stored side, serve the API.

One module per group of commands: ``offline`` (validate, score), ``grading`` (grade),
``analyze`` (analyze), ``cases`` (cases evaluate), ``customers`` (customers grade, customers check), ``weights`` (weights ahp), ``data`` (upload-config, import-responses, report), ``purchases`` (import-purchases), ``tenants``
(init-db, create-app-role, create-tenant, export, delete-tenant, erase, seed-demo), ``serve`` and
``worker``. Settings are checked when any command starts;
bad settings or bad input (YAML, CSV, options) exit with code 2 and a message naming the
setting, file, line or field; success exits 0.
"""

from __future__ import annotations

import click

from core import __version__
from core.cli import analyze, cases, customers, data, grading, offline, purchases, serve, tenants, weights, worker
from core.cli.common import EXIT_BAD_INPUT, Context

__all__ = ["EXIT_BAD_INPUT", "main"]


@click.group(context_settings={"max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="csm", message="%(prog)s %(version)s")
@click.option("--database-url", envvar="CSM_DATABASE_URL", default=None, show_default="CSM_DATABASE_URL, else sqlite:///var/csm.sqlite3", help="SQLAlchemy URL of the database.")
@click.pass_context
def main(click_ctx, database_url):
    """CSM: weighted customer-satisfaction indices from YAML indicator sets."""
    click_ctx.obj = Context(database_url)
    click_ctx.call_on_close(click_ctx.obj.close)  # also when a command fails with code 2


for command in (
    offline.validate,
    offline.score_cmd,
    analyze.analyze,
    cases.cases,
    grading.grade_cmd,
    customers.customers,
    weights.weights,
    data.upload_config,
    data.import_responses,
    purchases.import_purchases,
    data.report,
    tenants.init_db,
    tenants.create_app_role,
    tenants.create_tenant,
    tenants.export_cmd,
    tenants.delete_tenant,
    tenants.erase_cmd,
    tenants.seed_demo,
    serve.serve,
    worker.worker,
):
    main.add_command(command)
