"""A small CNN trained on Fashion-MNIST (bench/train_cnn.py's ``train``, a few hundred images
for speed) runs bit-exactly in PyTorch == the exact reference == Verilator on 20 test images,
with 25 % random stalls, and its measured cycles per frame are the predicted ones."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch

from streamfold.codegen.top import stitch, write_build
from streamfold.cost.estimate import estimate_pipeline
from streamfold.data import FASHION_MNIST_DIR, load_fashion_mnist
from streamfold.dse.design_point import folding_preset
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export, input_codes
from streamfold.hw.block import MemStyle
from streamfold.sim.design import simulate_build
from streamfold.sim.exact import run_single

pytestmark = pytest.mark.rtl
FRAMES = 20
TRAIN_CNN = Path(__file__).resolve().parents[1] / "bench" / "train_cnn.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("train_cnn", TRAIN_CNN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fashion():  # type: ignore[no-untyped-def]
    if not Path(FASHION_MNIST_DIR).is_dir():
        pytest.skip(
            f"Fashion-MNIST not at {FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist)"
        )
    return load_fashion_mnist(FASHION_MNIST_DIR)


@pytest.mark.parametrize(("precision", "folding"), [("W2A2", "balanced"), ("W4A4", "cycles=4000")])
def test_trained_fashion_cnn_is_exact_in_rtl(fashion, precision, folding, tmp_path: Path):  # type: ignore[no-untyped-def]
    model, _ = _bench().train(precision, epochs=1, limit=400, test_limit=100, threads=1)
    images = fashion[1].x[:FRAMES].reshape(FRAMES, 1, 28, 28)
    with torch.no_grad():
        expected = model(torch.from_numpy(images)).exact.codes.numpy()
    graph = to_kernels(export(model, (1, 28, 28)))
    codes = input_codes(model, images)
    reference = run_single(graph, codes)
    assert np.array_equal(reference, expected)

    design = stitch(graph, folding_preset(graph, folding))
    predicted = estimate_pipeline(design).interval
    build = write_build(design, tmp_path / "build")
    stalled, _ = simulate_build(build, codes, stall_in=0.25, stall_out=0.25, seed=2)
    assert np.array_equal(stalled, reference)
    free, run = simulate_build(build, codes)
    assert np.array_equal(free, reference)
    assert run.cycles_per_frame == pytest.approx(predicted, rel=0.02)


def test_folded_block_ram_fashion_cnn_is_exact_at_predicted_rate(fashion, tmp_path: Path):  # type: ignore[no-untyped-def]
    # bench/fmax_ecp5.py's cnn-w2a2-folded-block: banked weight memories (sf_mvau W_BANKS: the
    # 288 x 32 convolution, the 512 x 64 layer) and block-RAM windows with their output
    # register (sf_swg ORG, in the max pools too)
    model, _ = _bench().train("W2A2", epochs=1, limit=200, test_limit=100, threads=1)
    images = fashion[1].x[:4].reshape(4, 1, 28, 28)
    graph = to_kernels(export(model, (1, 28, 28)))
    codes = input_codes(model, images)
    design = stitch(graph, folding_preset(graph, "folded", MemStyle.BLOCK))
    banked = [s.name for s in design.stages if dict(s.rtl.parameters).get("W_BANKS", 1) > 1]
    assert len(banked) == 2, banked
    build = write_build(design, tmp_path / "build")
    stalled, _ = simulate_build(build, codes[:2], stall_in=0.25, stall_out=0.25, seed=2)
    assert np.array_equal(stalled, run_single(graph, codes[:2]))
    free, run = simulate_build(build, codes)
    assert np.array_equal(free, run_single(graph, codes))
    predicted = estimate_pipeline(design)
    assert run.cycles_per_frame == pytest.approx(predicted.interval, rel=0.02)
    assert run.latency == pytest.approx(predicted.latency, rel=0.1)
