# ganforge: `make run` (set up + main job) and `make test` (set up + test suite).
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_VERSION ?= 2.13.0

.PHONY: run test bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	# Pin torch first: an open-ended requirement in a fresh venv pulls several GB of CUDA wheels.
	$(PIP) install -q torch==$(TORCH_VERSION)
	$(PIP) install -q -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/ganforge preview --outdir runs/preview --resolution 32 --seeds 0-15 --device cpu

test: $(VENV)/.installed
	$(PY) -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

bench: $(VENV)/.installed
	$(PY) benchmarks/bench_generator.py --json runs/bench_generator.json

clean:
	rm -rf $(VENV) runs .pytest_cache
