"""``csm serve``: the API under gunicorn, started from the CLI's settings.

``make run`` and ``csm serve`` are the same server: gunicorn (``gthread`` workers) runs
``create_app`` with the settings the command checked, in each worker process, with the
access log on stdout and gunicorn's own log on stderr. ``gunicorn wsgi:app`` serves the
same app configured by ``CSM_*`` variables alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import click
from gunicorn.app.base import BaseApplication

from core.arenas import limit_malloc_arenas
from core.cli.common import Context


class GunicornServer(BaseApplication):
    """gunicorn configured from a mapping of its settings, serving ``build_app()``."""

    def __init__(self, build_app, options: dict):
        self._build_app = build_app
        self._options = options
        super().__init__(prog="csm serve")

    def load_config(self):
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        return self._build_app()


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def base_url(host: str, port: int) -> str:
    """The URL a client on this machine reaches the server at (a wildcard address is
    reached through the loopback one)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "[::]": "::1"}.get(host, host).strip("[]")
    return f"http://{bind_address(host, port)}"


def gunicorn_options(host: str, port: int, workers: int, threads: int) -> dict:
    return {
        "bind": [bind_address(host, port)],
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "accesslog": "-",  # stdout
        "errorlog": "-",  # stderr
        "loglevel": "info",
        "proc_name": "csm",
        # gunicorn's control socket (for gunicornc) sits at one path per user by default,
        # so a second server on the machine would take it over; nothing here uses it.
        "control_socket_disable": True,
    }


@click.command(short_help="Serve the API (gunicorn).")
@click.option("--host", default=None, show_default="CSM_HOST, else 127.0.0.1", help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=None, show_default="CSM_PORT, else 8000", help="Port to listen on.")
@click.option("--workers", type=click.IntRange(min=1), default=None, show_default="CSM_WORKERS, else 2", help="Worker processes.")
@click.option("--threads", type=click.IntRange(min=1), default=None, show_default="CSM_THREADS, else 4", help="Threads per worker.")
@click.option("--with-worker", is_flag=True, help="Also run `csm worker` (case sweeps, webhook deliveries) beside the server, stopped with it.")
@click.pass_obj
def serve(ctx: Context, host: str | None, port: int | None, workers: int | None, threads: int | None, with_worker: bool):
    """Serve the API with gunicorn: WORKERS processes of THREADS threads each, the access
    log on stdout. Each worker builds the app with create_app from these settings. With
    --with-worker (as `make run`), the background worker runs beside it on the same queue
    (the embedded one unless CSM_BROKER_URL is set)."""
    from core.app import create_app  # imported before the workers fork

    given = {"HOST": host, "PORT": port, "WORKERS": workers, "THREADS": threads}
    settings = {**ctx.settings, **{key: value for key, value in given.items() if value is not None}}
    url = base_url(settings["HOST"], settings["PORT"])
    click.echo(f"serving {url} (API docs: {url}/docs) with {settings['WORKERS']} worker(s) × {settings['THREADS']} thread(s); Ctrl-C stops")
    options = gunicorn_options(settings["HOST"], settings["PORT"], settings["WORKERS"], settings["THREADS"])
    background = start_worker(settings) if with_worker else None
    limit_malloc_arenas()  # inherited by the forked workers (core/arenas.py says why)
    try:
        GunicornServer(lambda: create_app(settings), options).run()
    finally:
        if background is not None:
            stop_worker(background)


def start_worker(settings: dict) -> subprocess.Popen:
    """``csm worker`` as a child process in a session of its own (so Ctrl-C reaches the
    server, which then stops the worker cleanly)."""
    env = {**os.environ, "CSM_DATABASE_URL": settings["DATABASE_URL"]}
    return subprocess.Popen([sys.executable, "-m", "core.cli", "worker"], env=env, start_new_session=True)


def stop_worker(process: subprocess.Popen, grace_s: float = 10) -> None:
    """SIGTERM (Celery's warm shutdown: running tasks finish), SIGKILL after ``grace_s``."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
