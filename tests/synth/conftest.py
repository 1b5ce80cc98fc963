"""YoWASP compiles itself on its first call (about 30-60 s) and caches the result in
``YOWASP_CACHE_DIR``; unless that is set, the synthesis tests use ``build/yowasp-cache`` in the
repository (ignored by git), so the compile happens once per checkout, not once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def _yowasp_cache() -> Iterator[None]:
    preset = os.environ.get("YOWASP_CACHE_DIR")
    if preset is None:
        os.environ["YOWASP_CACHE_DIR"] = str(REPO / "build" / "yowasp-cache")
    yield
    if preset is None:
        del os.environ["YOWASP_CACHE_DIR"]
