"""Several samples per cycle in the folding search (docs/mmv.md, "In the search"): on the
peak detector (``builtin:peaks-w2a2``: four same-padded kernel-5 1-D convolutions over 128
samples, 1 input channel) one pixel per word stops at the first window's 5 x 128 = 640
cycles/frame; the ``samples=N`` designs reach 128 / N, and max-fps, min-resources and the
Pareto front take them where they fit. An MLP, which has no multi-pixel path, is unchanged."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from streamfold.cli import main
from streamfold.cost.design_cost import estimate_design
from streamfold.cost.devices import device
from streamfold.design import stitch
from streamfold.dse.design_point import (
    DesignPoint,
    folding_preset,
    for_samples,
    point_graph,
    preset_graph,
)
from streamfold.dse.samples import ladder
from streamfold.dse.search import Space, max_fps, min_resources, over_budget, pareto
from streamfold.errors import FoldingError, ResourceError
from streamfold.flow import build_design, load_graph, to_kernels
from streamfold.hw.block import MemStyle, NodeFolding
from streamfold.ir.graph import Graph
from streamfold.ir.ops import Pad
from streamfold.peaks.detector import peak_net
from streamfold.peaks.hardware import detector_graph
from streamfold.report.text import build_report
from streamfold.sim.exact import run_single

CLOCK_MHZ = 100.0
DEV = device("xc7z020")  # 53,200 LUTs: 70 % = 37,240
LENGTH = 128  # samples per frame
ONE_PIXEL = 5 * LENGTH  # the first window: 5 taps of 1 channel per sample


@pytest.fixture(scope="module")
def graph() -> Graph:
    return to_kernels(load_graph("builtin:peaks-w2a2"))


@pytest.fixture(scope="module")
def space(graph: Graph) -> Space:
    return Space(graph, DEV)


def test_one_pixel_per_word_stops_at_the_window(graph: Graph, space: Space) -> None:
    choice = max_fps(graph, DEV, CLOCK_MHZ, lut_cap=0.1, space=space)
    assert (choice.samples, choice.interval) == (1, ONE_PIXEL)
    assert re.match(
        r"^the structural ceiling: quantconv1d1_swg: 1 input channel, at least 640 cycles/frame "
        r"at any folding; the next faster design, samples=2 \(2 samples per word, 64 "
        r"cycles/frame\), needs LUT [\d,]+ > 5,320 \(10 % of xc7z020's LUTs\)$",
        choice.reason,
    ), choice.reason


# LUT estimates since products are priced by the weight bits each lane sees (2026-12-05):
# samples=2 6,508, samples=4 12,977, samples=8 25,915, samples=16 51,792 (and 149,986 FF, more
# than all of xc7z020's 106,400 and scarcer than the LUTs at 70 %)
OVER_70 = r"(LUT [\d,]+ > 37,240|FF [\d,]+ > 106,400)"  # samples=16: the scarcest one named


@pytest.mark.parametrize(("lut_cap", "samples"), [(0.2, 2), (0.3, 4), (0.7, 8)])
def test_max_fps_takes_the_most_samples_that_fit(
    graph: Graph, space: Space, lut_cap: float, samples: int
) -> None:
    choice = max_fps(graph, DEV, CLOCK_MHZ, lut_cap, space=space)
    assert choice.samples == samples
    assert choice.interval == LENGTH // samples
    assert over_budget(choice.estimate, lut_cap) is None
    over = OVER_70 if samples == 8 else rf"LUT [\d,]+ > {int(DEV.luts * lut_cap):,}"
    assert re.match(
        rf"^the next faster design, samples={2 * samples} \({2 * samples} samples per word, "
        rf"{LENGTH // samples // 2} cycles/frame\), needs {over} ",
        choice.reason,
    ), choice.reason
    # the whole-design estimate is the stitched design's on the folded graph
    folded = point_graph(graph, choice.point)
    assert not any(isinstance(n.op, Pad) for n in folded.nodes)
    whole = estimate_design(stitch(folded, choice.point), DEV, CLOCK_MHZ)
    assert whole.total == choice.estimate.total
    assert whole.pipeline.interval == choice.interval


def test_min_resources_beyond_one_pixel_takes_the_cheapest_samples_point(
    graph: Graph, space: Space
) -> None:
    # 60 cycles/frame: samples=2 (64) misses it, samples=4 (32) is the cheapest meeting it
    choice = min_resources(graph, DEV, CLOCK_MHZ * 1e6 / 60, CLOCK_MHZ, space=space)
    assert (choice.samples, choice.interval) == (4, 32)
    assert (
        choice.reason == "the fewest LUTs meeting 60 cycles/frame: samples=4 (4 samples per word)"
    )
    cheaper = min_resources(graph, DEV, CLOCK_MHZ * 1e6 / 64, CLOCK_MHZ, space=space)
    assert (cheaper.samples, cheaper.interval) == (2, 64)
    assert cheaper.luts < choice.luts
    # at one pixel per word the target is still met the old way
    slow = min_resources(graph, DEV, CLOCK_MHZ * 1e6 / ONE_PIXEL, CLOCK_MHZ, space=space)
    assert slow.samples == 1 and slow.interval <= ONE_PIXEL


def test_min_resources_beyond_every_samples_point_that_fits(graph: Graph, space: Space) -> None:
    """8 cycles/frame: samples=16 reaches it but needs more than 70 % of the LUTs (and more
    than all the flip-flops); 16 cycles/frame, samples=8, is within the budget."""
    with pytest.raises(
        ResourceError,
        match=r"^xc7z020: 12,500,000 frames/s at 100 MHz \(8 cycles/frame\): no folding reaches "
        r"it: quantconv1d1_swg: .*; the fastest with several samples per word within the budget "
        r"is samples=8, 6,250,000 frames/s \(16 cycles/frame\); samples=16 needs " + OVER_70 + "$",
    ):
        min_resources(graph, DEV, CLOCK_MHZ * 1e6 / 8, CLOCK_MHZ, space=space)
    assert min_resources(graph, DEV, CLOCK_MHZ * 1e6 / 16, CLOCK_MHZ, space=space).samples == 8


def test_pareto_front_holds_the_samples_points(graph: Graph, space: Space) -> None:
    front = pareto(graph, DEV, CLOCK_MHZ, space=space)
    assert [(c.samples, c.interval) for c in front if c.samples > 1] == [(2, 64), (4, 32), (8, 16)]
    assert [c.samples for c in front if c.interval >= ONE_PIXEL] == [1] * (len(front) - 3)
    intervals = [c.interval for c in front]  # fewest LUTs first: strictly faster each step
    assert intervals == sorted(intervals, reverse=True) and len(set(intervals)) == len(front)
    assert all(over_budget(c.estimate, 1.0) is None for c in front)  # samples=16 does not fit
    assert len(pareto(graph, DEV, CLOCK_MHZ, min_cycles=ONE_PIXEL, space=space)) == len(front) - 3


def test_ladder_stops_where_samples_stop_dividing_the_width(graph: Graph) -> None:
    rungs = list(ladder(graph, device("xcvu9p"), CLOCK_MHZ, frozenset(MemStyle)))
    assert [r.samples for r in rungs] == [2, 4, 8, 16, 32, 64]
    assert [r.choice.interval for r in rungs if r.choice is not None] == [64, 32, 16, 8, 4, 2]


def test_an_mlp_has_no_samples_points() -> None:
    """TFC (fully connected): no node takes multi-pixel words; the search is unchanged."""
    mlp = to_kernels(load_graph("builtin:tfc-w1a1"))
    assert list(ladder(mlp, DEV, CLOCK_MHZ, frozenset(MemStyle))) == []
    assert max_fps(mlp, DEV, CLOCK_MHZ).samples == 1
    assert all(c.samples == 1 for c in pareto(mlp, DEV, CLOCK_MHZ))


def test_point_graph_folds_the_pads_a_samples_point_leaves_out(graph: Graph) -> None:
    folded = preset_graph(graph, "samples=2")
    pads = [n.name for n in graph.nodes if isinstance(n.op, Pad)]
    assert len(pads) == 4 and not any(isinstance(n.op, Pad) for n in folded.nodes)
    point = for_samples(folded, 4)
    assert point_graph(graph, point) == folded
    one = for_samples(folded, 1)  # mmv = 1 everywhere: the graph as it is
    assert point_graph(graph, one) is graph
    # every Pad named: built as Pad nodes (one sample per word)
    named = type(point)((*point.nodes, *((p, NodeFolding()) for p in pads)))
    assert point_graph(graph, named) is graph
    some = type(point)((*point.nodes, (pads[1], NodeFolding())))
    with pytest.raises(
        FoldingError,
        match=rf"^{pads[1]}: a design point at mmv > 1 must name every foldable 1-D Pad "
        rf"\({', '.join(pads)}: built as Pad nodes\) or none \(folded into their windows, "
        rf"docs/mmv.md\), not some: {pads[0]}, {pads[2]}, {pads[3]} left out$",
    ):
        point_graph(graph, some)


def test_explore_prints_and_writes_the_samples_point_and_build_takes_it(
    graph: Graph, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "point.json"
    argv = ["explore", "builtin:peaks-w2a2", "--goal", "max-fps", "--device", "xc7z020"]
    # 40 % of the LUTs (21,280): samples=4 (12,977 LUTs estimated) fits, samples=8 (25,915)
    # does not
    assert main([*argv, "--lut-cap", "0.4", "-o", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert re.search(
        r"^goal max-fps: 3,125,000 frames/s, [\d,]+ LUTs, 4 samples per word \(samples=4\)$",
        text,
        re.M,
    ), text
    assert re.search(r"^layer +PE SIMD MMV mem", text, re.M)
    # memory style: block or LUT RAM, by the estimate (a one-word weight memory either way)
    assert re.search(r"^quantconv1d1 +8 +5 +4 (distributed|block) +32 ", text, re.M)
    assert "why not faster: the next faster design, samples=8 (8 samples per word" in text
    nodes = json.loads(out.read_text())["nodes"]
    assert {f["mmv"] for f in nodes.values()} == {4} and not any("pad" in n for n in nodes)
    # the samples=4 preset's point, which tests/test_peaks_samples_hw.py runs in Verilator
    preset = folding_preset(preset_graph(graph, "samples=4"), "samples=4")
    lanes = {n: (f.pe, f.simd, f.mmv) for n, f in DesignPoint.from_json(out.read_text()).nodes}
    assert lanes == {n: (f.pe, f.simd, f.mmv) for n, f in preset.nodes}
    # build on the original model: the Pads fold into their windows, bit-exact
    result = build_design("builtin:peaks-w2a2", tmp_path / "build", str(out))
    assert result.estimate.interval == 32
    assert not any(isinstance(n.op, Pad) for n in result.design.graph.nodes)
    report = build_report(result, CLOCK_MHZ)
    assert re.search(r"^stage +kind +PE +SIMD +MMV +mem +cycles/frame", report, re.M), report
    assert re.search(r"^quantconv1d1 +kernel +8 +5 +4 +(distributed|block) +32 ", report, re.M)
    dtype = graph.inputs[0].dtype
    x = np.random.default_rng(0).integers(dtype.min, dtype.max + 1, (3, *graph.inputs[0].shape))
    np.testing.assert_array_equal(run_single(result.design.graph, x), run_single(graph, x))


def test_explore_pareto_lists_samples_per_word(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["explore", "builtin:peaks-w2a2", "--goal", "pareto", "--device", "xc7z020"]
    assert main([*argv, "--quiet"]) == 0
    text = capsys.readouterr().out
    assert re.search(r"^cycles/frame +frames/s +samples +LUT", text, re.M), text
    assert re.search(r"^ +16 +6,250,000 +8 +[\d]+ ", text, re.M), text


def test_detector_with_peak_picking_picks_at_the_samples_it_keeps_up_with() -> None:
    """A small detector ending in peak picking (one pixel per word, its flush steps make P =
    N too slow): at samples=16 the picker takes 32 samples per word (docs/mmv.md)."""
    torch.manual_seed(0)
    detector = detector_graph(peak_net(2, channels=2).eval(), LENGTH, threshold=0.5)
    choice = max_fps(detector, DEV, CLOCK_MHZ, lut_cap=0.3)  # samples=32: 22,627 LUTs est.
    assert (choice.samples, choice.interval) == (16, LENGTH // 16)
    assert choice.point.folding("pick").simd == 32
    assert re.match(
        r"^the next faster design, samples=32 \(32 samples per word, 7 cycles/frame\), needs "
        r"LUT [\d,]+ > 15,960 ",
        choice.reason,
    ), choice.reason
    # with room for samples=32 the picker's own floor (hw.peakpick.cost: 7 cycles a frame)
    # sets the interval, so samples=64 is no faster
    wide = max_fps(detector, DEV, CLOCK_MHZ, lut_cap=0.7)
    assert (wide.samples, wide.interval) == (32, 7)
    assert wide.reason.startswith("samples=64 (64 samples per word): no faster"), wide.reason
