"""Thresholding and multiply-shift at several pixels per word (folding mmv > 1): the unit
widened to mmv pixels of channels (``widened``), RTL == model under backpressure, interval
pixels / mmv and latency unchanged (L3); folding rules (L0)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from streamfold.errors import FoldingError
from streamfold.hw.block import MemStyle, NodeFolding
from streamfold.hw.mulshift import cost as ms_cost
from streamfold.hw.mulshift.block import MULSHIFT
from streamfold.hw.mulshift.params import MulShiftParams
from streamfold.hw.thresholding import cost as th_cost
from streamfold.hw.thresholding.block import THRESHOLDING
from streamfold.hw.thresholding.params import ThresholdingParams
from streamfold.ir import IntArray
from streamfold.ir.dtypes import IntType
from streamfold.sim.rtl import simulate_instance

u4, i8, i12 = IntType(4, False), IntType(8, True), IntType(12, True)
PIXELS = 32
FRAMES = 6


def thresholds(rng: np.random.Generator, rows: int) -> ThresholdingParams:
    t = np.sort(rng.integers(-2000, 2000, (rows, 15)), axis=1)
    return ThresholdingParams(3, i12, u4, IntArray(t), PIXELS)


def mulshift(rng: np.random.Generator, per_channel: bool) -> MulShiftParams:
    n = 3 if per_channel else 1
    m = tuple(int(v) for v in rng.integers(-40, 40, n))
    b = tuple(int(v) for v in rng.integers(-300, 300, n))
    return MulShiftParams(3, i12, u4, m, b, (7,) * n, PIXELS)


CASES = [
    pytest.param("th", 3, 2, id="thresholds-per-channel-2"),
    pytest.param("th", 1, 8, id="thresholds-per-tensor-8"),
    pytest.param("th", 3, 16, id="thresholds-per-channel-16"),
    pytest.param("ms", 3, 4, id="mulshift-per-channel-4"),
    pytest.param("ms", 1, 16, id="mulshift-per-tensor-16"),
]


def case(rng: np.random.Generator, kind: str, rows: int) -> tuple[Any, Any, Any]:
    if kind == "th":
        return THRESHOLDING, th_cost, thresholds(rng, rows)
    return MULSHIFT, ms_cost, mulshift(rng, rows > 1)


@pytest.mark.rtl
@pytest.mark.parametrize(("kind", "rows", "mmv"), CASES)
def test_rtl_matches_model_at_pixels_per_cycle(
    rng: np.random.Generator, rtl_cache: Path, kind: str, rows: int, mmv: int
) -> None:
    block, cost, p = case(rng, kind, rows)
    folding = NodeFolding(pe=3, mem_style=MemStyle.DISTRIBUTED, mmv=mmv)
    block.check_folding("n", p, folding)
    inst = block.rtl(p, folding, "n")
    assert inst.stream_in.elems == inst.stream_out.elems == 3 * mmv
    assert block.out_elems(p, folding) == 3 * mmv
    x = rng.integers(i12.min, i12.max + 1, (FRAMES, PIXELS * 3))
    expected = block.model(p, x)
    y, run = simulate_instance(inst, x, stall_in=0.25, stall_out=0.25, seed=6, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, expected)
    y, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, expected)
    assert cost.cycles(p, folding) == PIXELS // mmv
    assert run.cycles_per_frame == pytest.approx(cost.cycles(p, folding), rel=0.02)
    assert run.latency == cost.latency(p, folding) == cost.latency(p, NodeFolding(pe=3))


@pytest.mark.parametrize(
    "folding, message",
    [
        (NodeFolding(pe=1, mmv=2), r"^n: with mmv=2, pe must be channels=3 \(whole pixels"),
        (NodeFolding(pe=3, mmv=5), r"^n: mmv=5 must divide pixels=32$"),
        (NodeFolding(pe=3, mmv=0), r"^n: mmv must be >= 1, not 0$"),
    ],
)
def test_illegal_mmv(rng: np.random.Generator, folding: NodeFolding, message: str) -> None:
    for block, _, p in (case(rng, "th", 3), case(rng, "ms", 3)):
        with pytest.raises(FoldingError, match=message):
            block.check_folding("n", p, folding)
        with pytest.raises(FoldingError, match=message):
            block.rtl(p, folding, "n")
