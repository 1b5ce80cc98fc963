"""The object API (``streamfold.compile`` -> ``Accelerator``): every kind of model it takes,
custom-forward CNNs exported through torch.fx, predictions against PyTorch's exact codes and
the RTL, partial design points, and the target feedback (the structural ceiling, cycles=N)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import streamfold
from streamfold.api import Accelerator
from streamfold.cli import main
from streamfold.cost.devices import device
from streamfold.dse.ceiling import ceiling
from streamfold.dse.search import max_fps, min_resources
from streamfold.errors import FoldingError, StreamfoldError
from streamfold.flow import build_design, to_kernels
from streamfold.frontend.torch import export
from streamfold.quant import QuantConv2d, QuantInput, QuantLinear, Requantizer


class SmallCnn(nn.Module):
    """A residual-free CNN written as a class with its own forward (traced by torch.fx)."""

    def __init__(self) -> None:
        super().__init__()
        self.inp = QuantInput(8, scale=1 / 255)
        self.conv1 = QuantConv2d(1, 4, 3, padding=1, bias=False, weight_bits=2)
        self.bn1 = nn.BatchNorm2d(4)
        self.act1 = Requantizer(2)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = QuantConv2d(4, 8, 3, bias=False, weight_bits=2)
        self.bn2 = nn.BatchNorm2d(8)
        self.act2 = Requantizer(2)
        self.fc = QuantLinear(8 * 2 * 2, 10, weight_bits=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.act1(self.bn1(self.conv1(self.inp(x)))))
        x = self.act2(self.bn2(self.conv2(x)))
        return self.fc(torch.flatten(x, 1))


SHAPE = (1, 8, 8)


def _calibrated(model: nn.Module, shape: tuple[int, ...]) -> nn.Module:
    """``model`` with its Requantizer scales and BatchNorm statistics set from random data."""
    torch.manual_seed(0)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.rand(16, *shape))
    return model.eval()


@pytest.fixture(scope="module")
def cnn() -> nn.Module:
    return _calibrated(SmallCnn(), SHAPE)


@pytest.fixture(scope="module")
def x() -> torch.Tensor:
    return torch.rand(12, *SHAPE, generator=torch.Generator().manual_seed(1))


@pytest.fixture  # build() changes it: one per test
def acc(cnn: nn.Module) -> Accelerator:
    return streamfold.compile(cnn, SHAPE, folding="balanced")


def test_custom_forward_cnn_predicts_pytorchs_exact_codes(
    cnn: nn.Module, acc: Accelerator, x: torch.Tensor
) -> None:
    expected = cnn(x).exact.codes.numpy()
    got = acc.predict(x)
    assert got.dtype == np.int64 and got.shape == (12, 10)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(acc.predict(acc.input_codes(x)), expected)  # codes in
    real = acc.dequantize(got)
    np.testing.assert_allclose(real, cnn(x).detach().numpy(), rtol=1e-6)  # floats: PyTorch's


def test_custom_forward_cnn_builds_and_estimates(acc: Accelerator, tmp_path: Path) -> None:
    out = acc.build(tmp_path / "cnn")
    assert out == acc.build_dir == tmp_path / "cnn"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["input_shape"] == list(SHAPE)
    est = acc.estimate()
    assert manifest["predicted"]["cycles_per_frame"] == est.pipeline.interval
    table = str(est)
    assert table.startswith("estimate for xc7z020 (xilinx7), before synthesis")
    for name in ("conv1_pad", "conv1_swg", "conv1", "pool", "conv2_swg", "conv2", "fc"):
        assert f"\n{name} " in table
    assert "<Accelerator 7 kernels on xc7z020" in repr(acc)
    html = acc.report()  # the build report, per layer (no measurement nor synthesis yet)
    assert html == out / "report.html" and html.is_file()
    body = json.loads((out / "report.json").read_text())
    layers = json.dumps(body)
    for name in ("conv1", "conv2", "fc"):
        assert f'"{name}"' in layers


@pytest.mark.slow  # the default suite covers predict(backend="rtl") and simulate in test_docs
@pytest.mark.rtl
def test_predict_rtl_equals_exact(
    acc: Accelerator, x: torch.Tensor, rtl_cache: Path, tmp_path: Path
) -> None:
    exact = acc.predict(x[:3])
    np.testing.assert_array_equal(acc.predict(x[:3], backend="rtl"), exact)
    assert acc.build_dir is None  # a temporary build, removed
    acc.build(tmp_path / "b")
    run = acc.simulate(x[:3], stall=0.2, seed=2)
    assert run.rtl is not None
    np.testing.assert_array_equal(run.rtl, exact.reshape(3, -1))
    assert run.measured_interval is not None
    assert abs(run.measured_interval - run.predicted_interval) <= 0.02 * run.predicted_interval


def test_every_kind_of_model_gives_the_same_kernels(
    cnn: nn.Module, acc: Accelerator, tmp_path: Path
) -> None:
    sfir = acc.save(tmp_path / "cnn.sfir")
    built = acc.build(tmp_path / "build")
    for model in (acc.graph, sfir, str(sfir), built):
        other = streamfold.compile(model, folding="balanced")
        assert other.kernels == acc.kernels
        assert other.point == acc.point
    tfc = streamfold.compile("builtin:tfc-w1a1", (784,))
    assert tfc.kernels.inputs[0].shape == (784,)


def test_build_design_takes_a_graph(acc: Accelerator, cnn: nn.Module, tmp_path: Path) -> None:
    result = build_design(acc.graph, tmp_path / "g", "balanced")
    assert result.design.point == acc.point
    assert (tmp_path / "g" / "manifest.json").is_file()
    with pytest.raises(StreamfoldError, match=r"^model: must be a Graph, a path .* not SmallCnn$"):
        build_design(cnn, tmp_path / "m")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m: streamfold.compile(m), r"^compile: input_shape \(per sample"),
        (
            lambda m: streamfold.compile(m, SHAPE, fps=1e3, folding="folded"),
            r"^compile: give fps or folding, not both$",
        ),
        (
            lambda m: streamfold.compile(42),
            r"^compile: model must be a PyTorch module, a Graph, a path .* not int$",
        ),
        (
            lambda m: streamfold.compile(m, SHAPE, folding={"conv9": {"pe": 1}}),
            r"^conv9: the design point names a node the graph does not have$",
        ),
        (
            lambda m: streamfold.compile(m, SHAPE, folding={"conv1": {"pe": 3}}),
            r"^conv1: pe=3 must divide",
        ),
    ],
)
def test_compile_errors(cnn: nn.Module, call: object, message: str) -> None:
    with pytest.raises(StreamfoldError, match=message):
        call(cnn)  # type: ignore[operator]


def test_predict_and_synth_errors(acc: Accelerator, x: torch.Tensor) -> None:
    with pytest.raises(StreamfoldError, match=r"^predict: backend must be exact or rtl, not 'x'$"):
        acc.predict(x, backend="x")
    graph_only = streamfold.compile(acc.graph)
    with pytest.raises(StreamfoldError, match=r"^predict: x must be integer input codes"):
        graph_only.predict(x)
    with pytest.raises(StreamfoldError, match=r"codes must lie in 0\.\.255 \(u8\), not 256$"):
        graph_only.predict(np.full((1, *SHAPE), 256))
    with pytest.raises(StreamfoldError, match=r"^synth: the design must be built first"):
        graph_only.synth()
    with pytest.raises(StreamfoldError, match=r"^synth: seeds: must be an integer in 1\.\.64"):
        graph_only.synth(seeds=0)
    with pytest.raises(StreamfoldError, match=r"^report: the design must be built first"):
        graph_only.report()


# ------------------------------------------------------------------ partial design points
def test_a_partial_design_point_fills_in_generated_nodes(cnn: nn.Module) -> None:
    given = {"conv1": {"pe": 4, "simd": 9}, "conv2": {"pe": 2, "simd": 4}, "fc": {"simd": 8}}
    point = streamfold.compile(cnn, SHAPE, folding=given).point
    folds = {name: (f.pe, f.simd) for name, f in point.nodes}
    assert [name for name, _ in point.nodes] == [
        "conv1_pad", "conv1_swg", "conv1", "pool", "conv2_swg", "conv2", "fc"
    ]  # fmt: skip
    assert folds["conv1"] == (4, 9) and folds["conv2"] == (2, 4) and folds["fc"] == (1, 8)
    # conv2's window takes conv2's SIMD (4 divides its 4 channels): no width converter
    assert folds["conv2_swg"] == (1, 4)
    # 1 channel: conv1's window and pad have one lane at most
    assert folds["conv1_swg"] == (1, 1) and folds["conv1_pad"] == (1, 1)
    # pooling 4 channels of 8x8 pixels: the fewest lanes within the slowest named node
    # (conv2, 144 cycles/frame): 256 cycles at one lane, 128 at two
    assert folds["pool"] == (1, 2)


def test_a_partial_point_with_fast_layers_widens_the_pool(cnn: nn.Module) -> None:
    given = {"conv1": {"pe": 4, "simd": 9}, "conv2": {"pe": 8, "simd": 36}, "fc": {"simd": 32}}
    point = streamfold.compile(cnn, SHAPE, folding=given).point
    # conv1 takes 64 cycles: pooling 4 channels of 8x8 pixels in 64 needs 4 lanes
    assert point.folding("pool").simd == 4


# ------------------------------------------------------------------ target feedback
def _mnist_conv() -> nn.Sequential:
    """A 1-channel 28x28 input into a padded 3x3 convolution: its window emits one word per
    kernel position and pixel, 28 * 28 * 9 = 7,056 cycles/frame at any folding."""
    model = nn.Sequential(
        QuantInput(8, scale=1 / 255),
        QuantConv2d(1, 8, 3, padding=1, bias=False, weight_bits=2),
        nn.BatchNorm2d(8),
        Requantizer(2),
        nn.MaxPool2d(2),
        nn.Flatten(),
        QuantLinear(8 * 14 * 14, 10, weight_bits=2),
    )
    return _calibrated(model, (1, 28, 28))  # type: ignore[return-value]


CEILING = "quantconv2d1_swg: 1 input channel, at least 7,056 cycles/frame at any folding"


@pytest.fixture(scope="module")
def mnist_graph() -> object:
    return export(_mnist_conv(), (1, 28, 28))


def test_the_ceiling_names_the_node(mnist_graph: object) -> None:
    assert str(ceiling(to_kernels(mnist_graph))) == CEILING  # type: ignore[arg-type]


def test_an_fps_target_above_the_ceiling_names_it(mnist_graph: object) -> None:
    """One pixel per word stops at the window's 7,056 cycles/frame; two per word (the search's
    samples=2, docs/mmv.md) reach the 2-D Pad's 30 x 30 = 900, and no more."""
    kernels = to_kernels(mnist_graph)  # type: ignore[arg-type]
    message = (
        r"^200,000 frames/s at 100 MHz \(500 cycles/frame\): no folding reaches it: "
        + CEILING
        + r" \(14,172 frames/s\); the fastest with several samples per word within the budget "
        r"is samples=2, 111,111 frames/s \(900 cycles/frame\); samples=4: no faster \(900 "
        r"cycles/frame, set by quantconv2d1_pad\)$"
    )
    with pytest.raises(FoldingError, match=message):
        min_resources(kernels, device("xc7z020"), 2e5, 100.0)
    with pytest.raises(FoldingError, match=message):
        streamfold.compile(mnist_graph, fps=2e5)
    acc = streamfold.compile(mnist_graph, fps=2e4)  # 5,000 cycles/frame: samples=2 meets it
    assert acc.estimate().pipeline.interval == 900
    assert {f.mmv for _, f in acc.point.nodes} == {1, 2}
    best = max_fps(kernels, device("xc7z020"), 100.0)
    assert (best.interval, best.samples) == (900, 2)
    assert (
        best.reason
        == "samples=4 (4 samples per word): no faster (900 cycles/frame, set by quantconv2d1_pad)"
    )


@pytest.mark.rtl
def test_the_samples_design_the_search_picks_runs_at_its_interval(
    mnist_graph: object, tmp_path: Path
) -> None:
    """The search's samples=2 design (a 2-D Pad and max pool at one pixel per word, the final
    linear layer at the fewest lanes keeping up: docs/mmv.md) in Verilator: bit-exact under
    25 % stalls, and 900 cycles/frame as predicted without."""
    acc = streamfold.compile(mnist_graph, fps=2e4)
    acc.build(tmp_path / "b")
    stalled = acc.simulate(frames=4, stall=0.25)
    assert stalled.rtl is not None
    np.testing.assert_array_equal(stalled.rtl, stalled.reference)
    free = acc.simulate(frames=8)
    assert free.rtl is not None
    np.testing.assert_array_equal(free.rtl, free.reference)
    assert free.measured_interval == pytest.approx(900, rel=0.02)


def test_cycles_target_missed_is_refused_or_warned(mnist_graph: object, tmp_path: Path) -> None:
    refused = (
        rf"^cycles=5000: no folding reaches it: {CEILING} \(ask for fewer frames/s, or pass "
        r"allow_slower=True \(CLI: --allow-slower\) to build the fastest folding anyway\)$"
    )
    with pytest.raises(FoldingError, match=refused):
        build_design(mnist_graph, tmp_path / "b", "cycles=5000")  # type: ignore[arg-type]
    assert not (tmp_path / "b").exists()
    with pytest.warns(UserWarning, match=rf"^cycles=5000: no folding reaches it: {CEILING}; "):
        acc = streamfold.compile(mnist_graph, folding="cycles=5000", allow_slower=True)
    assert acc.estimate().pipeline.interval == 7056
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a reachable target: no warning
        reached = streamfold.compile(mnist_graph, folding="cycles=7056")
    assert reached.estimate().pipeline.interval == 7056


def test_cli_build_refuses_a_missed_cycles_target(
    mnist_graph: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sfir = streamfold.compile(mnist_graph).save(tmp_path / "m.sfir")
    code = main(["build", str(sfir), "-o", str(tmp_path / "b"), "--folding", "cycles=5000"])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"streamfold: error: cycles=5000: no folding reaches it: {CEILING}")
    assert err.count("\n") == 1 and not (tmp_path / "b").exists()
    with pytest.warns(UserWarning, match=rf"^cycles=5000: no folding reaches it: {CEILING}; "):
        args = ["build", str(sfir), "-o", str(tmp_path / "b"), "--folding", "cycles=5000"]
        code = main([*args, "--allow-slower", "-q"])
    assert code == 0
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["predicted"]["cycles_per_frame"] == 7056


# ------------------------------------------------------------------ DAGs and refusals
@pytest.fixture(scope="module")
def resnet() -> nn.Module:
    from dag_nets import trained

    return trained("resnet", "w2a2", steps=2)


def test_a_partial_point_on_a_residual_net_fills_windows_pads_joins_and_forks(
    resnet: nn.Module,
) -> None:
    from dag_nets import SHAPE as DAG_SHAPE
    from streamfold.cost.fifo_sizing import check_fifos

    kernels = streamfold.compile(resnet, DAG_SHAPE).kernels
    units = [n.name for n in kernels.nodes if type(n.op).__name__ == "Mvau"]
    given = {name: {"simd": 4} for name in units if name not in ("stem_0", "fc")}
    acc = streamfold.compile(resnet, DAG_SHAPE, folding=given)
    folds = dict(acc.point.nodes)
    assert len(folds) == len(kernels.nodes)
    for node in kernels.nodes:
        if node.name.endswith("_swg") and node.name[: -len("_swg")] in given:
            assert folds[node.name].simd == 4, node.name  # the width of the unit it feeds
    assert {e for e, _ in acc.point.fifos} == {
        e for e, _ in streamfold.compile(resnet, DAG_SHAPE).point.fifos
    }
    check_fifos(acc.design)  # every join's FIFOs at least their derived minimum: no deadlock
    x = torch.rand(4, *DAG_SHAPE, generator=torch.Generator().manual_seed(3))
    np.testing.assert_array_equal(acc.predict(x), resnet(x).exact.codes.numpy())


class FloatInside(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inp = QuantInput(8, scale=1 / 255)
        self.fc = QuantLinear(16, 4, weight_bits=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.sigmoid(self.inp(x)))


def test_a_custom_forward_with_an_unsupported_op_is_refused_naming_it() -> None:
    model = _calibrated(FloatInside(), (16,))
    with pytest.raises(
        StreamfoldError, match=r"^fx node sigmoid \(call_function sigmoid\): is not"
    ):
        streamfold.compile(model, (16,))


@pytest.mark.slow
@pytest.mark.rtl
def test_a_partial_point_on_a_residual_net_runs_in_rtl_at_its_predicted_interval(
    resnet: nn.Module, rtl_cache: Path, tmp_path: Path
) -> None:
    from dag_nets import SHAPE as DAG_SHAPE

    given = {"blocks_0_conv1_0": {"simd": 4}, "blocks_1_conv2_0": {"pe": 2, "simd": 8}}
    acc = streamfold.compile(resnet, DAG_SHAPE, folding=given)
    acc.build(tmp_path / "resnet")
    x = torch.rand(3, *DAG_SHAPE, generator=torch.Generator().manual_seed(4))
    run = acc.simulate(x, stall=0.2)
    assert run.rtl is not None and run.measured_interval is not None
    np.testing.assert_array_equal(run.rtl, resnet(x).exact.codes.numpy().reshape(3, -1))
    clean = acc.simulate(x)
    assert clean.measured_interval is not None
    assert (
        abs(clean.measured_interval - clean.predicted_interval) <= 0.02 * clean.predicted_interval
    )
