"""The QONNX model zoo TFCs, imported and streamlined, on all 10,000 MNIST test images.

Reference: ``reference_qonnx_TFC_*_mnist_test_logits.npy`` (the ``qonnx`` executor, float32).
The models and data are under a test-only licence and are read from ``../shared`` relative to
the repository root, never copied.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from streamfold.cli import main
from streamfold.data import load_mnist
from streamfold.frontend.qonnx import import_qonnx
from streamfold.ir.ops import MatMul, MultiThreshold, Requantize
from streamfold.sim.exact import dequantize, run, run_single
from streamfold.transforms import Lowering, streamline

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
ZOO = SHARED / "models" / "tfc_qonnx_zoo"
MNIST = SHARED / "data" / "mnist"
ACCURACY = {"TFC_1W1A": 92.96, "TFC_1W2A": 94.74, "TFC_2W2A": 96.60}
# TensorNorm's bias: the last float32 op of the reference (Add), read from the file in the test.
_U = 2.0**-24  # float32 unit roundoff

pytestmark = pytest.mark.skipif(
    not (ZOO / "TFC_1W1A.onnx").is_file() or not MNIST.is_dir(),
    reason=f"the QONNX zoo TFC models and MNIST must be present under {SHARED}",
)


@pytest.fixture(scope="module")
def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    _, test = load_mnist(MNIST)
    return test.x.reshape(-1, 1, 28, 28), test.y


def _tensornorm_bias(path: Path) -> float:
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    add = next(n for n in graph.node if n.op_type == "Add")
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    return float(inits[add.input[1]].ravel()[0])


@pytest.mark.parametrize("name", list(ACCURACY))
def test_tfc_reproduces_qonnx_reference(
    name: str, mnist_test: tuple[np.ndarray, np.ndarray]
) -> None:
    x, labels = mnist_test
    path = ZOO / f"{name}.onnx"
    imported = import_qonnx(path)
    hw = streamline(imported.graph, Lowering.THRESHOLDS)
    assert {type(n.op) for n in hw.nodes} == {MatMul, MultiThreshold}
    codes = run_single(hw, imported.input_codes(x))
    scale = hw.scale(hw.outputs[0])
    assert scale is not None and len(scale.mul) == len(scale.add) == 1
    logits = dequantize(codes, scale)
    ref = np.load(ZOO / f"reference_qonnx_{name}_mnist_test_logits.npy").astype(np.float64)

    # The integers agree exactly: the last layer's accumulators recovered from the reference
    # logits (whose float32 error is far below half a code) equal ours on all 100,000 values.
    recovered = np.round((ref - float(scale.add[0])) / float(scale.mul[0]))
    np.testing.assert_array_equal(recovered, codes)
    np.testing.assert_array_equal(logits.argmax(axis=1), ref.argmax(axis=1))

    # The reals differ by the reference's float32 tail y = ((acc - mean) / d) * w + b (d is the
    # folded Pow constant, equal in both): four roundings of at most u = 2**-24 relative each;
    # the first three are relative to |y - b|, the last to |y|.
    bound = _U * (3 * np.abs(ref - _tensornorm_bias(path)) + np.abs(ref))
    assert (np.abs(logits - ref) <= bound).all()

    accuracy = round(float((logits.argmax(axis=1) == labels).mean()) * 100, 2)
    assert accuracy == ACCURACY[name]


@pytest.mark.parametrize("name", list(ACCURACY))
def test_tfc_no_quantizer_decision_is_near_a_float32_tie(
    name: str, mnist_test: tuple[np.ndarray, np.ndarray]
) -> None:
    """Why the integers agree with float32 qonnx: every hidden quantizer input x*mul + add (exact)
    lies farther from its rounding boundary, relative to the magnitude of its terms, than the
    relative error of qonnx's float32 BatchNorm (a few u) plus our float64 BN fold (~u); the
    smallest margins measured are 7.3e-5 (1W1A), 8.6e-6 (1W2A), 2.5e-5 (2W2A)."""
    imported = import_qonnx(ZOO / f"{name}.onnx")
    graph = imported.graph
    requants = list(graph.ops_of(Requantize))
    probe = replace(graph, outputs=tuple(n.inputs[0] for n, _ in requants), scales=())
    accs = run(probe, imported.input_codes(mnist_test[0]))
    for node, op in requants:
        acc = accs[node.inputs[0]].astype(np.float64)
        mul = np.array([float(op.mul[c % len(op.mul)]) for c in range(acc.shape[1])])
        add = np.array([float(op.add[c % len(op.add)]) for c in range(acc.shape[1])])
        y, size = acc * mul + add, np.abs(acc * mul) + np.abs(add)
        bounds = [0.0] if node.output.dtype.bipolar else [-0.5, 0.5]  # i2n: {-1, 0, 1}
        margin = np.min([np.abs(y - b) / (size + abs(b)) for b in bounds], axis=0)
        assert margin.min() > 64 * _U, f"{node.name}: a decision lies within float32 rounding"


@pytest.mark.parametrize("name", list(ACCURACY))
def test_tfc_finn_examples_input_is_seven(name: str) -> None:
    imported = import_qonnx(ZOO / f"{name}.onnx")
    x = np.load(ZOO / "finn_examples_tfc_mnist_input.npy") / np.float32(255)
    expected = np.load(ZOO / "finn_examples_tfc_mnist_output.npy")
    assert int(expected.ravel()[0]) == 7
    codes = run_single(imported.graph, imported.input_codes(x))
    assert codes.argmax(axis=1).tolist() == [7]


def test_tfc_1w1a_input_is_bipolar_and_weights_bipolar() -> None:
    graph = import_qonnx(ZOO / "TFC_1W1A.onnx").graph
    assert str(graph.inputs[0].dtype) == "bipolar" and graph.inputs[0].shape == (784,)
    assert all(str(op.weight_dtype) == "bipolar" for _, op in graph.ops_of(MatMul))


def test_cli_show_and_build_accept_qonnx(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = str(ZOO / "TFC_2W2A.onnx")
    assert main(["show", model]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith("graph nn\ninput ") and "Requantize" in shown
    assert main(["build", model, "-o", str(tmp_path / "b"), "--folding", "balanced"]) == 0
    assert (tmp_path / "b" / "manifest.json").is_file()


# One model in the default run keeps the file set under a minute; the others run with -m slow.
RTL_CASES = [
    pytest.param("TFC_1W1A", marks=pytest.mark.slow),
    pytest.param("TFC_1W2A", marks=pytest.mark.slow),
    "TFC_2W2A",
]


@pytest.mark.rtl
@pytest.mark.parametrize("name", RTL_CASES)
def test_tfc_rtl_equals_qonnx_reference(
    name: str, mnist_test: tuple[np.ndarray, np.ndarray], rtl_cache: Path, tmp_path: Path
) -> None:
    """Imported -> kernels -> RTL: Verilator's outputs on 100 images equal the reference's codes."""
    from streamfold.codegen.top import stitch, write_build
    from streamfold.dse.design_point import folding_preset
    from streamfold.flow import to_kernels
    from streamfold.sim.design import simulate_build

    imported = import_qonnx(ZOO / f"{name}.onnx")
    graph = to_kernels(imported.graph)
    out_dir = write_build(stitch(graph, folding_preset(graph, "balanced")), tmp_path / "build")
    codes, _ = simulate_build(out_dir, imported.input_codes(mnist_test[0][:100]))
    scale = graph.scale(graph.outputs[0])
    assert scale is not None
    ref = np.load(ZOO / f"reference_qonnx_{name}_mnist_test_logits.npy")[:100].astype(np.float64)
    recovered = np.round((ref - float(scale.add[0])) / float(scale.mul[0]))
    np.testing.assert_array_equal(codes, recovered)
