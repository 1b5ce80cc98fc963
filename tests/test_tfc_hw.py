"""End to end: a trained TFC (784-64-64-64-10) at W1A1 and W2A2, three foldings each, built,
linted and simulated in Verilator; outputs equal the exact reference on 100 MNIST test frames
and the measured cycles per frame are within 2 % of the cycle model."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from streamfold.codegen.top import TOP, stitch, write_build
from streamfold.cost.estimate import estimate_pipeline
from streamfold.data import load_mnist
from streamfold.dse.design_point import folding_preset
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export, input_codes
from streamfold.hw.block import MemStyle
from streamfold.ir.graph import Graph
from streamfold.models import tfc
from streamfold.sim.design import load_manifest, simulate_build
from streamfold.sim.exact import run_single
from streamfold.sim.rtl import find_verilator
from streamfold.training import TrainConfig, fit

MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"
FOLDINGS = ["folded", "balanced", "cycles=64"]
FRAMES = 100

pytestmark = pytest.mark.rtl


@pytest.fixture(scope="module")
def mnist():  # type: ignore[no-untyped-def]
    if not MNIST.is_dir():
        pytest.skip(f"MNIST not found at {MNIST}")
    return load_mnist(MNIST)


@pytest.fixture(scope="module", params=[(1, 1), (2, 2)], ids=["W1A1", "W2A2"])
def trained(request, mnist) -> tuple[Graph, np.ndarray]:  # type: ignore[no-untyped-def]
    w, a = request.param
    train, test = mnist
    torch.manual_seed(0)
    model = tfc(w, a)
    fit(model, train.x[:12000], train.y[:12000], TrainConfig(epochs=1, progress=False))
    graph = to_kernels(export(model, (784,)))
    return graph, input_codes(model, test.x[:FRAMES])


@pytest.mark.parametrize("folding", FOLDINGS)
def test_tfc_rtl_equals_reference_at_predicted_rate(trained, folding: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    graph, x = trained
    design = stitch(graph, folding_preset(graph, folding))
    out_dir = write_build(design, tmp_path / "build")
    expected = run_single(graph, x)
    out, run = simulate_build(out_dir, x)
    np.testing.assert_array_equal(out, expected)
    predicted = estimate_pipeline(design).interval
    assert load_manifest(out_dir)["predicted"]["cycles_per_frame"] == predicted
    assert abs(run.cycles_per_frame - predicted) <= 0.02 * predicted, (
        run.cycles_per_frame,
        predicted,
    )
    assert run.latency > 0


def test_tfc_folded_block_ram_rtl_equals_reference_at_predicted_rate(  # type: ignore[no-untyped-def]
    trained, tmp_path: Path
) -> None:
    # the first layer's 50,176-word weight memory is banked (sf_mvau W_BANKS: 4 x 16K x 1 at
    # W1A1, 7 x 8K x 2 at W2A2) and read a cycle later; the hidden layers' fit one block
    graph, x = trained
    design = stitch(graph, folding_preset(graph, "folded", MemStyle.BLOCK))
    banks = [dict(s.rtl.parameters).get("W_BANKS", 1) for s in design.stages if s.kind == "kernel"]
    assert banks[0] in (4, 7) and set(banks[1:]) == {1}
    out_dir = write_build(design, tmp_path / "build")
    out, run = simulate_build(out_dir, x[:4])
    np.testing.assert_array_equal(out, run_single(graph, x[:4]))
    predicted = estimate_pipeline(design)
    assert abs(run.cycles_per_frame - predicted.interval) <= 0.02 * predicted.interval
    assert abs(run.latency - predicted.latency) <= 0.1 * predicted.latency, (run, predicted)


def test_tfc_rtl_under_backpressure(trained, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    graph, x = trained
    design = stitch(graph, folding_preset(graph, "cycles=64"))
    out_dir = write_build(design, tmp_path / "build")
    out, _ = simulate_build(out_dir, x[:30], stall_in=0.25, stall_out=0.25, seed=3)
    np.testing.assert_array_equal(out, run_single(graph, x[:30]))


def test_generated_top_is_lint_clean_and_deterministic(trained, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    graph, _ = trained
    design = stitch(graph, folding_preset(graph, "balanced"))
    a = write_build(design, tmp_path / "a")
    b = write_build(stitch(graph, folding_preset(graph, "balanced")), tmp_path / "b")
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    tool = find_verilator()
    sources = sorted(str(p) for p in (a / "rtl").glob("*.v"))
    cmd = [str(tool.executable), "--lint-only", "-Wall", "--top-module", TOP, *sources]
    proc = subprocess.run(cmd, env=dict(tool.env), cwd=a / "rtl", capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
