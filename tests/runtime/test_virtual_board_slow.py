"""Long runs of the virtual board (slow): thousands of frames under random AXI latency
(0-100 cycles) and backpressure, and the acceptance networks (TFC, a small CNN) through the
driver, bit for bit against the exact executor, with the DMA's overhead over the bare
pipeline measured by the shell's own cycle counter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cnn_nets import calibrated, conv2d_net
from shell_nets import build, mlp_graph, random_codes
from streamfold.codegen.top import stitch, write_build
from streamfold.dse.design_point import folding_preset
from streamfold.flow import load_graph, to_kernels
from streamfold.frontend.torch import export, input_codes
from streamfold.runtime import Accelerator
from streamfold.runtime.virtual import VirtualBoard

pytestmark = [pytest.mark.rtl, pytest.mark.slow]


@pytest.mark.parametrize("folding, frames", [("folded", 3000), ("cycles=8", 5000)])
def test_thousands_of_frames_none_lost_or_duplicated(
    rtl_cache: Path, tmp_path: Path, folding: str, frames: int
) -> None:
    out = build(mlp_graph(), folding, tmp_path / "b")
    x = random_codes(np.random.default_rng(11), frames)
    expected = Accelerator(out, "exact").run(x)
    with Accelerator(out, "virtual", max_latency=100, stall=0.3, seed=13) as acc:
        np.testing.assert_array_equal(acc.run(x, batch=1000), expected)
        board = acc.bus
        assert isinstance(board, VirtualBoard)
        assert board.protocol_error() is None
        stats = board.stats()
        assert stats.r_beats == frames * acc.layout.inp.beats
        assert stats.w_beats == frames * acc.layout.out.beats
        assert acc.counters()["frames_out"] == frames


def _through_board(graph, x, folding: str, out_dir: Path):  # type: ignore[no-untyped-def]
    out = write_build(stitch(graph, folding_preset(graph, folding)), out_dir)
    expected = Accelerator(out, "exact").run(x)
    with Accelerator(out, "virtual") as acc:
        np.testing.assert_array_equal(acc.run(x), expected)
        return acc.throughput()


def test_tfc_on_the_virtual_board(rtl_cache: Path, tmp_path: Path) -> None:
    graph = to_kernels(load_graph("builtin:tfc-w1a1"))
    x = np.random.default_rng(0).integers(0, 256, size=(8, 784))
    t = _through_board(graph, x, "folded", tmp_path / "tfc")
    # pipeline-bound: the DMA hides behind a 50,176-cycle interval (fill and drain show)
    assert t.pipeline_cycles_per_frame == 50176
    assert 0.0 < t.dma_overhead < 0.2


def test_cnn_on_the_virtual_board(rtl_cache: Path, tmp_path: Path) -> None:
    model = conv2d_net()
    x = calibrated(model, (2, 11, 14), seed=0)
    graph = to_kernels(export(model, (2, 11, 14)))
    t = _through_board(graph, input_codes(model, x.numpy()[:16]), "balanced", tmp_path / "cnn")
    assert t.cycles_per_frame > t.pipeline_cycles_per_frame


def test_tfc_through_the_ulx3s_uart_link(rtl_cache: Path, tmp_path: Path) -> None:
    """The open board in Verilator: TFC frames over the serial line (8 cycles per bit), into
    the board's RAM, through the shell's DMA and back, equal to the exact executor."""
    graph = to_kernels(load_graph("builtin:tfc-w1a1"))
    out = write_build(stitch(graph, folding_preset(graph, "folded")), tmp_path / "tfc")
    x = np.random.default_rng(1).integers(0, 256, size=(3, 784))
    with Accelerator(out, "ulx3s-virtual", clock_mhz=25.0) as acc:
        np.testing.assert_array_equal(acc.run(x), Accelerator(out, "exact").run(x))
        assert acc.counters()["frames_out"] == 3
