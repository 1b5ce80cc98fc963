# streamfold: `make demo` and `make test` work from a fresh clone by themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MNIST  ?= ../shared/data/mnist

.PHONY: demo test test-all lint format bench calibrate clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/streamfold demo

test: $(STAMP) lint
	$(BIN)/python -m pytest -q -m "not slow"

test-all: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP)
	$(BIN)/python bench/tfc_rtl.py --data $(MNIST)
	$(BIN)/python bench/qonnx_speed.py --data $(MNIST)
	$(BIN)/python -m pytest -q -m slow
	$(BIN)/python bench/train_tfc.py --data $(MNIST)

calibrate: $(STAMP)
	$(BIN)/python bench/calibrate.py

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
