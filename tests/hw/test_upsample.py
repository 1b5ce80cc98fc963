"""Nearest upsampling: params and foldings (L0), model vs onnxruntime Resize (L2), RTL vs model
under stalls (L3), cycles and latency vs cost, lint, and a seeded random sweep (slow)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hw_sweep import random_frames, run_sweep

from onnx_reference import resize_nearest
from streamfold.errors import FoldingError, IRError, SimulationError
from streamfold.hw.block import MemStyle, NodeFolding, RtlInstance
from streamfold.hw.upsample import cost
from streamfold.hw.upsample.model import upsample
from streamfold.hw.upsample.params import UpsampleParams, check_folding, foldings
from streamfold.hw.upsample.rtl import SOURCE, instance
from streamfold.ir.dtypes import BIPOLAR, IntType
from streamfold.sim.rtl import lint, simulate_instance

u2, u4, i4, i8 = IntType(2, False), IntType(4, False), IntType(4, True), IntType(8, True)
DIST, BLOCK, REGS = MemStyle.DISTRIBUTED, MemStyle.BLOCK, MemStyle.REGISTERS


@dataclass(frozen=True)
class Case:
    """A curated upsampling configuration: shapes, element type, folding."""

    channels: int
    in_dims: tuple[int, ...]
    scale: tuple[int, ...]
    dtype: IntType
    simd: int
    mem_style: MemStyle = DIST

    @property
    def params(self) -> UpsampleParams:
        return UpsampleParams(self.channels, self.in_dims, self.scale, self.dtype)

    @property
    def folding(self) -> NodeFolding:
        return NodeFolding(simd=self.simd, mem_style=self.mem_style)


def reference(p: UpsampleParams, x: np.ndarray) -> np.ndarray:
    return resize_nearest(x, p.channels, p.in_dims, p.scale)


CASES = [
    pytest.param(Case(4, (3, 5), (2, 2), u4, 2), id="2d-factor-2-simd-lt-c"),
    pytest.param(Case(3, (4, 3), (3, 2), i8, 3, BLOCK), id="non-square-3x2-i8-block"),
    pytest.param(Case(2, (7,), (3,), BIPOLAR, 1, REGS), id="1d-factor-3-bipolar"),
    pytest.param(Case(2, (3, 4), (1, 1), i4, 1), id="factor-1-identity"),
    pytest.param(Case(2, (3, 1), (2, 3), u2, 2), id="one-word-rows"),
]
FRAMES = 5


# ------------------------------------------------------------------------ L0: params, folding
def test_params_shapes_1d_and_2d() -> None:
    p = UpsampleParams(3, (4, 5), (2, 3), u4)
    assert (p.out_dims, p.in_vector, p.out_vector, p.in_hw, p.scale_hw) == (
        (8, 15), 60, 360, (4, 5), (2, 3)
    )  # fmt: skip
    q = UpsampleParams(2, (7,), (3,), u4)
    assert (q.out_dims, q.in_vector, q.out_vector, q.in_hw, q.scale_hw) == (
        (21,), 14, 42, (1, 7), (1, 3)
    )  # fmt: skip


@pytest.mark.parametrize(
    "args, message",
    [
        ((0, (4,), (2,)), r"^UpsampleParams: channels must be >= 1, not 0$"),
        ((1, (2, 2, 2), (1, 1, 1)), r"^UpsampleParams: in_dims must be \(L,\) or \(H, W\) >= 1, "
         r"not \(2, 2, 2\)$"),
        ((1, (4, 4), (2,)), r"^UpsampleParams: scale must be 2 ints >= 1, not \(2,\)$"),
        ((1, (4,), (0,)), r"^UpsampleParams: scale must be 1 ints >= 1, not \(0,\)$"),
    ],
)  # fmt: skip
def test_params_refuse_bad_shapes(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(IRError, match=message):
        UpsampleParams(*args, u4)


def test_foldings_enumerate_divisors_of_channels_and_styles() -> None:
    p = UpsampleParams(6, (4, 4), (2, 2), u4)
    found = list(foldings(p))
    assert sorted({f.simd for f in found}) == [1, 2, 3, 6]
    assert len(found) == 4 * len(MemStyle) == len(set(found))
    for f in found:
        check_folding("up0", p, f)


@pytest.mark.parametrize(
    "pe, simd, message",
    [
        (2, 1, r"^up0: pe must be 1 \(upsampling channel lanes are its simd\), not 2$"),
        (1, 0, r"^up0: simd must be >= 1, not 0$"),
        (1, 4, r"^up0: simd=4 must divide channels=6$"),
    ],
)
def test_illegal_folding_names_node_and_constraint(pe: int, simd: int, message: str) -> None:
    p = UpsampleParams(6, (8,), (2,), u4)
    with pytest.raises(FoldingError, match=message):
        check_folding("up0", p, NodeFolding(pe=pe, simd=simd))
    with pytest.raises(FoldingError, match=message):  # the RTL instance checks too
        instance(p, NodeFolding(pe=pe, simd=simd), "up0")


def test_cycles_and_latency_formulas() -> None:
    p = UpsampleParams(4, (3, 5), (2, 3), u4)
    f = NodeFolding(simd=2)
    # 3 rows * 2 replays * 5 pixels * 3 repeats * 2 words = 180 output words, 30 input words
    assert (cost.words_in(p, f), cost.words_out(p, f), cost.cycles(p, f)) == (30, 180, 180)
    assert cost.latency(p, f) == 3  # write visible, read register, FIFO
    # one word per row (W = 1, C = SIMD): one idle cycle per input row
    q = UpsampleParams(2, (3, 1), (2, 2), u4)
    assert cost.cycles(q, NodeFolding(simd=2)) == 3 * 4 + 3
    assert cost.cycles(q, NodeFolding(simd=1)) == 3 * 4 * 2


def test_instance_parameters_and_streams() -> None:
    p = UpsampleParams(6, (4, 5), (3, 2), i4)
    inst = instance(p, NodeFolding(simd=3, mem_style=BLOCK), "up3")
    assert inst.module == "sf_upsample" and inst.sources == (SOURCE,)
    assert inst.memories == ()
    assert inst.parameters == (
        ("ELEM_BITS", 4), ("C", 6), ("SIMD", 3), ("W", 5), ("F_H", 3), ("F_W", 2),
        ("MEM_STYLE", "block"),
    )  # fmt: skip
    assert (inst.stream_in.elems, inst.stream_in.vector, inst.stream_in.dtype) == (3, 120, i4)
    assert (inst.stream_out.elems, inst.stream_out.vector, inst.stream_out.words) == (3, 720, 240)
    one_d = dict(instance(UpsampleParams(2, (9,), (4,), u4), NodeFolding(), "up4").parameters)
    assert (one_d["W"], one_d["F_H"], one_d["F_W"]) == (9, 1, 4)


# --------------------------------------------------------------------- L2: model vs reference
MODEL_CASES = [
    *CASES,
    pytest.param(Case(5, (2, 3), (4, 1), i8, 5), id="rows-only-factor-4"),
    pytest.param(Case(1, (1,), (5,), u2, 1), id="one-pixel"),
]


@pytest.mark.parametrize("case", MODEL_CASES)
def test_model_matches_onnx_resize(rng: np.random.Generator, case: Case) -> None:
    p = case.params
    x = random_frames(rng, p.dtype, 5, p.in_vector)
    np.testing.assert_array_equal(upsample(p, x), reference(p, x))


def test_model_small_example() -> None:
    # 2 channels, 1-D [(1, -1), (2, -2)], factor 2: each pixel twice
    p = UpsampleParams(2, (2,), (2,), i4)
    assert upsample(p, np.array([[1, -1, 2, -2]])).tolist() == [[1, -1, 1, -1, 2, -2, 2, -2]]


def test_model_refuses_wrong_input_shape() -> None:
    p = UpsampleParams(2, (4,), (2,), u4)
    with pytest.raises(
        SimulationError, match=r"^Upsample: input must be \(frames, 8\), not \(2, 7\)$"
    ):
        upsample(p, np.zeros((2, 7), dtype=np.int64))


# ------------------------------------------------------------------------- L3: RTL vs model
def rtl_case(
    rng: np.random.Generator, case: Case, frames: int
) -> tuple[UpsampleParams, RtlInstance, np.ndarray]:
    p = case.params
    return p, instance(p, case.folding, "up0"), random_frames(rng, p.dtype, frames, p.in_vector)


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_matches_model_under_stalls(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    p, inst, x = rtl_case(rng, case, FRAMES)
    y, run = simulate_instance(inst, x, stall_in=0.25, stall_out=0.25, seed=1, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, upsample(p, x))
    assert run.total_cycles > FRAMES * cost.cycles(p, case.folding)  # stalls happened


@pytest.mark.rtl
@pytest.mark.parametrize(
    "case", [c for c in CASES if c.id in ("2d-factor-2-simd-lt-c", "factor-1-identity")]
)
@pytest.mark.parametrize("stall_in, stall_out", [(0.0, 0.8), (0.8, 0.0)])
def test_rtl_survives_heavy_stalls(
    rng: np.random.Generator, rtl_cache: Path, case: Case, stall_in: float, stall_out: float
) -> None:
    """A slow consumer holds the writer back behind the last replay; a slow producer makes the
    reader wait for each slot of the first replay."""
    p, inst, x = rtl_case(rng, case, FRAMES)
    y, _ = simulate_instance(
        inst, x, stall_in=stall_in, stall_out=stall_out, seed=3, cache_dir=rtl_cache
    )
    np.testing.assert_array_equal(y, upsample(p, x))


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_cycles_and_latency_match_cost(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    p, inst, x = rtl_case(rng, case, FRAMES)
    y, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, upsample(p, x))
    assert run.cycles_per_frame == cost.cycles(p, case.folding)
    assert run.latency == cost.latency(p, case.folding)


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_passes_lint(rtl_cache: Path, case: Case) -> None:
    inst = instance(case.params, case.folding, "up0")
    lint("sf_upsample", list(inst.sources), parameters=inst.parameters)


# ------------------------------------------------------------- L3: seeded random sweep (slow)
SWEEP_CONFIGS = int(os.environ.get("STREAMFOLD_UPSAMPLE_SWEEP", "30"))
SWEEP_PER_BUILD = 5  # configurations sharing one build: new inputs and stall patterns


def random_case(rng: np.random.Generator) -> Case:
    """A random legal configuration with small frames (one-word rows included)."""
    simd, cf = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    dtype = (BIPOLAR, u2, i4, i8)[int(rng.integers(4))]
    style = tuple(MemStyle)[int(rng.integers(len(MemStyle)))]
    if rng.random() < 0.4:
        dims: tuple[int, ...] = (int(rng.integers(1, 8)),)
        scale: tuple[int, ...] = (int(rng.integers(1, 5)),)
    else:
        dims = (int(rng.integers(1, 5)), int(rng.integers(1, 6)))
        scale = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    return Case(simd * cf, dims, scale, dtype, simd, style)


def sweep_one(case: Case, inst: RtlInstance, x: np.ndarray, stalls: tuple[float, float],
              seed: int, timed: bool) -> str:  # fmt: skip
    """One configuration: values under stalls and (``timed``) cycles and latency; what failed,
    or ""."""
    p, cache = case.params, Path(os.environ["STREAMFOLD_CACHE"])
    y, _ = simulate_instance(inst, x, stall_in=stalls[0], stall_out=stalls[1], seed=seed,
                             cache_dir=cache)  # fmt: skip
    expected = upsample(p, x)
    if not np.array_equal(expected, reference(p, x)):
        return "model != onnxruntime Resize"
    if not np.array_equal(y, expected):
        return "rtl != model"
    if timed:
        _, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=cache)
        if run.cycles_per_frame != cost.cycles(p, case.folding):
            return f"cycles per frame {run.cycles_per_frame} != {cost.cycles(p, case.folding)}"
        if run.latency != cost.latency(p, case.folding):
            return f"latency {run.latency} != {cost.latency(p, case.folding)}"
    return ""


@pytest.mark.slow
@pytest.mark.rtl
def test_rtl_random_sweep(rtl_cache: Path) -> None:
    run_sweep(
        "upsample",
        SWEEP_CONFIGS,
        SWEEP_PER_BUILD,
        random_case,
        lambda case: instance(case.params, case.folding, "up0"),
        sweep_one,
    )
