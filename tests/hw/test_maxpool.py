"""Max-pooling: params and foldings (L0), model vs torch max_pool (L2), RTL vs model under
stalls (L3), cycles and latency vs cost, lint, and a seeded random sweep (slow)."""

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
from streamfold.hw.block import MemStyle, NodeFolding, RtlInstance
from streamfold.hw.fifo.rtl import SOURCE as FIFO_SOURCE
from streamfold.hw.maxpool import cost
from streamfold.hw.maxpool.model import maxpool
from streamfold.hw.maxpool.params import MaxPoolParams, check_folding, foldings
from streamfold.hw.maxpool.rtl import SOURCE, instance
from streamfold.hw.swg import cost as swg_cost
from streamfold.hw.swg.rtl import SOURCE as SWG_SOURCE
from streamfold.ir.dtypes import BIPOLAR, IntType
from streamfold.sim.rtl import lint, simulate_instance

u2, u4, i4, i8 = IntType(2, False), IntType(4, False), IntType(4, True), IntType(8, True)
DIST, BLOCK, REGS = MemStyle.DISTRIBUTED, MemStyle.BLOCK, MemStyle.REGISTERS


@dataclass(frozen=True)
class Case:
    """A curated max-pool configuration: shapes, element type, folding."""

    channels: int
    in_dims: tuple[int, ...]
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    dtype: IntType
    simd: int
    mem_style: MemStyle = DIST

    @property
    def params(self) -> MaxPoolParams:
        return MaxPoolParams(self.channels, self.in_dims, self.kernel_size, self.stride, self.dtype)

    @property
    def folding(self) -> NodeFolding:
        return NodeFolding(simd=self.simd, mem_style=self.mem_style)


def torch_reference(p: MaxPoolParams, x: np.ndarray) -> np.ndarray:
    """Independent reference: F.max_pool1d / max_pool2d on the float64 CHW tensor."""
    n, c = x.shape[0], p.channels
    chw = torch.from_numpy(x.reshape(n, -1, c).transpose(0, 2, 1).astype(np.float64))
    if len(p.in_dims) == 1:
        out = F.max_pool1d(chw, p.kernel_size[0], p.stride[0])
    else:
        out = F.max_pool2d(chw.reshape(n, c, *p.in_dims), p.kernel_size, p.stride)
    return out.reshape(n, c, -1).permute(0, 2, 1).reshape(n, -1).numpy().astype(np.int64)


CASES = [
    pytest.param(Case(4, (6, 6), (2, 2), (2, 2), u4, 2), id="2d-2x2-stride-2-simd-lt-c"),
    pytest.param(Case(3, (7, 5), (3, 2), (2, 1), i8, 3, BLOCK), id="overlap-3x2-stride-2x1-i8"),
    pytest.param(Case(4, (11,), (3,), (2,), BIPOLAR, 2, REGS), id="1d-kernel-3-stride-2-bipolar"),
    pytest.param(Case(2, (5, 4), (1, 1), (2, 3), i4, 1), id="kernel-1-stride-2x3-unread"),
]
FRAMES = 5


# ------------------------------------------------------------------------ L0: params, folding
def test_params_shapes_1d_and_2d() -> None:
    p = MaxPoolParams(3, (7, 5), (3, 2), (2, 1), u4)
    assert (p.out_dims, p.window, p.in_vector, p.out_vector) == ((3, 4), 6, 105, 36)
    q = MaxPoolParams(2, (11,), (3,), (2,), u4)
    assert (q.out_dims, q.window, q.in_vector, q.out_vector) == ((5,), 3, 22, 10)
    assert q.swg.out_hw == (1, 5)


@pytest.mark.parametrize(
    "args, message",
    [
        ((0, (4,), (1,), (1,)), r"^MaxPoolParams: channels must be >= 1, not 0$"),
        ((1, (2, 2, 2), (1, 1, 1), (1, 1, 1)), r"^MaxPoolParams: in_dims must be \(L,\) or "
         r"\(H, W\), not \(2, 2, 2\)$"),
        ((1, (4, 4), (2,), (2, 2)), r"^MaxPoolParams: kernel_size must be 2 ints >= 1, "
         r"not \(2,\)$"),
        ((1, (4,), (2,), (0,)), r"^MaxPoolParams: stride must be 1 ints >= 1, not \(0,\)$"),
        ((1, (4, 2), (3, 3), (1, 1)), r"^MaxPoolParams: kernel_size must fit in_dims=\(4, 2\), "
         r"not \(3, 3\)$"),
    ],
)  # fmt: skip
def test_params_refuse_bad_shapes(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(IRError, match=message):
        MaxPoolParams(*args, u4)


def test_foldings_enumerate_divisors_of_channels_and_styles() -> None:
    p = MaxPoolParams(6, (4, 4), (2, 2), (2, 2), u4)
    found = list(foldings(p))
    assert sorted({f.simd for f in found}) == [1, 2, 3, 6]
    assert len(found) == 4 * len(MemStyle) == len(set(found))
    for f in found:
        check_folding("pool0", p, f)


@pytest.mark.parametrize(
    "pe, simd, message",
    [
        (2, 1, r"^pool0: pe must be 1 \(max-pool channel lanes are its simd\), not 2$"),
        (1, 0, r"^pool0: simd must be >= 1, not 0$"),
        (1, 4, r"^pool0: simd=4 must divide channels=6$"),
    ],
)
def test_illegal_folding_names_node_and_constraint(pe: int, simd: int, message: str) -> None:
    p = MaxPoolParams(6, (8,), (2,), (2,), u4)
    with pytest.raises(FoldingError, match=message):
        check_folding("pool0", p, NodeFolding(pe=pe, simd=simd))
    with pytest.raises(FoldingError, match=message):  # the RTL instance checks too
        instance(p, NodeFolding(pe=pe, simd=simd), "pool0")


def test_cycles_and_latency_formulas() -> None:
    p = MaxPoolParams(4, (6, 6), (2, 2), (2, 2), u4)
    f = NodeFolding(simd=2)
    # non-overlapping: 9 windows * 4 positions * 2 words = 72 = the input words
    assert (cost.words_in(p, f), cost.words_out(p, f), cost.cycles(p, f)) == (72, 18, 72)
    # first output needs input pixel (1, 1): word (6 + 1) * 2 = 14; + SWG 4 (its LUT RAM's
    # address registered) + FIFO 1
    assert cost.latency(p, f) == 14 + 4 + 1
    # overlapping 3x3 stride 2 on 7x7: 9 windows * 9 positions > 49 pixels
    q = MaxPoolParams(1, (7, 7), (3, 3), (2, 2), u4)
    assert cost.cycles(q, NodeFolding()) == 81
    # one output pixel, one word per pixel: the SWG waits for the whole frame (4 words)
    r = MaxPoolParams(1, (4,), (2,), (3,), u4)
    assert cost.latency(r, NodeFolding()) == 3 + 4 + 1


def test_instance_parameters_and_streams() -> None:
    p = MaxPoolParams(6, (7, 5), (3, 2), (2, 1), i4)
    f = NodeFolding(simd=3, mem_style=BLOCK)
    inst = instance(p, f, "pool3")
    assert inst.module == "sf_maxpool" and inst.sources == (SOURCE, SWG_SOURCE, FIFO_SOURCE)
    assert inst.memories == ()
    assert inst.parameters == (
        ("ELEM_BITS", 4), ("SIGNED", 1), ("C", 6), ("SIMD", 3), ("H", 7), ("W", 5),
        ("K_H", 3), ("K_W", 2), ("S_H", 2), ("S_W", 1),
        ("DEPTH", swg_cost.buffer_words(p.swg, f)), ("MEM_STYLE", "block"),
    )  # fmt: skip
    assert (inst.stream_in.elems, inst.stream_in.vector, inst.stream_in.dtype) == (3, 210, i4)
    assert (inst.stream_out.elems, inst.stream_out.vector, inst.stream_out.words) == (3, 72, 24)
    b = instance(MaxPoolParams(2, (4,), (2,), (2,), BIPOLAR), NodeFolding(), "pool4")
    assert dict(b.parameters)["SIGNED"] == 0  # bipolar max = OR = unsigned max of one bit


# --------------------------------------------------------------------- L2: model vs reference
MODEL_CASES = [
    *CASES,
    pytest.param(Case(5, (9, 8), (4, 2), (3, 3), i8, 5), id="kernel-4x2-stride-3"),
    pytest.param(Case(2, (3, 3), (3, 3), (1, 1), u2, 1), id="one-window"),
]


@pytest.mark.parametrize("case", MODEL_CASES)
def test_model_matches_torch_max_pool(rng: np.random.Generator, case: Case) -> None:
    p = case.params
    x = random_frames(rng, p.dtype, 5, p.in_vector)
    np.testing.assert_array_equal(maxpool(p, x), torch_reference(p, x))


def test_model_small_example() -> None:
    # 1 channel, 1-D [1, -3, 2, 0, -1], kernel 2, stride 2: max(1, -3), max(2, 0)
    p = MaxPoolParams(1, (5,), (2,), (2,), i4)
    assert maxpool(p, np.array([[1, -3, 2, 0, -1]])).tolist() == [[1, 2]]


def test_model_refuses_wrong_input_shape() -> None:
    p = MaxPoolParams(2, (4,), (2,), (2,), u4)
    with pytest.raises(
        SimulationError, match=r"^MaxPool: input must be \(frames, 8\), not \(2, 7\)$"
    ):
        maxpool(p, np.zeros((2, 7), dtype=np.int64))


# ------------------------------------------------------------------------- L3: RTL vs model
def rtl_case(
    rng: np.random.Generator, case: Case, frames: int
) -> tuple[MaxPoolParams, RtlInstance, np.ndarray]:
    p = case.params
    return p, instance(p, case.folding, "pool0"), random_frames(rng, p.dtype, frames, p.in_vector)


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_matches_model_under_stalls(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    p, inst, x = rtl_case(rng, case, FRAMES)
    y, run = simulate_instance(inst, x, stall_in=0.25, stall_out=0.25, seed=1, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, maxpool(p, x))
    assert run.total_cycles > FRAMES * cost.cycles(p, case.folding)  # stalls happened


HEAVY_STALL_CASES = [
    c for c in CASES if c.id in ("overlap-3x2-stride-2x1-i8", "kernel-1-stride-2x3-unread")
]


@pytest.mark.rtl
@pytest.mark.parametrize("case", HEAVY_STALL_CASES)
@pytest.mark.parametrize("stall_in, stall_out", [(0.0, 0.8), (0.8, 0.0)])
def test_rtl_survives_heavy_stalls(
    rng: np.random.Generator, rtl_cache: Path, case: Case, stall_in: float, stall_out: float
) -> None:
    """A slow consumer backs up through the maxima into the SWG; a slow producer starves the
    SWG (unread tails included)."""
    p, inst, x = rtl_case(rng, case, FRAMES)
    y, _ = simulate_instance(
        inst, x, stall_in=stall_in, stall_out=stall_out, seed=3, cache_dir=rtl_cache
    )
    np.testing.assert_array_equal(y, maxpool(p, x))


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_cycles_and_latency_match_cost(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    p, inst, x = rtl_case(rng, case, FRAMES)
    y, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, maxpool(p, x))
    assert run.cycles_per_frame == pytest.approx(cost.cycles(p, case.folding), rel=0.02)
    assert run.latency == cost.latency(p, case.folding)


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_passes_lint(rtl_cache: Path, case: Case) -> None:
    inst = instance(case.params, case.folding, "pool0")
    lint("sf_maxpool", list(inst.sources), parameters=inst.parameters)


# ------------------------------------------------------------- L3: seeded random sweep (slow)
SWEEP_CONFIGS = int(os.environ.get("STREAMFOLD_MAXPOOL_SWEEP", "50"))
SWEEP_PER_BUILD = 5  # configurations sharing one build: new inputs and stall patterns


def random_case(rng: np.random.Generator) -> Case:
    """A random legal configuration with small frames (unread tails included)."""
    simd, cf = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    dtype = (BIPOLAR, u2, i4, i8)[int(rng.integers(4))]
    style = tuple(MemStyle)[int(rng.integers(len(MemStyle)))]
    if rng.random() < 0.4:
        k, s, out = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 6))
        length = (out - 1) * s + k + int(rng.integers(0, s))
        return Case(simd * cf, (length,), (k,), (s,), dtype, simd, style)
    kh, kw = (int(v) for v in rng.integers(1, 4, size=2))
    sh, sw = (int(v) for v in rng.integers(1, 4, size=2))
    oh, ow = (int(v) for v in rng.integers(1, 4, size=2))
    h = (oh - 1) * sh + kh + int(rng.integers(0, sh))
    w = (ow - 1) * sw + kw + int(rng.integers(0, sw))
    return Case(simd * cf, (h, w), (kh, kw), (sh, sw), dtype, simd, style)


def sweep_one(case: Case, inst: RtlInstance, x: np.ndarray, stalls: tuple[float, float],
              seed: int, timed: bool) -> str:  # fmt: skip
    """One configuration: values under stalls and (``timed``) cycles and latency; what failed,
    or ""."""
    p, cache = case.params, Path(os.environ["STREAMFOLD_CACHE"])
    y, _ = simulate_instance(inst, x, stall_in=stalls[0], stall_out=stalls[1], seed=seed,
                             cache_dir=cache)  # fmt: skip
    expected = maxpool(p, x)
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
        "maxpool",
        SWEEP_CONFIGS,
        SWEEP_PER_BUILD,
        random_case,
        lambda case: instance(case.params, case.folding, "pool0"),
        sweep_one,
    )
