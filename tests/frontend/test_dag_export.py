"""Residual, depthwise-separable and concatenating nets: PyTorch eval codes == sim.exact on the
exported nn graph == sim.exact on the streamlined graph, bit for bit; and the refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from dag_nets import NETS, PRECISIONS, SHAPE, digits, trained
from streamfold.errors import FrontendError
from streamfold.frontend.torch_fx import export_module, input_codes
from streamfold.ir.text import parse_graph, print_graph
from streamfold.quant import QuantAdd, QuantConv2d, QuantInput, Requantizer, exact_of
from streamfold.sim.exact import run_single
from streamfold.transforms.lower_requantize import Lowering
from streamfold.transforms.lower_to_kernels import lower_to_kernels
from streamfold.transforms.streamline import streamline

CASES = [pytest.param(n, p, id=f"{n}-{p}") for n in NETS for p in PRECISIONS]


@pytest.mark.parametrize(("name", "precision"), CASES)
def test_pytorch_eval_equals_exact_on_nn_and_streamlined_graphs(name: str, precision: str) -> None:
    model = trained(name, precision)
    x, _ = digits(64)
    with torch.no_grad():
        out = exact_of(model(x))
    assert out is not None
    graph = export_module(model, SHAPE)
    assert any(len(n.inputs) > 1 for n in graph.nodes) or name == "mobilenet"
    codes = input_codes(model, x.numpy())
    reference = run_single(graph, codes)
    np.testing.assert_array_equal(reference, out.codes.numpy())
    for lowering in (None, Lowering.THRESHOLDS, Lowering.MULSHIFT):
        np.testing.assert_array_equal(run_single(streamline(graph, lowering), codes), reference)
    assert parse_graph(print_graph(graph)) == graph


def test_resnet_graph_is_a_dag_with_a_strided_projection() -> None:
    graph = export_module(trained("resnet", "w2a2", steps=1), SHAPE)
    adds = [n for n in graph.nodes if type(n.op).__name__ == "Add"]
    assert len(adds) == 3
    projection = graph.node("blocks_1_project_0")
    assert projection.op.stride == (2, 2) and projection.op.weight.shape[2:] == (1, 1)  # type: ignore[union-attr]
    assert graph.node("blocks_1_add_sum").inputs == ("blocks_1_conv2_2", "blocks_1_project_2")


def test_mobilenet_keeps_depthwise_and_grouped_convolutions() -> None:
    graph = export_module(trained("mobilenet", "w2a2", steps=1), SHAPE)
    groups = [n.op.groups for n in graph.nodes if type(n.op).__name__ == "Conv"]  # type: ignore[union-attr]
    assert groups == [1, 8, 1, 16, 4, 1]


@pytest.mark.parametrize("name", ["resnet", "concat"])
def test_lowering_keeps_joins_as_two_input_kernels(name: str) -> None:
    """Add and Concat are kernels (the add and concat blocks), each with two inputs."""
    graph = lower_to_kernels(streamline(export_module(trained(name, "w2a2", steps=1), SHAPE)))
    joins = [n for n in graph.nodes if type(n.op).__name__ in ("Add", "Concat")]
    assert joins and all(len(n.inputs) == 2 for n in joins)


# ------------------------------------------------------------------------------------ errors
class _Two(nn.Module):
    def __init__(self, join: str):
        super().__init__()
        self.join = join
        self.inp = QuantInput(4, scale=1 / 15)
        self.a = Requantizer(2, scale=0.5)
        self.conv = QuantConv2d(2, 2, 1, bias=False)
        self.bn = nn.BatchNorm2d(2)
        self.b = Requantizer(2, scale=0.25)
        self.add = QuantAdd(3, scale=0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.inp(x)
        a, b = self.a(x), self.b(x)
        if self.join == "plus":
            return a + b
        if self.join == "cat2":
            return torch.cat([a, b], dim=2)
        if self.join == "relu":
            return torch.relu(a)
        if self.join == "bn":
            return self.add(a, self.bn(self.conv(b)))
        if self.join == "raw":
            return self.conv(x * 2)
        return self.add(a, b)


@pytest.mark.parametrize(
    ("join", "message"),
    [
        (
            "plus",
            r"^fx node add \(call_function add\): adding two activations must use a QuantAdd",
        ),
        (
            "cat2",
            r"^fx node cat \(call_function cat\): must concatenate two or more activations along "
            r"dim 1 \(channels\), not 2 along dim 2$",
        ),
        ("relu", r"^fx node relu \(call_function relu\): is not supported; supported are"),
        (
            "bn",
            r"^fx node add \(add: QuantAdd\): input 1 must be a quantized activation with one "
            r"nonzero scale, not 2 per-channel scales; put a Requantizer before the add$",
        ),
        ("raw", r"^fx node mul \(call_function mul\): is not supported"),
    ],
)
def test_export_refuses_unsupported_joins_naming_the_fx_node(join: str, message: str) -> None:
    model = _Two(join).eval()
    with pytest.raises(FrontendError, match=message):
        export_module(model, (2, 4, 4))


def test_add_is_exported_as_integer_add_and_requantize() -> None:
    graph = export_module(_Two("add").eval(), (2, 4, 4))
    add = graph.node("add_sum")
    assert add.op.factors == (2, 1) and add.inputs == ("a", "b")  # type: ignore[union-attr]
    assert str(add.output.dtype) == "u4"  # 2 * u2 + u2: 0..9


class _Unquantized(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = QuantConv2d(2, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class _TwoInputs(_Unquantized):
    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return self.conv(x)


def test_the_input_must_be_read_by_one_quant_input() -> None:
    with pytest.raises(FrontendError, match=r"^model: forward must take one input tensor, not 2$"):
        export_module(_TwoInputs(), (2, 4, 4))
    with pytest.raises(
        FrontendError,
        match=r"^model: its input 'x' must be read by one QuantInput only, not by conv$",
    ):
        export_module(_Unquantized(), (2, 4, 4))
