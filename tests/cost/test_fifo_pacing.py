"""Paced FIFO depths (cost.fifo_sizing.pace_fifos) count the words of the FIFO's producer, as a
node's ``fifo_depth`` does, also where a width converter sits between them. Fast: no RTL (the
pipeline's measured cycles are tests/test_cnn_hw.py's)."""

from __future__ import annotations

from cnn_nets import chain3_net
from streamfold.cost.fifo_sizing import pace_fifos, with_sized_fifos
from streamfold.design import stitch
from streamfold.dse.design_point import DesignPoint
from streamfold.flow import to_kernels
from streamfold.frontend import torch as sequential
from streamfold.hw.block import MemStyle, NodeFolding

B, D = MemStyle.BLOCK, MemStyle.DISTRIBUTED
# (node, PE, SIMD, memory style): the folding dse.search.max_fps chose on xc7z020 at 100 MHz
# until 2026-12-04, pinned (it now takes PE 8 / SIMD 1 for the first layer, as fast and, with
# one neuron fold, cheaper by the estimate: its thresholds become constants)
MAX_FPS = (
    ("quantconv2d1_pad", 1, 1, D),
    ("quantconv2d1_swg", 1, 1, B),
    ("quantconv2d1", 1, 9, B),
    ("quantconv2d4_pad", 1, 2, D),
    ("quantconv2d4_swg", 1, 8, B),
    ("quantconv2d4", 4, 8, B),
    ("quantconv2d7_pad", 1, 4, D),
    ("quantconv2d7_swg", 1, 16, B),
    ("quantconv2d7", 4, 16, B),
    ("adaptiveavgpool2d10", 1, 1, D),
    ("quantlinear12", 1, 1, B),
)


def test_paced_depths_hold_behind_width_converters() -> None:
    # at max-fps the first MVAU (PE 1) drains through a 1 -> 2 converter into a FIFO of
    # 2-element words: its pace needs 38 waiting words of those (40 with slack), 80 of the
    # MVAU's; counted as the MVAU's 40 it got half (594 cycles/frame measured for 576)
    graph = to_kernels(sequential.export(chain3_net(), (1, 8, 8)))
    point = DesignPoint(tuple((n, NodeFolding(pe, simd, style)) for n, pe, simd, style in MAX_FPS))
    design = stitch(graph, with_sized_fifos(graph, point))
    paced = {p.stage: p for p in pace_fifos(design)}
    assert all(p.given >= p.depth for p in paced.values()), paced
    behind = paced["quantconv2d1_fifo"]
    assert (behind.key, behind.depth) == ("quantconv2d1", 80)
    assert design.point.folding("quantconv2d1").fifo_depth == 80
    fifo = next(s for s in design.stages if s.name == "quantconv2d1_fifo")
    assert dict(fifo.rtl.parameters)["DEPTH"] == 40
