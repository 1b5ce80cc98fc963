"""Model inputs: finn_datatype annotations, declared input quantization (``input_quant``), and
``input_codes`` on batches, against the ``qonnx`` executor."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import onnx
import pytest
from test_qonnx_helpers import Net, qonnx_execute, run_imported

from streamfold.cli import main
from streamfold.errors import FrontendError
from streamfold.frontend.qonnx import InputQuant, import_qonnx, parse_input_quant
from streamfold.ir import parse_graph
from streamfold.ir.dtypes import BIPOLAR, IntType
from streamfold.sim.exact import dequantize, run_single


def _annotate(model: onnx.ModelProto, datatype: str, tensor: str = "x") -> onnx.ModelProto:
    ann = onnx.TensorAnnotation(tensor_name=tensor)
    ann.quant_parameter_tensor_names.append(
        onnx.StringStringEntryProto(key="finn_datatype", value=datatype)
    )
    model.graph.quantization_annotation.append(ann)
    return model


def _float_input_net(features: int = 5) -> onnx.ModelProto:
    """x (float, no quantizer) -> MatMul(integer weights) -> Mul -> Quant(u3) -> MatMul."""
    rng = np.random.default_rng(4)
    net = Net((1, features))
    w1 = rng.integers(-3, 4, (features, 4)).astype(np.float32)
    h = net.node("MatMul", ["x", net.const(w1)], name="fc1")
    h = net.node("Mul", [h, net.const(np.float32(0.125))])
    h = net.quant(h, 0.5, 3, signed=False)
    w2 = rng.integers(-2, 3, (4, 3)).astype(np.float32)
    return net.model(net.node("MatMul", [h, net.const(w2)], name="fc2"))


# parsing ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("int8", InputQuant(8, True)),
        ("UINT4", InputQuant(4, False)),
        ("bipolar", InputQuant(1, True)),
        ("bits=8,signed=1,scale=0.0078125", InputQuant(8, True, Fraction(1, 128))),
        ("bits=8, signed=1, scale=1/128", InputQuant(8, True, Fraction(1, 128))),
        ("bits=8,signed=true,scale=2^-7", InputQuant(8, True, Fraction(1, 128))),
        ("bits=6,signed=0,scale=2**-3", InputQuant(6, False, Fraction(1, 8))),
        ("bits=4,signed=1,narrow=1", InputQuant(4, True, Fraction(1), narrow=True)),
        ("bits=8,signed=1,scale=0.1", InputQuant(8, True, Fraction(1, 10))),
        ("fixed<16,6>", InputQuant(16, True, Fraction(1, 1024))),
        ("ap_fixed<8,3>", InputQuant(8, True, Fraction(1, 32))),
        ("ufixed<8,0>", InputQuant(8, False, Fraction(1, 256))),
        ("ap_ufixed<4, 6>", InputQuant(4, False, Fraction(4))),
    ],
)
def test_parse_input_quant_forms(text: str, expected: InputQuant) -> None:
    assert parse_input_quant(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "float",
            "input_quant 'float': must be one of int<bits>, uint<bits>, bipolar, fixed<W,I>, "
            "ufixed<W,I> or bits=B,signed=0|1,scale=S",
        ),
        ("int0", "input_quant: bits must be in 1..32, not 0"),
        ("bits=8,scale=1", "input_quant 'bits=8,scale=1': must give bits= and signed="),
        (
            "bits=8,signed=1,scale=-2",
            "input_quant 'bits=8,signed=1,scale=-2': scale must be positive, not '-2'",
        ),
        (
            "bits=8,signed=2",
            "input_quant 'bits=8,signed=2': signed must be 0 or 1, not '2'",
        ),
        (
            "bits=8,signed=1,zero=3",
            "input_quant 'bits=8,signed=1,zero=3': keys must be bits, signed, scale, narrow "
            "(once each), not 'zero=3'",
        ),
        (
            "bits=8,signed=1,scale=x",
            "input_quant 'bits=8,signed=1,scale=x': scale must be a number, a fraction p/q or "
            "2^k, not 'x'",
        ),
    ],
)
def test_parse_input_quant_errors(text: str, message: str) -> None:
    with pytest.raises(FrontendError, match=f"^{re.escape(message)}$"):
        parse_input_quant(text)


def test_input_codes_round_half_even_and_clamp() -> None:
    q = InputQuant(4, True, Fraction(1, 2))
    x = np.float32([-9.0, -1.25, -0.25, 0.25, 0.75, 1.25, 3.5, 100.0])
    np.testing.assert_array_equal(q.codes(x), [-8, -2, 0, 0, 2, 2, 7, 7])
    np.testing.assert_array_equal(InputQuant(1, True).codes([-0.5, 0.0, 2.0]), [-1, 1, 1])
    assert InputQuant(4, True, narrow=True).codes([-100.0])[0] == -7


# finn_datatype annotations --------------------------------------------------------------------
ANNOTATED = [  # finn_datatype, IR type, input values the type holds
    ("INT8", IntType(8, True), np.arange(-128, 128)),
    ("UINT4", IntType(4, False), np.arange(16)),
    ("BINARY", IntType(1, False), np.arange(2)),
    ("BIPOLAR", BIPOLAR, np.array([-1, 1])),
    ("TERNARY", IntType(2, True, narrow=True), np.arange(-1, 2)),
    ("FIXED<8,3>", IntType(8, True), np.arange(-128, 128) / 32),
]


@pytest.mark.parametrize("datatype, dtype, values", ANNOTATED, ids=[a[0] for a in ANNOTATED])
def test_annotated_input_is_the_input_quantizer(
    datatype: str, dtype: IntType, values: np.ndarray
) -> None:
    model = _annotate(_float_input_net(), datatype)
    imported = import_qonnx(model)
    assert imported.graph.inputs[0].dtype == dtype
    x = np.random.default_rng(5).choice(values, (40, 5)).astype(np.float32)
    nn_out, hw_out = run_imported(model, x)
    ref = qonnx_execute(model, x)
    np.testing.assert_array_equal(nn_out, ref)
    np.testing.assert_array_equal(hw_out, ref)


def test_float_annotation_is_a_float_input() -> None:
    with pytest.raises(FrontendError, match=r"^model input 'x': is float and reaches node 'fc1'"):
        import_qonnx(_annotate(_float_input_net(), "FLOAT32"))


# declared input quantization -------------------------------------------------------------------
@pytest.mark.parametrize("text", ["int8", "fixed<8,4>", "bits=6,signed=0,scale=1/4"])
def test_declared_input_quant_equals_executor_on_quantized_input(text: str) -> None:
    q = parse_input_quant(text)
    model = _float_input_net()
    imported = import_qonnx(model, input_quant=text)
    assert imported.graph.inputs[0].dtype == q.dtype
    x = np.random.default_rng(6).uniform(-20, 40, (40, 5)).astype(np.float32)
    x[:4] = np.float32([0.125, 0.375, -0.125, 2.5]).reshape(4, 1)  # ties at every scale
    quantized = (q.codes(x) * float(q.scale)).astype(np.float32)
    nn_out, hw_out = run_imported(model, x, input_quant=q)
    ref = qonnx_execute(model, quantized)
    np.testing.assert_array_equal(nn_out, ref)
    np.testing.assert_array_equal(hw_out, ref)


def test_declared_input_quant_refused_where_the_model_quantizes_its_input() -> None:
    net = Net((1, 4))
    h = net.quant("x", 1.0, 4, name="qin")
    model = net.model(net.node("MatMul", [h, net.const(np.eye(4, dtype=np.float32))]))
    with pytest.raises(
        FrontendError,
        match=r"^model input 'x': is quantized by node 'qin' \(Quant\) already; input_quant "
        "applies only to a float input that reaches the layers unquantized$",
    ):
        import_qonnx(model, input_quant="int8")


def test_declared_input_quant_must_agree_with_annotation() -> None:
    model = _annotate(_float_input_net(), "UINT4")
    assert import_qonnx(model, input_quant="uint4").graph == import_qonnx(model).graph
    with pytest.raises(
        FrontendError,
        match=r"^model input 'x': input_quant must agree with its finn_datatype annotation "
        r"UINT4 \(u4\), not i8$",
    ):
        import_qonnx(model, input_quant="int8")


# input_codes on batches -----------------------------------------------------------------------
def _reshape_to_batch_one() -> onnx.ModelProto:
    """x [1, 2, 3] -> Reshape [1, 6] (a constant batch of 1) -> Quant -> MatMul."""
    net = Net((1, 2, 3))
    h = net.node("Reshape", ["x", net.const(np.int64([1, 6]), np.int64)])
    h = net.quant(h, 0.5, 4)
    w = np.random.default_rng(7).integers(-2, 3, (6, 3)).astype(np.float32)
    return net.model(net.node("MatMul", [h, net.const(w)]))


def test_input_codes_of_a_batch_run_per_sample_through_a_batch_one_reshape() -> None:
    model = _reshape_to_batch_one()
    x = np.random.default_rng(8).uniform(-5, 5, (7, 2, 3)).astype(np.float32)
    nn_out, _ = run_imported(model, x)
    np.testing.assert_array_equal(nn_out, qonnx_execute(model, x))


def test_input_codes_name_the_expected_shape() -> None:
    imported = import_qonnx(_reshape_to_batch_one())
    with pytest.raises(
        FrontendError, match=r"^model input 'x': must have shape \[batch, 2, 3\], not \[7, 6\]$"
    ):
        imported.input_codes(np.zeros((7, 6), np.float32))


def test_cli_show_takes_input_quant(tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(str(tmp_path)) / "float_input.onnx"
    onnx.save(_float_input_net(), str(path))
    assert main(["show", str(path)]) == 1
    assert "declare its quantization with --input-quant" in capsys.readouterr().err
    assert main(["show", str(path), "--input-quant", "fixed<8,4>"]) == 0
    assert re.search(r"\bi8\b", capsys.readouterr().out)


def test_load_graph_takes_input_quant_for_onnx_files_only(tmp_path: object) -> None:
    from streamfold.errors import StreamfoldError
    from streamfold.flow import load_graph

    path = Path(str(tmp_path)) / "m.onnx"
    onnx.save(_float_input_net(), str(path))
    assert load_graph(path, "uint4").inputs[0].dtype == IntType(4, False)
    with pytest.raises(StreamfoldError, match=r"^builtin:cnv-w1a1: input_quant applies to \.onnx"):
        load_graph("builtin:cnv-w1a1", "int8")


# build and explore of a float-input model from the command line --------------------------------
@pytest.fixture
def float_model(tmp_path: Path) -> Path:
    path = tmp_path / "float_input.onnx"
    onnx.save(_float_input_net(), str(path))
    return path


@pytest.mark.parametrize("command", ["build", "explore"])
def test_cli_without_input_quant_names_the_option(
    float_model: Path, tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main([command, str(float_model), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "declare its quantization with --input-quant" in err
    assert not out.exists()


def test_cli_build_takes_input_quant(
    float_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The build computes the model on the declared grid: its kernel graph, on the codes
    ``input_codes`` makes of inputs on that grid, gives qonnx's outputs exactly."""
    out = tmp_path / "hw"
    assert main(["build", str(float_model), "-o", str(out), "--input-quant", "fixed<8,4>"]) == 0
    assert "frames/s" in capsys.readouterr().out
    graph = parse_graph((out / "graph.hw.sfir").read_text())
    assert graph.inputs[0].dtype == IntType(8, True)
    x = (np.random.default_rng(9).integers(-128, 128, (12, 5)) / 16).astype(np.float32)
    codes = import_qonnx(float_model, input_quant="fixed<8,4>").input_codes(x)
    np.testing.assert_array_equal(codes, x * 16)
    real = dequantize(run_single(graph, codes), graph.scale(graph.outputs[0]))
    np.testing.assert_array_equal(real, qonnx_execute(onnx.load(str(float_model)), x))
    assert main(["sim", str(out), "--frames", "4", "-q"]) == 0


@pytest.mark.slow  # a Verilator build (~20 s)
@pytest.mark.rtl
def test_cli_build_with_input_quant_runs_in_verilator(
    float_model: Path, tmp_path: Path, rtl_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "hw"
    assert main(["build", str(float_model), "-o", str(out), "--input-quant", "int8"]) == 0
    assert main(["sim", str(out), "--rtl", "--frames", "8", "--stall", "0.25", "-q"]) == 0
    assert "outputs equal the reference bit for bit" in capsys.readouterr().out


def test_cli_explore_takes_input_quant(
    float_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    point = tmp_path / "point.json"
    argv = ["explore", str(float_model), "--input-quant", "uint4", "-o", str(point)]
    assert main(argv) == 0
    assert "wrote" in capsys.readouterr().out
    out = tmp_path / "hw"
    argv = ["build", str(float_model), "-o", str(out), "--input-quant", "uint4"]
    assert main([*argv, "--folding", str(point)]) == 0
    assert parse_graph((out / "graph.hw.sfir").read_text()).inputs[0].dtype == IntType(4, False)
