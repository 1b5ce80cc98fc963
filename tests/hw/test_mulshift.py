"""MulShift block (the Requantizer): params and foldings (L0), model vs references (L2), RTL vs
model under stalls, cycles and lint (L3), resources vs the calibrated model."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from streamfold.cost.devices import Family
from streamfold.errors import FoldingError, IRError
from streamfold.hw.block import MemStyle, NodeFolding, RtlInstance
from streamfold.hw.mulshift import cost
from streamfold.hw.mulshift.block import MULSHIFT
from streamfold.hw.mulshift.model import mulshift
from streamfold.hw.mulshift.params import (
    MulShiftParams,
    check_folding,
    foldings,
    hw_constants,
    params_of,
)
from streamfold.hw.mulshift.rtl import SOURCE, instance
from streamfold.hw.mvau import cost as mvau_cost
from streamfold.hw.mvau.model import mvau
from streamfold.hw.mvau.params import MvauParams
from streamfold.hw.mvau.rtl import instance as mvau_instance
from streamfold.hw.registry import BLOCKS
from streamfold.ir import BIPOLAR, Graph, IntType, MaxPool, MulShift, Node, Value, verify
from streamfold.ir.dtypes import narrowest
from streamfold.ir.intervals import dot_interval
from streamfold.ir.ops import IntArray
from streamfold.ir.text import parse_graph, print_graph
from streamfold.sim import exact
from streamfold.sim.rtl import lint, simulate_instance

u2, u4, u8, u12 = (IntType(b, False) for b in (2, 4, 8, 12))
i2, i3, i4, i8, i12, i16, i20, i40 = (IntType(b, True) for b in (2, 3, 4, 8, 12, 16, 20, 40))
i5n = IntType(5, True, narrow=True)
DIST, BLOCK, REGS = MemStyle.DISTRIBUTED, MemStyle.BLOCK, MemStyle.REGISTERS


# ------------------------------------------------------------------------------------ helpers
def ms_graph(op: MulShift, in_dtype: IntType, out_dtype: IntType, channels: int) -> Graph:
    """A verified one-node hw graph x -> ms1 -> y."""
    node = Node("ms1", op, ("x",), Value("y", out_dtype, (channels,)))
    return verify(Graph("hw", (Value("x", in_dtype, (channels,)),), (node,), ("y",)))


def random_values(rng: np.random.Generator, dtype: IntType, shape: tuple[int, ...]) -> np.ndarray:
    if dtype.bipolar:
        return rng.choice(np.array([-1, 1]), size=shape)
    return rng.integers(dtype.min, dtype.max + 1, size=shape, dtype=np.int64)


@dataclass(frozen=True)
class Case:
    """A curated MulShift configuration: random constants of ``m_bits``-bit multipliers (of
    either sign) and shifts in [0, ``max_shift``], per channel unless ``per_tensor``."""

    channels: int
    in_dtype: IntType
    out_dtype: IntType
    pe: int
    mem_style: MemStyle
    m_bits: int = 8
    max_shift: int = 10
    per_tensor: bool = False

    def op(self, rng: np.random.Generator) -> MulShift:
        n = 1 if self.per_tensor else self.channels
        half = 1 << (self.m_bits - 1)
        m = rng.integers(-half, half, n)
        s = rng.integers(0, self.max_shift + 1, n)
        reach = (1 << (int(s.max()) + max(self.out_dtype.bits, 2))) + 1
        b = rng.integers(-reach, reach, n)
        return MulShift(*(tuple(int(v) for v in a) for a in (m, b, s)))

    def build(self, rng: np.random.Generator, frames: int) -> tuple[Graph, np.ndarray]:
        x = random_values(rng, self.in_dtype, (frames, self.channels))
        x[0], x[1] = self.in_dtype.min, self.in_dtype.max
        if not self.in_dtype.bipolar:  # small values make exact halves likely
            x[2:4] = rng.integers(-4, 5, x[2:4].shape).clip(self.in_dtype.min, self.in_dtype.max)
        return ms_graph(self.op(rng), self.in_dtype, self.out_dtype, self.channels), x

    @property
    def folding(self) -> NodeFolding:
        return NodeFolding(pe=self.pe, mem_style=self.mem_style)


def reference(x: np.ndarray, g: Graph) -> np.ndarray:
    """Plain Python: Fraction's round() rounds half to even; then the clamp."""
    op, out = g.nodes[0].op, g.nodes[0].output.dtype
    assert isinstance(op, MulShift)
    y = []
    for frame in x.tolist():
        row = []
        for c, v in enumerate(frame):
            m, b, s = (a[c % len(a)] for a in (op.multiplier, op.bias, op.shift))
            if out.bipolar:
                row.append(1 if v * m + b >= 0 else -1)
            else:
                row.append(min(max(round(Fraction(v * m + b, 1 << s)), out.min), out.max))
        y.append(row)
    return np.array(y, dtype=np.int64)


CASES = [
    pytest.param(Case(16, i16, u8, 4, DIST, m_bits=16, max_shift=20), id="per-channel-i16-to-u8"),
    pytest.param(Case(12, i12, i4, 3, BLOCK, per_tensor=True), id="per-tensor-non-power-of-two"),
    pytest.param(Case(8, i8, BIPOLAR, 8, REGS), id="fully-parallel-bipolar-out"),
    pytest.param(Case(10, u8, u2, 1, REGS, m_bits=3, max_shift=3), id="fully-folded-ties"),
    pytest.param(Case(6, i40, i8, 2, DIST, m_bits=12, max_shift=40), id="wide-accumulator"),
    pytest.param(Case(4, i12, i5n, 2, DIST, m_bits=6, max_shift=0), id="no-shift-narrow-out"),
]
STALL_FRAMES = 32
TIMING_FRAMES = 12


# ------------------------------------------------------------------------ L0: params, folding
def test_params_of_reads_the_node_and_counts_pixels() -> None:
    op = MulShift((3,), (-2,), (1,))
    g = ms_graph(op, i8, u4, 5)
    p = params_of(g, g.nodes[0])
    assert (p.channels, p.in_dtype, p.out_dtype, p.pixels) == (5, i8, u4, 1)
    assert (p.multiplier, p.bias, p.shift) == ((3,), (-2,), (1,))
    node = Node("ms2", op, ("x",), Value("y", u4, (2, 3)))
    g2 = Graph("hw", (Value("x", i8, (2, 3)),), (node,), ("y",))
    assert (params_of(g2, node).channels, params_of(g2, node).pixels) == (2, 3)
    assert BLOCKS[MulShift] is MULSHIFT


def test_params_of_refuses_other_ops_and_bad_constants() -> None:
    g = ms_graph(MulShift((1,), (0,), (0,)), i8, u4, 4)
    pool = Node("pool", MaxPool((2,), (2,)), ("x",), g.nodes[0].output)
    with pytest.raises(IRError, match=r"^pool: op must be MulShift, not MaxPool$"):
        params_of(g, pool)
    bad = Node("ms3", MulShift((1, 2), (0,), (0,)), ("x",), g.nodes[0].output)
    with pytest.raises(IRError, match=r"^ms3: multiplier must have 1 or 4 entries, not 2$"):
        params_of(g, bad)
    neg = Node("ms4", MulShift((1,), (0,), (-1,)), ("x",), g.nodes[0].output)
    with pytest.raises(IRError, match=r"^ms4: shift must be >= 0, not -1$"):
        params_of(g, neg)


def test_hw_constants_share_the_largest_shift() -> None:
    p = MulShiftParams(3, i8, u4, (3, -5, 1), (1, 2, -7), (2, 0, 3))
    k = hw_constants(p)
    assert (k.multiplier, k.bias, k.shift) == ((6, -40, 1), (2, 16, -7), 3)
    assert (k.m_dtype, k.b_dtype) == (IntType(7, True), IntType(6, True))


@pytest.fixture
def ms1_params() -> MulShiftParams:
    g = ms_graph(MulShift((1,), (0,), (0,)), i8, u4, 6)
    return params_of(g, g.nodes[0])


def test_foldings_enumerate_pe_divisors_and_styles(ms1_params: MulShiftParams) -> None:
    found = list(foldings(ms1_params))
    assert sorted({f.pe for f in found}) == [1, 2, 3, 6]
    assert len(found) == 4 * len(MemStyle) == len(set(found))
    for f in found:
        check_folding("ms1", ms1_params, f)


@pytest.mark.parametrize(
    "pe, simd, message",
    [
        (4, 1, r"^ms1: pe=4 must divide channels=6$"),
        (1, 2, r"^ms1: simd must be 1 for MulShift, not 2$"),
        (0, 1, r"^ms1: pe must be >= 1, not 0$"),
    ],
)
def test_illegal_folding_names_node_and_constraint(
    ms1_params: MulShiftParams, pe: int, simd: int, message: str
) -> None:
    with pytest.raises(FoldingError, match=message):
        check_folding("ms1", ms1_params, NodeFolding(pe=pe, simd=simd))
    with pytest.raises(FoldingError, match=message):
        instance(ms1_params, NodeFolding(pe=pe, simd=simd), "ms1")


def test_cycles_and_latency_formulas(ms1_params: MulShiftParams) -> None:
    assert cost.cycles(ms1_params, NodeFolding(pe=1)) == 6
    assert cost.cycles(ms1_params, NodeFolding(pe=3)) == 2
    assert cost.latency(ms1_params, NodeFolding(pe=2)) == 5


def test_instance_parameters_image_and_streams() -> None:
    # common shift 2: channel 0 (m 3, b -1, s 2), channel 1 (m -2, b 1, s 1) -> (-4, 2)
    g = ms_graph(MulShift((3, -2), (-1, 1), (2, 1)), u4, i3, 2)
    inst = instance(params_of(g, g.nodes[0]), NodeFolding(pe=2, mem_style=REGS), "ms9")
    assert inst.module == "sf_mulshift" and inst.sources == (SOURCE,)
    assert inst.parameters == (
        ("CHANNELS", 2), ("PE", 2),
        ("IN_BITS", 4), ("IN_SIGNED", 0), ("IN_BIPOLAR", 0),
        ("M_BITS", 3), ("B_BITS", 3), ("SHIFT", 2),
        ("OUT_BITS", 3), ("OUT_MIN", -4), ("OUT_MAX", 3), ("OUT_BIPOLAR", 0),
        ("MEM_STYLE", "registers"), ("CONST_FILE", "ms9_constants.hex"),
    )  # fmt: skip
    # element = b << 3 | m (6 bits): ch0 (-1 -> 7) << 3 | 3 = 0x3b; ch1 2 << 3 | (-4 -> 4) = 0x14
    assert inst.memories == (("ms9_constants.hex", f"{0x14 << 6 | 0x3B:03x}\n"),)
    assert (inst.stream_in.dtype, inst.stream_in.elems, inst.stream_in.vector) == (u4, 2, 2)
    assert (inst.stream_out.dtype, inst.stream_out.elems, inst.stream_out.vector) == (i3, 2, 2)


# --------------------------------------------------------------------- L2: model vs references
MODEL_CASES = [
    *CASES,
    pytest.param(Case(6, BIPOLAR, i3, 2, DIST, m_bits=4, max_shift=2), id="bipolar-inputs"),
    pytest.param(Case(5, u12, u8, 5, DIST, m_bits=2, max_shift=6), id="tiny-multipliers"),
]


@pytest.mark.parametrize("case", MODEL_CASES)
def test_model_matches_plain_python_reference(rng: np.random.Generator, case: Case) -> None:
    g, x = case.build(rng, 48)
    np.testing.assert_array_equal(mulshift(params_of(g, g.nodes[0]), x), reference(x, g))


@pytest.mark.parametrize("case", MODEL_CASES)
def test_model_matches_sim_exact(rng: np.random.Generator, case: Case) -> None:
    g, x = case.build(rng, 64)
    p = MULSHIFT.params(g, g.nodes[0])
    np.testing.assert_array_equal(MULSHIFT.model(p, x), exact.run_single(g, x))


def test_model_rounds_exact_halves_to_even() -> None:
    # (x + 0) / 2: 1/2 -> 0, 3/2 -> 2, 5/2 -> 2, -1/2 -> 0, -3/2 -> -2
    g = ms_graph(MulShift((1,), (0,), (1,)), i8, i8, 1)
    x = np.array([[1], [3], [5], [-1], [-3]])
    np.testing.assert_array_equal(mulshift(params_of(g, g.nodes[0]), x), [[0], [2], [2], [0], [-2]])


# ------------------------------------------------------------------------- L3: RTL vs model
def rtl_case(
    rng: np.random.Generator, case: Case, frames: int
) -> tuple[MulShiftParams, RtlInstance, np.ndarray]:
    g, x = case.build(rng, frames)
    p = params_of(g, g.nodes[0])
    return p, instance(p, case.folding, "ms1"), x


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_matches_model_under_stalls(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    p, inst, x = rtl_case(rng, case, STALL_FRAMES)
    y, run = simulate_instance(inst, x, stall_in=0.25, stall_out=0.25, seed=1, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, mulshift(p, x))
    assert run.total_cycles > STALL_FRAMES * cost.cycles(p, case.folding)  # stalls happened
    y, _ = simulate_instance(inst, x, stall_in=0.0, stall_out=0.8, seed=2, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, mulshift(p, x))  # heavy backpressure: FIFO full


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_cycles_and_latency_match_cost(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    p, inst, x = rtl_case(rng, case, TIMING_FRAMES)
    y, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, mulshift(p, x))
    assert run.cycles_per_frame == cost.cycles(p, case.folding)
    assert run.latency == cost.latency(p, case.folding)


@pytest.mark.rtl
@pytest.mark.parametrize("case", MODEL_CASES)
def test_rtl_passes_lint(rng: np.random.Generator, rtl_cache: Path, case: Case) -> None:
    _, inst, _ = rtl_case(rng, case, 4)
    lint("sf_mulshift", [SOURCE], parameters=inst.parameters)


# -------------------------------------------------------------------- resources (calibrated)
@pytest.mark.parametrize("family", [Family.XILINX7, Family.ECP5])
def test_resources_grow_with_lanes_and_multiplier_width(family: Family) -> None:
    g16 = Case(16, i16, u8, 1, DIST, m_bits=16, max_shift=20).build(np.random.default_rng(3), 2)[0]
    g8 = Case(16, i16, u8, 1, DIST, m_bits=8, max_shift=20).build(np.random.default_rng(3), 2)[0]
    p16, p8 = params_of(g16, g16.nodes[0]), params_of(g8, g8.nodes[0])
    one, four = (cost.resources(p16, NodeFolding(pe=pe), family) for pe in (1, 4))
    assert four.lut > 2 * one.lut and four.ff > one.ff and one.bram == 0
    assert cost.resources(p8, NodeFolding(pe=1), family).lut < one.lut
    block = cost.resources(p16, NodeFolding(pe=1, mem_style=BLOCK), family)
    assert block.bram >= 1


# ------------------------------------------------------------- L3: seeded random sweep (slow)
SWEEP_CONFIGS = int(os.environ.get("STREAMFOLD_MULSHIFT_SWEEP", "100"))
SWEEP_PER_BUILD = 5  # configurations sharing one build: same widths, new constants and inputs
SWEEP_IN = (BIPOLAR, u2, i4, u8, i8, i12, i16, i20, i40)
SWEEP_OUT = (BIPOLAR, u2, i2, i3, u4, i5n, u8, i8)


def pick(rng: np.random.Generator, options: tuple[Any, ...]) -> Any:
    return options[int(rng.integers(len(options)))]


def random_case(rng: np.random.Generator) -> Case:
    pe, cf = int(pick(rng, (1, 2, 3, 4, 8))), int(pick(rng, (1, 2, 3, 5)))
    style, per_tensor = pick(rng, tuple(MemStyle)), bool(rng.random() < 0.25)
    m_bits, max_shift = int(rng.integers(2, 17)), int(rng.integers(0, 24))
    x_t, out_t = pick(rng, SWEEP_IN), pick(rng, SWEEP_OUT)
    return Case(pe * cf, x_t, out_t, pe, style, m_bits, max_shift, per_tensor)


@pytest.mark.slow
@pytest.mark.rtl
def test_rtl_random_sweep(rtl_cache: Path) -> None:
    """Seeded random configurations: RTL == model == sim.exact under random stalls, and the
    cycle model exact; the constants (and so the widths) are drawn anew for every build."""
    rng = np.random.default_rng(2026)
    failures: list[str] = []
    builds: set[tuple[tuple[str, int | str], ...]] = set()
    start, done = time.monotonic(), 0
    while done < SWEEP_CONFIGS:
        case = random_case(rng)
        g, _ = case.build(rng, 2)
        for variant in range(min(SWEEP_PER_BUILD, SWEEP_CONFIGS - done)):
            x = case.build(rng, 8)[1]
            p = params_of(g, g.nodes[0])
            inst = instance(p, case.folding, "ms1")
            builds.add(inst.parameters)
            stall_in, stall_out = (float(v) for v in rng.uniform(0.0, 0.6, size=2))
            seed = int(rng.integers(1 << 30))
            y, _ = simulate_instance(
                inst, x, stall_in=stall_in, stall_out=stall_out, seed=seed, cache_dir=rtl_cache
            )
            expected = mulshift(p, x)
            ok = np.array_equal(y, expected) and np.array_equal(expected, exact.run_single(g, x))
            if variant == 0:
                _, timed = simulate_instance(
                    inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache
                )
                ok = ok and timed.latency == cost.latency(p, case.folding)
                ok = ok and timed.cycles_per_frame == cost.cycles(p, case.folding)
            if not ok:
                failures.append(f"{case} {g.nodes[0].op} seed={seed}")
            done += 1
    print(
        f"\nMulShift RTL sweep: {done} random configurations on {len(builds)} builds, "
        f"{done - len(failures)} passed, {len(failures)} failed, {time.monotonic() - start:.0f} s"
    )
    assert not failures, "\n".join(failures)


# ------------------------------------------------------- fused: the MVAU's multiply-shift stage
def fused_mvau(
    rng: np.random.Generator, out_t: IntType, pe: int, simd: int, style: MemStyle
) -> MvauParams:
    """A 12 -> 8 MVAU (u4 x i3) with random per-row multiply-shift constants."""
    w = rng.integers(-4, 4, (8, 12))
    acc = narrowest(*dot_interval(w, u4.min, u4.max))
    m, b, s = (tuple(int(v) for v in rng.integers(lo, hi, 8))
               for lo, hi in ((-200, 200), (-5000, 5000), (0, 9)))  # fmt: skip
    return MvauParams(12, 8, u4, i3, acc, out_t, IntArray(w), None, 1, m, b, s)


FUSED = [
    pytest.param(u8, 2, 3, DIST, id="u8-pe2-simd3"),
    pytest.param(i3, 4, 1, BLOCK, id="i3-pe4-block"),
    pytest.param(BIPOLAR, 1, 6, REGS, id="bipolar-pe1-registers"),
    pytest.param(i5n, 8, 12, REGS, id="fully-parallel-constants"),
]


@pytest.mark.rtl
@pytest.mark.parametrize(("out_t", "pe", "simd", "style"), FUSED)
def test_fused_mvau_rtl_matches_model_and_cycles(
    rng: np.random.Generator, rtl_cache: Path, out_t: IntType, pe: int, simd: int, style: MemStyle
) -> None:
    p = fused_mvau(rng, out_t, pe, simd, style)
    f = NodeFolding(pe=pe, simd=simd, mem_style=style)
    inst = mvau_instance(p, f, "mv1")
    lint("sf_mvau", list(inst.sources), parameters=inst.parameters)
    x = rng.integers(0, 16, (STALL_FRAMES, 12))
    y, _ = simulate_instance(inst, x, stall_in=0.25, stall_out=0.25, seed=1, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, mvau(p, x))
    y, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, mvau(p, x))
    assert run.cycles_per_frame == pytest.approx(mvau_cost.cycles(p, f), rel=0.02)
    assert run.latency == mvau_cost.latency(p, f)


def test_fused_model_is_the_accumulator_then_mulshift(rng: np.random.Generator) -> None:
    p = fused_mvau(rng, u8, 1, 1, DIST)
    x = rng.integers(0, 16, (16, 12))
    requant = p.requant()
    assert requant is not None
    acc = x @ p.weight.array.T
    np.testing.assert_array_equal(mvau(p, x), mulshift(requant, acc))


def test_fused_parameters_only_with_a_multiplier(rng: np.random.Generator) -> None:
    p = fused_mvau(rng, u8, 2, 3, DIST)
    f = NodeFolding(pe=2, simd=3)
    names = [n for n, _ in mvau_instance(p, f, "mv1").parameters]
    assert names[-7:] == ["MS", "MS_M_BITS", "MS_B_BITS", "MS_SHIFT", "MS_MIN", "MS_MAX",
                          "MS_FILE"]  # fmt: skip
    plain = replace(p, multiplier=(), bias=(), shift=(), out_dtype=p.acc_dtype)
    assert not [n for n, _ in mvau_instance(plain, f, "mv1").parameters if n.startswith("MS")]


def test_fused_mvau_text_round_trip_and_verify() -> None:
    text = (
        "graph hw\ninput x: u2[2]\nnode fc: Mvau(x) -> fc: u3[2]\n"
        "  weight = [2, 2] 1 -1 0 1\n  weight_dtype = i2\n  thresholds = none\n"
        "  per_pixel = False\n  multiplier = (3, 5)\n  bias = (1, -2)\n  shift = (1, 2)\n"
        "output fc\n"
    )
    g = parse_graph(text)
    assert print_graph(g) == text
    # W x = (2, 1): (2 * 3 + 1) / 2 = 3.5 rounds to 4 (even), (1 * 5 - 2) / 4 = 0.75 to 1
    np.testing.assert_array_equal(exact.run_single(g, np.array([[3, 1]])), [[4, 1]])
    both = text.replace("thresholds = none", "thresholds = [1, 7] 0 1 2 3 4 5 6")
    with pytest.raises(IRError, match="an Mvau takes thresholds or a multiply-shift, not both"):
        verify(parse_graph(both))


def test_crd_to_dcr_permutes_the_fused_constants(rng: np.random.Generator) -> None:
    from streamfold.ir.ops import DepthToSpace, DepthToSpaceMode, Mvau
    from streamfold.transforms.crd_to_dcr import crd_to_dcr

    w = rng.integers(-3, 4, (8, 3))  # 8 = 2 channels x 2 x 2, per pixel of a [3, 2, 2] map
    m, b, s = (
        tuple(int(v) for v in rng.integers(lo, hi, 8)) for lo, hi in ((1, 50), (-9, 9), (0, 4))
    )
    mv = Mvau(IntArray(w), i3, None, True, m, b, s)
    mv_node = Node("conv", mv, ("x",), Value("conv", i8, (8, 2, 2)))
    d2s = Node("d2s", DepthToSpace(2, DepthToSpaceMode.CRD), ("conv",), Value("y", i8, (2, 4, 4)))
    g = verify(Graph("hw", (Value("x", u4, (3, 2, 2)),), (mv_node, d2s), ("y",)))
    after = crd_to_dcr(g)
    op = after.nodes[0].op
    assert isinstance(op, Mvau) and op.multiplier != m  # rows permuted with the weights
    x = rng.integers(0, 16, (6, 3, 2, 2))
    np.testing.assert_array_equal(exact.run_single(after, x), exact.run_single(g, x))
