"""Sliding-window generator: params and foldings (L0), model vs im2col (L2), RTL vs model (L3),
cycles vs cost, lint, and a seeded random sweep (slow)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hw_sweep import random_frames
from numpy.lib.stride_tricks import sliding_window_view

from streamfold.errors import FoldingError, IRError, SimulationError, ToolError
from streamfold.hw.block import MemStyle, NodeFolding, RtlInstance
from streamfold.hw.swg import cost
from streamfold.hw.swg.model import swg, window_indices
from streamfold.hw.swg.params import SwgParams, check_folding, foldings
from streamfold.hw.swg.rtl import SOURCE, instance
from streamfold.ir.dtypes import BIPOLAR, IntType
from streamfold.sim.rtl import lint, simulate_instance
from streamfold.synth.yosys import find_yosys, synthesize_instance

u2, u4, u8 = (IntType(b, False) for b in (2, 4, 8))
i4, i8 = IntType(4, True), IntType(8, True)
DIST, BLOCK, REGS = MemStyle.DISTRIBUTED, MemStyle.BLOCK, MemStyle.REGISTERS


# ------------------------------------------------------------------------------------ helpers
@dataclass(frozen=True)
class Case:
    """A curated SWG configuration: shapes, element type, folding."""

    channels: int
    in_dims: tuple[int, ...]
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    dtype: IntType
    simd: int
    mem_style: MemStyle = DIST
    mmv: int = 1

    @property
    def params(self) -> SwgParams:
        return SwgParams(
            self.channels, self.in_dims, self.kernel_size, self.stride, self.dtype, self.mmv
        )

    @property
    def folding(self) -> NodeFolding:
        return NodeFolding(simd=self.simd, mem_style=self.mem_style)


def im2col_reference(p: SwgParams, x: np.ndarray, simd: int) -> np.ndarray:
    """Independent reference: the CHW tensor's im2col (NumPy sliding windows, then strided),
    reordered to the stream order documented in hw.swg.params."""
    (h, w), (kh, kw), (sh, sw) = p.in_hw, p.kernel_hw, p.stride_hw
    n, c = x.shape[0], p.channels
    chw = x.reshape(n, h, w, c).transpose(0, 3, 1, 2)  # channels-last stream -> CHW
    cols = sliding_window_view(chw, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]  # N,C,OH,OW,kh,kw
    oh, ow = cols.shape[2], cols.shape[3]
    assert (oh, ow) == p.out_hw
    g = cols.reshape(n, c // simd, simd, oh, ow // p.mmv, p.mmv, kh, kw)
    return g.transpose(0, 3, 4, 6, 7, 1, 5, 2).reshape(n, -1)  # OH, OG, kh, kw, CF, mmv, simd


CASES = [
    pytest.param(Case(4, (6, 6), (3, 3), (1, 1), u4, 2), id="2d-3x3-stride-1-simd-lt-c"),
    pytest.param(Case(2, (7, 7), (3, 3), (2, 2), i4, 2, BLOCK), id="2d-3x3-stride-2-simd-eq-c"),
    pytest.param(Case(3, (5, 7), (2, 3), (2, 1), u2, 1, REGS), id="non-square-5x7-kernel-2x3"),
    pytest.param(Case(2, (20,), (5,), (1,), i8, 1), id="1d-kernel-5-signed-8-bit"),
    pytest.param(
        Case(6, (5, 6), (1, 1), (2, 2), u4, 3, BLOCK), id="kernel-1x1-stride-2-unread-column"
    ),
    pytest.param(Case(8, (5, 5), (3, 3), (1, 1), BIPOLAR, 8, REGS), id="bipolar-simd-eq-c"),
    pytest.param(Case(4, (18,), (3,), (1,), u4, 2, mmv=2), id="1d-two-pixels-per-word"),
    pytest.param(Case(1, (33,), (3,), (2,), u8, 1, mmv=4), id="1d-four-pixels-stride-2"),
    pytest.param(Case(3, (8, 8), (3, 3), (1, 1), u8, 3), id="cnv-like-3-channels-8x8"),
]
STALL_FRAMES = 6
TIMING_FRAMES = 6


# ------------------------------------------------------------------------ L0: params, folding
def test_params_shapes_1d_and_2d() -> None:
    p = SwgParams(3, (5, 7), (2, 3), (2, 1), u4)
    assert (p.in_hw, p.kernel_hw, p.stride_hw, p.out_dims, p.out_hw) == (
        (5, 7), (2, 3), (2, 1), (2, 5), (2, 5)
    )  # fmt: skip
    assert (p.window, p.in_vector, p.out_vector) == (6, 105, 2 * 5 * 6 * 3)
    q = SwgParams(2, (20,), (5,), (3,), u4)
    assert (q.in_hw, q.kernel_hw, q.stride_hw, q.out_dims, q.out_hw) == (
        (1, 20), (1, 5), (1, 3), (6,), (1, 6)
    )  # fmt: skip


@pytest.mark.parametrize(
    "args, message",
    [
        ((0, (4,), (1,), (1,)), r"^SwgParams: channels must be >= 1, not 0$"),
        ((1, (2, 2, 2), (1, 1, 1), (1, 1, 1)), r"^SwgParams: in_dims must be \(L,\) or \(H, W\), "
         r"not \(2, 2, 2\)$"),
        ((1, (4, 4), (3,), (1, 1)), r"^SwgParams: kernel_size must be 2 ints >= 1, not \(3,\)$"),
        ((1, (4,), (3,), (0,)), r"^SwgParams: stride must be 1 ints >= 1, not \(0,\)$"),
        ((1, (4, 2), (3, 3), (1, 1)), r"^SwgParams: kernel_size must fit in_dims=\(4, 2\), "
         r"not \(3, 3\)$"),
    ],
)  # fmt: skip
def test_params_refuse_bad_shapes(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(IRError, match=message):
        SwgParams(*args, u4)


def test_foldings_enumerate_divisors_of_channels_and_styles() -> None:
    p = SwgParams(6, (4, 4), (3, 3), (1, 1), u4)
    found = list(foldings(p))
    assert sorted({f.simd for f in found}) == [1, 2, 3, 6]
    assert len(found) == 4 * len(MemStyle) == len(set(found))
    for f in found:
        check_folding("swg0", p, f)


@pytest.mark.parametrize(
    "pe, simd, mmv, message",
    [
        (2, 1, 1, r"^swg0: pe must be 1 \(the SWG has no PE lanes\), not 2$"),
        (1, 0, 1, r"^swg0: simd must be >= 1, not 0$"),
        (1, 4, 1, r"^swg0: simd=4 must divide channels=6$"),
        (1, 2, 0, r"^swg0: mmv must be >= 1, not 0$"),
        (1, 2, 4, r"^swg0: mmv=4 must divide out width=6$"),
    ],
)
def test_illegal_folding_names_node_and_constraint(
    pe: int, simd: int, mmv: int, message: str
) -> None:
    p = SwgParams(6, (8,), (3,), (1,), u4, mmv)
    with pytest.raises(FoldingError, match=message):
        check_folding("swg0", p, NodeFolding(pe=pe, simd=simd))
    with pytest.raises(FoldingError, match=message):  # the RTL instance checks too
        instance(p, NodeFolding(pe=pe, simd=simd), "swg0")


def test_cycles_latency_and_buffer_formulas() -> None:
    p = SwgParams(4, (6, 6), (3, 3), (1, 1), u4)
    f = NodeFolding(simd=2)
    # in: 36 pixels * 2 words; out: 16 windows * 9 positions * 2 words
    assert (cost.words_in(p, f), cost.words_out(p, f), cost.cycles(p, f)) == (72, 288, 288)
    assert cost.latency(p, f) == 4  # write seen, address register, read register, FIFO
    assert cost.latency(p, NodeFolding(simd=2, mem_style=MemStyle.BLOCK)) == 4  # output register
    assert cost.latency(p, NodeFolding(simd=2, mem_style=MemStyle.REGISTERS)) == 3
    # lookahead: frame change (2*3 - 2 + 0) * 6 + 2*3 = 30 > row change 18 + 6; + 1 pixel
    assert cost.lookahead_pixels(p) == 31 and cost.window_span_pixels(p) == 15
    assert cost.buffer_words(p, f) == 64  # 62 words, rounded up
    # input-bound: 1x1 kernel, stride 2 reads one pixel in four
    q = SwgParams(2, (8, 8), (1, 1), (2, 2), u4)
    assert cost.cycles(q, NodeFolding(simd=1)) == 128
    # mmv: a word for 4 pixels; the first needs pixel (4 - 1) * 2 = 6: 6 * 2 words + 4
    r = SwgParams(2, (33,), (3,), (2,), u4, mmv=4)
    g = NodeFolding(simd=1)
    assert (cost.words_in(r, g), cost.words_out(r, g)) == (66, 4 * 3 * 2)
    assert cost.latency(r, g) == 12 + 4
    # one output word per frame: it waits for the whole input frame (6 words, unread tail)
    t = SwgParams(2, (3,), (1,), (2,), u4)
    assert (cost.words_out(t, NodeFolding(simd=2)), cost.latency(t, NodeFolding(simd=2))) == (2, 4)
    u = SwgParams(2, (3,), (1,), (3,), u4)
    assert cost.latency(u, NodeFolding(simd=2)) == 2 + 4


def test_instance_parameters_and_streams() -> None:
    p = SwgParams(6, (5, 7), (2, 3), (2, 1), i4)
    inst = instance(p, NodeFolding(simd=3, mem_style=BLOCK), "swg3")
    assert inst.module == "sf_swg" and inst.sources == (SOURCE,) and inst.memories == ()
    assert inst.parameters == (
        ("ELEM_BITS", 4), ("C", 6), ("SIMD", 3), ("H", 5), ("W", 7),
        ("K_H", 2), ("K_W", 3), ("S_H", 2), ("S_W", 1), ("MMV", 1),
        ("DEPTH", cost.buffer_words(p, NodeFolding(simd=3))), ("MEM_STYLE", "block"),
    )  # fmt: skip
    assert (inst.stream_in.elems, inst.stream_in.vector, inst.stream_in.dtype) == (3, 210, i4)
    assert (inst.stream_out.elems, inst.stream_out.vector) == (3, 2 * 5 * 6 * 6)
    q = SwgParams(2, (18,), (3,), (1,), u4, mmv=2)
    out = instance(q, NodeFolding(simd=1), "swg4").stream_out
    assert (out.elems, out.vector, out.words) == (2, 16 * 3 * 2, 48)


# --------------------------------------------------------------------- L2: model vs references
def test_window_indices_small_example() -> None:
    # 1 channel, 1-D length 5, kernel 3, stride 2: windows (0 1 2) and (2 3 4)
    p = SwgParams(1, (5,), (3,), (2,), u4)
    assert window_indices(p).tolist() == [0, 1, 2, 2, 3, 4]
    # 2 channels, mmv 2 on length 3, kernel 2: pixels 0,1 per word, per kernel position
    q = SwgParams(2, (3,), (2,), (1,), u4, mmv=2)
    # simd 1: [kx][cf][m] -> (kx=0: c0 of px0, px1; c1 of px0, px1), (kx=1: ...)
    assert window_indices(q, 1).tolist() == [0, 2, 1, 3, 2, 4, 3, 5]
    assert window_indices(q, 2).tolist() == [0, 1, 2, 3, 2, 3, 4, 5]


MODEL_CASES = [
    *CASES,
    pytest.param(Case(5, (9, 4), (4, 2), (3, 2), i8, 5), id="kernel-4x2-stride-3x2"),
    pytest.param(Case(4, (30,), (7,), (3,), u4, 2, mmv=4), id="1d-mmv-4-simd-2"),
    pytest.param(Case(2, (5, 6), (2, 2), (1, 1), u4, 1, mmv=5), id="2d-mmv-5"),
]


@pytest.mark.parametrize("case", MODEL_CASES)
def test_model_matches_im2col_reference(rng: np.random.Generator, case: Case) -> None:
    p = case.params
    x = random_frames(rng, p.dtype, 5, p.in_vector)
    np.testing.assert_array_equal(swg(p, x, case.simd), im2col_reference(p, x, case.simd))


def test_model_refuses_wrong_input_shape() -> None:
    p = SwgParams(2, (4,), (3,), (1,), u4)
    with pytest.raises(SimulationError, match=r"^Swg: input must be \(frames, 8\), not \(2, 7\)$"):
        swg(p, np.zeros((2, 7), dtype=np.int64))


# ------------------------------------------------------------------------- L3: RTL vs model
def rtl_case(
    rng: np.random.Generator, case: Case, frames: int
) -> tuple[SwgParams, RtlInstance, np.ndarray]:
    p = case.params
    return p, instance(p, case.folding, "swg0"), random_frames(rng, p.dtype, frames, p.in_vector)


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_matches_model_under_stalls(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    p, inst, x = rtl_case(rng, case, STALL_FRAMES)
    y, run = simulate_instance(inst, x, stall_in=0.25, stall_out=0.25, seed=1, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, swg(p, x, case.simd))
    assert run.total_cycles > STALL_FRAMES * cost.cycles(p, case.folding)  # stalls happened


BACKPRESSURE_CASES = [
    c for c in CASES if c.id in ("kernel-1x1-stride-2-unread-column", "1d-four-pixels-stride-2")
]


@pytest.mark.rtl
@pytest.mark.parametrize("case", BACKPRESSURE_CASES)
@pytest.mark.parametrize("stall_in, stall_out", [(0.0, 0.8), (0.8, 0.0)])
def test_rtl_survives_heavy_stalls(
    rng: np.random.Generator, rtl_cache: Path, case: Case, stall_in: float, stall_out: float
) -> None:
    """A slow consumer fills the output FIFO (credits must hold); a slow producer starves the
    reader (it must wait for exactly the words it needs)."""
    p, inst, x = rtl_case(rng, case, STALL_FRAMES)
    y, _ = simulate_instance(
        inst, x, stall_in=stall_in, stall_out=stall_out, seed=3, cache_dir=rtl_cache
    )
    np.testing.assert_array_equal(y, swg(p, x, case.simd))


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_cycles_and_latency_match_cost(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    p, inst, x = rtl_case(rng, case, TIMING_FRAMES)
    y, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, swg(p, x, case.simd))
    assert run.cycles_per_frame == pytest.approx(cost.cycles(p, case.folding), rel=0.02)
    assert run.latency == cost.latency(p, case.folding)


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_passes_lint(rtl_cache: Path, case: Case) -> None:
    inst = instance(case.params, case.folding, "swg0")
    lint("sf_swg", [SOURCE], parameters=inst.parameters)


@pytest.mark.synth
@pytest.mark.parametrize("style", [BLOCK, DIST])
def test_buffer_synthesises_to_the_chosen_memory(tmp_path: Path, style: MemStyle) -> None:
    """Yosys (xilinx7) reads sf_swg.v and infers the buffer as the memory style asks: 64 words
    of 24 bits in one RAMB18, or in LUT RAM (the 4-word output FIFO is LUT RAM either way)."""
    try:
        find_yosys()
    except ToolError as e:
        pytest.skip(f"Yosys is not installed: {e}")
    p = SwgParams(3, (8, 8), (3, 3), (1, 1), u8)
    assert cost.buffer_words(p, NodeFolding(simd=3)) == 64
    r = synthesize_instance(
        instance(p, NodeFolding(simd=3, mem_style=style), "swg0"), "xilinx7", tmp_path
    )
    fifo_lutram = dict(r.cells)["RAM32M"] * 4
    if style is BLOCK:
        assert (r.resources.bram, r.resources.lutram) == (1, fifo_lutram)
    else:
        assert r.resources.bram == 0 and r.resources.lutram > fifo_lutram


# ------------------------------------------------------------- L3: seeded random sweep (slow)
SWEEP_CONFIGS = int(os.environ.get("STREAMFOLD_SWG_SWEEP", "100"))
SWEEP_PER_BUILD = 5  # configurations sharing one build: new inputs and stall patterns
SWEEP_TYPES = (BIPOLAR, u2, i4, u8)


def pick(rng: np.random.Generator, options: tuple[Any, ...]) -> Any:
    return options[int(rng.integers(len(options)))]


def random_case(rng: np.random.Generator) -> Case:
    """A random legal configuration with small frames (at most a few hundred words)."""
    simd, cf = int(pick(rng, (1, 2, 3, 4))), int(pick(rng, (1, 2, 3)))
    dtype, style = pick(rng, SWEEP_TYPES), pick(rng, tuple(MemStyle))
    if rng.random() < 0.5:  # 1-D, maybe several pixels per word
        k, s, mmv = int(rng.integers(1, 6)), int(rng.integers(1, 4)), int(pick(rng, (1, 2, 4)))
        out = mmv * int(rng.integers(1, 5))
        length = (out - 1) * s + k + int(rng.integers(0, s))  # with an unread tail
        return Case(simd * cf, (length,), (k,), (s,), dtype, simd, style, mmv)
    kh, kw = (int(v) for v in rng.integers(1, 4, size=2))
    sh, sw = (int(v) for v in rng.integers(1, 3, size=2))
    mmv = int(pick(rng, (1, 1, 2)))
    oh, ow = int(rng.integers(1, 5)), mmv * int(rng.integers(1, 4))
    h = (oh - 1) * sh + kh + int(rng.integers(0, sh))
    w = (ow - 1) * sw + kw + int(rng.integers(0, sw))
    return Case(simd * cf, (h, w), (kh, kw), (sh, sw), dtype, simd, style, mmv)


def sweep_one(
    p: SwgParams,
    case: Case,
    inst: RtlInstance,
    x: np.ndarray,
    stalls: tuple[float, float],
    seed: int,
    timed: bool,
) -> tuple[bool, str]:
    """One sweep configuration: values under stalls, and (``timed``) cycles and latency;
    (passed, what failed)."""
    cache = Path(os.environ["STREAMFOLD_CACHE"])
    y, _ = simulate_instance(
        inst, x, stall_in=stalls[0], stall_out=stalls[1], seed=seed, cache_dir=cache
    )
    expected = swg(p, x, case.simd)
    if not np.array_equal(expected, im2col_reference(p, x, case.simd)):
        return False, "model != im2col reference"
    if not np.array_equal(y, expected):
        return False, "rtl != model"
    if not timed:  # the schedule is a property of the build: time it once
        return True, ""
    _, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=cache)
    predicted, latency = cost.cycles(p, case.folding), cost.latency(p, case.folding)
    if abs(run.cycles_per_frame - predicted) > 0.02 * predicted:
        return False, f"cycles per frame {run.cycles_per_frame} != {predicted}"
    if run.latency != latency:
        return False, f"latency {run.latency} != {latency}"
    return True, ""


@pytest.mark.slow
@pytest.mark.rtl
def test_rtl_random_sweep(rtl_cache: Path) -> None:
    rng = np.random.default_rng(2026)
    failures: list[str] = []
    builds: set[tuple[tuple[str, int | str], ...]] = set()
    start, done = time.monotonic(), 0
    while done < SWEEP_CONFIGS:
        case = random_case(rng)
        p = case.params
        inst = instance(p, case.folding, "swg0")
        builds.add(inst.parameters)
        for variant in range(min(SWEEP_PER_BUILD, SWEEP_CONFIGS - done)):
            x = random_frames(rng, p.dtype, 4, p.in_vector)
            stall_in, stall_out = (float(v) for v in rng.uniform(0.0, 0.6, size=2))
            seed = int(rng.integers(1 << 30))
            try:
                ok, why = sweep_one(p, case, inst, x, (stall_in, stall_out), seed, variant == 0)
            except SimulationError as e:
                ok, why = False, str(e)
            if not ok:
                failures.append(
                    f"{case} stalls=({stall_in:.2f}, {stall_out:.2f}) seed={seed}: {why}"
                )
            done += 1
    print(
        f"\nSWG RTL sweep: {done} random configurations on {len(builds)} builds, "
        f"{done - len(failures)} passed, {len(failures)} failed, {time.monotonic() - start:.0f} s"
    )
    assert not failures, "\n".join(failures)
