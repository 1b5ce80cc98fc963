"""QONNX import: each op's semantics, against hand-computed cases and the ``qonnx`` executor.

The models use dyadic scales and integer-valued data, so float32 (qonnx) is exact on them and
the imported integer graphs must give the same reals bit for bit, ties included.
"""

from __future__ import annotations

import copy
import itertools
from fractions import Fraction

import numpy as np
import onnx
import pytest
from test_qonnx_helpers import (
    QONNX,
    cnn,
    conv1d,
    mlp,
    qonnx_execute,
    run_imported,
    threshold_net,
    tiny,
    trunc_net,
)

from streamfold.frontend.qonnx import import_qonnx
from streamfold.frontend.qonnx.numeric import bipolar_codes, int_range, multithreshold, quant_codes
from streamfold.frontend.qonnx.quantize import round_fraction, threshold
from streamfold.ir.dtypes import BIPOLAR, IntType
from streamfold.ir.ops import MultiThreshold, Requantize

MODES = ("ROUND", "HALF_EVEN", "CEIL", "FLOOR", "DOWN", "UP", "HALF_UP", "HALF_DOWN")


def _x(shape: tuple[int, ...], n: int = 24, lo: float = -9, hi: float = 17) -> np.ndarray:
    return np.random.default_rng(0).uniform(lo, hi, (n, *shape[1:])).astype(np.float32)


# hand-computed cases -------------------------------------------------------------------------
def test_quant_rounds_half_to_even_after_clamping() -> None:
    x = np.float32([-9.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 7.5])
    codes = quant_codes(x, np.float32(1), np.float32(0), 4, True, False, "ROUND")
    np.testing.assert_array_equal(codes, [-8, -2, -2, 0, 0, 2, 2, 7])


def test_quant_ranges_narrow_and_bipolar() -> None:
    assert int_range(2, False, True) == (0, 2)  # unsigned narrow: 2**b - 2
    assert int_range(4, True, True) == (-7, 7)
    assert int_range(3, False, False) == (0, 7)
    one_bit = quant_codes(
        np.float32([-0.1, 0.0, 0.3]), np.float32(1), np.float32(0), 1, True, False, "ROUND"
    )
    np.testing.assert_array_equal(one_bit, [-1, 1, 1])  # 1-bit signed Quant is bipolar
    np.testing.assert_array_equal(bipolar_codes(np.float32([-1e-9, 0.0, 2.0])), [-1, 1, 1])


def test_rounding_modes_by_hand() -> None:
    x = np.float32([-1.5, -0.5, 0.5, 1.5])
    expected = {
        "CEIL": [-1, 0, 1, 2],
        "FLOOR": [-2, -1, 0, 1],
        "ROUND_TO_ZERO": [-1, 0, 0, 1],
        "DOWN": [-1, 0, 0, 1],
        "UP": [-2, -1, 1, 2],
        "HALF_UP": [-2, -1, 1, 2],
        "HALF_DOWN": [-1, 0, 0, 1],
    }
    for mode, want in expected.items():
        got = quant_codes(x, np.float32(1), np.float32(0), 4, True, False, mode)
        np.testing.assert_array_equal(got, want, err_msg=mode)


def test_multithreshold_counts_greater_or_equal() -> None:
    t = np.float32([[0.0, 1.0, 2.0]])
    out = multithreshold(np.float32([[-0.5], [0.0], [1.0], [1.5], [2.0]]), t, 1.0, 0.0)
    np.testing.assert_array_equal(out.ravel(), [0, 1, 2, 2, 3])


def test_matches_qonnx_reference_functions() -> None:
    from qonnx.custom_op.general.bipolar_quant import binary_quant
    from qonnx.custom_op.general.intquant import int_quant

    x = _x((1, 64), 8, -20, 20) / np.float32(4)
    for (bits, signed, narrow), mode in itertools.product(
        [(1, True, False), (2, False, True), (3, True, True), (4, False, False)], MODES
    ):
        ref = int_quant(x, np.float32(0.5), np.float32(0), np.float32(bits), signed, narrow, mode)
        got = quant_codes(x, np.float32(0.5), np.float32(0), bits, signed, narrow, mode) * 0.5
        np.testing.assert_array_equal(got, ref, err_msg=f"{bits} {signed} {narrow} {mode}")
    np.testing.assert_array_equal(bipolar_codes(x), binary_quant(x, np.float32(1)))


@pytest.mark.parametrize("mode", [*MODES, "ROUND_TO_ZERO"])
def test_exact_thresholds_agree_with_rounding(mode: str) -> None:
    """threshold(m, a, v) is the least integer x with R(x*m + a) >= v, for every mode."""
    for m, a in [
        (Fraction(1, 2), Fraction(0)),
        (Fraction(3, 7), Fraction(-5, 14)),
        (Fraction(2), Fraction(1, 2)),
    ]:
        for v in range(-4, 5):
            t = threshold(m, a, v, mode)
            assert round_fraction(t * m + a, mode) >= v > round_fraction((t - 1) * m + a, mode)


# activation quantizers on imported graphs, by hand -------------------------------------------
def test_activation_quant_ties_round_half_even() -> None:
    model = tiny(("Mul", {"c": 0.5}), ("Quant", {"scale": 1.0, "bits": 4}))
    nn_out, hw_out = run_imported(model, np.float32([[-3], [-1], [1], [3], [5]]))
    np.testing.assert_array_equal(nn_out.ravel(), [-2, 0, 0, 2, 2])
    np.testing.assert_array_equal(hw_out, nn_out)


def test_unsigned_narrow_activation_stops_at_two_pow_bits_minus_two() -> None:
    model = tiny(("Quant", {"scale": 1.0, "bits": 2, "signed": False, "narrow": True}))
    nn_out, hw_out = run_imported(model, np.float32([[-3], [1], [2], [3], [7]]))
    np.testing.assert_array_equal(nn_out.ravel(), [0, 1, 2, 2, 2])
    np.testing.assert_array_equal(hw_out, nn_out)
    assert any(isinstance(n.op, MultiThreshold) for n in import_qonnx(model).graph.nodes)


@pytest.mark.parametrize("op", ["BipolarQuant", "Quant1"])
def test_bipolar_activation_maps_zero_to_plus_one(op: str) -> None:
    q = ("BipolarQuant", {}) if op == "BipolarQuant" else ("Quant", {"scale": 1.0, "bits": 1})
    model = tiny(("Add", {"c": -1.0}), q)
    nn_out, hw_out = run_imported(model, np.float32([[-2], [0], [1], [2]]))
    np.testing.assert_array_equal(nn_out.ravel(), [-1, -1, 1, 1])
    np.testing.assert_array_equal(hw_out, nn_out)
    assert import_qonnx(model).graph.nodes[0].output.dtype == BIPOLAR


def test_relu_before_signed_quant_gives_unsigned_codes() -> None:
    model = tiny(("Relu", {}), ("Quant", {"scale": 1.0, "bits": 3}))
    nn_out, _ = run_imported(model, np.float32([[-5], [-1], [2], [9]]))
    np.testing.assert_array_equal(nn_out.ravel(), [0, 0, 2, 3])
    first = import_qonnx(model).graph.nodes[0]
    assert isinstance(first.op, Requantize) and first.output.dtype == IntType(2, False)


def test_activation_multithreshold_counts_ge() -> None:
    model = tiny(("MultiThreshold", {"t": np.float32([[-1.0, 0.0, 2.0]])}))
    nn_out, hw_out = run_imported(model, np.float32([[-2], [-1], [0], [1], [2], [3]]))
    np.testing.assert_array_equal(nn_out.ravel(), [0, 1, 2, 2, 3, 3])
    np.testing.assert_array_equal(hw_out, nn_out)


# whole small networks against the qonnx executor ----------------------------------------------
CASES = [
    pytest.param(lambda: mlp(), (1, 6), id="round-unsigned"),
    pytest.param(lambda: mlp(signed=True, narrow=True, mode="CEIL"), (1, 6), id="ceil-narrow"),
    pytest.param(lambda: mlp(mode="FLOOR", bn=True), (1, 6), id="floor-bn"),
    pytest.param(lambda: mlp(signed=True, mode="DOWN", bn=True), (1, 6), id="to-zero-signed"),
    pytest.param(lambda: mlp(signed=True, mode="HALF_UP"), (1, 6), id="half-up"),
    pytest.param(lambda: mlp(narrow=True), (1, 6), id="unsigned-narrow"),
    pytest.param(lambda: mlp(act_scale=[[0.5, 1, 2, 0.25, 1]], bn=True), (1, 6), id="per-channel"),
    pytest.param(lambda: mlp(act_bits=1, signed=True), (1, 6), id="one-bit-signed"),
    pytest.param(lambda: cnn(), (1, 2, 6, 6), id="cnn-global-avg"),
    pytest.param(lambda: cnn("AveragePool"), (1, 2, 6, 6), id="cnn-avgpool"),
    pytest.param(conv1d, (1, 3, 10), id="conv1d-bn"),
    pytest.param(lambda: trunc_net(1), (1, 4), id="trunc-v1"),
    pytest.param(lambda: trunc_net(2), (1, 4), id="trunc-v2"),
    pytest.param(  # per-channel ratios 8, 16 and 6 (qonnx rounds it to 8 in log2)
        lambda: trunc_net(2, np.float32([0.5, 0.25, 0.5]), np.float32([4, 4, 3])),
        (1, 4),
        id="trunc-v2-per-channel",
    ),
    pytest.param(lambda: threshold_net(), (1, 4), id="multithreshold"),
    pytest.param(
        lambda: tiny(("Mul", {"c": -0.75}), ("Quant", {"scale": 0.5, "bits": 3, "mode": "FLOOR"})),
        (1, 1),
        id="negative-scale-floor",
    ),
    pytest.param(
        lambda: tiny(("Mul", {"c": -0.5}), ("MultiThreshold", {"t": np.float32([[-2, 0, 0.5]])})),
        (1, 1),
        id="negative-scale-multithreshold",
    ),
]


@pytest.mark.parametrize("make, shape", CASES)
def test_imported_graph_equals_qonnx_executor(make: object, shape: tuple[int, ...]) -> None:
    assert callable(make)
    model: onnx.ModelProto = make()
    x = _x(shape)
    nn_out, hw_out = run_imported(model, x)
    ref = qonnx_execute(model, x)
    np.testing.assert_array_equal(nn_out, ref)
    np.testing.assert_array_equal(hw_out, ref)


def test_legacy_finn_domain_multithreshold_reads_the_same() -> None:
    x = _x((1, 4))
    legacy, _ = run_imported(threshold_net("finn.custom_op.general"), x)
    np.testing.assert_array_equal(legacy, qonnx_execute(threshold_net(QONNX), x))


def test_round_to_zero_is_brevitas_name_for_down() -> None:
    x = _x((1, 6))
    down, _ = run_imported(mlp(signed=True, mode="DOWN"), x)
    to_zero, _ = run_imported(mlp(signed=True, mode="ROUND_TO_ZERO"), x)
    np.testing.assert_array_equal(to_zero, down)


def test_reads_from_path_and_bytes(tmp_path: object) -> None:
    from pathlib import Path

    model = mlp()
    path = Path(str(tmp_path)) / "m.onnx"
    onnx.save(model, str(path))
    assert import_qonnx(path).graph == import_qonnx(model.SerializeToString()).graph


def _with_tail(model: onnx.ModelProto, op: str, **attrs: object) -> onnx.ModelProto:
    m = copy.deepcopy(model)
    logits = m.graph.output[0].name
    inputs = [logits]
    if op == "TopK":
        m.graph.initializer.append(onnx.numpy_helper.from_array(np.array([2], np.int64), "k"))
        inputs.append("k")
    outs = ["values", "indices"] if op == "TopK" else ["indices"]
    m.graph.node.append(onnx.helper.make_node(op, inputs, outs, name="tail", **attrs))
    del m.graph.output[:]
    elem = onnx.TensorProto.INT64 if op == "ArgMax" else onnx.TensorProto.FLOAT
    m.graph.output.append(onnx.helper.make_tensor_value_info(outs[0], elem, None))
    return m


@pytest.mark.parametrize("op", ["ArgMax", "TopK"])
def test_final_argmax_and_topk_are_left_to_the_host(op: str) -> None:
    from streamfold.sim.exact import dequantize, run_single

    model = _with_tail(mlp(bn=True), op, **({"axis": 1} if op == "ArgMax" else {}))
    imported = import_qonnx(model)
    x = _x((1, 6))
    codes = run_single(imported.graph, imported.input_codes(x))
    real = dequantize(codes, imported.graph.scale(imported.graph.outputs[0]))
    np.testing.assert_array_equal(imported.apply_tail(real), qonnx_execute(model, x))
