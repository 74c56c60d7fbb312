"""``csm customers grade`` and ``csm customers check``: a tenant's stored customers graded
again for a period, and a service request checked against a customer's grade (and
recorded, as ``POST /api/v1/service-requests`` does)."""

from __future__ import annotations

import json
import math

import click

from core.cli.common import Context, fail
from core.cli.inputs import IsoDateTime
from core.cli.progress import progress
from core.ingest import BatchError

TENANT_HELP = "Tenant slug."


@click.group("customers", short_help="A tenant's customers: grades and service checks.")
def customers():
    """A tenant's stored customers: grade them for a period, check a service request."""


def _failed(exc: Exception) -> None:
    from core.operations import base

    if isinstance(exc, base.InvalidValue):
        fail(f"--{exc.field}: {exc}")
    if isinstance(exc, BatchError):
        fail(f"{exc.total} problem(s); nothing was graded", [f"{e.field}: {e.message}" for e in exc.errors], exc.total)
    fail(str(exc))


@customers.command("grade", short_help="Grade a tenant's stored customers for a period.")
@click.option("--tenant", required=True, help=TENANT_HELP)
@click.option("--period", default=None, show_default="the current period", help="The evaluation period: 2026-03 (monthly, bimonthly), 2026-Q1 (quarterly).")
@click.pass_obj
def grade_cmd(ctx: Context, tenant: str, period: str | None):
    """Grade every stored customer for a period with the latest configuration, replacing
    that period's grades (earlier periods stay as history); prints the counts per grade."""
    from core.db.repositories import CustomerRepository
    from core.operations import base
    from core.operations import customers as ops

    try:
        with ctx.unit_of_work() as session:
            tenant_id = ctx.tenant_id(session, tenant)
            total = CustomerRepository(session).count(tenant_id)
            steps = max(1, math.ceil(total / ops.GRADE_CHUNK))
            with progress(steps, f"grade {tenant}", show=total > ctx.settings["MAX_BATCH"]) as bar:
                run = ops.grade_stored(session, tenant_id, period, on_chunk=lambda done, total: bar.advance())
    except (base.NotFound, base.Conflict, base.InvalidValue, BatchError) as exc:
        _failed(exc)
    click.echo(f"{tenant}: graded {run.graded} customer(s) for {run.period} with configuration version {run.config_version}")
    click.echo("counts: " + ", ".join(f"{g} {n}" for g, n in run.counts.items()))


@customers.command("check", short_help="Check a service request against a customer's grade.")
@click.option("--tenant", required=True, help=TENANT_HELP)
@click.option("--customer", required=True, help="The customer's id.")
@click.option("--service", required=True, help="A service code of the menu.")
@click.option("--at", "at", type=IsoDateTime(), default=None, show_default="now", help="When it was requested (ISO 8601); the grade in force then decides.")
@click.pass_obj
def check_cmd(ctx: Context, tenant: str, customer: str, service: str, at):
    """Check a service request: entitled, above_grade (to be played down; raises an
    alert) or unknown_service. The request is recorded, as through the API."""
    from core.operations import base
    from core.operations import customers as ops

    if not service.strip() or len(service) > 100 or "\x00" in service:
        fail("--service: a service code of 1-100 characters")
    try:
        with ctx.unit_of_work() as session:
            tenant_id = ctx.tenant_id(session, tenant)
            request, raised = ops.check_service(session, tenant_id, customer, service, at)
            entitled = ops.graded_config(session, tenant_id).entitled(request.grade)
    except (base.NotFound, base.Conflict, base.InvalidValue) as exc:
        _failed(exc)
    out = {
        "customer_id": request.customer_id,
        "service": request.service,
        "at": request.requested_at.isoformat().replace("+00:00", "Z"),
        "period": request.period,
        "grade": request.grade,
        "outcome": request.outcome,
        "entitled": entitled,
        "alert_id": raised[0].id if raised else None,
    }
    click.echo(json.dumps(out, ensure_ascii=False, indent=2))
