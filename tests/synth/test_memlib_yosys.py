"""Slow: LUTRAM and BRAM of real blocks whose memories cost.memlib maps, against Yosys
synth_xilinx and synth_ecp5 (exact): sf_fifo's distributed buffer at two shapes, and an
sf_mvau whose input replay buffer (576 x 1, no ram_style, registered read) is RAM128X1S on
xc7 and a DP16KD on ECP5, beside its weights in block RAM."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from streamfold.cost.devices import Family
from streamfold.hw.block import MemStyle, NodeFolding, StreamFormat
from streamfold.hw.fifo import cost as fifo_cost
from streamfold.hw.fifo.rtl import fifo_instance
from streamfold.hw.mvau import cost as mvau_cost
from streamfold.hw.mvau.params import MvauParams
from streamfold.hw.mvau.rtl import instance as mvau_instance
from streamfold.ir.dtypes import BIPOLAR, IntType, narrowest
from streamfold.ir.intervals import dot_interval
from streamfold.ir.ops import IntArray
from streamfold.synth.yosys import synthesize_instance

FAMILIES = [Family.XILINX7, Family.ECP5]


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.value)
@pytest.mark.parametrize(
    "width, depth, lutram",
    [(1, 256, {"xilinx7": 16, "ecp5": 64}), (5, 201, {"xilinx7": 32, "ecp5": 104})],
    ids=["255x1", "200x5"],
)
def test_fifo_buffer_lutram_exact(
    family: Family, width: int, depth: int, lutram: dict[str, int], tmp_path: Path
) -> None:
    inst = fifo_instance(StreamFormat(IntType(width, False), 1, 16), depth)
    got = synthesize_instance(inst, family, tmp_path).resources
    est = fifo_cost.resources(inst, family)
    assert (got.lutram, got.bram) == (lutram[family.value], 0)  # measured 2026-12-04
    assert (est.lutram, est.bram) == (got.lutram, got.bram)


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.value)
def test_mvau_input_buffer_lutram_or_block_ram_exact(family: Family, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    weight = rng.choice([-1, 1], (2, 576))
    lo, hi = dot_interval(weight, BIPOLAR.min, BIPOLAR.max)
    thresholds = np.zeros((2, 1), dtype=np.int64)
    params = MvauParams(
        576, 2, BIPOLAR, BIPOLAR, narrowest(lo, hi), BIPOLAR, IntArray(weight), IntArray(thresholds)
    )
    folding = NodeFolding(1, 1, MemStyle.BLOCK)
    got = synthesize_instance(mvau_instance(params, folding, "ibuf"), family, tmp_path)
    est = mvau_cost.resources(params, folding, family)
    assert (est.lutram, est.bram) == (got.resources.lutram, got.resources.bram), got.cells
    cells = dict(got.cells)
    if family is Family.ECP5:
        assert cells.get("TRELLIS_DPR16X4", 0) == 0  # the 576 x 1 buffer is block RAM
    else:
        assert cells.get("RAM128X1S") == 5


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.value)
def test_window_fifo_lutram_unchanged_by_flattening(family: Family, tmp_path: Path) -> None:
    """A window generator feeding a matrix unit directly, synthesised flat: Yosys moves the
    matrix unit's input register (sf_mvau's in_q) into the window generator's output FIFO's
    read port. Left to choose, it then made the FIFO LUT RAM where it chose flip-flops for the
    block alone (a 4 x 2 FIFO: the whole CNN-W2A2 `folded` was 8 LUTs of LUT RAM over its
    estimate); with ram_style set, the flat design's LUTRAM is the sum of its stages'."""
    import torch

    from streamfold.codegen.top import write_build
    from streamfold.cost.design_cost import estimate_design
    from streamfold.cost.devices import DEVICES
    from streamfold.design import stitch
    from streamfold.dse.design_point import folding_preset, with_fifos
    from streamfold.flow import to_kernels
    from streamfold.frontend.torch import export
    from streamfold.models import small_cnn
    from streamfold.synth.yosys import synthesize_build

    torch.manual_seed(0)
    model = small_cnn(2, 2, channels=(4, 8, 8), hidden=16).train()
    with torch.no_grad():
        for _ in range(4):  # batch-norm statistics: outputs that vary, not constants
            model(torch.rand(16, 1, 28, 28))
    graph = to_kernels(export(model.eval(), (1, 28, 28)))
    point = with_fifos(graph, folding_preset(graph, "folded", MemStyle.DISTRIBUTED))
    design = stitch(graph, point)
    build = write_build(design, tmp_path / "hw")
    dev = next(d for d in DEVICES.values() if d.family is family)
    got = synthesize_build(build, family, workdir=tmp_path / "synth").resources
    est = estimate_design(design, dev, dev.clock_mhz).total
    assert (est.lutram, est.bram) == (got.lutram, got.bram)
