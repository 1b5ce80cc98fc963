"""VVAU block: params and foldings (L0), model vs torch conv2d (L2), RTL vs model (L3), lint."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from streamfold.errors import FoldingError, IRError
from streamfold.hw.block import MemStyle, NodeFolding, RtlInstance
from streamfold.hw.mvau.rtl import TREE_SOURCE
from streamfold.hw.registry import BLOCKS
from streamfold.hw.vvau import cost
from streamfold.hw.vvau.block import VVAU
from streamfold.hw.vvau.model import vvau
from streamfold.hw.vvau.params import VvauParams, check_folding, foldings, params_of
from streamfold.hw.vvau.rtl import SOURCE, instance, weight_image
from streamfold.ir import BIPOLAR, Graph, IntArray, IntType, Node, Value, verify
from streamfold.ir.dtypes import narrowest
from streamfold.ir.intervals import dot_interval
from streamfold.ir.ops import Thresholding, Vvau
from streamfold.sim import exact
from streamfold.sim.rtl import lint, simulate_instance
from streamfold.sim.stream import from_stream_order

u1, u2, u4, u8 = (IntType(b, False) for b in (1, 2, 4, 8))
i2, i3, i4, i8 = (IntType(b, True) for b in (2, 3, 4, 8))
DIST, BLOCK, REGS = MemStyle.DISTRIBUTED, MemStyle.BLOCK, MemStyle.REGISTERS


# ------------------------------------------------------------------------------------ helpers
def vvau_graph(
    weight: np.ndarray,
    weight_dtype: IntType,
    in_dtype: IntType,
    out_hw: tuple[int, int],
    thresholds: np.ndarray | None = None,
    out_dtype: IntType | None = None,
) -> Graph:
    """A verified one-node hw graph windows -> dw1 -> y over ``out_hw`` output pixels."""
    channels, taps = weight.shape
    if out_dtype is None:
        out_dtype = narrowest(*dot_interval(weight, in_dtype.min, in_dtype.max))
    t = None if thresholds is None else IntArray(thresholds)
    node = Node(
        "dw1",
        Vvau(IntArray(weight), weight_dtype, t),
        ("x",),
        Value("y", out_dtype, (channels, *out_hw)),
    )
    return verify(Graph("hw", (Value("x", in_dtype, (taps * channels, *out_hw)),), (node,), ("y",)))


def random_values(rng: np.random.Generator, dtype: IntType, shape: tuple[int, ...]) -> np.ndarray:
    if dtype.bipolar:
        return rng.choice(np.array([-1, 1]), size=shape)
    return rng.integers(dtype.min, dtype.max + 1, size=shape)


def windows_of(images: np.ndarray, kernel: tuple[int, int]) -> np.ndarray:
    """Stream-order windows (frames, pixels * K * C) of images (frames, C, H, W), stride 1:
    per output pixel (row-major), positions (k_y, k_x) row-major, channels fastest."""
    _, channels, h, w = images.shape
    kh, kw = kernel
    out = [
        images[:, c, oy + ky, ox + kx]
        for oy in range(h - kh + 1)
        for ox in range(w - kw + 1)
        for ky in range(kh)
        for kx in range(kw)
        for c in range(channels)
    ]
    return np.stack(out, axis=1)


@dataclass(frozen=True)
class Case:
    """A curated VVAU configuration: channels, kernel, types, thresholds, folding."""

    channels: int
    kernel: tuple[int, int]
    in_dtype: IntType
    weight_dtype: IntType
    pe: int
    simd: int
    mem_style: MemStyle
    out_dtype: IntType | None = None  # thresholded output type, or None for the accumulator
    per_tensor: bool = False  # one threshold row for every channel

    @property
    def image_hw(self) -> tuple[int, int]:
        return self.kernel[0] + 1, self.kernel[1] + 2  # 2 x 3 output pixels

    @property
    def folding(self) -> NodeFolding:
        return NodeFolding(pe=self.pe, simd=self.simd, mem_style=self.mem_style)

    def build(self, rng: np.random.Generator, frames: int) -> tuple[Graph, np.ndarray, np.ndarray]:
        """(graph, images (frames, C, H, W), windows in stream order); the first two images at
        the input type's extremes."""
        taps = self.kernel[0] * self.kernel[1]
        w = random_values(rng, self.weight_dtype, (self.channels, taps))
        images = random_values(rng, self.in_dtype, (frames, self.channels, *self.image_hw))
        images[0], images[1] = self.in_dtype.min, self.in_dtype.max
        x = windows_of(images, self.kernel)
        out_hw = (self.image_hw[0] - self.kernel[0] + 1, self.image_hw[1] - self.kernel[1] + 1)
        if self.out_dtype is None:
            return vvau_graph(w, self.weight_dtype, self.in_dtype, out_hw), images, x
        lo, hi = dot_interval(w, self.in_dtype.min, self.in_dtype.max)
        acc = torch_depthwise(images, w, self.kernel)
        rows = 1 if self.per_tensor else self.channels
        n = self.out_dtype.levels - 1
        pool = np.concatenate([acc.ravel(), [lo - 3, lo, hi, hi + 1, hi + 5]])
        t = np.sort(rng.choice(pool, size=(rows, n)) + rng.integers(-1, 2, size=(rows, n)), axis=1)
        g = vvau_graph(w, self.weight_dtype, self.in_dtype, out_hw, t, self.out_dtype)
        return g, images, x


def torch_depthwise(images: np.ndarray, w: np.ndarray, kernel: tuple[int, int]) -> np.ndarray:
    """The accumulator from torch conv2d with groups=C on float64 (exact below 2**53), as
    (frames, pixels * C) channels-last."""
    channels = w.shape[0]
    weight = torch.tensor(w.reshape(channels, 1, *kernel), dtype=torch.float64)
    y = torch.nn.functional.conv2d(
        torch.tensor(images, dtype=torch.float64), weight, groups=channels
    )
    out = y.permute(0, 2, 3, 1).reshape(images.shape[0], -1).numpy()
    assert np.all(np.abs(out) < 2**53)
    return out.astype(np.int64)


def reference(g: Graph, images: np.ndarray, kernel: tuple[int, int]) -> np.ndarray:
    """torch's depthwise conv, then the thresholds counted in plain Python."""
    op = g.nodes[0].op
    assert isinstance(op, Vvau)
    acc = torch_depthwise(images, op.weight.array, kernel)
    if op.thresholds is None:
        return acc
    out_t = g.nodes[0].output.dtype
    t = op.thresholds.array.tolist()
    channels = op.weight.shape[0]
    y = np.zeros_like(acc)
    for f, frame in enumerate(acc.tolist()):
        for i, a in enumerate(frame):
            count = sum(1 for th in t[(i % channels) % len(t)] if a >= th)
            y[f, i] = 2 * count - 1 if out_t.bipolar else out_t.min + count
    return y


CASES = [
    pytest.param(Case(4, (3, 3), u4, i4, 1, 1, DIST), id="fully-folded"),
    pytest.param(Case(4, (3, 3), i4, i4, 4, 9, REGS, u2), id="fully-parallel-thresholds"),
    pytest.param(Case(6, (3, 3), i8, i2, 3, 1, BLOCK, i3), id="non-power-of-two-pe"),
    pytest.param(Case(6, (3, 3), u2, i3, 6, 3, DIST), id="pe-channels-simd-3"),
    pytest.param(
        Case(8, (3, 3), BIPOLAR, BIPOLAR, 2, 1, DIST, BIPOLAR), id="xnor-bipolar-thresholds"
    ),
    pytest.param(Case(6, (3, 3), BIPOLAR, BIPOLAR, 6, 9, BLOCK), id="xnor-accumulator"),
    pytest.param(
        Case(4, (3, 3), u2, BIPOLAR, 4, 9, BLOCK, u2, per_tensor=True),
        id="bipolar-weights-per-tensor",
    ),
    pytest.param(Case(5, (2, 2), i4, u1, 5, 2, REGS), id="one-bit-weights-signed-inputs"),
    pytest.param(Case(3, (3, 3), u8, i8, 1, 1, BLOCK, u4), id="u8-inputs-thresholds"),
    pytest.param(Case(4, (1, 1), i4, i4, 2, 1, DIST, i2), id="one-kernel-position"),
    pytest.param(Case(6, (1, 3), BIPOLAR, i4, 2, 1, REGS, u2), id="bipolar-inputs-1x3"),
]
STALL_FRAMES = 8
TIMING_FRAMES = 6


# ------------------------------------------------------------------------ L0: params, folding
def test_registered_for_vvau_nodes() -> None:
    assert BLOCKS[Vvau] is VVAU


def test_params_of_takes_the_accumulator_from_the_actual_weights() -> None:
    g = vvau_graph(np.array([[1, -2, 0, 1], [3, 0, 1, 1]]), i4, u2, (2, 2))
    p = params_of(g, g.nodes[0])
    # channel 0 spans -6 .. 6; channel 1 0 .. 15: [-6, 15] needs i5
    assert (p.channels, p.kernel, p.pixels, p.in_features) == (2, 4, 4, 8)
    assert (p.in_dtype, p.weight_dtype, p.acc_dtype) == (u2, i4, IntType(5, True))
    assert p.thresholds is None and p.n_thresholds == 0


def test_params_of_refuses_other_ops() -> None:
    g = vvau_graph(np.array([[1]]), i2, u2, (1, 1))
    node = Node("th", Thresholding(IntArray([[0]])), ("x",), g.nodes[0].output)
    with pytest.raises(IRError, match=r"^th: op must be Vvau, not Thresholding$"):
        params_of(g, node)


def test_output_type_must_hold_the_accumulator() -> None:
    g = vvau_graph(np.array([[1, -1]]), i2, u2, (1, 1))  # [-3, 3]
    node = Node("dw2", g.nodes[0].op, ("x",), Value("y", u8, (1, 1, 1)))
    with pytest.raises(IRError, match=r"^dw2: output type must hold \[-3, 3\], not u8$"):
        params_of(g, node)


def test_foldings_pair_simd_only_with_every_channel() -> None:
    g = vvau_graph(np.ones((4, 6), dtype=np.int64), i2, u2, (1, 1))
    p = params_of(g, g.nodes[0])
    found = list(foldings(p))
    pairs = sorted({(f.pe, f.simd) for f in found})
    assert pairs == [(1, 1), (2, 1), (4, 1), (4, 2), (4, 3), (4, 6)]
    assert len(found) == 6 * len(MemStyle) == len(set(found))
    for f in found:
        check_folding("dw1", p, f)


@pytest.fixture
def dw1_params() -> VvauParams:
    g = vvau_graph(np.ones((8, 9), dtype=np.int64), i2, u2, (4, 4))
    return params_of(g, g.nodes[0])


@pytest.mark.parametrize(
    "pe, simd, message",
    [
        (3, 1, r"^dw1: pe=3 must divide channels=8$"),
        (8, 2, r"^dw1: simd=2 must divide kernel positions=9$"),
        (4, 3, r"^dw1: pe must be channels=8 when simd=3 > 1 \(an input word is whole kernel "
         r"positions\), not 4$"),
        (0, 1, r"^dw1: pe must be >= 1, not 0$"),
        (1, -2, r"^dw1: simd must be >= 1, not -2$"),
    ],
)  # fmt: skip
def test_illegal_folding_names_node_and_constraint(
    dw1_params: VvauParams, pe: int, simd: int, message: str
) -> None:
    with pytest.raises(FoldingError, match=message):
        check_folding("dw1", dw1_params, NodeFolding(pe=pe, simd=simd))
    with pytest.raises(FoldingError, match=message):  # the RTL instance checks too
        instance(dw1_params, NodeFolding(pe=pe, simd=simd), "dw1")


def test_cycles_latency_and_needed_formulas(dw1_params: VvauParams) -> None:
    # 8 channels x 9 positions x 16 pixels: (8 / PE) * (9 / SIMD) cycles per pixel
    assert cost.cycles(dw1_params, NodeFolding(pe=1, simd=1)) == 16 * 72
    assert cost.cycles(dw1_params, NodeFolding(pe=2, simd=1)) == 16 * 36
    assert cost.cycles(dw1_params, NodeFolding(pe=8, simd=3)) == 16 * 3
    # (SF - 1) * NF + 5 registers + clog2(SIMD) tree levels
    assert cost.latency(dw1_params, NodeFolding(pe=1, simd=1)) == 8 * 8 + 5
    assert cost.latency(dw1_params, NodeFolding(pe=8, simd=3)) == 2 + 5 + 2
    assert cost.latency(dw1_params, NodeFolding(pe=8, simd=9)) == 0 + 5 + 4
    assert VVAU.needed is not None
    assert VVAU.needed(dw1_params, NodeFolding(pe=2, simd=1)) == 8 * 4 + 1


def test_weight_image_layout() -> None:
    # 2 channels x 4 positions; PE=2, SIMD=1: word k holds channels 0, 1 at position k
    w = np.array([[1, -2, 3, -4], [5, 6, -7, 0]])
    p = params_of(g := vvau_graph(w, i4, u2, (1, 1)), g.nodes[0])
    assert weight_image(p, NodeFolding(pe=2, simd=1)) == "51\n6e\n93\n0c\n"
    # PE=2, SIMD=2: word sf holds element p * 2 + s = w[p, 2 sf + s]
    assert weight_image(p, NodeFolding(pe=2, simd=2)) == "65e1\n09c3\n"
    # PE=1: words in stream order (position outer, channel inner)
    assert weight_image(p, NodeFolding(pe=1, simd=1)) == "1\n5\ne\n6\n3\n9\nc\n0\n"


def test_instance_parameters_images_and_streams() -> None:
    w = np.array([[1, -1], [2, 3], [0, 1], [1, 1]])
    t = np.array([[-100, 0, 2]])  # per tensor; -100 lies below the accumulator range
    g = vvau_graph(w, i3, u2, (2, 3), t, u2)
    p = params_of(g, g.nodes[0])
    assert p.acc_dtype == IntType(5, True)  # channel 0 spans -3..3, channel 1 0..15
    inst = instance(p, NodeFolding(pe=2, simd=1, mem_style=BLOCK), "dw7")
    assert inst.module == "sf_vvau" and inst.sources == (SOURCE, TREE_SOURCE)
    assert inst.parameters == (
        ("C", 4), ("K", 2), ("PE", 2), ("SIMD", 1),
        ("IN_BITS", 2), ("IN_SIGNED", 0), ("IN_BIPOLAR", 0),
        ("W_BITS", 3), ("W_SIGNED", 1), ("W_BIPOLAR", 0),
        ("ACC_BITS", 5), ("ACC_SIGNED", 1),
        ("N_THRESH", 3), ("T_BITS", 6),
        ("OUT_BITS", 2), ("OUT_MIN", 0), ("OUT_BIPOLAR", 0),
        ("MEM_STYLE", "block"),
        ("WEIGHT_FILE", "dw7_weights.hex"), ("THRESH_FILE", "dw7_thresholds.hex"),
    )  # fmt: skip
    memories = dict(inst.memories)
    assert list(memories) == ["dw7_weights.hex", "dw7_thresholds.hex"]
    assert memories["dw7_thresholds.hex"] == "080c02030\n080c02030\n"
    assert (inst.stream_in.elems, inst.stream_in.vector, inst.stream_in.dtype) == (2, 48, u2)
    assert (inst.stream_out.elems, inst.stream_out.vector, inst.stream_out.dtype) == (2, 24, u2)


# --------------------------------------------------------------------- L2: model vs references
@pytest.mark.parametrize("case", CASES)
def test_model_matches_torch_depthwise_conv(rng: np.random.Generator, case: Case) -> None:
    g, images, x = case.build(rng, 16)
    p = params_of(g, g.nodes[0])
    np.testing.assert_array_equal(vvau(p, x), reference(g, images, case.kernel))


@pytest.mark.parametrize("case", CASES)
def test_model_matches_sim_exact(rng: np.random.Generator, case: Case) -> None:
    g, _, x = case.build(rng, 16)
    p = VVAU.params(g, g.nodes[0])
    x_ir = from_stream_order(x, g.inputs[0].shape)
    y_ir = exact.run_single(g, x_ir.reshape(-1, *g.inputs[0].shape))
    y = from_stream_order(VVAU.model(p, x), g.nodes[0].output.shape)
    np.testing.assert_array_equal(y, y_ir.reshape(y.shape))


# ------------------------------------------------------------------------- L3: RTL vs model
def rtl_case(
    rng: np.random.Generator, case: Case, frames: int
) -> tuple[VvauParams, RtlInstance, np.ndarray]:
    g, _, x = case.build(rng, frames)
    p = params_of(g, g.nodes[0])
    return p, instance(p, case.folding, "dw1"), x


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_matches_model_under_stalls(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    p, inst, x = rtl_case(rng, case, STALL_FRAMES)
    y, run = simulate_instance(inst, x, stall_in=0.25, stall_out=0.25, seed=1, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, vvau(p, x))
    assert run.total_cycles > STALL_FRAMES * cost.cycles(p, case.folding)  # stalls happened


@pytest.mark.rtl
@pytest.mark.parametrize("case", [c for c in CASES if c.id in ("one-kernel-position",)])
def test_rtl_survives_heavy_backpressure(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    """An output ready only 1 cycle in 5 fills the output FIFO: the credits must hold."""
    p, inst, x = rtl_case(rng, case, STALL_FRAMES)
    y, _ = simulate_instance(inst, x, stall_in=0.0, stall_out=0.8, seed=3, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, vvau(p, x))


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_cycles_and_latency_match_cost(
    rng: np.random.Generator, rtl_cache: Path, case: Case
) -> None:
    p, inst, x = rtl_case(rng, case, TIMING_FRAMES)
    y, run = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache)
    np.testing.assert_array_equal(y, vvau(p, x))
    assert run.cycles_per_frame == cost.cycles(p, case.folding)
    assert run.latency == cost.latency(p, case.folding)


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES)
def test_rtl_passes_lint(rng: np.random.Generator, rtl_cache: Path, case: Case) -> None:
    _, inst, _ = rtl_case(rng, case, 2)
    lint("sf_vvau", list(inst.sources), parameters=inst.parameters)


# ------------------------------------------------------------- L3: seeded random sweep (slow)
SWEEP_CONFIGS = int(os.environ.get("STREAMFOLD_VVAU_SWEEP", "24"))
SWEEP_IN = (BIPOLAR, u1, u2, i2, u4, i4, u8)
SWEEP_W = (BIPOLAR, u1, i2, u2, i3, i4)
SWEEP_OUT = (None, None, BIPOLAR, u1, u2, i2, i3, u4)
SWEEP_KERNELS = ((1, 1), (1, 3), (2, 2), (3, 3), (3, 1), (5, 5))


def pick(rng: np.random.Generator, options: tuple[Any, ...]) -> Any:
    return options[int(rng.integers(len(options)))]


def random_case(rng: np.random.Generator) -> Case:
    kernel = pick(rng, SWEEP_KERNELS)
    pe, nf = int(pick(rng, (1, 2, 3, 4))), int(pick(rng, (1, 2, 3)))
    taps = kernel[0] * kernel[1]
    simds = [s for s in range(1, taps + 1) if taps % s == 0] if nf == 1 else [1]
    simd = int(pick(rng, tuple(simds)))
    out_t = pick(rng, SWEEP_OUT)
    per_tensor = out_t is not None and bool(rng.random() < 0.25)
    style = pick(rng, tuple(MemStyle))
    return Case(pe * nf, kernel, pick(rng, SWEEP_IN), pick(rng, SWEEP_W), pe, simd, style,
                out_t, per_tensor)  # fmt: skip


@pytest.mark.slow
@pytest.mark.rtl
def test_rtl_random_sweep(rtl_cache: Path) -> None:
    rng = np.random.default_rng(2026)
    failures: list[str] = []
    start = time.monotonic()
    for _ in range(SWEEP_CONFIGS):
        case = random_case(rng)
        g, _, x = case.build(rng, 4)
        p = params_of(g, g.nodes[0])
        inst = instance(p, case.folding, "dw1")
        stall_in, stall_out = (float(v) for v in rng.uniform(0.0, 0.5, size=2))
        seed = int(rng.integers(1 << 30))
        y, _ = simulate_instance(
            inst, x, stall_in=stall_in, stall_out=stall_out, seed=seed, cache_dir=rtl_cache
        )
        _, timed = simulate_instance(inst, x, stall_in=0.0, stall_out=0.0, cache_dir=rtl_cache)
        ok = np.array_equal(y, vvau(p, x))
        ok = ok and timed.latency == cost.latency(p, case.folding)
        ok = ok and timed.cycles_per_frame == cost.cycles(p, case.folding)
        if not ok:
            failures.append(f"{case} acc={p.acc_dtype} seed={seed}")
    print(
        f"\nVVAU RTL sweep: {SWEEP_CONFIGS} random configurations, "
        f"{SWEEP_CONFIGS - len(failures)} passed, {time.monotonic() - start:.0f} s"
    )
    assert not failures, "\n".join(failures)


# ------------------------------------------------------------------- resources (calibrated)
def test_resources_follow_the_memory_style(rng: np.random.Generator) -> None:
    """Weights in block RAM only with the block style; more PE lanes cost more LUTs. (Yosys
    agreement: the held-out check in tests/cost/test_calibration.py.)"""
    from streamfold.cost.devices import Family

    x7 = Family.XILINX7
    g = vvau_graph(random_values(rng, i4, (8, 9)), i4, u4, (4, 4))
    dw1_params = params_of(g, g.nodes[0])
    narrow = cost.resources(dw1_params, NodeFolding(pe=1, simd=1), x7)
    wide = cost.resources(dw1_params, NodeFolding(pe=8, simd=1), x7)
    block = cost.resources(dw1_params, NodeFolding(pe=8, simd=1, mem_style=BLOCK), x7)
    assert narrow.bram == wide.bram == 0 and block.bram > 0
    assert 0 < narrow.lut < wide.lut and narrow.ff < wide.ff
