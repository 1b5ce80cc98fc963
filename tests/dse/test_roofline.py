"""Roofline per device and precision, design points under it, and the precision ranking."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
import torch

from streamfold.cost.devices import DEVICES, device
from streamfold.dse.roofline import (
    PRECISIONS,
    on_chip_bits,
    place,
    precision_table,
    recommend_precisions,
    roof,
    workload,
)
from streamfold.dse.search import max_fps, pareto
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export
from streamfold.ir.graph import Graph
from streamfold.models import tfc

DEV = device("xc7z020")
BITS = (1, 2, 4, 8)


@pytest.fixture(scope="module")
def graph() -> Graph:
    torch.manual_seed(0)
    return to_kernels(export(tfc(1, 1), (784,)))


@pytest.mark.parametrize("name", sorted(DEVICES))
def test_roofs_are_positive_and_fall_with_bits(name: str) -> None:
    dev = DEVICES[name]
    roofs = {(w, a): roof(dev, w, a, dev.clock_mhz) for w in BITS for a in BITS}
    for (w, a), r in roofs.items():
        assert r.compute_ops > 0 and r.luts_per_mac >= 1
        if r.bandwidth is not None:
            assert r.memory_ops(100.0) == pytest.approx(100 * r.bandwidth)
        # more bits never make the compute roof higher
        for w2, a2 in ((w * 2, a), (w, a * 2)):
            if (w2, a2) in roofs:
                assert roofs[(w2, a2)].compute_ops <= r.compute_ops, (w, a, w2, a2)


def test_memory_roof_binds_only_off_chip() -> None:
    r = roof(DEV, 8, 8, 100.0)
    assert r.bandwidth == pytest.approx(4.26e9)
    low = 1.0  # ops per weight byte
    assert r.attainable(low, weights_on_chip=False) == pytest.approx(4.26e9)
    assert r.attainable(low, weights_on_chip=True) == r.compute_ops
    unknown = roof(replace(DEV, mem_gbytes_per_s=None), 8, 8, 100.0)
    assert unknown.attainable(low, weights_on_chip=False) == unknown.compute_ops


def test_design_points_are_under_the_roof(graph: Graph) -> None:
    work = workload(graph)
    assert work.macs == 784 * 64 + 64 * 64 * 2 + 64 * 10
    r = roof(DEV, 1, 1, 100.0)
    best = max_fps(graph, DEV, 100.0)
    front = pareto(graph, DEV, 100.0, min_cycles=32, max_cycles=1024)
    for choice in (best, *front):
        p = place(choice, work, r)
        assert 0 < p.ops_per_second <= p.attainable
        assert p.ops_per_second == pytest.approx(work.ops * choice.frames_per_second)


def test_lower_precision_ranks_higher(graph: Graph) -> None:
    recs = recommend_precisions(graph, DEV, 100.0)
    order = [(r.weight_bits, r.act_bits) for r in recs]
    assert sorted(order) == sorted(PRECISIONS)
    assert order[0] == (1, 1) and order[-1] == (8, 8)
    for a, b in itertools.pairwise(recs):
        assert a.attainable_ops >= b.attainable_ops
    # TFC's 59 k weights fit on chip at every precision
    assert all(r.weights_on_chip for r in recs)
    assert workload(graph).weights * 8 <= on_chip_bits(DEV)
    table = precision_table(recs)
    assert table.splitlines()[1].split()[0] == "1/1"
