"""Folding search on DAG hardware graphs: the residual and the concat net of tests/dag_nets.py
(w2a2, briefly trained), exported with torch_fx and lowered to kernels. The search's fast
estimate equals the stitched design's (forks, per-edge glue, sized FIFOs); max-fps,
min-resources and the Pareto front work across forks and joins; the presets size the FIFOs in
front of joins; the chosen max-fps design is bit-exact in Verilator at its predicted interval."""

from __future__ import annotations

import functools
import itertools
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from cnn_nets import run_steady
from dag_nets import digits, trained
from streamfold.codegen.top import stitch, write_build
from streamfold.cost.design_cost import estimate_design
from streamfold.cost.devices import device
from streamfold.cost.fifo_sizing import check_fifos, size_fifos
from streamfold.dse.design_point import DesignPoint, check_design, folding_preset, row_words
from streamfold.dse.search import (
    Choice,
    Space,
    evaluate,
    max_fps,
    min_resources,
    over_budget,
    pareto,
)
from streamfold.errors import FoldingError
from streamfold.flow import to_kernels
from streamfold.frontend.torch_fx import export_module, input_codes
from streamfold.ir.graph import Graph
from streamfold.ir.ops import Add, Concat
from streamfold.sim.exact import run_single

CLOCK_MHZ = 100.0
NETS = ("resnet", "concat")
# per net, a device whose max-fps design is checked in Verilator: the ResNet on the small
# ECP5, where LUTs bound the search (the interval is not every node's fastest)
RTL_DEVICE = {"resnet": "lfe5u-25f", "concat": "xc7z020"}


@functools.cache
def _net(name: str) -> tuple[nn.Module, Graph]:
    model = trained(name, "w2a2")
    return model, to_kernels(export_module(model, (1, 8, 8)))


@functools.cache
def _space(name: str, dev: str) -> Space:
    return Space(_net(name)[1], device(dev))


@functools.cache
def _best(name: str, dev: str) -> Choice:
    return max_fps(_net(name)[1], device(dev), CLOCK_MHZ, space=_space(name, dev))


def _stitched(graph: Graph, point: DesignPoint, dev: str) -> dict[str, object]:
    return estimate_design(stitch(graph, point), device(dev), CLOCK_MHZ).to_json()


def _fifos_sized(graph: Graph, point: DesignPoint) -> None:
    """Every FIFO in front of a join holds at least its derived depth."""
    design = stitch(graph, point)
    check_fifos(design)
    sizes = size_fifos(design)
    assert sizes
    for f in sizes:
        assert f.given >= f.depth, f


@pytest.mark.parametrize("name", NETS)
def test_fast_estimate_equals_stitched_estimate(name: str) -> None:
    """Space.estimate (no RTL) == estimate_design(stitch(...)) on presets and the search's
    choice: the same forks, converters, FIFOs, resources and pipeline."""
    graph = _net(name)[1]
    space = _space(name, "xc7z020")
    points = [folding_preset(graph, p) for p in ("folded", "balanced", "cycles=1000")]
    for point in [*points, _best(name, "xc7z020").point]:
        assert space.estimate(point, CLOCK_MHZ).to_json() == _stitched(graph, point, "xc7z020")


@pytest.mark.parametrize("name", NETS)
@pytest.mark.parametrize("preset", ["folded", "balanced", "cycles=300"])
def test_presets_are_legal_with_sized_join_fifos(name: str, preset: str) -> None:
    graph = _net(name)[1]
    point = folding_preset(graph, preset)
    check_design(graph, point)
    _fifos_sized(graph, point)
    joins = [n for n in graph.nodes if isinstance(n.op, Add | Concat)]
    assert joins
    for edge, depth in point.fifos:  # a fork edge not into a join: at least a row
        producer, consumer = edge.split("->")
        if not isinstance(graph.node(consumer.split(":")[0]).op, Add | Concat):
            assert depth >= row_words(graph, point, producer), edge


@pytest.mark.parametrize("name", NETS)
def test_max_fps_on_a_dag(name: str) -> None:
    dev = RTL_DEVICE[name]
    graph = _net(name)[1]
    best = _best(name, dev)
    check_design(graph, best.point)
    _fifos_sized(graph, best.point)
    assert over_budget(best.estimate, 0.7) is None
    # the interval is the slowest stage on any path: kernels, forks, converters, FIFOs
    stages = best.estimate.pipeline.stages
    assert best.interval == max(s.cycles for s in stages)
    assert {s.kind for s in stages} >= {"kernel", "fork", "fifo"}
    assert best.estimate.to_json() == _stitched(graph, best.point, dev)
    if name == "resnet":  # LUT-bound on the small ECP5 within 40 % of its LUTs
        graph_, space = _net(name)[1], _space(name, dev)
        tight = max_fps(graph_, device(dev), CLOCK_MHZ, 0.4, space=space)
        assert tight.reason.startswith("the next faster interval"), tight.reason
        assert "40 % of lfe5u-25f's LUTs" in tight.reason
        assert tight.interval > best.interval >= _best(name, "xc7z020").interval


@pytest.mark.parametrize("name", NETS)
def test_min_resources_and_pareto_on_a_dag(name: str) -> None:
    graph = _net(name)[1]
    dev = device("xc7z020")
    space = _space(name, "xc7z020")
    best = _best(name, "xc7z020")
    front = pareto(graph, dev, CLOCK_MHZ, space=space)
    assert len(front) >= 3
    assert all(over_budget(c.estimate, 1.0) is None for c in front)
    for cheaper, dearer in itertools.pairwise(front):
        assert cheaper.luts < dearer.luts and cheaper.interval > dearer.interval
    assert best.interval in {c.interval for c in front}
    target = 2000  # cycles/frame
    cheap = min_resources(graph, dev, CLOCK_MHZ * 1e6 / target, CLOCK_MHZ, space=space)
    assert cheap.interval <= target
    assert cheap.luts < best.luts
    _fifos_sized(graph, cheap.point)
    assert cheap.estimate.to_json() == _stitched(graph, cheap.point, "xc7z020")


def test_space_refuses_a_fifo_on_an_edge_the_graph_lacks() -> None:
    graph = _net("concat")[1]
    point = folding_preset(graph, "folded")
    bad = DesignPoint(point.nodes, (*point.fifos, ("stem_0->fc", 4)))
    with pytest.raises(FoldingError, match=r"^stem_0->fc: the design point gives a FIFO depth"):
        evaluate(graph, bad, device("xc7z020"), CLOCK_MHZ, _space("concat", "xc7z020"))


@pytest.mark.rtl
@pytest.mark.parametrize(
    "name, dev",
    [
        pytest.param("resnet", "lfe5u-25f", marks=pytest.mark.slow),
        # every convolution at the interval: the padding stages wait on bursts and the
        # FIFOs in front of them hold what their producers make meanwhile (fifo_sizing's
        # pacing; 704 cycles/frame without it)
        pytest.param("resnet", "xc7z020"),
        pytest.param("concat", "xc7z020"),
    ],
)
def test_max_fps_design_is_exact_at_its_predicted_interval(
    name: str, dev: str, rtl_cache: Path, tmp_path: Path
) -> None:
    model, graph = _net(name)
    best = _best(name, dev)
    x, _ = digits(8)
    codes = input_codes(model, x.numpy())
    with torch.no_grad():
        expected = model(x).exact.codes.numpy().reshape(len(x), -1)
    np.testing.assert_array_equal(run_single(graph, codes).reshape(len(x), -1), expected)
    design = stitch(graph, best.point)
    out = write_build(design, tmp_path / "build")
    got, run, first = run_steady(out, design, codes, cache_dir=rtl_cache)
    np.testing.assert_array_equal(got, expected)
    measured = run.cycles_per_frame_from(first)
    assert abs(measured - best.interval) <= 0.02 * best.interval, (measured, best.interval)
