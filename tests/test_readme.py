"""The README's examples, run: they cannot drift from the code.

Its fenced blocks are read from README.md and run as a newcomer would, in an empty
directory holding the repository's ``config/`` (SQLite, the default database):

- the ``csm`` block, line by line (``csm serve`` last, as a served process on a free port
  instead of 8000; ``create-app-role`` needs PostgreSQL and is left out), with the README's
  CSV as ``answers.csv``;
- the ``$ csm validate`` transcript, whose output must be exactly what is shown;
- every YAML block, which ``csm validate`` must accept;
- against the served app, with the demo-store key from ``var/demo-api-keys.json`` (as the
  README says; a block starting ``KEY=csm_...   # demo-hotel's key`` gets that tenant's),
  every ``curl`` block through ``bash`` and the real ``curl``: each answer is a 2xx,
  unless a JSON block follows the ``sh`` block: then the last command's answer is that
  JSON, exactly.

Blocks not run, each for a reason listed in ``NOT_RUN``; a new ``sh`` block that is none
of the above fails the test until it is run here or listed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
import yaml
from click.testing import CliRunner

from core.cli import main
from core.config.sections import CORE_REGISTRY
from tests.helpers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```[ \t]*\n", re.S | re.M)
DOCUMENTED_PORT = "127.0.0.1:8000"
BOOT_TIMEOUT_S = 90  # two shared cores: gunicorn importing pandas and the app
# sh blocks not run here, recognised by their first line, and why
NOT_RUN = {
    "make run": "what make run does is csm init-db, csm seed-demo and csm serve, run here from the csm block; tests/test_serve.py checks its options",
    "export CSM_MIGRATION_DATABASE_URL": "a PostgreSQL deployment with two roles; tests/test_rls.py runs init-db, create-app-role and the grants",
}
# csm subcommands of the csm block left out, and why
CSM_NOT_RUN = {
    "create-app-role": "PostgreSQL only (tests/test_rls.py)",
    "worker": "runs until stopped; tests/test_worker.py runs it as a process on every queue",
}
# curl blocks left out (matched by a URL they call), and why
CURL_NOT_RUN = {"/api/v1/webhooks": "registering an endpoint resolves its host (no network here); tests/test_webhooks.py covers it"}
END = "<<<end of answer>>>"


def blocks() -> list[tuple[str, str, str]]:
    """(language, text, what follows up to the next block) of every fenced block."""
    found = list(BLOCK.finditer(README))
    return [(m.group(1), m.group(2), README[m.end() : found[i + 1].start()] if i + 1 < len(found) else "") for i, m in enumerate(found)]


def the_block(language: str, first_line: str) -> str:
    (text,) = [t for lang, t, _ in blocks() if lang == language and t.startswith(first_line)]
    return text


def is_curl(text: str) -> bool:
    return any(line.startswith("curl ") for line in text.splitlines())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def newcomer(tmp_path, monkeypatch):
    """An empty working directory with the repository's config/ and the README's CSV."""
    (tmp_path / "config").symlink_to(ROOT / "config")
    (tmp_path / "answers.csv").write_text(the_block("csv", "response_id,"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("CSM_") and n != "CSM_RATE_LIMIT_ENABLED"]:
        monkeypatch.delenv(name)
    return tmp_path


def run_csm(argv: list[str]):
    return CliRunner().invoke(main, argv, catch_exceptions=False)


def test_every_sh_block_is_run_or_listed():
    kinds = []
    for language, text, _ in blocks():
        if language != "sh":
            continue
        if text.startswith("csm "):
            kinds.append("csm")
        elif is_curl(text):
            kinds.append("curl")
        else:
            assert any(text.startswith(first) for first in NOT_RUN), f"an sh block neither run nor listed in NOT_RUN:\n{text}"
            kinds.append("not run")
    assert kinds.count("csm") == 1 and kinds.count("curl") >= 2


def test_the_validate_transcript_is_what_csm_prints(newcomer):
    (text,) = [t for lang, t, _ in blocks() if lang == "" and t.startswith("$ csm validate store.yaml")]
    command, *shown = text.rstrip("\n").splitlines()
    # the README's edit: the checkout's weight 0.6 → 0.5 in a copy of the example
    store = (ROOT / "config" / "examples" / "store.yaml").read_text(encoding="utf-8")
    assert store.count("weight: 0.6\n") == 1
    (newcomer / "store.yaml").write_text(store.replace("weight: 0.6\n", "weight: 0.5\n"), encoding="utf-8")
    result = run_csm(shlex.split(command[2:])[1:])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == shown


def test_every_yaml_block_is_a_valid_configuration(newcomer):
    texts = [t for lang, t, _ in blocks() if lang == "yaml"]
    assert texts
    store = (ROOT / "config" / "examples" / "store.yaml").read_text(encoding="utf-8")
    known = {"version", "industry", "source", *CORE_REGISTRY.names()}
    for i, text in enumerate(texts):
        keys = set(yaml.safe_load(text))
        if not keys & known:  # not a configuration (e.g. the client generator's settings)
            continue
        if "version" not in keys:  # a section to add to the example store
            text = store + text
        path = newcomer / f"example-{i}.yaml"
        path.write_text(text, encoding="utf-8")
        result = run_csm(["validate", str(path)])
        assert result.exit_code == 0, (text, result.output)


def test_the_csm_block_then_the_curl_sessions_against_the_served_app(newcomer):
    serve = None
    for line in the_block("sh", "csm ").splitlines():
        argv = shlex.split(line, comments=True)
        assert argv[0] == "csm", line
        if argv[1] == "serve":
            serve = argv
            continue
        if argv[1] in CSM_NOT_RUN:
            continue
        result = run_csm(argv[1:])
        assert result.exit_code == 0, (line, result.output)
        if argv[1:] == ["--version"]:
            assert result.stdout.strip() == line.split("#", 1)[1].strip()
    assert serve is not None and (newcomer / "var" / "demo-api-keys.json").exists()
    port = free_port()
    serve = [str(port) if arg == "8000" else arg for arg in serve]
    log = newcomer / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen([sys.executable, "-m", "core.cli", *serve[1:]], cwd=newcomer, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until_served(server, port, log)
        keys = json.loads((newcomer / "var" / "demo-api-keys.json").read_text())
        found = blocks()
        followed = 0
        for i, (language, text, after) in enumerate(found):
            if language != "sh" or not is_curl(text) or any(url in text for url in CURL_NOT_RUN):
                continue
            answers = run_curl(text, keys, port)
            assert answers, text
            if i + 1 < len(found) and found[i + 1][0] == "json" and not after.strip():
                expected = json.loads(found[i + 1][1])
                assert answers.pop() == (expected.get("code", 200), expected), text
                followed += 1
            for status, body in answers:
                assert 200 <= status < 300, (text, status, body)
        assert followed >= 1
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def wait_until_served(server, port: int, log) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    while True:
        assert server.poll() is None, f"the server stopped: {log.read_text()}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=5):
                return
        except (urllib.error.URLError, ConnectionError):
            assert time.monotonic() < deadline, f"no answer within {BOOT_TIMEOUT_S} s: {log.read_text()}"
            time.sleep(0.3)


def run_curl(text: str, keys: dict[str, str], port: int) -> list[tuple[int, object]]:
    """Run a curl block with bash and the real curl: the README's placeholder key (the
    demo tenant its comment names, else demo-store's) and port replaced, each curl's
    (status, JSON answer) in order."""
    if text.startswith("KEY="):
        assert re.match(r"KEY=csm_\.\.\.\s", text), "the session's placeholder key line changed"
        named = re.match(r"KEY=\S+\s+# (demo-[a-z]+)'s key", text)
        text = re.sub(r"^KEY=\S+", f"KEY={keys[named.group(1) if named else 'demo-store']}", text, count=1)
    else:
        text = f"KEY={keys['demo-store']}\n{text}"
    assert DOCUMENTED_PORT in text
    script = f"set -e\ncurl() {{ command curl -sS -w '\\n%{{http_code}}\\n' \"$@\"; echo '{END}'; }}\n" + text.replace(DOCUMENTED_PORT, f"127.0.0.1:{port}")
    done = subprocess.run(["bash", "-c", script], cwd=os.getcwd(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    answers = []
    for chunk in done.stdout.split(END + "\n")[:-1]:
        body, status = chunk.rstrip("\n").rsplit("\n", 1)
        answers.append((int(status), json.loads(body)))
    return answers


def test_every_error_shown_in_the_readme_has_the_one_shape():
    shown = [json.loads(text) for language, text, _ in blocks() if language == "json"]
    errors = [body for body in shown if "code" in body]
    assert errors
    for body in errors:
        assert set(body) == {"code", "status", "message", "errors", "total"}, body
        assert all(set(item) == {"location", "field", "line", "index", "reason"} for item in body["errors"]), body
