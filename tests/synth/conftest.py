"""YoWASP compiles itself on its first call (about 30-60 s) and caches the result in
``YOWASP_CACHE_DIR``; unless that is set, the synthesis tests use ``build/yowasp-cache`` in the
repository (ignored by git), so the compile happens once per checkout, not once per session.
``block_mvau_netlist``: a small block-RAM matrix unit through synth_ecp5, to place."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from streamfold.cost.devices import Family
from streamfold.hw.block import MemStyle, NodeFolding
from streamfold.hw.mvau.params import MvauParams
from streamfold.hw.mvau.rtl import instance as mvau_instance
from streamfold.ir.dtypes import BIPOLAR, narrowest
from streamfold.ir.intervals import dot_interval
from streamfold.ir.ops import IntArray
from streamfold.synth.yosys import synthesize

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def _yowasp_cache() -> Iterator[None]:
    preset = os.environ.get("YOWASP_CACHE_DIR")
    if preset is None:
        os.environ["YOWASP_CACHE_DIR"] = str(REPO / "build" / "yowasp-cache")
    yield
    if preset is None:
        del os.environ["YOWASP_CACHE_DIR"]


@pytest.fixture
def block_mvau_netlist(tmp_path: Path) -> tuple[Path, int]:
    """A bipolar MVAU (256 x 64, PE 4, SIMD 16) with its weights in block RAM (256 words of
    64 bits: four DP16KD), synthesised for ECP5 with its netlist in ``tmp_path``; returns it
    and the weight word's width."""
    rng = np.random.default_rng(3)
    weight = rng.choice([-1, 1], (64, 256))
    lo, hi = dot_interval(weight, BIPOLAR.min, BIPOLAR.max)
    thresholds = rng.integers(-8, 8, (64, 1))
    params = MvauParams(256, 64, BIPOLAR, BIPOLAR, narrowest(lo, hi), BIPOLAR,
                        IntArray(weight), IntArray(thresholds))  # fmt: skip
    inst = mvau_instance(params, NodeFolding(4, 16, MemStyle.BLOCK), "m")
    got = synthesize(inst.module, inst.sources, family=Family.ECP5, workdir=tmp_path,
                     parameters=inst.parameters, memories=inst.memories, netlist=True)  # fmt: skip
    assert got.netlist is not None and dict(got.cells).get("DP16KD") == 4
    return got.netlist, 4 * 16
