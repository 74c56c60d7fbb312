# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
CSM    := $(VENV)/bin/csm
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(CSM) init-db
	$(CSM) seed-demo
	$(CSM) serve --host $(HOST) --port $(PORT)

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) bench/score.py
	$(PY) bench/ingest.py

clean:
	rm -rf $(VENV) var build *.egg-info
