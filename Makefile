# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
CSM    := $(VENV)/bin/csm
# Where and how `make run` serves (gunicorn). Unset: the settings CSM_HOST (127.0.0.1),
# CSM_PORT (8000), CSM_WORKERS (2) and CSM_THREADS (4). E.g. `make run PORT=8080 WORKERS=4`.
HOST    ?=
PORT    ?=
WORKERS ?=
THREADS ?=
ADDRESS := $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

.PHONY: install run test fuzz bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(CSM) init-db
	$(CSM) seed-demo $(ADDRESS)
	$(CSM) serve --with-worker $(ADDRESS) $(if $(WORKERS),--workers $(WORKERS)) $(if $(THREADS),--threads $(THREADS))

test: install
	$(PY) -m pytest -q

# The thorough schemathesis run (marker fuzz, left out of `make test`): every operation with
# FUZZ_EXAMPLES generated requests per test phase, positive and negative.
FUZZ_EXAMPLES ?= 100
fuzz: install
	CSM_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q -m fuzz tests/test_fuzz.py

# Every benchmark, in about 5 minutes on 2 cores; each prints its figures and the machine
# and writes var/bench/NAME.json. The 1M-response runs: see README, "Storage and performance".
bench: install
	$(PY) bench/score.py
	$(PY) bench/ingest.py
	$(PY) bench/analysis.py
	$(PY) bench/clocks.py
	$(PY) bench/stored.py --sizes 100000
	$(PY) bench/load.py --seconds 30
	$(PY) bench/json_body.py
	$(PY) bench/rules.py

clean:
	rm -rf $(VENV) var build *.egg-info
