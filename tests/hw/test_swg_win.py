"""Whole windows, 1-D and 2-D, several per word (SWG folding mmv > 1, sf_swg_win.v): folding
rules (L0), RTL vs model and an independent reference under backpressure, interval and
latency (L3)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from streamfold.errors import FoldingError
from streamfold.hw.block import NodeFolding
from streamfold.hw.swg import cost, window
from streamfold.hw.swg.block import SWG
from streamfold.hw.swg.model import swg
from streamfold.hw.swg.params import SwgParams
from streamfold.hw.swg.rtl import instance
from streamfold.ir.dtypes import IntType
from streamfold.sim.rtl import lint, simulate_instance

u4, i8 = IntType(4, False), IntType(8, True)

# (channels, dims, kernel, stride, mmv)
CASES = [
    pytest.param((1, (66,), (3,), (1,), 2), id="1d-k3-2-per-word"),
    pytest.param((2, (68,), (5,), (1,), 4), id="1d-k5-c2-4-per-word"),
    pytest.param((1, (72,), (9,), (1,), 8), id="1d-k9-8-per-word"),
    pytest.param((3, (68,), (5,), (1,), 16), id="1d-k5-c3-16-per-word"),
    pytest.param((1, (131,), (5,), (2,), 8), id="1d-k5-stride2-8-per-word"),
    pytest.param((1, (40,), (2,), (3,), 13), id="1d-stride-over-kernel"),
    pytest.param((2, (6, 10), (3, 3), (1, 1), 2), id="2d-3x3-2-per-word"),
    pytest.param((1, (7, 18), (3, 3), (1, 1), 4), id="2d-3x3-4-per-word"),
    pytest.param((1, (5, 10), (3, 3), (2, 1), 8), id="2d-row-stride-2-8-per-word"),
    pytest.param((2, (4, 18), (3, 3), (1, 1), 16), id="2d-3x3-c2-16-per-word"),
    pytest.param((1, (6, 9), (2, 2), (2, 2), 4), id="2d-2x2-stride-2-4-per-word"),
]
FRAMES = 8


Setup = tuple[int, tuple[int, ...], tuple[int, ...], tuple[int, ...], int]


def setup(case: Setup) -> tuple[SwgParams, NodeFolding]:
    c, dims, k, s, mmv = case
    return SwgParams(c, dims, k, s, u4), NodeFolding(simd=c, mmv=mmv)


def reference(x: np.ndarray, p: SwgParams) -> np.ndarray:
    """Windows channels-last by NumPy's sliding_window_view: [frames, OH, OW, kh, kw, c]."""
    n, (h, w), (kh, kw), (sh, sw) = x.shape[0], p.in_hw, p.kernel_hw, p.stride_hw
    pix = x.reshape(n, h, w, p.channels)
    win = sliding_window_view(pix, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]  # [n,OH,OW,c,kh,kw]
    return win.transpose(0, 1, 2, 4, 5, 3).reshape(n, -1)


def test_in_pixels_cycles_and_streams() -> None:
    p, f = setup((1, (68,), (5,), (1,), 16))  # OW 64: 4 output words; 68 / 17 = 4 input words
    assert window.in_pixels(p, f) == 17
    assert cost.cycles(p, f) == 4
    inst = instance(p, f, "w")
    assert inst.module == "sf_swg_win"
    assert (inst.stream_in.elems, inst.stream_out.elems) == (17, 80)
    assert SWG.out_elems(p, f) == 80
    # word g needs pixel 16g + 19 (the last word: 67), in words of 17 pixels
    assert list(window.needs(p, f)) == [1, 2, 3, 3]


@pytest.mark.parametrize(
    "params, folding, message",
    [
        (SwgParams(1, (66,), (3,), (1,), u4), NodeFolding(mmv=3), r"^w: mmv=3 must divide out"),
        (SwgParams(2, (66,), (3,), (1,), u4), NodeFolding(simd=1, mmv=2),
         r"^w: with mmv=2, \(pe, simd\) must be \(1, 2\)"),
        (SwgParams(1, (6, 6), (3, 3), (1, 1), u4), NodeFolding(mmv=3),
         r"^w: mmv=3 must divide out width=4$"),
    ],
)  # fmt: skip
def test_illegal_whole_window_folding(
    params: SwgParams, folding: NodeFolding, message: str
) -> None:
    with pytest.raises(FoldingError, match=message):
        SWG.check_folding("w", params, folding)
    with pytest.raises(FoldingError, match=message):
        instance(params, folding, "w")


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_matches_model_and_reference(
    rng: np.random.Generator, rtl_cache: Path, case: Setup
) -> None:
    p, f = setup(case)
    x = rng.integers(0, 16, (FRAMES, p.in_vector))
    inst = instance(p, f, "w")
    expected = swg(p, x)
    np.testing.assert_array_equal(expected, reference(x, p))
    y, run = simulate_instance(inst, x, stall_in=0.25, stall_out=0.25, seed=2, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, expected)
    assert run.total_cycles > FRAMES * cost.cycles(p, f)
    y, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, expected)
    assert run.cycles_per_frame == pytest.approx(cost.cycles(p, f), rel=0.02)
    assert run.latency == cost.latency(p, f)


@pytest.mark.rtl
def test_rtl_passes_lint() -> None:
    p, f = setup((2, (6, 10), (3, 3), (1, 1), 2))
    inst = instance(p, f, "w")
    lint("sf_swg_win", list(inst.sources), parameters=inst.parameters)
