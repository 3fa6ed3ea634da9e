# make env    create .venv and install the pinned environment (once; again when requirements change)
# make test   set up the environment if needed, then run every test (unit, notebooks via nbval, paper)
# make paper  build paper/main.pdf from figures/ and paper/generated/ (never reruns experiments)
# make smoke  run the whole pipeline on tiny data (./run_all.sh --profile smoke)

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: env test unit paper smoke clean-smoke

$(STAMP): requirements.txt requirements-nodeps.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -r requirements-nodeps.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

env: $(STAMP)

test: env
	MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824 $(PY) -m pytest

unit: env
	$(PY) -m pytest -m "not slow"

paper:
	$(MAKE) -C paper pdf

smoke: env
	./run_all.sh --profile smoke

clean-smoke:
	rm -rf results/smoke
