"""DepthToSpace: params and foldings (L0), model vs onnxruntime DepthToSpace (L2), RTL vs model
under stalls (L3), cycles and latency vs cost, lint, and a seeded random sweep (slow)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hw_sweep import random_frames, run_sweep

from onnx_reference import depth_to_space
from streamfold.errors import FoldingError, IRError, SimulationError
from streamfold.hw.block import MemStyle, NodeFolding, RtlInstance
from streamfold.hw.depthtospace import cost
from streamfold.hw.depthtospace.model import depthtospace
from streamfold.hw.depthtospace.params import DepthToSpaceParams, check_folding, foldings
from streamfold.hw.depthtospace.rtl import SOURCE, instance
from streamfold.ir.dtypes import BIPOLAR, IntType
from streamfold.ir.ops import DepthToSpaceMode
from streamfold.sim.rtl import lint, simulate_instance

u2, u4, i4, i8 = IntType(2, False), IntType(4, False), IntType(4, True), IntType(8, True)
DIST, BLOCK, REGS = MemStyle.DISTRIBUTED, MemStyle.BLOCK, MemStyle.REGISTERS
DCR, CRD = DepthToSpaceMode.DCR, DepthToSpaceMode.CRD


@dataclass(frozen=True)
class Case:
    """A curated DepthToSpace configuration: shapes, mode, element type, folding."""

    channels: int  # output channels
    in_dims: tuple[int, int]
    block_size: int
    mode: DepthToSpaceMode
    dtype: IntType
    simd: int
    mem_style: MemStyle = DIST

    @property
    def params(self) -> DepthToSpaceParams:
        return DepthToSpaceParams(
            self.channels, self.in_dims, self.block_size, self.mode, self.dtype
        )

    @property
    def folding(self) -> NodeFolding:
        return NodeFolding(simd=self.simd, mem_style=self.mem_style)


def reference(p: DepthToSpaceParams, x: np.ndarray) -> np.ndarray:
    return depth_to_space(x, p.in_channels, p.in_dims, p.block_size, p.mode.value)


CASES = [
    pytest.param(Case(4, (3, 5), 2, DCR, u4, 2), id="dcr-2-simd-lt-c"),
    pytest.param(Case(3, (2, 4), 3, DCR, i8, 3, BLOCK), id="dcr-3-non-square-i8-block"),
    pytest.param(Case(2, (3, 2), 2, CRD, BIPOLAR, 1, REGS), id="crd-2-bipolar"),
    pytest.param(Case(3, (2, 3), 3, CRD, i4, 1), id="crd-3-non-square"),
    pytest.param(Case(2, (4, 1), 1, DCR, u2, 2), id="block-1-identity"),
]
FRAMES = 5


# ------------------------------------------------------------------------ L0: params, folding
def test_params_shapes() -> None:
    p = DepthToSpaceParams(3, (4, 5), 2, DCR, u4)
    assert (p.in_channels, p.out_dims, p.in_vector, p.out_vector) == (12, (8, 10), 240, 240)


@pytest.mark.parametrize(
    "args, message",
    [
        ((0, (4, 4), 2), r"^DepthToSpaceParams: channels must be >= 1, not 0$"),
        ((1, (4,), 2), r"^DepthToSpaceParams: in_dims must be \(H, W\) >= 1, not \(4,\)$"),
        ((1, (4, 4), 0), r"^DepthToSpaceParams: block_size must be >= 1, not 0$"),
    ],
)
def test_params_refuse_bad_shapes(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(IRError, match=message):
        DepthToSpaceParams(*args, DCR, u4)


def test_foldings_dcr_divide_channels_crd_one_channel() -> None:
    p = DepthToSpaceParams(6, (4, 4), 2, DCR, u4)
    found = list(foldings(p))
    assert sorted({f.simd for f in found}) == [1, 2, 3, 6]
    assert len(found) == 4 * len(MemStyle) == len(set(found))
    q = DepthToSpaceParams(6, (4, 4), 2, CRD, u4)
    assert {f.simd for f in foldings(q)} == {1} and len(list(foldings(q))) == len(MemStyle)
    for params in (p, q):
        for f in foldings(params):
            check_folding("d2s0", params, f)


@pytest.mark.parametrize(
    "mode, pe, simd, message",
    [
        (DCR, 2, 1, r"^d2s0: pe must be 1 \(depth-to-space lanes are its simd\), not 2$"),
        (DCR, 1, 4, r"^d2s0: simd=4 must divide channels=6$"),
        (CRD, 1, 2, r"^d2s0: simd must be 1 in CRD mode \(an output word's channels are 4 "
         r"input channels apart\), not 2$"),
    ],
)  # fmt: skip
def test_illegal_folding_names_node_and_constraint(
    mode: DepthToSpaceMode, pe: int, simd: int, message: str
) -> None:
    p = DepthToSpaceParams(6, (3, 3), 2, mode, u4)
    with pytest.raises(FoldingError, match=message):
        check_folding("d2s0", p, NodeFolding(pe=pe, simd=simd))
    with pytest.raises(FoldingError, match=message):  # the RTL instance checks too
        instance(p, NodeFolding(pe=pe, simd=simd), "d2s0")


def test_cycles_and_latency_formulas() -> None:
    p = DepthToSpaceParams(4, (3, 5), 2, DCR, u4)
    f = NodeFolding(simd=2)
    # 3 * 5 pixels * 16 channels / 2 = 120 words in and out; a bank is one row: 40 words
    assert (cost.words(p, f), cost.cycles(p, f), cost.row_words(p, f)) == (120, 120, 40)
    assert cost.latency(p, f) == 3  # write visible, read register, FIFO


def test_instance_parameters_and_streams() -> None:
    p = DepthToSpaceParams(3, (4, 5), 3, CRD, i4)
    inst = instance(p, NodeFolding(mem_style=BLOCK), "d2s3")
    assert inst.module == "sf_depthtospace" and inst.sources == (SOURCE,)
    assert inst.memories == ()
    assert inst.parameters == (
        ("ELEM_BITS", 4), ("C", 3), ("SIMD", 1), ("W", 5), ("B", 3), ("CRD", 1),
        ("MEM_STYLE", "block"),
    )  # fmt: skip
    assert (inst.stream_in.elems, inst.stream_in.vector, inst.stream_in.dtype) == (1, 540, i4)
    assert (inst.stream_out.elems, inst.stream_out.vector, inst.stream_out.words) == (1, 540, 540)


# --------------------------------------------------------------------- L2: model vs reference
MODEL_CASES = [
    *CASES,
    pytest.param(Case(5, (2, 3), 2, CRD, i8, 1), id="crd-five-channels"),
    pytest.param(Case(1, (1, 1), 4, DCR, u2, 1), id="one-pixel-block-4"),
]


@pytest.mark.parametrize("case", MODEL_CASES)
def test_model_matches_onnx_depth_to_space(rng: np.random.Generator, case: Case) -> None:
    p = case.params
    x = random_frames(rng, p.dtype, 5, p.in_vector)
    np.testing.assert_array_equal(depthtospace(p, x), reference(p, x))


def test_model_small_example() -> None:
    # one pixel of 8 channels 0..7, block 2, C = 2: output pixel (i, j) channel c is input
    # channel (i * 2 + j) * 2 + c in DCR, c * 4 + i * 2 + j in CRD
    x = np.arange(8).reshape(1, 8)
    dcr = DepthToSpaceParams(2, (1, 1), 2, DCR, u4)
    crd = DepthToSpaceParams(2, (1, 1), 2, CRD, u4)
    assert depthtospace(dcr, x).tolist() == [[0, 1, 2, 3, 4, 5, 6, 7]]
    assert depthtospace(crd, x).tolist() == [[0, 4, 1, 5, 2, 6, 3, 7]]


def test_model_refuses_wrong_input_shape() -> None:
    p = DepthToSpaceParams(1, (1, 2), 2, DCR, u4)
    with pytest.raises(
        SimulationError, match=r"^DepthToSpace: input must be \(frames, 8\), not \(2, 7\)$"
    ):
        depthtospace(p, np.zeros((2, 7), dtype=np.int64))


# ------------------------------------------------------------------------- L3: RTL vs model
def rtl_case(
    rng: np.random.Generator, case: Case, frames: int
) -> tuple[DepthToSpaceParams, RtlInstance, np.ndarray]:
    p = case.params
    return p, instance(p, case.folding, "d2s0"), random_frames(rng, p.dtype, frames, p.in_vector)


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_matches_model_under_stalls(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    p, inst, x = rtl_case(rng, case, FRAMES)
    y, run = simulate_instance(inst, x, stall_in=0.25, stall_out=0.25, seed=1, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, depthtospace(p, x))
    assert run.total_cycles > FRAMES * cost.cycles(p, case.folding)  # stalls happened


@pytest.mark.rtl
@pytest.mark.parametrize(
    "case", [c for c in CASES if c.id in ("dcr-2-simd-lt-c", "crd-3-non-square")]
)
@pytest.mark.parametrize("stall_in, stall_out", [(0.0, 0.8), (0.8, 0.0)])
def test_rtl_survives_heavy_stalls(
    rng: np.random.Generator, rtl_cache: Path, case: Case, stall_in: float, stall_out: float
) -> None:
    """A slow consumer fills both banks and holds the writer; a slow producer makes the
    reader wait for each slot of the row it shares with the writer."""
    p, inst, x = rtl_case(rng, case, FRAMES)
    y, _ = simulate_instance(
        inst, x, stall_in=stall_in, stall_out=stall_out, seed=3, cache_dir=rtl_cache
    )
    np.testing.assert_array_equal(y, depthtospace(p, x))


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_cycles_and_latency_match_cost(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    p, inst, x = rtl_case(rng, case, FRAMES)
    y, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, depthtospace(p, x))
    assert run.cycles_per_frame == cost.cycles(p, case.folding)
    assert run.latency == cost.latency(p, case.folding)


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_passes_lint(rtl_cache: Path, case: Case) -> None:
    inst = instance(case.params, case.folding, "d2s0")
    lint("sf_depthtospace", list(inst.sources), parameters=inst.parameters)


# ------------------------------------------------------------- L3: seeded random sweep (slow)
SWEEP_CONFIGS = int(os.environ.get("STREAMFOLD_DEPTHTOSPACE_SWEEP", "30"))
SWEEP_PER_BUILD = 5  # configurations sharing one build: new inputs and stall patterns


def random_case(rng: np.random.Generator) -> Case:
    """A random legal configuration with small frames (both modes, block sizes 1 to 3)."""
    mode = (DCR, CRD)[int(rng.integers(2))]
    simd = 1 if mode is CRD else int(rng.integers(1, 4))
    cf = int(rng.integers(1, 4))
    dtype = (BIPOLAR, u2, i4, i8)[int(rng.integers(4))]
    style = tuple(MemStyle)[int(rng.integers(len(MemStyle)))]
    dims = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
    return Case(simd * cf, dims, int(rng.integers(1, 4)), mode, dtype, simd, style)


def sweep_one(case: Case, inst: RtlInstance, x: np.ndarray, stalls: tuple[float, float],
              seed: int, timed: bool) -> str:  # fmt: skip
    """One configuration: values under stalls and (``timed``) cycles and latency; what failed,
    or ""."""
    p, cache = case.params, Path(os.environ["STREAMFOLD_CACHE"])
    y, _ = simulate_instance(inst, x, stall_in=stalls[0], stall_out=stalls[1], seed=seed,
                             cache_dir=cache)  # fmt: skip
    expected = depthtospace(p, x)
    if not np.array_equal(expected, reference(p, x)):
        return "model != onnxruntime DepthToSpace"
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
        "depthtospace",
        SWEEP_CONFIGS,
        SWEEP_PER_BUILD,
        random_case,
        lambda case: instance(case.params, case.folding, "d2s0"),
        sweep_one,
    )
