"""Shared fixtures: seeded randomness, and one Verilator build cache per test session.

Tests write only under pytest's temporary directories: the session's Verilator builds go to
``<basetemp>/verilator-cache`` (through ``STREAMFOLD_CACHE``, which every build reads), unless
``STREAMFOLD_CACHE`` is already set, to reuse builds across sessions.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from streamfold.errors import ToolError
from streamfold.sim.rtl import find_verilator


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(scope="session", autouse=True)
def _verilator_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    preset = os.environ.get("STREAMFOLD_CACHE")
    cache = Path(preset) if preset else tmp_path_factory.getbasetemp() / "verilator-cache"
    cache.mkdir(parents=True, exist_ok=True)
    os.environ["STREAMFOLD_CACHE"] = str(cache)
    yield cache
    if preset is None:
        del os.environ["STREAMFOLD_CACHE"]


@pytest.fixture(scope="session")
def rtl_cache(_verilator_cache: Path) -> Path:
    try:
        find_verilator()
    except ToolError as e:
        pytest.skip(f"Verilator is not installed: {e}")
    return _verilator_cache
