# ganforge: `make run` (set up + main job) and `make test` (set up + test suite).
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_VERSION ?= 2.13.0

.PHONY: run test bench clean

$(VENV)/.installed: pyproject.toml setup.py src/ganforge/_native/sortdiff.c
	test -x $(PY) || python3 -m venv $(VENV)
	# Pin torch first: an open-ended requirement in a fresh venv pulls several GB of CUDA wheels.
	$(PIP) install -q torch==$(TORCH_VERSION)
	$(PIP) install -q -e '.[dev]'
	# tests/serve/test_browser.py drives Debian's chromium with Playwright: installed where we may (root + apt), else
	# those tests skip and say why.
	command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -q >/dev/null 2>&1 && \
		apt-get install -y -q chromium >/dev/null 2>&1; } || echo "no chromium: the browser tests will skip"
	touch $@

# `make run`: the bundled Noto Emoji set (3786 images, 32x32) -> a dataset zip via the dataset tool ->
# a small StyleGAN2 trained on the CPU for RUN_KIMG thousand images (about 40 s/kimg on 2 cores).
RUN_KIMG ?= 6
RUN_DATA := runs/datasets/emoji-32.zip

$(RUN_DATA): datasets/emoji-32.zip | $(VENV)/.installed
	$(VENV)/bin/ganforge dataset --source datasets/emoji-32.zip --dest $@ --resolution 32 --force --no-progress

run: $(VENV)/.installed $(RUN_DATA)
	$(VENV)/bin/ganforge train --data $(RUN_DATA) --outdir runs --cfg cpu --kimg $(RUN_KIMG) --tick 1 --device cpu

test: $(VENV)/.installed
	$(PY) -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

bench: $(VENV)/.installed
	mkdir -p runs
	$(PY) benchmarks/bench_generator.py --json runs/bench_generator.json
	$(PY) benchmarks/bench_train.py --json runs/bench_train.json
	$(PY) benchmarks/bench_serve.py --json runs/bench_serve.json

clean:
	rm -rf $(VENV) runs .pytest_cache build
	rm -f src/ganforge/*.so
