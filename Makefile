# streamfold: `make demo` and `make test` work from a fresh clone by themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RAYSTAMP := $(VENV)/.installed-ray
MNIST  ?= ../shared/data/mnist
FASHION := /usr/share/datasets/fashion-mnist

.PHONY: demo test test-all lint format bench calibrate clean fashion-mnist report-screenshot

# pyproject.toml gives version ranges; constraints.txt pins the versions tested together.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# Benchmarks, slow tests and calibration also take the `ray` extra (parallel synthesis sweeps).
$(RAYSTAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev,ray]"
	touch $(RAYSTAMP)

demo: $(STAMP)
	$(BIN)/streamfold demo

test: $(STAMP) lint fashion-mnist
	$(BIN)/python -m pytest -q -m "not slow"

test-all: $(RAYSTAMP) fashion-mnist
	$(BIN)/python -m pytest -q

# Fashion-MNIST comes from Debian's dataset-fashion-mnist (nothing is downloaded at run time):
# installed when missing and apt-get is usable as root; otherwise its tests are skipped.
fashion-mnist:
	@test -d $(FASHION) || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  timeout 300 apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1; } || \
	  echo "note: no Fashion-MNIST in $(FASHION) (apt-get install dataset-fashion-mnist);" \
	       "its tests will be skipped"

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(RAYSTAMP) fashion-mnist
	$(BIN)/python bench/tfc_rtl.py --data $(MNIST)
	$(BIN)/python bench/cnv_rtl.py --frames 3
	$(BIN)/python bench/fifo_sizing.py
	$(BIN)/python bench/explore_speed.py
	$(BIN)/python bench/qonnx_speed.py --data $(MNIST)
	$(BIN)/python -m pytest -q -m slow
	$(BIN)/python bench/train_tfc.py --data $(MNIST)
	$(BIN)/python bench/train_cnn.py --data $(FASHION) --threads 1
	$(BIN)/python bench/fashion_cnn_rtl.py --data $(FASHION) --frames 100
	$(MAKE) report-screenshot

# A build report end to end (build, sim --rtl, synth, report) and its screenshot in headless
# Chromium (Debian: apt-get install chromium); docs/report_screenshot.png was made with
# PNG=docs/report_screenshot.png.
PNG ?= build/report_screenshot.png
report-screenshot: $(STAMP)
	$(BIN)/python bench/report_screenshot.py --png $(PNG)

calibrate: $(RAYSTAMP)
	$(BIN)/python bench/calibrate.py

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
