"""Padding: params and foldings (L0), model vs torch.nn.functional.pad (L2), RTL vs model under
stalls (L3), cycles vs cost, lint, and a seeded random sweep (slow)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hw_sweep import random_frames, run_sweep

from streamfold.errors import FoldingError, IRError, SimulationError
from streamfold.hw.block import NodeFolding, RtlInstance
from streamfold.hw.fifo.rtl import SOURCE as FIFO_SOURCE
from streamfold.hw.pad import cost
from streamfold.hw.pad.model import pad
from streamfold.hw.pad.params import PadParams, check_folding, foldings
from streamfold.hw.pad.rtl import SOURCE, instance
from streamfold.ir.dtypes import BIPOLAR, IntType
from streamfold.sim.rtl import lint, simulate_instance

u2, u4, i4, i8 = IntType(2, False), IntType(4, False), IntType(4, True), IntType(8, True)


@dataclass(frozen=True)
class Case:
    """A curated padding configuration: shapes, element type, pad value, folding."""

    channels: int
    in_dims: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dtype: IntType
    simd: int
    pad_value: int = 0

    @property
    def params(self) -> PadParams:
        return PadParams(self.channels, self.in_dims, self.padding, self.dtype, self.pad_value)

    @property
    def folding(self) -> NodeFolding:
        return NodeFolding(simd=self.simd)


def torch_reference(p: PadParams, x: np.ndarray) -> np.ndarray:
    """Independent reference: F.pad (constant) on the float64 CHW tensor, back to the stream."""
    (h, w), ((top, bottom), (left, right)) = p.in_hw, p.padding_hw
    n, c = x.shape[0], p.channels
    chw = torch.from_numpy(x.reshape(n, h, w, c).transpose(0, 3, 1, 2).astype(np.float64))
    out = F.pad(chw, (left, right, top, bottom), mode="constant", value=float(p.pad_value))
    return out.permute(0, 2, 3, 1).reshape(n, -1).numpy().astype(np.int64)


CASES = [
    pytest.param(Case(4, (5, 6), ((1, 2), (0, 3)), u4, 2), id="2d-per-side-simd-lt-c"),
    pytest.param(Case(3, (7,), ((2, 1),), i8, 3, -5), id="1d-signed-8-bit-value-simd-eq-c"),
    pytest.param(Case(2, (3, 4), ((1, 1), (2, 1)), BIPOLAR, 1, -1), id="bipolar-minus-one"),
    pytest.param(Case(2, (3, 3), ((0, 2), (0, 0)), u2, 1), id="bottom-only-no-left-top"),
]
FRAMES = 5


# ------------------------------------------------------------------------ L0: params, folding
def test_params_shapes_1d_and_2d() -> None:
    p = PadParams(3, (5, 7), ((1, 2), (3, 0)), u4)
    assert (p.in_hw, p.padding_hw, p.out_dims, p.out_hw) == ((5, 7), ((1, 2), (3, 0)), (8, 10),
                                                            (8, 10))  # fmt: skip
    assert (p.in_vector, p.out_vector, p.pad_code) == (105, 240, 0)
    q = PadParams(2, (9,), ((1, 4),), i4, pad_value=-3)
    assert (q.in_hw, q.padding_hw, q.out_dims, q.out_hw, q.pad_code) == (
        (1, 9), ((0, 0), (1, 4)), (14,), (1, 14), 0b1101
    )  # fmt: skip
    assert PadParams(1, (2,), ((1, 1),), BIPOLAR, 1).pad_code == 1
    assert PadParams(1, (2,), ((1, 1),), BIPOLAR, -1).pad_code == 0


@pytest.mark.parametrize(
    "args, message",
    [
        ((0, (4,), ((1, 1),), u4), r"^PadParams: channels must be >= 1, not 0$"),
        ((1, (2, 2, 2), ((1, 1),), u4), r"^PadParams: in_dims must be \(L,\) or \(H, W\) >= 1, "
         r"not \(2, 2, 2\)$"),
        ((1, (4, 4), ((1, 1),), u4), r"^PadParams: padding must be 2 \(before, after\) pairs "
         r">= 0, not \(\(1, 1\),\)$"),
        ((1, (4,), ((1, -1),), u4), r"^PadParams: padding must be 1 \(before, after\) pairs "
         r">= 0, not \(\(1, -1\),\)$"),
        ((1, (4,), ((1, 1),), BIPOLAR), r"^PadParams: bipolar pad_value must be -1 or 1, not 0$"),
        ((1, (4,), ((1, 1),), u4, -1), r"^PadParams: pad_value must fit u4, not -1$"),
    ],
)  # fmt: skip
def test_params_refuse_bad_shapes_and_values(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(IRError, match=message):
        PadParams(*args)


def test_foldings_enumerate_divisors_of_channels() -> None:
    p = PadParams(6, (4, 4), ((1, 1), (1, 1)), u4)
    found = list(foldings(p))
    assert [f.simd for f in found] == [1, 2, 3, 6]
    for f in found:
        check_folding("pad0", p, f)


@pytest.mark.parametrize(
    "pe, simd, message",
    [
        (2, 1, r"^pad0: pe must be 1 \(padding has no PE lanes\), not 2$"),
        (1, 0, r"^pad0: simd must be >= 1, not 0$"),
        (1, 4, r"^pad0: simd=4 must divide channels=6$"),
    ],
)
def test_illegal_folding_names_node_and_constraint(pe: int, simd: int, message: str) -> None:
    p = PadParams(6, (8,), ((1, 1),), u4)
    with pytest.raises(FoldingError, match=message):
        check_folding("pad0", p, NodeFolding(pe=pe, simd=simd))
    with pytest.raises(FoldingError, match=message):  # the RTL instance checks too
        instance(p, NodeFolding(pe=pe, simd=simd), "pad0")


def test_cycles_latency_formulas() -> None:
    p = PadParams(4, (5, 6), ((1, 2), (0, 3)), u4)
    f = NodeFolding(simd=2)
    # in: 30 pixels * 2 words; out: 8 x 9 pixels * 2 words; border before: one row of 9
    assert (cost.words_in(p, f), cost.words_out(p, f), cost.cycles(p, f)) == (60, 144, 144)
    assert (cost.border_words_before(p, f), cost.latency(p, f)) == (18, 1)


def test_instance_parameters_and_streams() -> None:
    p = PadParams(6, (5, 7), ((1, 2), (3, 0)), i4, pad_value=-2)
    inst = instance(p, NodeFolding(simd=3), "pad3")
    assert inst.module == "sf_pad" and inst.sources == (SOURCE, FIFO_SOURCE) and inst.memories == ()
    assert inst.parameters == (
        ("ELEM_BITS", 4), ("C", 6), ("SIMD", 3), ("H", 5), ("W", 7), ("PAD_TOP", 1),
        ("PAD_BOTTOM", 2), ("PAD_LEFT", 3), ("PAD_RIGHT", 0), ("PAD_CODE", 0b1110),
    )  # fmt: skip
    assert (inst.stream_in.elems, inst.stream_in.vector, inst.stream_in.dtype) == (3, 210, i4)
    assert (inst.stream_out.elems, inst.stream_out.vector, inst.stream_out.words) == (3, 480, 160)


# --------------------------------------------------------------------- L2: model vs reference
MODEL_CASES = [
    *CASES,
    pytest.param(Case(5, (4, 3), ((0, 0), (0, 0)), i4, 5), id="no-padding"),
    pytest.param(Case(2, (1, 1), ((3, 0), (0, 2)), u4, 1, 15), id="one-pixel-value-15"),
]


@pytest.mark.parametrize("case", MODEL_CASES)
def test_model_matches_torch_pad(rng: np.random.Generator, case: Case) -> None:
    p = case.params
    x = random_frames(rng, p.dtype, 5, p.in_vector)
    np.testing.assert_array_equal(pad(p, x), torch_reference(p, x))


def test_model_small_example() -> None:
    # 1 channel, 1-D [1, 2], left 1, right 2, value 7
    p = PadParams(1, (2,), ((1, 2),), u4, 7)
    assert pad(p, np.array([[1, 2]])).tolist() == [[7, 1, 2, 7, 7]]


def test_model_refuses_wrong_input_shape() -> None:
    p = PadParams(2, (4,), ((1, 1),), u4)
    with pytest.raises(SimulationError, match=r"^Pad: input must be \(frames, 8\), not \(2, 7\)$"):
        pad(p, np.zeros((2, 7), dtype=np.int64))


# ------------------------------------------------------------------------- L3: RTL vs model
def rtl_case(
    rng: np.random.Generator, case: Case, frames: int
) -> tuple[PadParams, RtlInstance, np.ndarray]:
    p = case.params
    return p, instance(p, case.folding, "pad0"), random_frames(rng, p.dtype, frames, p.in_vector)


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_matches_model_under_stalls(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    p, inst, x = rtl_case(rng, case, FRAMES)
    y, run = simulate_instance(inst, x, stall_in=0.25, stall_out=0.25, seed=1, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, pad(p, x))
    assert run.total_cycles > FRAMES * cost.cycles(p, case.folding)  # stalls happened


HEAVY_STALL_CASES = [
    c for c in CASES if c.id in ("2d-per-side-simd-lt-c", "bottom-only-no-left-top")
]


@pytest.mark.rtl
@pytest.mark.parametrize("case", HEAVY_STALL_CASES)
@pytest.mark.parametrize("stall_in, stall_out", [(0.0, 0.8), (0.8, 0.0)])
def test_rtl_survives_heavy_stalls(
    rng: np.random.Generator, rtl_cache: Path, case: Case, stall_in: float, stall_out: float
) -> None:
    """A slow consumer fills the output FIFO mid-border; a slow producer starves the inside words
    while the border flows."""
    p, inst, x = rtl_case(rng, case, FRAMES)
    y, _ = simulate_instance(
        inst, x, stall_in=stall_in, stall_out=stall_out, seed=3, cache_dir=rtl_cache
    )
    np.testing.assert_array_equal(y, pad(p, x))


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_cycles_and_latency_match_cost(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    p, inst, x = rtl_case(rng, case, FRAMES)
    y, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, pad(p, x))
    assert run.cycles_per_frame == pytest.approx(cost.cycles(p, case.folding), rel=0.02)
    first_data = cost.border_words_before(p, case.folding)  # output word of input word 0
    assert run.out_cycles[first_data] - run.in_cycles[0] == cost.latency(p, case.folding)
    # the first input word is offered at cycle 0 but taken only when the border before it has
    # left: the pipeline's latency counts from the offer (RtlRun.latency_offered)
    assert run.first_offer == 0
    assert run.latency_offered == run.out_cycles[0]
    assert run.in_cycles[0] >= (first_data > 0)


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_passes_lint(rtl_cache: Path, case: Case) -> None:
    inst = instance(case.params, case.folding, "pad0")
    lint("sf_pad", list(inst.sources), parameters=inst.parameters)


# ------------------------------------------------------------- L3: seeded random sweep (slow)
SWEEP_CONFIGS = int(os.environ.get("STREAMFOLD_PAD_SWEEP", "50"))
SWEEP_PER_BUILD = 5  # configurations sharing one build: new inputs and stall patterns


def random_case(rng: np.random.Generator) -> Case:
    """A random legal configuration with small frames."""
    simd, cf = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    dtype = (BIPOLAR, u2, i4, u4)[int(rng.integers(4))]
    value = int(rng.integers(dtype.min, dtype.max + 1))
    if dtype.bipolar:
        value = int(rng.choice([-1, 1]))
    sides = [(int(a), int(b)) for a, b in rng.integers(0, 3, size=(2, 2))]
    if rng.random() < 0.4:
        return Case(simd * cf, (int(rng.integers(1, 9)),), (sides[1],), dtype, simd, value)
    dims = (int(rng.integers(1, 5)), int(rng.integers(1, 6)))
    return Case(simd * cf, dims, (sides[0], sides[1]), dtype, simd, value)


def sweep_one(case: Case, inst: RtlInstance, x: np.ndarray, stalls: tuple[float, float],
              seed: int, timed: bool) -> str:  # fmt: skip
    """One configuration: values under stalls and (``timed``) cycles; what failed, or ""."""
    p, cache = case.params, Path(os.environ["STREAMFOLD_CACHE"])
    y, _ = simulate_instance(inst, x, stall_in=stalls[0], stall_out=stalls[1], seed=seed,
                             cache_dir=cache)  # fmt: skip
    expected = pad(p, x)
    if not np.array_equal(expected, torch_reference(p, x)):
        return "model != torch reference"
    if not np.array_equal(y, expected):
        return "rtl != model"
    if timed:
        _, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=cache)
        predicted = cost.cycles(p, case.folding)
        if abs(run.cycles_per_frame - predicted) > 0.02 * predicted:
            return f"cycles per frame {run.cycles_per_frame} != {predicted}"
    return ""


@pytest.mark.slow
@pytest.mark.rtl
def test_rtl_random_sweep(rtl_cache: Path) -> None:
    run_sweep(
        "pad",
        SWEEP_CONFIGS,
        SWEEP_PER_BUILD,
        random_case,
        lambda case: instance(case.params, case.folding, "pad0"),
        sweep_one,
    )
