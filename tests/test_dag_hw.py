"""Residual and concatenating networks in hardware (issue 12): trained briefly on 8x8 digits,
PyTorch eval == exact executor == Verilator, bit for bit, under 25 % stalls, at the predicted
interval (once settled) and latency, with the FIFO depths ``cost.fifo_sizing`` derives; a
derived depth halved is refused naming the path, and a design below the minimum deadlocks in
Verilator (the simulator names the stuck streams). Seeded random DAGs through Verilator, at the
predicted interval and latency (within 10 %)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from cnn_nets import check_in_rtl
from dag_nets import SHAPE, digits, random_dag, trained
from streamfold.codegen.top import stitch, write_build
from streamfold.cost.fifo_sizing import check_fifos, size_fifos, with_sized_fifos
from streamfold.design import DesignPoint
from streamfold.dse.design_point import folding_preset
from streamfold.errors import FoldingError, SimulationError
from streamfold.flow import to_kernels
from streamfold.frontend.torch_fx import export_module, input_codes
from streamfold.ir.graph import Graph
from streamfold.sim.design import simulate_build

NETS = [
    pytest.param("resnet", "w2a2", id="resnet-w2a2"),
    pytest.param("concat", "w4a4", id="concat-w4a4"),
    pytest.param("resnet", "w4a4", id="resnet-w4a4", marks=pytest.mark.slow),
    pytest.param("concat", "w2a2", id="concat-w2a2", marks=pytest.mark.slow),
]


@pytest.mark.rtl
@pytest.mark.parametrize("name, precision", NETS)
def test_dag_net_bit_exact_at_predicted_rate(tmp_path, rtl_cache, name, precision):
    x, _ = digits(4)
    check_in_rtl(trained(name, precision), x, SHAPE, "folded", tmp_path / "b", latency_rel=0.10)


def _sized(name: str) -> tuple[Graph, DesignPoint]:
    graph = to_kernels(export_module(trained(name, "w2a2"), SHAPE))
    return graph, with_sized_fifos(graph, folding_preset(graph, "folded"))


def _with_depth(point: DesignPoint, key: str, depth: int) -> DesignPoint:
    if "->" in key:
        return replace(point, fifos=tuple((k, depth if k == key else d) for k, d in point.fifos))
    nodes = tuple((n, replace(f, fifo_depth=depth) if n == key else f) for n, f in point.nodes)
    return replace(point, nodes=nodes)


@pytest.mark.parametrize("name", ["resnet", "concat"])
def test_every_derived_depth_halved_is_refused_naming_the_path(name):
    graph, point = _sized(name)
    sizes = size_fifos(stitch(graph, point))
    reconvergent = [f for f in sizes if f.depth > 3]
    assert reconvergent, "the net must have a join input that waits"
    for f in reconvergent:
        assert f.minimum <= f.depth
        halved = stitch(graph, _with_depth(point, f.key, f.depth // 2))
        with pytest.raises(FoldingError, match=rf"^{f.key}: fifo depth must be >= {f.minimum} "):
            check_fifos(halved)


@pytest.mark.rtl
def test_shortcut_below_its_minimum_deadlocks_naming_the_streams(tmp_path, rtl_cache):
    """The ResNet's first shortcut at 150 words (its minimum is 250 or so): the fork stalls
    the convolution path, which never delivers: the simulator stops and names the streams."""
    graph, point = _sized("resnet")
    shortcut = next(f for f in size_fifos(stitch(graph, point)) if f.edge)
    assert shortcut.minimum > 150
    design = stitch(graph, _with_depth(point, shortcut.key, 150))
    with pytest.raises(FoldingError, match="fifo depth must be >="):
        check_fifos(design)
    x, _ = digits(2)
    codes = input_codes(trained("resnet", "w2a2"), x.numpy())
    build = write_build(design, tmp_path / "b")
    with pytest.raises(SimulationError, match=r"stalled at cycle .*stuck \(tvalid=1, tready=0\)"):
        simulate_build(build, codes)


RANDOM_SEEDS = [*range(4)] + [pytest.param(s, marks=pytest.mark.slow) for s in range(4, 44)]


# Convolutions with a hardware block today (a grouped one that is not depthwise has none).
HARDWARE = ("dense", "depthwise")


@pytest.mark.rtl
@pytest.mark.parametrize("seed", RANDOM_SEEDS)
def test_random_dag_bit_exact_at_predicted_rate(tmp_path, rtl_cache, seed):
    model, shape = random_dag(seed, HARDWARE, bipolar=False)
    x = torch.from_numpy(np.random.default_rng(seed).random((3, *shape)).astype(np.float32))
    check_in_rtl(model, x, shape, "folded", tmp_path / "b", stall=0.2, latency_rel=0.10)
