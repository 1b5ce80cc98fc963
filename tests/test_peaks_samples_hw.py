"""The peak detector at several samples per cycle (folding ``samples=N``), end to end in
Verilator: its same-padded convolutions fold their padding into the windows (sf_swg_line),
the MVAUs take N samples per word, peak picking keeps up; bit-exact against PyTorch under
25 % stalls, the software picker's peaks, and the measured cycles per frame the cycle model's
(within 2 %): L / N."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from streamfold.dse.design_point import folding_preset, preset_graph
from streamfold.ir.ops import Pad, PeakPick, SlidingWindow
from streamfold.peaks.data import ProfileConfig, generate
from streamfold.peaks.detector import inputs, peak_net, scores
from streamfold.peaks.hardware import detector_graph, mem_style, run_in_verilator
from streamfold.zoo import reference_model


def test_samples_preset_folds_every_pad_and_picking_keeps_up() -> None:
    model, shape = reference_model("peaks-w2a2")
    graph = preset_graph(detector_graph(model, shape[1], threshold=0.5), "samples=16")
    assert not [n for n in graph.nodes if isinstance(n.op, Pad)]
    windows = [n.op for n in graph.nodes if isinstance(n.op, SlidingWindow)]
    assert [w.pads for w in windows] == [(2, 2)] * 4
    point = folding_preset(graph, "samples=16", mem_style("samples=16"))
    assert {point.folding(w.name).mmv for w in graph.nodes if w.op in windows} == {16}
    (pick,) = (n for n in graph.nodes if isinstance(n.op, PeakPick))
    # 16 samples per word: 8 words and 1 flush step, > 8 cycles; 32: 4 + 1
    assert point.folding(pick.name).simd == 32


@pytest.mark.rtl
def test_tiny_detector_at_4_samples_per_cycle_equals_pytorch(tmp_path: Path) -> None:
    config = replace(ProfileConfig(), length=32)
    torch.manual_seed(0)
    model = peak_net(2, channels=2)
    model.train()
    with torch.no_grad():
        model(inputs(generate(32, 1, config).x))  # initialise scales and BN statistics
    run = run_in_verilator(model.eval(), generate(6, 2, config).x, tmp_path / "b", "samples=4")
    assert run.bit_exact
    assert run.predicted_cycles_per_sample == 0.25
    assert run.measured_cycles_per_frame == pytest.approx(run.predicted_cycles_per_frame, rel=0.02)


@pytest.mark.rtl
@pytest.mark.slow
@pytest.mark.parametrize(
    "name, samples", [("peaks-w2a2", 16), ("peaks-w2a2", 8), ("peaks-w4a4", 4)]
)
def test_detector_with_picking_at_n_samples_per_cycle(
    tmp_path: Path, name: str, samples: int
) -> None:
    model, _ = reference_model(name)
    x = generate(6, 2).x
    threshold = float(np.quantile(scores(model, x), 0.6))
    run = run_in_verilator(model, x, tmp_path / "b", f"samples={samples}", threshold=threshold)
    assert run.bit_exact and run.picks_match_software
    assert run.predicted_cycles_per_sample == 1 / samples
    assert run.measured_cycles_per_frame == pytest.approx(run.predicted_cycles_per_frame, rel=0.02)
