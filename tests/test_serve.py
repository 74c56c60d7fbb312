"""`csm serve` / `make run`: gunicorn serving create_app, configured from the settings."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from click.testing import CliRunner

from core.cli import main
from core.cli import serve as serve_module
from tests.helpers import ROOT

BOOT_TIMEOUT_S = 90  # two shared cores: importing pandas and the app can take a while


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, key: str | None = None):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, json.loads(response.read())


def test_a_served_instance_answers_and_logs_access_on_stdout(tmp_path):
    env = {"CSM_DATABASE_URL": f"sqlite:///{tmp_path / 'csm.db'}", "CSM_DEMO_KEYS_FILE": str(tmp_path / "keys.json")}
    runner = CliRunner()
    assert runner.invoke(main, ["init-db"], env=env, catch_exceptions=False).exit_code == 0
    created = runner.invoke(main, ["create-tenant", "acme", "Acme"], env=env, catch_exceptions=False)
    key = created.output.strip().splitlines()[-1]
    port = free_port()
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with out.open("w") as stdout, err.open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-m", "core.cli", "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
            cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, stdout=stdout, stderr=stderr,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        while True:
            assert server.poll() is None, f"the server stopped: {err.read_text()}"
            try:
                status, spec = get(f"{base}/openapi.json")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, f"no answer within {BOOT_TIMEOUT_S} s: {err.read_text()}"
                time.sleep(0.3)
        assert status == 200 and "/api/v1/scores" in spec["paths"]
        status, tenant = get(f"{base}/api/v1/tenant", key)
        assert status == 200 and tenant["slug"] == "acme"
        with pytest.raises(urllib.error.HTTPError) as refused:
            get(f"{base}/api/v1/tenant", "csm_not-a-key")
        assert refused.value.code == 401
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert server.returncode == 0
    log = out.read_text()
    assert f"serving {base} (API docs: {base}/docs) with 1 worker(s) × 2 thread(s)" in log
    assert '"GET /openapi.json HTTP/1.1" 200' in log
    assert '"GET /api/v1/tenant HTTP/1.1" 200' in log and '"GET /api/v1/tenant HTTP/1.1" 401' in log
    assert key not in log + err.read_text()  # the access log never shows the Authorization header
    assert "Booting worker" in err.read_text() and "gthread" in err.read_text()
    assert "Control socket" not in err.read_text()


def test_serve_options_settings_and_defaults(monkeypatch):
    """Options win over CSM_* settings, which win over the defaults (2 workers × 4 threads)."""
    ran = []
    monkeypatch.setattr(serve_module.GunicornServer, "run", lambda self: ran.append((self._options, self._build_app)))
    runner = CliRunner()
    result = runner.invoke(main, ["serve"], env={"CSM_PORT": "", "CSM_WORKERS": "", "CSM_THREADS": ""}, catch_exceptions=False)
    assert result.exit_code == 0
    options, build = ran.pop()
    assert (options["bind"], options["workers"], options["threads"]) == (["127.0.0.1:8000"], 2, 4)
    assert (options["worker_class"], options["accesslog"], options["errorlog"]) == ("gthread", "-", "-")
    assert "serving http://127.0.0.1:8000 (API docs: http://127.0.0.1:8000/docs) with 2 worker(s) × 4 thread(s)" in result.output

    result = runner.invoke(main, ["serve", "--port", "9001", "--workers", "3"], env={"CSM_WORKERS": "5", "CSM_THREADS": "6", "CSM_HOST": "0.0.0.0"}, catch_exceptions=False)
    options, build = ran.pop()
    assert (options["bind"], options["workers"], options["threads"]) == (["0.0.0.0:9001"], 3, 6)
    assert "serving http://127.0.0.1:9001" in result.output  # a wildcard address is reached through the loopback
    app = build()  # what each worker serves: create_app with the command's settings
    assert (app.config["PORT"], app.config["WORKERS"], app.config["THREADS"]) == (9001, 3, 6)
    app.extensions["csm"].engine.dispose()

    assert runner.invoke(main, ["serve", "--workers", "0"]).exit_code == 2
    assert runner.invoke(main, ["serve", "--port", "65536"]).exit_code == 2


def test_addresses():
    assert serve_module.bind_address("::1", 8000) == "[::1]:8000"
    assert serve_module.base_url("::", 8000) == "http://[::1]:8000"
    assert serve_module.base_url("localhost", 8080) == "http://localhost:8080"


def test_make_run_passes_port_workers_and_threads():
    """`make run PORT=…` serves on that port and prints examples for it (dry run: -n)."""
    env = {k: v for k, v in os.environ.items() if k not in ("HOST", "PORT", "WORKERS", "THREADS")}
    done = subprocess.run(["make", "-n", "run", "PORT=8123", "WORKERS=3", "THREADS=2"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any("csm seed-demo" in line and "--port 8123" in line for line in lines)
    assert any("csm serve" in line and "--port 8123" in line and "--workers 3" in line and "--threads 2" in line for line in lines)
    plain = subprocess.run(["make", "-n", "run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60).stdout
    assert "--port" not in plain and "--workers" not in plain  # then the settings decide
