"""Settings are checked when they are loaded: every bad one is named by its environment
variable, the CLI prints them and exits 2, create_app (so gunicorn) refuses to start."""

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from core.app import create_app
from core.cli import main
from core.settings import _CHECKS, DEFAULTS, SettingsError, load_settings
from tests.helpers import ROOT

STORE = str(ROOT / "config" / "examples" / "store.yaml")

# environment value -> the message naming it
BAD = {
    "CSM_MAX_BATCH": ("abc", "CSM_MAX_BATCH: must be a positive integer, got 'abc'"),
    "CSM_MAX_CONTENT_LENGTH": ("0", "CSM_MAX_CONTENT_LENGTH: must be a positive integer, got '0'"),
    "CSM_IDEMPOTENCY_TTL_HOURS": ("-1", "CSM_IDEMPOTENCY_TTL_HOURS: must be a positive integer, got '-1'"),
    "CSM_IDEMPOTENCY_LEASE_SECONDS": ("1.5", "CSM_IDEMPOTENCY_LEASE_SECONDS: must be a positive integer, got '1.5'"),
    "CSM_WORKERS": ("many", "CSM_WORKERS: must be a positive integer, got 'many'"),
    "CSM_THREADS": ("0", "CSM_THREADS: must be a positive integer, got '0'"),
    "CSM_PORT": ("70000", "CSM_PORT: must be a port number (1-65535), got '70000'"),
    "CSM_HOST": ("local host", "CSM_HOST: must be a host name or IP address, got 'local host'"),
    "CSM_RATE_LIMIT": ("lots", "CSM_RATE_LIMIT: must be rate limits like '600 per minute' (several separated by ';'), got 'lots'"),
    "CSM_RATE_LIMIT_INGEST": ("60 per fortnight", "CSM_RATE_LIMIT_INGEST: must be rate limits like '600 per minute' (several separated by ';'), got '60 per fortnight'"),
    "CSM_RATE_LIMIT_ENABLED": ("maybe", "CSM_RATE_LIMIT_ENABLED: must be a boolean (1/0, true/false, yes/no, on/off), got 'maybe'"),
    "CSM_REDIS_URL": ("localhost:6379", "CSM_REDIS_URL: must be a Redis URL (redis://HOST:PORT/DB or rediss://...), got 'localhost:6379'"),
    "CSM_DATABASE_URL": ("mysql://me:secret@db/csm", "CSM_DATABASE_URL: must be a SQLAlchemy URL of a SQLite or PostgreSQL database (sqlite:///FILE, postgresql+psycopg://USER@HOST/DB), got 'mysql://me:***@db/csm'"),
    "CSM_MIGRATION_DATABASE_URL": ("not a url", "CSM_MIGRATION_DATABASE_URL: must be a SQLAlchemy URL of a SQLite or PostgreSQL database"),
    "CSM_APP_ROLE": ("Csm-App", "CSM_APP_ROLE: must be a role name of 1-63 characters a-z, 0-9 and _, not starting with a digit, got 'Csm-App'"),
    "CSM_OPERATOR_KEY": ("two words", "CSM_OPERATOR_KEY: must be printable ASCII without spaces (it is sent as a bearer token)"),
    "CSM_BROKER_URL": ("http://guest:secret@mq/", "CSM_BROKER_URL: must be a Redis or RabbitMQ URL (redis://HOST:PORT/DB, amqp://USER:PASSWORD@HOST:PORT//), got 'http://guest:***@mq/'"),
    "CSM_QUEUE_NAME": ("my queue", "CSM_QUEUE_NAME: must be 1-100 letters, digits, _ . -, got 'my queue'"),
    "CSM_SWEEP_SECONDS": ("0", "CSM_SWEEP_SECONDS: must be a positive integer, got '0'"),
    "CSM_DISPATCH_SECONDS": ("soon", "CSM_DISPATCH_SECONDS: must be a positive integer, got 'soon'"),
    "CSM_WEBHOOK_ALLOW_PRIVATE": ("perhaps", "CSM_WEBHOOK_ALLOW_PRIVATE: must be a boolean (1/0, true/false, yes/no, on/off), got 'perhaps'"),
    "CSM_WEBHOOK_MAX_ATTEMPTS": ("-3", "CSM_WEBHOOK_MAX_ATTEMPTS: must be a positive integer, got '-3'"),
    "CSM_WEBHOOK_RETRY_SECONDS": ("1e3", "CSM_WEBHOOK_RETRY_SECONDS: must be a positive integer, got '1e3'"),
    "CSM_WEBHOOK_DISABLE_AFTER": ("x", "CSM_WEBHOOK_DISABLE_AFTER: must be a positive integer, got 'x'"),
    "CSM_WEBHOOK_SECRET_GRACE_HOURS": ("0", "CSM_WEBHOOK_SECRET_GRACE_HOURS: must be a positive integer, got '0'"),
}


def test_every_setting_has_a_check():
    assert set(_CHECKS) == set(DEFAULTS)


def test_defaults_pass_and_environment_values_are_typed():
    assert load_settings({}, environ={}) == {**DEFAULTS}
    s = load_settings({}, environ={"CSM_MAX_BATCH": "500", "CSM_WORKERS": "3", "CSM_PORT": "8080", "CSM_RATE_LIMIT_ENABLED": "off", "CSM_RATE_LIMIT": "5/second;100 per hour"})
    assert (s["MAX_BATCH"], s["WORKERS"], s["PORT"], s["RATE_LIMIT_ENABLED"]) == (500, 3, 8080, False)
    assert load_settings({}, environ={"CSM_MAX_BATCH": ""})["MAX_BATCH"] == DEFAULTS["MAX_BATCH"]  # empty = unset


def test_every_bad_setting_is_reported_together():
    with pytest.raises(SettingsError) as caught:
        load_settings({}, environ={key: value for key, (value, _message) in BAD.items()})
    problems = caught.value.problems
    assert len(problems) == len(BAD)
    for _value, message in BAD.values():
        assert any(p.startswith(message) for p in problems), message
    assert "secret" not in str(caught.value)  # a password in a URL is never echoed
    assert "two words" not in str(caught.value)  # nor the operator key


def test_cross_checks_and_overrides_are_checked_too():
    with pytest.raises(SettingsError, match=r"CSM_PAGE_SIZE: must be at most CSM_MAX_PAGE_SIZE \(1000\), got 5000"):
        load_settings({"PAGE_SIZE": 5000}, environ={})
    with pytest.raises(SettingsError, match="CSM_MAX_BATCH: must be a positive integer, got True"):
        load_settings({"MAX_BATCH": True}, environ={})
    with pytest.raises(SettingsError, match=r"CSM_WEBHOOK_LEASE_SECONDS: must be longer than CSM_WEBHOOK_TIMEOUT_SECONDS \(10\), got 10"):
        load_settings({"WEBHOOK_LEASE_SECONDS": 10}, environ={})
    assert load_settings({}, environ={"CSM_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//", "CSM_WEBHOOK_ALLOW_PRIVATE": "yes"})["WEBHOOK_ALLOW_PRIVATE"] is True
    with pytest.raises(SettingsError, match="CSM_DEMO_KEYS_FILE: must be a file path"):
        load_settings({"DEMO_KEYS_FILE": "a\x00b"}, environ={})  # an environment variable cannot hold NUL


@pytest.mark.parametrize("command", [["validate", STORE], ["serve", "--port", "1"], ["init-db"]])
def test_cli_prints_every_bad_setting_and_exits_2(command):
    env = {key: value for key, (value, _message) in BAD.items()}
    result = CliRunner().invoke(main, command, env=env, catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: invalid settings\n")
    for _value, message in BAD.values():
        assert message in result.stderr
    assert "Traceback" not in result.output


def test_create_app_refuses_bad_settings(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'csm.db'}"
    monkeypatch.setenv("CSM_RATE_LIMIT", "lots")
    with pytest.raises(SettingsError, match="CSM_RATE_LIMIT: must be rate limits"):
        create_app({"DATABASE_URL": url})
    monkeypatch.delenv("CSM_RATE_LIMIT")
    with pytest.raises(SettingsError, match="CSM_MAX_BATCH: must be a positive integer, got 'abc'") as caught:
        create_app({"DATABASE_URL": url, "MAX_BATCH": "abc"})
    assert caught.value.problems == ["CSM_MAX_BATCH: must be a positive integer, got 'abc'"]


def test_wsgi_entry_point_fails_at_boot_naming_the_setting(tmp_path):
    """What `gunicorn wsgi:app` imports: it stops with the message, not on the first request."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CSM_DATABASE_URL": f"sqlite:///{tmp_path / 'csm.db'}", "CSM_MAX_BATCH": "abc"}
    done = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "SettingsError" in done.stderr and "CSM_MAX_BATCH: must be a positive integer, got 'abc'" in done.stderr
