"""1-D and 2-D convolution pipelines at several samples (pixels) per cycle, end to end in
Verilator: sliding windows and per-pixel MVAUs at folding mmv > 1 (docs/mmv.md), stitched and
generated like any design, equal the exact reference under 25 % random stalls, and their
measured cycles per frame are the cycle model's (within 2 %) at 2, 4, 8 and 16 per cycle."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from cnn_nets import run_steady
from streamfold.codegen.top import stitch, write_build
from streamfold.cost.estimate import estimate_pipeline
from streamfold.dse.design_point import DesignPoint, folding_preset
from streamfold.errors import FoldingError
from streamfold.hw.block import MemStyle, NodeFolding
from streamfold.ir import Graph, IntArray, IntType, Mvau, Node, Value, verify
from streamfold.ir.dtypes import narrowest
from streamfold.ir.intervals import dot_interval
from streamfold.ir.ops import MaxPool, MulShift, SlidingWindow, Thresholding, Vvau
from streamfold.sim.design import load_manifest, simulate_build
from streamfold.sim.exact import run_single
from streamfold.sim.rtl import lint

u4, i4 = IntType(4, False), IntType(4, True)
FRAMES = 6


def conv_stack(
    rng: np.random.Generator, dims: tuple[int, ...], channels: tuple[int, ...], kernel: int
) -> Graph:
    """Valid convolutions of ``kernel`` (square in 2-D; a window + a per-pixel MVAU with
    thresholds to u4), one per pair of ``channels``, over a map of spatial ``dims``."""
    x = Value("x", u4, (channels[0], *dims))
    src, nodes, k = "x", [], (kernel,) * len(dims)
    for i, (c_in, c_out) in enumerate(itertools.pairwise(channels)):
        dims = tuple(d - kernel + 1 for d in dims)
        win = Value(f"win{i}", u4, (kernel ** len(dims) * c_in, *dims))
        nodes.append(Node(f"swg{i}", SlidingWindow(k, (1,) * len(dims)), (src,), win))
        weight = rng.integers(-8, 8, (c_out, win.shape[0]))
        lo, hi = dot_interval(weight, 0, 15)
        t = np.sort(rng.integers(lo // 4, hi // 4 + 1, (c_out, 15)), axis=1)
        op = Mvau(IntArray(weight), i4, IntArray(t), per_pixel=True)
        nodes.append(Node(f"conv{i}", op, (win.name,), Value(f"y{i}", u4, (c_out, *dims))))
        src = f"y{i}"
    return verify(Graph("hw", (x,), tuple(nodes), (src,)))


def point(graph: Graph, mmv: int, style: MemStyle = MemStyle.REGISTERS) -> DesignPoint:
    nodes = []
    for node in graph.nodes:
        if isinstance(node.op, SlidingWindow):
            channels = graph.value(node.inputs[0]).shape[0]
            folding = NodeFolding(simd=channels, mem_style=style, mmv=mmv)
        else:
            assert isinstance(node.op, Mvau)
            out_f, in_f = node.op.weight.shape
            folding = NodeFolding(out_f, in_f, style, mmv=mmv)
        nodes.append((node.name, folding))
    return DesignPoint(tuple(nodes))


# (mmv, dims, channels, kernel): output widths divisible by mmv at every layer
CASES = [
    pytest.param(2, (68,), (1, 4), 5, id="1d-1-conv-2-per-cycle"),
    pytest.param(4, (72,), (1, 4, 2), 5, id="1d-2-conv-4-per-cycle"),
    pytest.param(8, (80,), (1, 4, 1), 9, id="1d-2-conv-8-per-cycle"),
    pytest.param(16, (132,), (1, 3), 5, id="1d-1-conv-16-per-cycle"),
    pytest.param(16, (160,), (1, 2, 2), 17, id="1d-2-conv-16-per-cycle"),
    pytest.param(2, (8, 12), (2, 3, 2), 3, id="2d-2-conv-2-per-cycle"),
    pytest.param(4, (9, 12), (1, 2, 2), 5, id="2d-2-conv-4-per-cycle"),
    pytest.param(8, (5, 18), (1, 3), 3, id="2d-1-conv-8-per-cycle"),
    pytest.param(16, (4, 34), (2, 3), 3, id="2d-1-conv-16-per-cycle"),
]


@pytest.mark.rtl
@pytest.mark.parametrize(("mmv", "dims", "channels", "kernel"), CASES)
def test_pipeline_bit_exact_at_predicted_interval(
    rng: np.random.Generator,
    tmp_path: Path,
    mmv: int,
    dims: tuple[int, ...],
    channels: tuple[int, ...],
    kernel: int,
) -> None:
    graph = conv_stack(rng, dims, channels, kernel)
    preset = folding_preset(graph, f"samples={mmv}")
    assert [(n, replace(f, fifo_depth=2)) for n, f in preset.nodes] == list(
        point(graph, mmv, MemStyle.DISTRIBUTED).nodes
    )
    design = stitch(graph, preset)
    est = estimate_pipeline(design)
    build = write_build(design, tmp_path / "build")
    codes = rng.integers(0, 16, (FRAMES, channels[0], *dims))
    expected = run_single(graph, codes).reshape(FRAMES, -1)
    stalled, _ = simulate_build(build, codes, stall_in=0.25, stall_out=0.25, seed=4)
    np.testing.assert_array_equal(stalled, expected)
    free, run, first = run_steady(build, design, codes)
    np.testing.assert_array_equal(free, expected)
    measured = run.cycles_per_frame_from(first)
    assert measured == pytest.approx(est.interval, rel=0.02)
    # mmv pixels per cycle: the first (largest) layer's windows, mmv per cycle, set the pace
    first = graph.value("win0").shape[1:]
    assert est.interval == int(np.prod(first)) // mmv


def test_mmv_on_a_block_without_multi_pixel_words_is_refused(rng: np.random.Generator) -> None:
    graph = conv_stack(rng, (68,), (1, 4), 5)

    pool = MaxPool((2,), (2,))  # max pooling takes one pixel per word
    t = Node("th", pool, ("y0",), Value("z", graph.value("y0").dtype, (4, 32)))
    g = verify(Graph("hw", graph.inputs, (*graph.nodes, t), ("z",)))
    p = DesignPoint((*point(graph, 2).nodes, ("th", NodeFolding(simd=4, mmv=2))))
    with pytest.raises(FoldingError, match=r"^th: mmv must be 1 \(this block takes one pixel"):
        stitch(g, p)


def test_samples_preset_names_the_node_mmv_does_not_fit(rng: np.random.Generator) -> None:
    graph = conv_stack(rng, (68,), (1, 4), 5)  # 64 windows
    with pytest.raises(FoldingError, match=r"^swg0: mmv=3 must divide out width=64$"):
        folding_preset(graph, "samples=3")
    with pytest.raises(FoldingError, match=r"^folding preset: samples=N needs a positive"):
        folding_preset(graph, "samples=0")
    one = folding_preset(graph, "samples=1")
    assert {f.mmv for _, f in one.nodes} == {1}


def test_window_into_its_equally_wide_multi_pixel_unit_gets_no_fifo(
    rng: np.random.Generator,
) -> None:
    """At mmv > 1 the window's word (mmv windows) is its MVAU's input word (mmv x SIMD): no
    FIFO between them, as at mmv = 1 (a 640-bit, 2-word FIFO per window cost 1,300 LUT4 on
    ECP5 in the 4-channel detector at 16 per cycle); the interval holds without it
    (test_pipeline_bit_exact_at_predicted_interval)."""
    graph = conv_stack(rng, (80,), (1, 4, 2), 5)  # 76 and 72 windows
    for mmv in (2, 4):
        depths = {n: f.fifo_depth for n, f in folding_preset(graph, f"samples={mmv}").nodes}
        assert depths["swg0"] == depths["swg1"] == 0, (mmv, depths)
        assert depths["conv0"] == 0 and depths["conv1"] > 0  # into a window; the output


@pytest.mark.rtl
@pytest.mark.parametrize("mmv", [4, 16])
def test_conv_then_standalone_requantizers_at_samples_preset(
    rng: np.random.Generator, tmp_path: Path, mmv: int
) -> None:
    """Window -> MVAU (accumulator out) -> multiply-shift -> thresholding, all at ``mmv``."""
    weight = rng.integers(-8, 8, (3, 5))
    acc = narrowest(*dot_interval(weight, 0, 15))
    win = Value("win", u4, (5, 64))
    nodes = (
        Node("swg", SlidingWindow((5,), (1,)), ("x",), win),
        Node("conv", Mvau(IntArray(weight), i4, None, per_pixel=True), ("win",),
             Value("acc", acc, (3, 64))),
        Node("rq", MulShift((37, -21, 55), (100, -7, 3), (6, 6, 6)), ("acc",),
             Value("q", IntType(8, True), (3, 64))),
        Node("th", Thresholding(IntArray(np.sort(rng.integers(-128, 128, (3, 15)), axis=1))),
             ("q",), Value("y", u4, (3, 64))),
    )  # fmt: skip
    graph = verify(Graph("hw", (Value("x", u4, (1, 68)),), nodes, ("y",)))
    point = folding_preset(graph, f"samples={mmv}")
    assert [f.mmv for _, f in point.nodes] == [mmv] * 4
    design = stitch(graph, point)
    est = estimate_pipeline(design)
    assert est.interval == 64 // mmv
    build = write_build(design, tmp_path / "build")
    codes = rng.integers(0, 16, (FRAMES, 1, 68))
    expected = run_single(graph, codes).reshape(FRAMES, -1)
    stalled, _ = simulate_build(build, codes, stall_in=0.25, stall_out=0.25, seed=8)
    np.testing.assert_array_equal(stalled, expected)
    free, run, first = run_steady(build, design, codes)
    np.testing.assert_array_equal(free, expected)
    assert run.cycles_per_frame_from(first) == pytest.approx(est.interval, rel=0.02)


@pytest.mark.rtl
@pytest.mark.parametrize(("mmv", "dims"), [(2, (6, 10)), (8, (4, 18)), (16, (66,))])
def test_depthwise_conv_at_samples_preset(
    rng: np.random.Generator, tmp_path: Path, mmv: int, dims: tuple[int, ...]
) -> None:
    """Window -> VVAU (depthwise, thresholds) at ``mmv``, 1-D and 2-D."""
    k = (3,) * len(dims)
    kk, c = 3 ** len(dims), 3
    out = tuple(d - 2 for d in dims)
    weight = rng.integers(-8, 8, (c, kk))
    lo, hi = dot_interval(weight, 0, 15)
    t = np.sort(rng.integers(lo // 4, hi // 4 + 1, (c, 15)), axis=1)
    nodes = (
        Node("swg", SlidingWindow(k, (1,) * len(dims)), ("x",), Value("win", u4, (kk * c, *out))),
        Node("dw", Vvau(IntArray(weight), i4, IntArray(t)), ("win",), Value("y", u4, (c, *out))),
    )
    graph = verify(Graph("hw", (Value("x", u4, (c, *dims)),), nodes, ("y",)))
    point = folding_preset(graph, f"samples={mmv}")
    assert [f.mmv for _, f in point.nodes] == [mmv] * 2
    design = stitch(graph, point)
    est = estimate_pipeline(design)
    assert est.interval == int(np.prod(out)) // mmv
    build = write_build(design, tmp_path / "build")
    manifest = load_manifest(build)  # the generated top, sf_swg_win and sf_vvau_mmv in it
    lint(manifest["top"], [build / src for src in manifest["sources"]])
    codes = rng.integers(0, 16, (FRAMES, c, *dims))
    expected = run_single(graph, codes).reshape(FRAMES, -1)
    stalled, _ = simulate_build(build, codes, stall_in=0.25, stall_out=0.25, seed=9)
    np.testing.assert_array_equal(stalled, expected)
    free, run, first = run_steady(build, design, codes)
    np.testing.assert_array_equal(free, expected)
    assert run.cycles_per_frame_from(first) == pytest.approx(est.interval, rel=0.02)
