# make env    create .venv and install the pinned environment (once; again when requirements change)
# make test   set up the environment if needed, then run every test (unit, notebooks via nbval, paper)
# make paper  build paper/main.pdf from figures/ and paper/generated/ (never reruns experiments)
# make smoke  run the whole pipeline on tiny data (./run_all.sh --profile smoke)
# make reproduce RUN=results/<pair>/<experiment>/<strategy>/seed<k>.json
#             recompute one stored run and say whether this machine reproduces it (helpers.reproduce)
# make lab    open the notebooks in JupyterLab from .venv (paired .py files open as notebooks);
#             LAB_PORT=8888 and LAB_ARGS="--no-browser ..." are passed on

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# OpenBLAS's AVX2 (Haswell) kernels, as the committed results used (helpers.provenance); a value
# set in the environment wins. Exported, so tests, notebooks' kernels and grid workers get it.
OPENBLAS_CORETYPE ?= Haswell
export OPENBLAS_CORETYPE

LAB_PORT ?= 8888
LAB_ARGS ?=
# Jupyter refuses to run as root unless told; containers often run as root.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: env test unit paper smoke clean-smoke lab reproduce

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

reproduce: env
	@test -n "$(RUN)" || { echo "make reproduce: give RUN=path/to/run.json" >&2; exit 2; }
	MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824 $(PY) -m helpers.reproduce "$(RUN)"

clean-smoke:
	rm -rf results/smoke

# Local only (127.0.0.1). The kernelspecs of .venv come first (JUPYTER_PREFER_ENV_PATH), so the
# kernel is .venv's Python, which has helpers installed; jupytext's server extension (enabled in
# .venv/etc/jupyter) opens notebooks/*.py as notebooks and keeps each pair in sync on save.
lab: env
	JUPYTER_PREFER_ENV_PATH=1 $(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) \
	  --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/notebooks $(LAB_ROOT) $(LAB_ARGS)
