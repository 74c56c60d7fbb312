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

.PHONY: install run test bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(CSM) init-db
	$(CSM) seed-demo $(ADDRESS)
	$(CSM) serve $(ADDRESS) $(if $(WORKERS),--workers $(WORKERS)) $(if $(THREADS),--threads $(THREADS))

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) bench/score.py
	$(PY) bench/ingest.py
	$(PY) bench/rules.py

clean:
	rm -rf $(VENV) var build *.egg-info
