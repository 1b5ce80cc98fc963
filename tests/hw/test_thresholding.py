"""Thresholding block: params and foldings (L0), model vs references (L2), RTL vs model (L3)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from streamfold.errors import FoldingError, IRError
from streamfold.hw.block import MemStyle, NodeFolding, RtlInstance
from streamfold.hw.thresholding import cost
from streamfold.hw.thresholding.block import THRESHOLDING
from streamfold.hw.thresholding.model import thresholding
from streamfold.hw.thresholding.params import (
    ThresholdingParams,
    check_folding,
    foldings,
    params_of,
)
from streamfold.hw.thresholding.rtl import SOURCE, instance
from streamfold.ir import (
    BIPOLAR,
    Graph,
    IntArray,
    IntType,
    MaxPool,
    Node,
    Thresholding,
    Value,
    verify,
)
from streamfold.sim import exact
from streamfold.sim.rtl import lint, simulate_instance

u1, u2, u4, u8 = (IntType(b, False) for b in (1, 2, 4, 8))
i2, i3, i6, i8, i16 = (IntType(b, True) for b in (2, 3, 6, 8, 16))
i3n = IntType(3, True, narrow=True)
DIST, BLOCK, REGS = MemStyle.DISTRIBUTED, MemStyle.BLOCK, MemStyle.REGISTERS


# ------------------------------------------------------------------------------------ helpers
def th_graph(thresholds: np.ndarray, in_dtype: IntType, out_dtype: IntType, channels: int) -> Graph:
    """A verified one-node hw graph x -> th1 -> y."""
    node = Node(
        "th1", Thresholding(IntArray(thresholds)), ("x",), Value("y", out_dtype, (channels,))
    )
    return verify(Graph("hw", (Value("x", in_dtype, (channels,)),), (node,), ("y",)))


def random_values(rng: np.random.Generator, dtype: IntType, shape: tuple[int, ...]) -> np.ndarray:
    if dtype.bipolar:
        return rng.choice(np.array([-1, 1]), size=shape)
    return rng.integers(dtype.min, dtype.max + 1, size=shape)


@dataclass(frozen=True)
class Case:
    """A curated thresholding configuration."""

    channels: int
    in_dtype: IntType
    out_dtype: IntType
    pe: int
    mem_style: MemStyle
    per_tensor: bool = False  # one threshold row for every channel

    def build(self, rng: np.random.Generator, frames: int) -> tuple[Graph, np.ndarray]:
        """Random ascending thresholds, some beyond the input range (clamped in hardware)."""
        x = random_values(rng, self.in_dtype, (frames, self.channels))
        x[0], x[1] = self.in_dtype.min, self.in_dtype.max
        rows = 1 if self.per_tensor else self.channels
        lo, hi = self.in_dtype.min - 2, self.in_dtype.max + 3
        t = np.sort(rng.integers(lo, hi, size=(rows, self.out_dtype.levels - 1)), axis=1)
        return th_graph(t, self.in_dtype, self.out_dtype, self.channels), x

    @property
    def folding(self) -> NodeFolding:
        return NodeFolding(pe=self.pe, mem_style=self.mem_style)


def reference(x: np.ndarray, g: Graph) -> np.ndarray:
    """Plain Python integers: count the thresholds each value reaches."""
    op, out_t = g.nodes[0].op, g.nodes[0].output.dtype
    assert isinstance(op, Thresholding)
    t = op.thresholds.array.tolist()
    y = []
    for frame in x.tolist():
        counts = [sum(1 for th in t[c % len(t)] if v >= th) for c, v in enumerate(frame)]
        y.append([2 * n - 1 if out_t.bipolar else out_t.min + n for n in counts])
    return np.array(y, dtype=np.int64)


CASES = [
    pytest.param(Case(16, i8, u2, 4, DIST), id="per-channel-i8-to-u2"),
    pytest.param(Case(12, u4, i3, 3, BLOCK, per_tensor=True), id="per-tensor-non-power-of-two"),
    pytest.param(Case(8, i6, BIPOLAR, 8, REGS), id="fully-parallel-bipolar-out"),
    pytest.param(Case(10, u8, u4, 1, REGS), id="fully-folded-15-thresholds"),
]
STALL_FRAMES = 32
TIMING_FRAMES = 12


# ------------------------------------------------------------------------ L0: params, folding
def test_params_of_reads_the_node() -> None:
    g = th_graph(np.array([[0, 4, 9]]), i8, u2, 5)
    p = params_of(g, g.nodes[0])
    assert (p.channels, p.in_dtype, p.out_dtype) == (5, i8, u2)
    assert p.thresholds == IntArray([[0, 4, 9]])


def test_params_of_refuses_other_ops_and_counts_pixels() -> None:
    g = th_graph(np.array([[0]]), i8, u1, 4)
    pool = Node("pool", MaxPool((2,), (2,)), ("x",), g.nodes[0].output)
    with pytest.raises(IRError, match=r"^pool: op must be Thresholding, not MaxPool$"):
        params_of(g, pool)
    node = Node("th2", Thresholding(IntArray([[0]])), ("x",), Value("y", u1, (2, 3)))
    g2 = Graph("hw", (Value("x", i8, (2, 3)),), (node,), ("y",))
    p = params_of(g2, node)  # a [C, L] map: channel vectors, one per pixel, channels-last
    assert (p.channels, p.pixels) == (2, 3)


def test_foldings_enumerate_pe_divisors_and_styles() -> None:
    g = th_graph(np.array([[0]]), i8, u1, 6)
    p = params_of(g, g.nodes[0])
    found = list(foldings(p))
    assert sorted({f.pe for f in found}) == [1, 2, 3, 6]
    assert {f.simd for f in found} == {1}
    assert len(found) == 4 * len(MemStyle) == len(set(found))
    for f in found:
        check_folding("th1", p, f)


@pytest.fixture
def th1_params() -> ThresholdingParams:
    g = th_graph(np.array([[0]]), i8, u1, 6)
    return params_of(g, g.nodes[0])


@pytest.mark.parametrize(
    "pe, simd, message",
    [
        (4, 1, r"^th1: pe=4 must divide channels=6$"),
        (1, 2, r"^th1: simd must be 1 for Thresholding, not 2$"),
        (0, 1, r"^th1: pe must be >= 1, not 0$"),
    ],
)
def test_illegal_folding_names_node_and_constraint(
    th1_params: ThresholdingParams, pe: int, simd: int, message: str
) -> None:
    with pytest.raises(FoldingError, match=message):
        check_folding("th1", th1_params, NodeFolding(pe=pe, simd=simd))
    with pytest.raises(FoldingError, match=message):
        instance(th1_params, NodeFolding(pe=pe, simd=simd), "th1")


def test_cycles_and_latency_formulas(th1_params: ThresholdingParams) -> None:
    assert cost.cycles(th1_params, NodeFolding(pe=1)) == 6
    assert cost.cycles(th1_params, NodeFolding(pe=3)) == 2
    assert cost.cycles(th1_params, NodeFolding(pe=6)) == 1
    assert cost.latency(th1_params, NodeFolding(pe=2)) == 3


def test_instance_parameters_image_and_streams() -> None:
    # per-channel thresholds on u2 inputs [0, 3]: clamped to [0, 4], stored as i4
    t = np.array([[-5, 1, 2], [0, 3, 99], [1, 1, 1], [2, 3, 4]])
    g = th_graph(t, u2, i2, 4)
    inst = instance(params_of(g, g.nodes[0]), NodeFolding(pe=2, mem_style=REGS), "th9")
    assert inst.module == "sf_thresholding" and inst.sources == (SOURCE,)
    assert inst.parameters == (
        ("CHANNELS", 4), ("PE", 2),
        ("IN_BITS", 2), ("IN_SIGNED", 0), ("IN_BIPOLAR", 0),
        ("N_THRESH", 3), ("T_BITS", 4),
        ("OUT_BITS", 2), ("OUT_MIN", -2), ("OUT_BIPOLAR", 0),
        ("MEM_STYLE", "registers"), ("THRESH_FILE", "th9_thresholds.hex"),
    )  # fmt: skip
    # word 0, element p*3 + k, 4 bits each: (0, 1, 2, 0, 3, 4) -> 0x430210
    # word 1: (1, 1, 1, 2, 3, 4) -> 0x432111
    assert inst.memories == (("th9_thresholds.hex", "430210\n432111\n"),)
    assert (inst.stream_in.dtype, inst.stream_in.elems, inst.stream_in.vector) == (u2, 2, 4)
    assert (inst.stream_out.dtype, inst.stream_out.elems, inst.stream_out.vector) == (i2, 2, 4)


# --------------------------------------------------------------------- L2: model vs references
MODEL_CASES = [
    *CASES,
    pytest.param(Case(6, BIPOLAR, i3n, 2, DIST), id="bipolar-inputs"),
    pytest.param(Case(5, i16, u1, 5, DIST, per_tensor=True), id="one-threshold-per-tensor"),
]


@pytest.mark.parametrize("case", MODEL_CASES)
def test_model_matches_plain_python_reference(rng: np.random.Generator, case: Case) -> None:
    g, x = case.build(rng, 32)
    np.testing.assert_array_equal(thresholding(params_of(g, g.nodes[0]), x), reference(x, g))


@pytest.mark.parametrize("case", MODEL_CASES)
def test_model_matches_sim_exact(rng: np.random.Generator, case: Case) -> None:
    g, x = case.build(rng, 64)
    p = THRESHOLDING.params(g, g.nodes[0])
    np.testing.assert_array_equal(THRESHOLDING.model(p, x), exact.run_single(g, x))


def test_model_handles_thresholds_beyond_int64() -> None:
    g = th_graph(np.array([[-(2**70), 0, 2**70]], dtype=object), i8, u2, 3)
    x = np.array([[-128, 0, 127]])
    np.testing.assert_array_equal(thresholding(params_of(g, g.nodes[0]), x), [[1, 2, 2]])


# ------------------------------------------------------------------------- L3: RTL vs model
def rtl_case(
    rng: np.random.Generator, case: Case, frames: int
) -> tuple[ThresholdingParams, RtlInstance, np.ndarray]:
    g, x = case.build(rng, frames)
    p = params_of(g, g.nodes[0])
    return p, instance(p, case.folding, "th1"), x


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_matches_model_under_stalls(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    p, inst, x = rtl_case(rng, case, STALL_FRAMES)
    y, run = simulate_instance(inst, x, stall_in=0.25, stall_out=0.25, seed=1, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, thresholding(p, x))
    assert run.total_cycles > STALL_FRAMES * cost.cycles(p, case.folding)  # stalls happened
    y, _ = simulate_instance(inst, x, stall_in=0.0, stall_out=0.8, seed=2, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, thresholding(p, x))  # heavy backpressure: FIFO full


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_cycles_and_latency_match_cost(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    p, inst, x = rtl_case(rng, case, TIMING_FRAMES)
    y, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, thresholding(p, x))
    assert run.cycles_per_frame == pytest.approx(cost.cycles(p, case.folding), rel=0.02)
    assert run.latency == cost.latency(p, case.folding)


@pytest.mark.rtl
@pytest.mark.parametrize("case", MODEL_CASES)
def test_rtl_passes_lint(rng: np.random.Generator, rtl_cache: Path, case: Case) -> None:
    _, inst, _ = rtl_case(rng, case, 2)
    lint("sf_thresholding", [SOURCE], parameters=inst.parameters)


# ------------------------------------------------------------- L3: seeded random sweep (slow)
SWEEP_CONFIGS = int(os.environ.get("STREAMFOLD_THRESHOLDING_SWEEP", "100"))
SWEEP_PER_BUILD = 5  # configurations sharing one build: new thresholds, inputs, stalls
SWEEP_IN = (BIPOLAR, u1, u2, i2, u4, i6, u8, i8)
SWEEP_OUT = (BIPOLAR, u1, u2, i2, i3n, i3, u4)


def pick(rng: np.random.Generator, options: tuple[Any, ...]) -> Any:
    return options[int(rng.integers(len(options)))]


def random_case(rng: np.random.Generator) -> Case:
    pe, cf = int(pick(rng, (1, 2, 3, 4, 8))), int(pick(rng, (1, 2, 3, 5, 8)))
    style, per_tensor = pick(rng, tuple(MemStyle)), bool(rng.random() < 0.25)
    return Case(pe * cf, pick(rng, SWEEP_IN), pick(rng, SWEEP_OUT), pe, style, per_tensor)


@pytest.mark.slow
@pytest.mark.rtl
def test_rtl_random_sweep(rtl_cache: Path) -> None:
    rng = np.random.default_rng(2025)
    failures: list[str] = []
    builds: set[tuple[tuple[str, int | str], ...]] = set()
    start, done = time.monotonic(), 0
    while done < SWEEP_CONFIGS:
        case = random_case(rng)
        for variant in range(min(SWEEP_PER_BUILD, SWEEP_CONFIGS - done)):
            g, x = case.build(rng, 8)
            p = params_of(g, g.nodes[0])
            inst = instance(p, case.folding, "th1")
            builds.add(inst.parameters)
            stall_in, stall_out = (float(v) for v in rng.uniform(0.0, 0.6, size=2))
            seed = int(rng.integers(1 << 30))
            y, _ = simulate_instance(
                inst, x, stall_in=stall_in, stall_out=stall_out, seed=seed, cache_dir=rtl_cache
            )
            expected = thresholding(p, x)
            ok = np.array_equal(y, expected) and np.array_equal(expected, exact.run_single(g, x))
            if variant == 0:
                _, timed = simulate_instance(
                    inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache
                )
                ok = ok and timed.latency == cost.latency(p, case.folding)
                ok = ok and timed.cycles_per_frame == cost.cycles(p, case.folding)
            if not ok:
                failures.append(f"{case} seed={seed}")
            done += 1
    print(
        f"\nThresholding RTL sweep: {done} random configurations on {len(builds)} builds, "
        f"{done - len(failures)} passed, {len(failures)} failed, {time.monotonic() - start:.0f} s"
    )
    assert not failures, "\n".join(failures)
