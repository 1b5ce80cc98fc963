"""MVAU block: params and foldings (L0), model vs references (L2), RTL vs model (L3), lint."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from streamfold.cost.resources import bram_banks
from streamfold.errors import FoldingError, IRError
from streamfold.hw.block import MemStyle, NodeFolding, RtlInstance
from streamfold.hw.mvau import cost
from streamfold.hw.mvau.block import MVAU
from streamfold.hw.mvau.model import mvau
from streamfold.hw.mvau.params import (
    MvauParams,
    bank_rows,
    bank_select_steps,
    check_folding,
    foldings,
    input_prefetch,
    params_of,
    weight_banks,
)
from streamfold.hw.mvau.rtl import SOURCE, TREE_SOURCE, instance, weight_image
from streamfold.ir import BIPOLAR, Graph, IntArray, IntType, Mvau, Node, Thresholding, Value, verify
from streamfold.ir.dtypes import narrowest
from streamfold.ir.intervals import dot_interval
from streamfold.sim import exact
from streamfold.sim.rtl import lint, simulate_instance

u1, u2, u4, u8 = (IntType(b, False) for b in (1, 2, 4, 8))
i2, i3, i4, i8, i16 = (IntType(b, True) for b in (2, 3, 4, 8, 16))
i2n, i4n = IntType(2, True, narrow=True), IntType(4, True, narrow=True)
DIST, BLOCK, REGS = MemStyle.DISTRIBUTED, MemStyle.BLOCK, MemStyle.REGISTERS


# ------------------------------------------------------------------------------------ helpers
def mvau_graph(
    weight: np.ndarray,
    weight_dtype: IntType,
    in_dtype: IntType,
    thresholds: np.ndarray | None = None,
    out_dtype: IntType | None = None,
) -> Graph:
    """A verified one-node hw graph x -> fc1 -> y."""
    out_f, in_f = weight.shape
    if out_dtype is None:
        out_dtype = narrowest(*dot_interval(weight, in_dtype.min, in_dtype.max))
    t = None if thresholds is None else IntArray(thresholds)
    op = Mvau(IntArray(weight), weight_dtype, t)
    node = Node("fc1", op, ("x",), Value("y", out_dtype, (out_f,)))
    return verify(Graph("hw", (Value("x", in_dtype, (in_f,)),), (node,), ("y",)))


def random_values(rng: np.random.Generator, dtype: IntType, shape: tuple[int, ...]) -> np.ndarray:
    if dtype.bipolar:
        return rng.choice(np.array([-1, 1]), size=shape)
    return rng.integers(dtype.min, dtype.max + 1, size=shape)


def random_inputs(rng: np.random.Generator, dtype: IntType, frames: int, n: int) -> np.ndarray:
    """Random frames, the first two at the type's extremes (all min, all max)."""
    x = random_values(rng, dtype, (frames, n))
    x[0], x[1] = dtype.min, dtype.max
    return x


def random_thresholds(
    rng: np.random.Generator, acc: np.ndarray, rows: int, n: int, lo: int, hi: int
) -> np.ndarray:
    """Ascending thresholds near the values ``acc`` takes (so every level occurs), a few of them
    outside [lo, hi] to exercise clamping; ``rows`` is 1 (per tensor) or one per output."""
    pool = np.concatenate([acc.ravel(), [lo - 3, lo, hi, hi + 1, hi + 5]])
    t = rng.choice(pool, size=(rows, n)) + rng.integers(-1, 2, size=(rows, n))
    return np.sort(t, axis=1)


@dataclass(frozen=True)
class Case:
    """A curated MVAU configuration: shapes, types, thresholds, folding."""

    in_features: int
    out_features: int
    in_dtype: IntType
    weight_dtype: IntType
    pe: int
    simd: int
    mem_style: MemStyle
    out_dtype: IntType | None = None  # thresholded output type, or a declared accumulator type
    thresholded: bool = False
    per_tensor: bool = False  # one threshold row for every output

    def build(self, rng: np.random.Generator, frames: int) -> tuple[Graph, np.ndarray]:
        w = random_values(rng, self.weight_dtype, (self.out_features, self.in_features))
        x = random_inputs(rng, self.in_dtype, frames, self.in_features)
        if not self.thresholded:
            return mvau_graph(w, self.weight_dtype, self.in_dtype, None, self.out_dtype), x
        assert self.out_dtype is not None
        lo, hi = dot_interval(w, self.in_dtype.min, self.in_dtype.max)
        acc = x @ w.T
        rows = 1 if self.per_tensor else self.out_features
        t = random_thresholds(rng, acc, rows, self.out_dtype.levels - 1, lo, hi)
        return mvau_graph(w, self.weight_dtype, self.in_dtype, t, self.out_dtype), x

    @property
    def folding(self) -> NodeFolding:
        return NodeFolding(pe=self.pe, simd=self.simd, mem_style=self.mem_style)


def reference(x: np.ndarray, g: Graph) -> np.ndarray:
    """Plain Python integers: sum of products, then count the thresholds reached."""
    op = g.nodes[0].op
    assert isinstance(op, Mvau)
    out_t = g.nodes[0].output.dtype
    w = op.weight.array.tolist()
    t = None if op.thresholds is None else op.thresholds.array.tolist()
    y = []
    for frame in x.tolist():
        row_out = []
        for r, row in enumerate(w):
            acc = sum(int(a) * int(b) for a, b in zip(row, frame, strict=True))
            if t is None:
                row_out.append(acc)
                continue
            count = sum(1 for th in t[r % len(t)] if acc >= th)
            row_out.append(2 * count - 1 if out_t.bipolar else out_t.min + count)
        y.append(row_out)
    return np.array(y, dtype=np.int64)


CASES = [
    pytest.param(Case(16, 8, u4, i4, 1, 1, DIST, out_dtype=i16), id="fully-folded-wide-out"),
    pytest.param(Case(16, 8, i4, i4, 8, 16, REGS, u2, True), id="fully-parallel-thresholds"),
    pytest.param(Case(36, 12, i8, i2, 3, 6, BLOCK, i3, True), id="non-power-of-two"),
    pytest.param(Case(64, 16, BIPOLAR, BIPOLAR, 4, 32, DIST), id="xnor-accumulator"),
    pytest.param(
        Case(32, 8, BIPOLAR, BIPOLAR, 2, 8, BLOCK, BIPOLAR, True), id="xnor-bipolar-thresholds"
    ),
    pytest.param(Case(24, 6, u2, BIPOLAR, 2, 4, REGS, u2, True), id="bipolar-weights-u2-inputs"),
    pytest.param(Case(20, 10, i8, i8, 2, 5, DIST), id="signed-8-bit-odd-simd"),
    pytest.param(
        Case(12, 4, BIPOLAR, i3, 4, 3, BLOCK, i2n, True, per_tensor=True),
        id="bipolar-inputs-per-tensor-thresholds",
    ),
    pytest.param(Case(8, 12, u8, u2, 3, 8, DIST, u4, True), id="one-synapse-fold-unsigned"),
    # SF = 1 with NF > 1: the one-word replay buffer, weights in block RAM and in registers
    pytest.param(Case(16, 12, i4, i4, 2, 16, BLOCK, u2, True), id="one-synapse-fold-block"),
    pytest.param(Case(32, 6, BIPOLAR, BIPOLAR, 1, 32, REGS), id="one-synapse-fold-xnor-regs"),
    pytest.param(Case(32, 4, i4, i4n, 4, 4, REGS), id="one-neuron-fold-narrow-weights"),
    pytest.param(Case(3, 2, u1, i2, 2, 3, DIST, u1, True), id="one-step-per-frame"),
    pytest.param(Case(8, 4, i16, i16, 2, 4, BLOCK), id="accumulator-over-32-bits"),
    # 1,100 words of 36 bits: 3 banks of 512 side by side (weight_banks), OPR = 2
    pytest.param(
        Case(990, 40, BIPOLAR, BIPOLAR, 4, 9, BLOCK, BIPOLAR, True), id="banked-xnor-thresholds"
    ),
    pytest.param(Case(495, 40, u2, i2, 2, 9, BLOCK), id="banked-accumulator"),
    # 4,608 words of 36 bits: 9 banks of 512, more than BANK_GROUP: the bank selected in two
    # registered steps (a group of 8 and one of 1 padded), OPR = 3
    pytest.param(Case(576, 72, u2, i4, 1, 9, BLOCK), id="banked-two-step-select"),
    # input replay buffers of 72 x 32 and 96 x 16 bits: block RAM (cost.memlib), read a cycle
    # ahead and registered again (IBUF_PREFETCH), after OPR = 0 and OPR = 1 weights
    pytest.param(Case(288, 4, u8, i2, 1, 4, DIST), id="prefetch-lut-weights"),
    pytest.param(Case(384, 4, u4, i4, 2, 4, BLOCK, u2, True), id="prefetch-block-weights"),
]
STALL_FRAMES = 24
TIMING_FRAMES = 12


# ------------------------------------------------------------------------ L0: params, folding
def test_params_of_takes_the_accumulator_from_the_actual_weights() -> None:
    w = np.array([[1, -2], [3, 0]])
    g = mvau_graph(w, i4, u2)
    p = params_of(g, g.nodes[0])
    # row 0 spans 0*1 + 3*-2 = -6 .. 3; row 1 spans 0 .. 9: [-6, 9] needs i5, not i4 x u2's i8
    assert (p.in_features, p.out_features) == (2, 2)
    assert (p.in_dtype, p.weight_dtype, p.acc_dtype) == (u2, i4, IntType(5, True))
    assert p.out_dtype == p.acc_dtype  # infer_types' choice for an unthresholded Mvau
    assert p.thresholds is None and p.n_thresholds == 0


def test_params_of_refuses_other_ops() -> None:
    g = mvau_graph(np.array([[1]]), i2, u2)
    node = Node("th", Thresholding(IntArray([[0]])), ("x",), g.nodes[0].output)
    with pytest.raises(IRError, match=r"^th: op must be Mvau, not Thresholding$"):
        params_of(g, node)


def test_foldings_enumerate_every_divisor_pair_and_style() -> None:
    g = mvau_graph(np.ones((4, 6), dtype=np.int64), i2, u2)
    p = params_of(g, g.nodes[0])
    found = list(foldings(p))
    pairs = sorted({(f.pe, f.simd) for f in found})
    assert pairs == [(pe, s) for pe in (1, 2, 4) for s in (1, 2, 3, 6)]
    assert len(found) == 12 * len(MemStyle) == len(set(found))
    for f in found:
        check_folding("fc1", p, f)


@pytest.fixture
def fc1_params() -> MvauParams:
    g = mvau_graph(np.ones((8, 64), dtype=np.int64), i2, u2)
    return params_of(g, g.nodes[0])


@pytest.mark.parametrize(
    "pe, simd, message",
    [
        (3, 1, r"^fc1: pe=3 must divide out_features=8$"),
        (1, 5, r"^fc1: simd=5 must divide in_features=64$"),
        (0, 1, r"^fc1: pe must be >= 1, not 0$"),
        (1, -2, r"^fc1: simd must be >= 1, not -2$"),
    ],
)
def test_illegal_folding_names_node_and_constraint(
    fc1_params: MvauParams, pe: int, simd: int, message: str
) -> None:
    with pytest.raises(FoldingError, match=message):
        check_folding("fc1", fc1_params, NodeFolding(pe=pe, simd=simd))
    with pytest.raises(FoldingError, match=message):  # the RTL instance checks too
        instance(fc1_params, NodeFolding(pe=pe, simd=simd), "fc1")


def test_cycles_and_latency_formulas(fc1_params: MvauParams) -> None:
    # 8 x 64: (8 / PE) * (64 / SIMD) cycles per frame
    assert cost.cycles(fc1_params, NodeFolding(pe=1, simd=1)) == 512
    assert cost.cycles(fc1_params, NodeFolding(pe=2, simd=16)) == 16
    assert cost.cycles(fc1_params, NodeFolding(pe=8, simd=64)) == 1
    # SF - 1 + 5 registers + clog2(SIMD) tree levels
    assert cost.latency(fc1_params, NodeFolding(pe=1, simd=1)) == 63 + 5
    assert cost.latency(fc1_params, NodeFolding(pe=2, simd=16)) == 3 + 5 + 4
    assert cost.latency(fc1_params, NodeFolding(pe=8, simd=64)) == 0 + 5 + 6
    # block RAM: its read registered again before the products (sf_mvau.v's OPR)
    assert cost.latency(fc1_params, NodeFolding(pe=2, simd=16, mem_style=BLOCK)) == 3 + 6 + 4


def test_operand_registers_grow_with_the_bank_select_steps() -> None:
    def opr(mw: int, mh: int, simd: int) -> int:
        w = np.resize(np.array([-8, 7], dtype=np.int64), (mh, mw))  # 4-bit weights
        g = mvau_graph(w, i4, u2)
        p = params_of(g, g.nodes[0])
        folding = NodeFolding(1, simd, BLOCK)
        assert cost.latency(p, folding) - cost.latency(p, replace(folding, mem_style=DIST)) == (
            cost.operand_registers(p, folding)
        )
        return cost.operand_registers(p, folding)

    assert opr(64, 8, 8) == 1  # 64 words: one block
    assert opr(576, 32, 9) == 2  # 2,048 words of 36 bits: 4 banks, one select step
    assert opr(576, 72, 9) == 3  # 9 banks: each group's bank, then the group
    assert [bank_select_steps(b) for b in (1, 2, 8, 9, 36)] == [0, 1, 1, 2, 2]


def test_deep_block_weight_memories_are_banked(rng: np.random.Generator) -> None:
    # 1,100 words x 36 bits: the cheapest shape is 512 x 36 (3 blocks), so 3 banks of 512
    g, _ = Case(990, 40, BIPOLAR, BIPOLAR, 4, 9, BLOCK, BIPOLAR, True).build(rng, 2)
    p, folding = params_of(g, g.nodes[0]), NodeFolding(pe=4, simd=9, mem_style=BLOCK)
    assert weight_banks(p, folding) == (3, 512)
    assert ("W_BANKS", 3) in instance(p, folding, "fc1").parameters
    # one more cycle: the row registered, then the bank selected (OPR = 2)
    assert cost.operand_registers(p, folding) == 2
    assert cost.latency(p, folding) == 110 - 1 + 1 + 2 + 1 + 4 + 3  # + clog2(9) tree levels
    for style in (DIST, REGS):  # only block RAM is banked
        assert weight_banks(p, NodeFolding(pe=4, simd=9, mem_style=style)) == (1, 1100)
    # TFC's first layer folded: 50,176 words of 1 bit in 16K x 1 blocks, of 2 bits in 8K x 2
    assert bram_banks(50176, 1) == (4, 16384)
    assert bram_banks(50176, 2) == (7, 8192)
    assert bram_banks(4096, 1) == (1, 4096)  # one block deep enough: not banked
    # 9,216 x 2 bits would fit one DP16KD as 1K x 18 (nine words a row, then a LUT mux)
    assert bram_banks(9216, 2) == (2, 8192)


def test_input_buffer_prefetched_where_it_becomes_block_ram(rng: np.random.Generator) -> None:
    def prefetch(case: Case) -> bool:
        g, _ = case.build(rng, 2)
        p = params_of(g, g.nodes[0])
        found = input_prefetch(p, case.folding)
        assert (("IBUF_PREFETCH", 1) in instance(p, case.folding, "fc").parameters) == found
        return found

    assert prefetch(Case(288, 4, u8, i2, 1, 4, DIST))  # 72 x 32: PDPW16KD / RAMB18E1
    assert prefetch(Case(384, 4, u4, i4, 2, 4, BLOCK, u2, True))  # 96 x 16: DP16KD on ECP5
    assert not prefetch(Case(384, 4, u4, i4, 4, 4, BLOCK, u2, True))  # NF = 1: no buffer
    assert not prefetch(Case(288, 8, u4, i4, 2, 2, BLOCK, u2, True))  # 144 x 8: LUT RAM
    assert not prefetch(Case(64, 16, u4, i4, 4, 8, DIST))  # 8 x 32: LUT RAM
    assert not prefetch(Case(495, 40, u2, i2, 2, 9, BLOCK))  # banked: read registered apart


def test_banked_weight_image_packs_banks_side_by_side() -> None:
    words = np.arange(5, dtype=np.int64).reshape(5, 1)
    # 2 banks of 4 rows: row r holds words r and 4 + r (0 past the last word)
    packed = bank_rows(words, 2, 4)
    assert packed.tolist() == [[0, 4], [1, 0], [2, 0], [3, 0]]
    assert bank_rows(words, 1, 5) is words


def test_weight_image_layout() -> None:
    # 2 x 4 weights, PE=2, SIMD=2: word sf holds rows 0, 1 at columns 2sf, 2sf+1, element p*2+s
    w = np.array([[1, -2, 3, -4], [5, 6, -7, 0]])
    p = params_of(g := mvau_graph(w, i4, u2), g.nodes[0])
    image = weight_image(p, NodeFolding(pe=2, simd=2))
    # word 0: elements (w00, w01, w10, w11) = (1, -2, 5, 6) -> 0x6 5 e 1; word 1: (3, -4, -7, 0)
    assert image == "65e1\n09c3\n"
    bip = params_of(g := mvau_graph(np.array([[1, -1, -1, 1]]), BIPOLAR, u2), g.nodes[0])
    assert weight_image(bip, NodeFolding(pe=1, simd=4)) == "9\n"  # bit 1 = +1


def test_instance_parameters_images_and_streams() -> None:
    w = np.array([[1, -1], [2, 3], [0, 1], [1, 1]])
    t = np.array([[-100, 0, 2]])  # per tensor; -100 lies below the accumulator range
    g = mvau_graph(w, i3, u2, t, u2)
    p = params_of(g, g.nodes[0])
    assert p.acc_dtype == IntType(5, True)  # row 0 spans -3..3, row 1 0..15
    inst = instance(p, NodeFolding(pe=2, simd=1, mem_style=BLOCK), "fc7")
    assert inst.module == "sf_mvau" and inst.sources == (SOURCE, TREE_SOURCE)
    assert inst.parameters == (
        ("MW", 2), ("MH", 4), ("PE", 2), ("SIMD", 1),
        ("IN_BITS", 2), ("IN_SIGNED", 0), ("IN_BIPOLAR", 0),
        ("W_BITS", 3), ("W_SIGNED", 1), ("W_BIPOLAR", 0),
        ("ACC_BITS", 5), ("ACC_SIGNED", 1),
        ("N_THRESH", 3), ("T_BITS", 6),  # thresholds clamp to i5 [-16, 15 + 1]: i6
        ("OUT_BITS", 2), ("OUT_MIN", 0), ("OUT_BIPOLAR", 0),
        ("MEM_STYLE", "block"),
        ("WEIGHT_FILE", "fc7_weights.hex"), ("THRESH_FILE", "fc7_thresholds.hex"),
    )  # fmt: skip
    memories = dict(inst.memories)
    assert list(memories) == ["fc7_weights.hex", "fc7_thresholds.hex"]
    # each word: rows 2nf, 2nf+1 x thresholds (-16, 0, 2) as 6-bit elements, 9 hex digits
    assert memories["fc7_thresholds.hex"] == "080c02030\n080c02030\n"
    assert (inst.stream_in.elems, inst.stream_in.vector, inst.stream_in.dtype) == (1, 2, u2)
    assert (inst.stream_out.elems, inst.stream_out.vector, inst.stream_out.dtype) == (2, 4, u2)


def test_output_type_must_hold_the_accumulator() -> None:
    g = mvau_graph(np.array([[1]]), BIPOLAR, BIPOLAR, None, BIPOLAR)
    with pytest.raises(IRError, match=r"^fc1: output type must hold \[-1, 1\], not bipolar$"):
        params_of(g, g.nodes[0])
    g = mvau_graph(np.array([[1, -1]]), i2, u2)  # [-3, 3]
    node = Node("fc2", g.nodes[0].op, ("x",), Value("y", u8, (1,)))  # an unverified graph
    with pytest.raises(IRError, match=r"^fc2: output type must hold \[-3, 3\], not u8$"):
        params_of(g, node)


# --------------------------------------------------------------------- L2: model vs references
MODEL_CASES = [*CASES, pytest.param(Case(40, 5, i16, i8, 1, 1, DIST), id="i16-inputs")]


@pytest.mark.parametrize("case", MODEL_CASES)
def test_model_matches_plain_python_reference(rng: np.random.Generator, case: Case) -> None:
    g, x = case.build(rng, 16)
    p = params_of(g, g.nodes[0])
    np.testing.assert_array_equal(mvau(p, x), reference(x, g))


@pytest.mark.parametrize("case", MODEL_CASES)
def test_model_matches_sim_exact(rng: np.random.Generator, case: Case) -> None:
    g, x = case.build(rng, 64)
    p = MVAU.params(g, g.nodes[0])
    np.testing.assert_array_equal(MVAU.model(p, x), exact.run_single(g, x))


# ------------------------------------------------------------------------- L3: RTL vs model
def rtl_case(
    rng: np.random.Generator, case: Case, frames: int
) -> tuple[MvauParams, RtlInstance, np.ndarray]:
    g, x = case.build(rng, frames)
    p = params_of(g, g.nodes[0])
    return p, instance(p, case.folding, "fc1"), x


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_matches_model_under_stalls(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    p, inst, x = rtl_case(rng, case, STALL_FRAMES)
    y, run = simulate_instance(inst, x, stall_in=0.25, stall_out=0.25, seed=1, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, mvau(p, x))
    assert run.total_cycles > STALL_FRAMES * cost.cycles(p, case.folding)  # stalls happened


BACKPRESSURE_CASES = [
    c for c in CASES if c.id in ("one-step-per-frame", "one-synapse-fold-unsigned")
]


@pytest.mark.rtl
@pytest.mark.parametrize("case", BACKPRESSURE_CASES)
def test_rtl_survives_heavy_backpressure(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    """An output ready only 1 cycle in 5 fills the output FIFO: the credits must hold."""
    p, inst, x = rtl_case(rng, case, STALL_FRAMES)
    y, _ = simulate_instance(inst, x, stall_in=0.0, stall_out=0.8, seed=3, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, mvau(p, x))


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_cycles_and_latency_match_cost(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    p, inst, x = rtl_case(rng, case, TIMING_FRAMES)
    y, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, mvau(p, x))
    assert run.cycles_per_frame == pytest.approx(cost.cycles(p, case.folding), rel=0.02)
    assert run.latency == cost.latency(p, case.folding)


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_passes_lint(rng: np.random.Generator, rtl_cache: Path, case: Case) -> None:
    _, inst, _ = rtl_case(rng, case, 2)
    lint("sf_mvau", [SOURCE, TREE_SOURCE], parameters=inst.parameters)


# ------------------------------------------------------------- L3: seeded random sweep (slow)
SWEEP_CONFIGS = int(os.environ.get("STREAMFOLD_MVAU_SWEEP", "200"))
SWEEP_PER_BUILD = 5  # configurations sharing one Verilator build (new weights, thresholds...)
SWEEP_IN = (BIPOLAR, u1, u2, i2, u4, i4, u8, i8)
SWEEP_W = (BIPOLAR, u1, i2, i2n, u2, i3, i4, i8)
SWEEP_OUT = (BIPOLAR, u1, u2, i2, i2n, i3, u4)


def pick(rng: np.random.Generator, options: tuple[Any, ...]) -> Any:
    return options[int(rng.integers(len(options)))]


def random_case(rng: np.random.Generator) -> Case:
    simd, pe = int(pick(rng, (1, 2, 3, 4, 5, 8, 16))), int(pick(rng, (1, 2, 3, 4, 8)))
    sf, nf = int(pick(rng, (1, 2, 3, 4, 7))), int(pick(rng, (1, 2, 3, 5)))
    x_t, w_t = pick(rng, SWEEP_IN), pick(rng, SWEEP_W)
    thresholded = bool(rng.random() < 0.5)
    out_t = pick(rng, SWEEP_OUT) if thresholded else None
    style = pick(rng, tuple(MemStyle))
    per_tensor = thresholded and bool(rng.random() < 0.25)
    return Case(simd * sf, pe * nf, x_t, w_t, pe, simd, style, out_t, thresholded, per_tensor)


def same_build_variant(
    rng: np.random.Generator, case: Case, acc: IntType | None, frames: int
) -> tuple[Graph, MvauParams, np.ndarray]:
    """New weights/inputs/thresholds for ``case``, preferring ones with accumulator ``acc``
    (so the build, whose parameters include ACC_BITS, is shared); any for ``acc=None``."""
    for _ in range(50):
        g, x = case.build(rng, frames)
        p = params_of(g, g.nodes[0])
        if acc is None or p.acc_dtype == acc:
            break
    return g, p, x


@pytest.mark.slow
@pytest.mark.rtl
def test_rtl_random_sweep(rtl_cache: Path) -> None:
    rng = np.random.default_rng(2024)
    failures: list[str] = []
    builds: set[tuple[tuple[str, int | str], ...]] = set()
    start, done = time.monotonic(), 0
    while done < SWEEP_CONFIGS:
        case = random_case(rng)
        acc: IntType | None = None
        for variant in range(min(SWEEP_PER_BUILD, SWEEP_CONFIGS - done)):
            g, p, x = same_build_variant(rng, case, acc, 8)
            acc = p.acc_dtype
            inst = instance(p, case.folding, "fc1")
            builds.add(inst.parameters)
            stall_in, stall_out = (float(v) for v in rng.uniform(0.0, 0.5, size=2))
            seed = int(rng.integers(1 << 30))
            y, _ = simulate_instance(
                inst, x, stall_in=stall_in, stall_out=stall_out, seed=seed, cache_dir=rtl_cache
            )
            expected = mvau(p, x)
            ok = np.array_equal(y, expected) and np.array_equal(expected, exact.run_single(g, x))
            if variant == 0:  # the schedule is a property of the build: time it once
                _, timed = simulate_instance(
                    inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache
                )
                ok = ok and timed.latency == cost.latency(p, case.folding)
                ok = ok and timed.cycles_per_frame == cost.cycles(p, case.folding)
            if not ok:
                failures.append(f"{case} acc={p.acc_dtype} seed={seed}")
            done += 1
    print(
        f"\nMVAU RTL sweep: {done} random configurations on {len(builds)} builds, "
        f"{done - len(failures)} passed, {len(failures)} failed, {time.monotonic() - start:.0f} s"
    )
    assert not failures, "\n".join(failures)
