"""``csm worker``: the background worker (Celery) that sweeps cases and delivers webhooks."""

from __future__ import annotations

import click

from core.cli.common import Context


@click.command(short_help="Run the background worker (case sweeps, webhook deliveries).")
@click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True, help="Tasks run at once (threads).")
@click.option("--pool", type=click.Choice(["threads", "solo", "prefork"]), default="threads", show_default=True, help="How tasks run: threads suit webhook deliveries, which mostly wait.")
@click.option("--beat/--no-beat", default=True, show_default=True, help="Also send the periodic sweep and dispatch; with several workers, one is enough.")
@click.option("--loglevel", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False), default="INFO", show_default=True)
@click.pass_obj
def worker(ctx: Context, concurrency: int, pool: str, beat: bool, loglevel: str):
    """Run the worker on the queue of CSM_BROKER_URL (Redis or RabbitMQ) or, unset, the
    embedded queue folder (CSM_QUEUE_DIR, default beside the SQLite file). It sweeps open
    cases every CSM_SWEEP_SECONDS, searches the outbox for deliveries due every
    CSM_DISPATCH_SECONDS, and delivers webhooks; stop it with Ctrl-C or SIGTERM."""
    from core.worker import run_worker

    run_worker(ctx.settings, concurrency=concurrency, pool=pool, beat=beat, loglevel=loglevel.upper())
