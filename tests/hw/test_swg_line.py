"""A 1-D window inserting its own "same" padding (SlidingWindow with pads, sf_swg_line.v),
several samples per word: folding rules (L0), model vs an independent reference, RTL vs model
under backpressure, interval and latency (L3)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from streamfold.errors import FoldingError
from streamfold.hw.block import NodeFolding
from streamfold.hw.swg import cost, line
from streamfold.hw.swg.block import SWG
from streamfold.hw.swg.model import swg
from streamfold.hw.swg.params import SwgParams
from streamfold.hw.swg.rtl import instance
from streamfold.ir.dtypes import IntType
from streamfold.sim.rtl import lint, simulate_instance

u4, i4 = IntType(4, False), IntType(4, True)

# (channels, length, kernel, (left, right), mmv, dtype, pad value)
CASES = [
    pytest.param((1, 32, 5, (2, 2), 1, u4, 0), id="k5-one-per-word"),
    pytest.param((1, 32, 3, (1, 1), 2, u4, 0), id="k3-2-per-word"),
    pytest.param((2, 32, 5, (2, 2), 4, u4, 0), id="k5-c2-4-per-word"),
    pytest.param((3, 64, 5, (2, 2), 16, u4, 7), id="k5-c3-16-per-word-pad-7"),
    pytest.param((1, 48, 9, (4, 4), 8, i4, -3), id="k9-signed-pad-minus-3"),
    pytest.param((1, 24, 7, (6, 0), 2, u4, 0), id="causal-left-only-reaches-3-words"),
    pytest.param((2, 24, 4, (1, 2), 3, u4, 5), id="asymmetric-3-per-word"),
    pytest.param((1, 16, 5, (2, 2), 16, u4, 0), id="one-word-per-frame"),
]
FRAMES = 8

Setup = tuple[int, int, int, tuple[int, int], int, IntType, int]


def setup(case: Setup) -> tuple[SwgParams, NodeFolding]:
    c, length, k, (left, right), mmv, dtype, value = case
    params = SwgParams(
        c, (length + left + right,), (k,), (1,), dtype, padding=((left, right),), pad_value=value
    )
    return params, NodeFolding(simd=c, mmv=mmv)


def reference(x: np.ndarray, p: SwgParams) -> np.ndarray:
    """np.pad then sliding_window_view, channels-last windows [frames, L, k, c]."""
    n, c, (length,) = x.shape[0], p.channels, p.unpadded_dims
    padded = np.pad(x.reshape(n, length, c), ((0, 0), p.padding[0], (0, 0)),
                    constant_values=p.pad_value)  # fmt: skip
    win = sliding_window_view(padded, p.kernel_size[0], axis=1)  # [n, L, c, k]
    return win.transpose(0, 1, 3, 2).reshape(n, -1)


def test_streams_cycles_and_needs() -> None:
    p, f = setup((1, 64, 5, (2, 2), 16, u4, 0))
    inst = instance(p, f, "w")
    assert inst.module == "sf_swg_line"
    assert (inst.stream_in.elems, inst.stream_out.elems) == (16, 80)
    assert SWG.out_elems(p, f) == 80
    assert cost.cycles(p, f) == 4
    assert list(line.needs(p, f)) == [1, 2, 3, 3]  # word g needs sample 16g + 17
    assert cost.latency(p, f) == 3


@pytest.mark.parametrize(
    "params, folding, message",
    [
        (setup((1, 30, 5, (2, 2), 4, u4, 0))[0], NodeFolding(mmv=4),
         r"^w: mmv=4 must divide the length=30$"),
        (setup((2, 32, 5, (2, 2), 4, u4, 0))[0], NodeFolding(simd=1, mmv=4),
         r"^w: a padded window's \(pe, simd\) must be \(1, 2\)"),
        (setup((1, 32, 5, (1, 1), 4, u4, 0))[0], NodeFolding(mmv=4),
         r"^w: a window's own padding must keep the length \(left \+ right = 4\), not 1 \+ 1$"),
        (SwgParams(1, (34,), (3,), (2,), u4, padding=((1, 1),)), NodeFolding(mmv=2),
         r"^w: a window with its own padding must be 1-D with stride 1, not 1-D with stride"),
    ],
)  # fmt: skip
def test_illegal_padded_window_folding(
    params: SwgParams, folding: NodeFolding, message: str
) -> None:
    with pytest.raises(FoldingError, match=message):
        SWG.check_folding("w", params, folding)
    with pytest.raises(FoldingError, match=message):
        instance(params, folding, "w")


@pytest.mark.parametrize("case", CASES)
def test_model_matches_reference(rng: np.random.Generator, case: Setup) -> None:
    p, f = setup(case)
    x = rng.integers(p.dtype.min, p.dtype.max + 1, (3, p.in_vector))
    np.testing.assert_array_equal(swg(p, x, f.simd), reference(x, p))


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_matches_model(rng: np.random.Generator, rtl_cache: Path, case: Setup) -> None:
    p, f = setup(case)
    x = rng.integers(p.dtype.min, p.dtype.max + 1, (FRAMES, p.in_vector))
    inst = instance(p, f, "w")
    expected = swg(p, x, f.simd)
    y, run = simulate_instance(inst, x, stall_in=0.25, stall_out=0.25, seed=2, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, expected)
    assert run.total_cycles > FRAMES * cost.cycles(p, f)
    y, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, expected)
    assert run.cycles_per_frame == cost.cycles(p, f)
    assert run.latency == cost.latency(p, f)


@pytest.mark.rtl
def test_rtl_passes_lint() -> None:
    p, f = setup((2, 32, 5, (2, 2), 4, u4, 3))
    inst = instance(p, f, "w")
    lint("sf_swg_line", list(inst.sources), parameters=inst.parameters)
