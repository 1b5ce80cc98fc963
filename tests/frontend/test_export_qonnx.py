"""export_qonnx: streamfold QAT model -> QONNX file -> ``qonnx``'s executor == PyTorch eval.

The networks are those of ``test_exactness_properties`` (bipolar, ternary, 2..8-bit weights;
bipolar, 1..8-bit activations; BatchNorm with negative and zero gammas; bias; per-channel
scales; Conv1d/Conv2d with MaxPool; inputs with rounding ties and saturation).
"""

from __future__ import annotations

from collections import OrderedDict
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
import torch
from hypothesis import given, settings
from torch import nn

from streamfold.errors import FrontendError
from streamfold.frontend.export_qonnx import INPUT, OUTPUT, export_qonnx
from streamfold.frontend.torch import export
from streamfold.ir.graph import Scale
from streamfold.quant import QuantInput, QuantLinear, Requantizer
from streamfold.sim.exact import dequantize, run_single
from test_exactness_properties import (  # tests/ is on sys.path through its conftest
    CASES,
    IDS,
    NET_CONFIGS,
    NETS,
    POOL_FIRST,
    Built,
    Net,
    built,
    input_shape,
)

qonnx_wrapper = pytest.importorskip("qonnx.core.modelwrapper", reason="qonnx is not installed")
from qonnx.core.onnx_exec import execute_onnx  # noqa: E402
from qonnx.util.cleanup import cleanup_model  # noqa: E402

ModelWrapper = qonnx_wrapper.ModelWrapper


def _export(b: Built, net: Net, path: Path, **kwargs: Any) -> onnx.ModelProto:
    return export_qonnx(b.model, input_shape(net), path, batch_size=len(b.x), **kwargs)


def _execute(proto: onnx.ModelProto, x: torch.Tensor) -> dict[str, np.ndarray]:
    context: dict[str, np.ndarray] = execute_onnx(
        ModelWrapper(proto), {INPUT: x.numpy()}, return_full_exec_context=True
    )
    return context


def _codes_name(proto: onnx.ModelProto) -> str:
    """The integer output codes: the tensor the output scale's Mul multiplies."""
    (mul,) = (n for n in proto.graph.node if n.op_type == "Mul" and "output_mul" in n.input)
    return str(mul.input[0])


def _assert_within_float32_scale_rounding(b: Built, logits: np.ndarray) -> None:
    """The logits of the output scale in float32 (its mul and add, the product and the sum
    each rounded once) against PyTorch's; and the same argmax."""
    terms = np.abs(dequantize(b.expected, _scale_only(b, mul=True)))
    terms += np.abs(dequantize(np.zeros_like(b.expected), _scale_only(b, mul=False)))
    bound = 2.0**-22 * terms + np.spacing(np.abs(b.floats))
    assert (np.abs(logits.astype(np.float64) - b.floats) <= bound).all()
    np.testing.assert_array_equal(logits.argmax(axis=1), b.floats.argmax(axis=1))


def _scale_only(b: Built, *, mul: bool) -> Scale:
    """The graph output's multiplier (mul=True) or offset (mul=False) alone."""
    scale = b.graph.scale(b.graph.outputs[0])
    assert scale is not None
    zero = (Fraction(0),)
    return Scale(scale.mul, zero) if mul else Scale(zero, scale.add)


ALL = [*CASES, pytest.param(POOL_FIRST, id="conv2d-pool-before-negative-bn")]


@pytest.mark.parametrize("net", ALL)
def test_qonnx_executor_matches_pytorch(net: Net, tmp_path: Path) -> None:
    b = built(net)
    proto = _export(b, net, tmp_path / "model.onnx")
    out = _execute(proto, b.x)
    np.testing.assert_array_equal(out[_codes_name(proto)], b.expected)  # integer codes: exact
    logits = out[OUTPUT]
    assert logits.dtype == np.float32 and logits.shape == b.floats.shape
    _assert_within_float32_scale_rounding(b, logits)


@pytest.mark.parametrize("net", ALL)
def test_float64_output_scale_is_bit_exact(net: Net, tmp_path: Path) -> None:
    b = built(net)
    proto = _export(b, net, tmp_path / "model.onnx", float64_output_scale=True)
    np.testing.assert_array_equal(_execute(proto, b.x)[OUTPUT], b.floats)


@pytest.mark.parametrize("net", [NETS[IDS.index("w-ternary")], NETS[IDS.index("conv2d")]])
def test_cleaned_up_file_runs_the_same(net: Net, tmp_path: Path) -> None:
    """The file as written, loaded and passed through qonnx's cleanup_model, as a user would."""
    b = built(net)
    path = tmp_path / "model.onnx"
    proto = _export(b, net, path)
    assert onnx.load(str(path)) == proto
    model = cleanup_model(ModelWrapper(str(path)))
    (name,) = (i.name for i in model.graph.input)
    (out,) = execute_onnx(model, {name: b.x.numpy()}).values()
    np.testing.assert_array_equal(out, _execute(proto, b.x)[OUTPUT])


def test_the_mapping_is_the_documented_one(tmp_path: Path) -> None:
    net = NETS[IDS.index("w-ternary")]
    proto = export_qonnx(built(net).model, input_shape(net), tmp_path / "m.onnx")
    ops = [n.op_type for n in proto.graph.node]
    assert ops == ["Div", "Quant"] + ["Quant", "MatMul", "MultiThreshold"] * 2 + [
        "Quant",
        "MatMul",
        "Mul",
        "Add",
    ]
    (inp,) = proto.graph.input
    assert [d.dim_value for d in inp.type.tensor_type.shape.dim] == [1, 16]
    mt = next(n for n in proto.graph.node if n.op_type == "MultiThreshold")
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in mt.attribute}
    assert attrs == {
        "out_dtype": b"INT2",
        "out_scale": 1.0,
        "out_bias": -1.0,
        "data_layout": b"NC",
    }


@settings(derandomize=True, max_examples=8, deadline=None)
@given(net=NET_CONFIGS)
def test_random_networks_run_exactly_in_qonnx(
    net: Net, tmp_path_factory: pytest.TempPathFactory
) -> None:
    b = built(net)
    path = tmp_path_factory.mktemp("random") / "model.onnx"
    proto = export_qonnx(b.model, input_shape(net), path, batch_size=len(b.x))
    np.testing.assert_array_equal(_execute(proto, b.x)[_codes_name(proto)], b.expected)


# --- and back: streamfold's QONNX importer -------------------------------------------------------


@pytest.mark.parametrize("net", ALL)
def test_reimported_graph_matches_the_original(net: Net, tmp_path: Path) -> None:
    """QAT model -> QONNX -> ``import_qonnx`` -> ``sim.exact``: the same input codes, and the
    same outputs (the importer may choose other integer codes, e.g. 0/1 for bipolar, with the
    matching scale, read back from the file's float32 constants)."""
    from streamfold.frontend.qonnx import import_qonnx

    b = built(net)
    export_qonnx(b.model, input_shape(net), tmp_path / "model.onnx")
    imported = import_qonnx(tmp_path / "model.onnx")
    codes = imported.input_codes(b.x.numpy())
    np.testing.assert_array_equal(codes, b.codes)
    out = run_single(imported.graph, codes)
    logits = dequantize(out, imported.graph.scale(imported.graph.outputs[0]))
    _assert_within_float32_scale_rounding(b, logits.astype(np.float32))


# --- errors ------------------------------------------------------------------------------------


def _eval(model: nn.Sequential, features: int) -> nn.Sequential:
    with torch.no_grad():
        model.train()
        model(torch.rand(8, features))
    return model.eval()


def test_unsupported_layer_raises_the_torch_frontends_error(tmp_path: Path) -> None:
    model = _eval(nn.Sequential(QuantInput(8), QuantLinear(4, 3), nn.Softmax(dim=1)), 4)
    with pytest.raises(FrontendError) as expected:
        export(model, (4,))
    with pytest.raises(FrontendError) as got:
        export_qonnx(model, (4,), tmp_path / "m.onnx")
    assert str(got.value) == str(expected.value)
    assert not (tmp_path / "m.onnx").exists()


def test_accumulator_beyond_float32_raises(tmp_path: Path) -> None:
    """8-bit input codes times 8-bit weights over 1024 inputs can reach 2**25: not float32."""
    layer = QuantLinear(1024, 2, bias=False, weight_bits=8)
    model = _eval(nn.Sequential(QuantInput(8, scale=1 / 255), layer, Requantizer(2)), 1024)
    with torch.no_grad():
        layer.weight.fill_(float(layer.weight_quant.scale.value()) * -128)
    with pytest.raises(
        FrontendError,
        match=r"^quantlinear1: values must stay within \+-2\*\*24 to be exact in QONNX's "
        r"float32, not i26 \[-33554432, 33554431\]$",
    ):
        export_qonnx(model, (1024,), tmp_path / "m.onnx")


def test_batch_size_must_be_positive(tmp_path: Path) -> None:
    net = NETS[IDS.index("w-ternary")]
    with pytest.raises(
        FrontendError, match=r"^export_qonnx: batch_size must be an integer >= 1, not 0$"
    ):
        export_qonnx(built(net).model, input_shape(net), tmp_path / "m.onnx", batch_size=0)


def test_layer_names_clashing_with_constants_raise(tmp_path: Path) -> None:
    layers = OrderedDict(inp=QuantInput(8), one=QuantLinear(4, 3), act=Requantizer(2))
    model = _eval(nn.Sequential(layers), 4)
    with pytest.raises(
        FrontendError,
        match=r"^export_qonnx: tensor name 'one' must be unique; rename the layer using it$",
    ):
        export_qonnx(model, (4,), tmp_path / "m.onnx")
