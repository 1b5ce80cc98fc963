"""Frames/s on the virtual board (the shell RTL with its DMA, in Verilator) against the bare
pipeline's cycle model, at 100 MHz: where the DMA hides behind the pipeline and where it does
not. Every output is checked bit for bit against the exact executor.

    PYTHONPATH=src python bench/virtual_board.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from cnn_nets import calibrated, conv2d_net
from shell_nets import mlp_graph, random_codes
from streamfold.codegen.top import stitch, write_build
from streamfold.dse.design_point import folding_preset
from streamfold.flow import load_graph, to_kernels
from streamfold.frontend.torch import export, input_codes
from streamfold.runtime import Accelerator


def row(name: str, graph, x, folding: str, tmp: Path, **board) -> None:  # type: ignore[no-untyped-def]
    out = write_build(stitch(graph, folding_preset(graph, folding)), tmp / name)
    expected = Accelerator(out, "exact").run(x)
    with Accelerator(out, "virtual", **board) as acc:
        assert np.array_equal(acc.run(x), expected)
        t = acc.throughput()
    lat = f"0-{board.get('max_latency', 0)}"
    print(
        f"| {name} | {folding} | {len(x)} | {lat} | {board.get('stall', 0.0)} "
        f"| {t.pipeline_cycles_per_frame} | {t.cycles_per_frame:.1f} "
        f"| {t.pipeline_frames_per_s:,.0f} | {t.frames_per_s:,.0f} "
        f"| {100 * t.dma_overhead:+.1f} % |"
    )


def main() -> None:
    print(
        "| network | folding | frames | AXI latency | stall | pipeline cycles/frame "
        "| shell cycles/frame | pipeline frames/s | shell frames/s | DMA overhead |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        tfc = to_kernels(load_graph("builtin:tfc-w1a1"))
        x_tfc = rng.integers(0, 256, size=(16, 784))
        row("tfc-w1a1", tfc, x_tfc, "folded", tmp)
        row("tfc-w1a1", tfc, x_tfc, "cycles=64", tmp)
        model = conv2d_net()
        xc = calibrated(model, (2, 11, 14), seed=0)
        cnn = to_kernels(export(model, (2, 11, 14)))
        row("cnn-2x11x14", cnn, input_codes(model, xc.numpy()), "balanced", tmp)
        mlp = mlp_graph()
        xm = random_codes(rng, 2000)
        row("mlp-35-24-7", mlp, xm, "folded", tmp)
        row("mlp-35-24-7", mlp, xm, "cycles=8", tmp)
        row("mlp-35-24-7", mlp, xm, "cycles=8", tmp, max_latency=100, stall=0.3, seed=1)


if __name__ == "__main__":
    main()
