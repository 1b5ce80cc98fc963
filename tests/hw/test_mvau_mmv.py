"""MVAU with several pixels per word (folding mmv > 1, sf_mvau_mmv.v): folding rules (L0),
RTL vs model and sim.exact under backpressure, interval and latency vs the cost model (L3)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from streamfold.errors import FoldingError
from streamfold.hw.block import MemStyle, NodeFolding
from streamfold.hw.mvau import cost
from streamfold.hw.mvau.block import MVAU
from streamfold.hw.mvau.model import mvau
from streamfold.hw.mvau.params import (
    MvauParams,
    check_folding,
    foldings,
    mmv_foldings,
    params_of,
)
from streamfold.hw.mvau.rtl import MMV_SOURCE, SOURCE, TREE_SOURCE, instance
from streamfold.ir import Graph, IntArray, IntType, Mvau, Node, Value, verify
from streamfold.ir.dtypes import narrowest
from streamfold.ir.intervals import dot_interval
from streamfold.sim import exact
from streamfold.sim.rtl import lint, simulate_instance
from streamfold.sim.stream import from_stream_order, to_stream_order

u2, u4, u8 = (IntType(b, False) for b in (2, 4, 8))
i3, i4, i8 = (IntType(b, True) for b in (3, 4, 8))
REGS, DIST = MemStyle.REGISTERS, MemStyle.DISTRIBUTED


@dataclass(frozen=True)
class Case:
    """A convolution's MVAU over ``spatial`` pixels: windows of ``in_features`` elements."""

    in_features: int
    out_features: int
    spatial: tuple[int, ...]
    in_dtype: IntType
    weight_dtype: IntType
    mmv: int
    mem_style: MemStyle = REGS
    out_dtype: IntType | None = None  # thresholded output type; None: the accumulator

    def build(self, rng: np.random.Generator, frames: int) -> tuple[Graph, np.ndarray]:
        """The per-pixel graph and random input frames in stream order (channels-last)."""
        w = rng.integers(
            self.weight_dtype.min, self.weight_dtype.max + 1, (self.out_features, self.in_features)
        )
        lo, hi = dot_interval(w, self.in_dtype.min, self.in_dtype.max)
        t = None
        out = narrowest(lo, hi)
        if self.out_dtype is not None:
            out = self.out_dtype
            t = np.sort(rng.integers(lo, hi + 1, (self.out_features, out.levels - 1)), axis=1)
        op = Mvau(IntArray(w), self.weight_dtype, None if t is None else IntArray(t), True)
        x_value = Value("x", self.in_dtype, (self.in_features, *self.spatial))
        node = Node("conv", op, ("x",), Value("y", out, (self.out_features, *self.spatial)))
        g = verify(Graph("hw", (x_value,), (node,), ("y",)))
        n = self.in_features * int(np.prod(self.spatial))
        x = rng.integers(self.in_dtype.min, self.in_dtype.max + 1, (frames, n))
        return g, x

    @property
    def folding(self) -> NodeFolding:
        return NodeFolding(self.out_features, self.in_features, self.mem_style, mmv=self.mmv)


CASES = [
    pytest.param(Case(5, 4, (32,), u8, i4, 2), id="1d-k5-2-per-cycle"),
    pytest.param(Case(3, 8, (32,), u4, i4, 4, DIST, u2), id="1d-k3-4-per-cycle-thresholds"),
    pytest.param(Case(9, 3, (64,), i8, i3, 8), id="1d-k9-8-per-cycle"),
    pytest.param(Case(5, 2, (64,), u8, i8, 16, REGS, u4), id="1d-k5-16-per-cycle-thresholds"),
    pytest.param(Case(18, 4, (4, 8), u4, i4, 4), id="2d-3x3x2-4-per-cycle"),
    pytest.param(Case(9, 2, (4, 16), u2, i4, 16, DIST, u4), id="2d-3x3-16-per-cycle"),
]
STALL_FRAMES = 6
TIMING_FRAMES = 12


def case_params(
    rng: np.random.Generator, case: Case, frames: int
) -> tuple[Graph, MvauParams, np.ndarray]:
    g, x = case.build(rng, frames)
    return g, params_of(g, g.nodes[0]), x


# ------------------------------------------------------------------------ L0: folding, streams
def test_mmv_foldings_are_full_parallel_dividing_the_pixels(rng: np.random.Generator) -> None:
    _, p, _ = case_params(rng, Case(3, 2, (12,), u4, i4, 2), 1)
    assert {f.mmv for f in foldings(p)} == {1}  # the search's default space is unchanged
    multi = list(mmv_foldings(p))
    assert sorted({f.mmv for f in multi}) == [2, 3, 4, 6, 12]
    assert len(multi) == 5 * len(MemStyle)
    for f in multi:
        check_folding("conv", p, f)
        assert (f.pe, f.simd) == (2, 3)


@pytest.mark.parametrize(
    "pe, simd, mmv, message",
    [
        (2, 3, 5, r"^conv: mmv=5 must divide pixels=12$"),
        (1, 3, 2, r"^conv: with mmv=2, \(pe, simd\) must be \(2, 3\) \(whole pixels per word\), "
         r"not \(1, 3\)$"),
        (2, 1, 4, r"^conv: with mmv=4, \(pe, simd\) must be \(2, 3\)"),
        (2, 3, 0, r"^conv: mmv must be >= 1, not 0$"),
    ],
)  # fmt: skip
def test_illegal_mmv_names_node_and_constraint(
    rng: np.random.Generator, pe: int, simd: int, mmv: int, message: str
) -> None:
    _, p, _ = case_params(rng, Case(3, 2, (12,), u4, i4, 2), 1)
    with pytest.raises(FoldingError, match=message):
        instance(p, NodeFolding(pe, simd, mmv=mmv), "conv")


def test_mmv_instance_streams_cycles_and_default_unchanged(rng: np.random.Generator) -> None:
    _, p, _ = case_params(rng, Case(5, 4, (32,), u8, i4, 8), 1)
    one, eight = NodeFolding(4, 5, REGS), NodeFolding(4, 5, REGS, mmv=8)
    base, multi = instance(p, one, "c"), instance(p, eight, "c")
    assert (base.module, base.sources) == ("sf_mvau", (SOURCE, TREE_SOURCE))
    assert (multi.module, multi.sources) == ("sf_mvau_mmv", (MMV_SOURCE, SOURCE, TREE_SOURCE))
    assert multi.parameters == (("MMV", 8), *base.parameters)
    assert multi.memories == base.memories  # the units share the images
    assert (multi.stream_in.elems, multi.stream_out.elems) == (40, 32)
    assert (multi.stream_in.words, multi.stream_out.words) == (4, 4)
    assert (cost.cycles(p, one), cost.cycles(p, eight)) == (32, 4)
    assert MVAU.out_elems(p, eight) == 32
    assert list(MVAU.needs(p, eight)) == [0, 1, 2, 3]  # type: ignore[misc]
    assert one.to_json() == {"pe": 4, "simd": 5, "mem_style": "registers", "fifo_depth": 2}
    assert eight.to_json()["mmv"] == 8


# --------------------------------------------------------------------------- L3: RTL vs model
@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_matches_model_and_exact_under_stalls(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    g, p, x = case_params(rng, case, STALL_FRAMES)
    inst = instance(p, case.folding, "conv")
    y, run = simulate_instance(inst, x, stall_in=0.25, stall_out=0.25, seed=5, cache_dir=rtl_cache)
    expected = mvau(p, x)
    np.testing.assert_array_equal(y, expected)
    spatial = (case.in_features, *case.spatial)
    ir_in = from_stream_order(x, spatial).reshape(-1, *spatial)
    ir_out = exact.run_single(g, ir_in)
    np.testing.assert_array_equal(to_stream_order(ir_out, (case.out_features, *case.spatial)), y)
    assert run.total_cycles > STALL_FRAMES * cost.cycles(p, case.folding)  # stalls happened


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_interval_and_latency_match_cost(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    _, p, x = case_params(rng, case, TIMING_FRAMES)
    inst = instance(p, case.folding, "conv")
    y, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, mvau(p, x))
    assert run.cycles_per_frame == pytest.approx(cost.cycles(p, case.folding), rel=0.02)
    assert run.latency == cost.latency(p, case.folding)
    pixels = int(np.prod(case.spatial))
    assert pixels / run.cycles_per_frame == pytest.approx(case.mmv, rel=0.02)


@pytest.mark.rtl
def test_rtl_passes_lint(rng: np.random.Generator) -> None:
    _, p, _ = case_params(rng, Case(3, 8, (32,), u4, i4, 4, DIST, u2), 1)
    inst = instance(p, NodeFolding(8, 3, DIST, mmv=4), "conv")
    lint("sf_mvau_mmv", list(inst.sources), parameters=inst.parameters)
