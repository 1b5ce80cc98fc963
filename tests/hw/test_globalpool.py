"""Global sum pooling: params, width rule and foldings (L0), model vs torch (L2), RTL vs model
under stalls (L3), cycles and latency vs cost, lint, and a seeded random sweep (slow)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hw_sweep import random_frames, run_sweep

from streamfold.errors import FoldingError, IRError, SimulationError
from streamfold.hw.block import NodeFolding, RtlInstance
from streamfold.hw.fifo.rtl import SOURCE as FIFO_SOURCE
from streamfold.hw.globalpool import cost
from streamfold.hw.globalpool.model import globalpool
from streamfold.hw.globalpool.params import GlobalPoolParams, check_folding, foldings
from streamfold.hw.globalpool.rtl import SOURCE, instance
from streamfold.ir.dtypes import BIPOLAR, IntType
from streamfold.sim.rtl import lint, simulate_instance

u2, u4, u8 = IntType(2, False), IntType(4, False), IntType(8, False)
i4, i8, i4n = IntType(4, True), IntType(8, True), IntType(4, True, narrow=True)


@dataclass(frozen=True)
class Case:
    """A curated configuration: shape, element type, folding."""

    channels: int
    in_dims: tuple[int, ...]
    dtype: IntType
    simd: int

    @property
    def params(self) -> GlobalPoolParams:
        return GlobalPoolParams(self.channels, self.in_dims, self.dtype)

    @property
    def folding(self) -> NodeFolding:
        return NodeFolding(simd=self.simd)


def torch_reference(p: GlobalPoolParams, x: np.ndarray) -> np.ndarray:
    """Independent reference: the float64 CHW tensor's sum over its spatial dims (exact: every
    sum is far below 2**53)."""
    n, c = x.shape[0], p.channels
    chw = torch.from_numpy(x.reshape(n, -1, c).transpose(0, 2, 1).astype(np.float64))
    return chw.sum(dim=2).numpy().astype(np.int64)


CASES = [
    pytest.param(Case(6, (4, 5), u4, 2), id="2d-unsigned-simd-lt-c"),
    pytest.param(Case(3, (9,), i8, 3), id="1d-signed-8-bit-simd-eq-c"),
    pytest.param(Case(4, (3, 3), BIPOLAR, 1), id="bipolar"),
    pytest.param(Case(2, (1,), u2, 1), id="one-pixel-sum-is-input"),
]
FRAMES = 5


# ------------------------------------------------------------------------ L0: params, folding
@pytest.mark.parametrize(
    "dtype, dims, out",
    [
        (u4, (4, 4), IntType(8, False)),  # 16 * 15 = 240
        (u4, (4, 5), IntType(9, False)),  # 20 * 15 = 300
        (i4, (4, 4), IntType(8, True)),  # -128 .. 112
        (i4n, (4, 4), IntType(8, True)),  # -112 .. 112
        (i8, (9,), IntType(12, True)),  # -1152 .. 1143
        (BIPOLAR, (3, 3), IntType(5, True)),  # -9 .. 9
        (u2, (1,), u2),  # one pixel: the input itself
    ],
)
def test_out_dtype_is_the_narrowest_holding_every_sum(
    dtype: IntType, dims: tuple[int, ...], out: IntType
) -> None:
    p = GlobalPoolParams(3, dims, dtype)
    assert p.out_dtype == out
    assert out.contains(p.pixels * dtype.min, p.pixels * dtype.max)


def test_params_shapes() -> None:
    p = GlobalPoolParams(3, (5, 7), u4)
    assert (p.pixels, p.in_vector, p.out_vector) == (35, 105, 3)


@pytest.mark.parametrize(
    "args, message",
    [
        ((0, (4,)), r"^GlobalPoolParams: channels must be >= 1, not 0$"),
        ((1, (2, 2, 2)), r"^GlobalPoolParams: in_dims must be \(L,\) or \(H, W\) >= 1, "
         r"not \(2, 2, 2\)$"),
        ((1, (0, 3)), r"^GlobalPoolParams: in_dims must be \(L,\) or \(H, W\) >= 1, "
         r"not \(0, 3\)$"),
    ],
)  # fmt: skip
def test_params_refuse_bad_shapes(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(IRError, match=message):
        GlobalPoolParams(*args, u4)


def test_foldings_enumerate_divisors_of_channels() -> None:
    p = GlobalPoolParams(6, (4, 4), u4)
    found = list(foldings(p))
    assert [f.simd for f in found] == [1, 2, 3, 6]
    for f in found:
        check_folding("gap0", p, f)


@pytest.mark.parametrize(
    "pe, simd, message",
    [
        (2, 1, r"^gap0: pe must be 1 \(global pooling folds channels by simd\), not 2$"),
        (1, 0, r"^gap0: simd must be >= 1, not 0$"),
        (1, 4, r"^gap0: simd=4 must divide channels=6$"),
    ],
)
def test_illegal_folding_names_node_and_constraint(pe: int, simd: int, message: str) -> None:
    p = GlobalPoolParams(6, (8,), u4)
    with pytest.raises(FoldingError, match=message):
        check_folding("gap0", p, NodeFolding(pe=pe, simd=simd))
    with pytest.raises(FoldingError, match=message):  # the RTL instance checks too
        instance(p, NodeFolding(pe=pe, simd=simd), "gap0")


def test_cycles_latency_formulas() -> None:
    p = GlobalPoolParams(6, (4, 5), u4)
    f = NodeFolding(simd=2)
    assert (cost.words_in(p, f), cost.words_out(p, f), cost.cycles(p, f)) == (60, 3, 60)
    assert cost.latency(p, f) == 19 * 3 + 1  # first word of the last pixel, then the FIFO


def test_instance_parameters_and_streams() -> None:
    p = GlobalPoolParams(6, (5, 7), i4)
    inst = instance(p, NodeFolding(simd=3), "gap3")
    assert (
        inst.module == "sf_globalpool"
        and inst.sources == (SOURCE, FIFO_SOURCE)
        and inst.memories == ()
    )
    assert inst.parameters == (
        ("ELEM_BITS", 4), ("SIGNED", 1), ("BIPOLAR", 0), ("ACC_BITS", 10), ("C", 6),
        ("SIMD", 3), ("PIXELS", 35),
    )  # fmt: skip
    assert (inst.stream_in.elems, inst.stream_in.vector, inst.stream_in.dtype) == (3, 210, i4)
    out = inst.stream_out
    assert (out.elems, out.vector, out.words, out.dtype) == (3, 6, 2, IntType(10, True))
    b = instance(GlobalPoolParams(2, (3,), BIPOLAR), NodeFolding(simd=2), "gap4")
    assert dict(b.parameters)["SIGNED"] == 0 and dict(b.parameters)["BIPOLAR"] == 1


# --------------------------------------------------------------------- L2: model vs reference
MODEL_CASES = [*CASES, pytest.param(Case(5, (7, 3), i4n, 5), id="narrow-signed")]


@pytest.mark.parametrize("case", MODEL_CASES)
def test_model_matches_torch_sum(rng: np.random.Generator, case: Case) -> None:
    p = case.params
    x = random_frames(rng, p.dtype, 5, p.in_vector)
    y = globalpool(p, x)
    np.testing.assert_array_equal(y, torch_reference(p, x))
    assert p.out_dtype.contains(int(y.min()), int(y.max()))


def test_model_small_example() -> None:
    # 2 channels, 3 pixels: channel 0 = 1 + 3 + 5, channel 1 = 2 + 4 + 6
    p = GlobalPoolParams(2, (3,), u4)
    assert globalpool(p, np.array([[1, 2, 3, 4, 5, 6]])).tolist() == [[9, 12]]


def test_model_refuses_wrong_input_shape() -> None:
    p = GlobalPoolParams(2, (4,), u4)
    with pytest.raises(
        SimulationError, match=r"^GlobalPool: input must be \(frames, 8\), not \(2, 7\)$"
    ):
        globalpool(p, np.zeros((2, 7), dtype=np.int64))


# ------------------------------------------------------------------------- L3: RTL vs model
def rtl_case(
    rng: np.random.Generator, case: Case, frames: int
) -> tuple[GlobalPoolParams, RtlInstance, np.ndarray]:
    p = case.params
    return p, instance(p, case.folding, "gap0"), random_frames(rng, p.dtype, frames, p.in_vector)


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_matches_model_under_stalls(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    p, inst, x = rtl_case(rng, case, FRAMES)
    y, run = simulate_instance(inst, x, stall_in=0.25, stall_out=0.25, seed=1, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, globalpool(p, x))
    assert run.total_cycles > FRAMES * cost.cycles(p, case.folding)  # stalls happened


HEAVY_STALL_CASES = [
    c for c in CASES if c.id in ("2d-unsigned-simd-lt-c", "one-pixel-sum-is-input")
]


@pytest.mark.rtl
@pytest.mark.parametrize("case", HEAVY_STALL_CASES)
@pytest.mark.parametrize("stall_in, stall_out", [(0.0, 0.8), (0.8, 0.0)])
def test_rtl_survives_heavy_stalls(
    rng: np.random.Generator, rtl_cache: Path, case: Case, stall_in: float, stall_out: float
) -> None:
    """A slow consumer holds the last pixel's sums (the input must wait); a slow producer
    leaves gaps inside a frame (the sums must wait)."""
    p, inst, x = rtl_case(rng, case, FRAMES)
    y, _ = simulate_instance(
        inst, x, stall_in=stall_in, stall_out=stall_out, seed=3, cache_dir=rtl_cache
    )
    np.testing.assert_array_equal(y, globalpool(p, x))


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_cycles_and_latency_match_cost(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    p, inst, x = rtl_case(rng, case, FRAMES)
    y, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, globalpool(p, x))
    assert run.cycles_per_frame == pytest.approx(cost.cycles(p, case.folding), rel=0.02)
    assert run.latency == cost.latency(p, case.folding)


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_passes_lint(rtl_cache: Path, case: Case) -> None:
    inst = instance(case.params, case.folding, "gap0")
    lint("sf_globalpool", list(inst.sources), parameters=inst.parameters)


# ------------------------------------------------------------- L3: seeded random sweep (slow)
SWEEP_CONFIGS = int(os.environ.get("STREAMFOLD_GLOBALPOOL_SWEEP", "50"))
SWEEP_PER_BUILD = 5  # configurations sharing one build: new inputs and stall patterns


def random_case(rng: np.random.Generator) -> Case:
    """A random legal configuration with small frames."""
    simd, cf = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    dtype = (BIPOLAR, u2, i4, u8, i8, i4n)[int(rng.integers(6))]
    if rng.random() < 0.4:
        return Case(simd * cf, (int(rng.integers(1, 12)),), dtype, simd)
    return Case(simd * cf, (int(rng.integers(1, 6)), int(rng.integers(1, 6))), dtype, simd)


def sweep_one(case: Case, inst: RtlInstance, x: np.ndarray, stalls: tuple[float, float],
              seed: int, timed: bool) -> str:  # fmt: skip
    """One configuration: values under stalls and (``timed``) cycles and latency; what failed,
    or ""."""
    p, cache = case.params, Path(os.environ["STREAMFOLD_CACHE"])
    y, _ = simulate_instance(inst, x, stall_in=stalls[0], stall_out=stalls[1], seed=seed,
                             cache_dir=cache)  # fmt: skip
    expected = globalpool(p, x)
    if not np.array_equal(expected, torch_reference(p, x)):
        return "model != torch reference"
    if not np.array_equal(y, expected):
        return "rtl != model"
    if timed:
        _, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=cache)
        predicted = cost.cycles(p, case.folding)
        if abs(run.cycles_per_frame - predicted) > 0.02 * predicted:
            return f"cycles per frame {run.cycles_per_frame} != {predicted}"
        if run.latency != cost.latency(p, case.folding):
            return f"latency {run.latency} != {cost.latency(p, case.folding)}"
    return ""


@pytest.mark.slow
@pytest.mark.rtl
def test_rtl_random_sweep(rtl_cache: Path) -> None:
    run_sweep(
        "globalpool",
        SWEEP_CONFIGS,
        SWEEP_PER_BUILD,
        random_case,
        lambda case: instance(case.params, case.folding, "gap0"),
        sweep_one,
    )
