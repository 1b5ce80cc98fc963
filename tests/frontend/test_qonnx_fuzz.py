"""Seeded fuzzing of the QONNX importer: malformed files and graphs raise FrontendError only."""

from __future__ import annotations

import contextlib
import copy

import numpy as np
import onnx
import pytest
from onnx import helper
from test_qonnx_helpers import cnn, mlp, threshold_net, trunc_net

from streamfold.errors import FrontendError
from streamfold.frontend.qonnx import import_qonnx

OPS = [
    "Tanh", "Softmax", "Sigmoid", "Mul", "Add", "MatMul", "Relu", "Quant", "BipolarQuant",
    "MultiThreshold", "Trunc", "Reshape", "Transpose", "Conv", "MaxPool", "Concat", "Gather",
    "Identity", "Flatten", "LSTM", "Clip", "Div", "Sub", "TopK", "BatchNormalization",
    "LeakyRelu", "PRelu", "Squeeze", "Unsqueeze", "ReduceMean", "LogSoftmax", "FloatQuant",
    "ArgMax",
]  # fmt: skip
DOMAINS = ["", "com.example", "finn.custom_op.general", "qonnx.custom_op.channels_last"]
SEEDS = [pytest.param(s, id=f"seed{s}") for s in range(4)]


def _bases() -> list[onnx.ModelProto]:
    return [mlp(), mlp(bn=True, mode="FLOOR"), cnn(), trunc_net(2), threshold_net()]


def _import_or_frontend_error(model: onnx.ModelProto | bytes) -> None:
    with contextlib.suppress(FrontendError):
        import_qonnx(model)


@pytest.mark.parametrize("seed", SEEDS)
def test_truncated_and_mutated_bytes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for base in _bases():
        data = base.SerializeToString()
        for _ in range(15):
            _import_or_frontend_error(data[: int(rng.integers(0, len(data)))])
            flipped = bytearray(data)
            for i in rng.integers(0, len(data), int(rng.integers(1, 8))):
                flipped[i] = int(rng.integers(0, 256))
            _import_or_frontend_error(bytes(flipped))


def _mutate(model: onnx.ModelProto, rng: np.random.Generator) -> onnx.ModelProto:
    m = copy.deepcopy(model)
    nodes = m.graph.node
    i = int(rng.integers(0, len(nodes)))
    match int(rng.integers(0, 6)):
        case 0:
            nodes[i].op_type = str(rng.choice(OPS))
        case 1:
            del nodes[i]
        case 2:
            inputs = list(nodes[i].input)
            rng.shuffle(inputs)
            del nodes[i].input[:]
            nodes[i].input.extend(inputs[: int(rng.integers(0, len(inputs) + 1))])
        case 3:
            nodes[i].attribute.append(helper.make_attribute("group", int(rng.integers(-2, 4))))
            nodes[i].attribute.append(helper.make_attribute("axis", int(rng.integers(-3, 4))))
            pad = str(rng.choice(["SAME_UPPER", "SAME_LOWER", "VALID", "SAME", "NOTSET"]))
            nodes[i].attribute.append(helper.make_attribute("auto_pad", pad))
            nodes[i].attribute.append(helper.make_attribute("pads", [int(rng.integers(-1, 3))] * 4))
        case 4:
            k = int(rng.integers(0, len(m.graph.initializer)))
            t = m.graph.initializer[k]
            values = onnx.numpy_helper.to_array(t).copy()
            values.ravel()[:] = rng.choice([0.0, -1.0, np.nan, np.inf, 1e30, 3.7], values.size)
            m.graph.initializer[k].CopyFrom(onnx.numpy_helper.from_array(values, t.name))
        case _:
            nodes[i].domain = str(rng.choice(DOMAINS))
    return m


@pytest.mark.parametrize("seed", SEEDS)
def test_mutated_graphs_and_unsupported_ops(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    for base in _bases():
        for _ in range(12):
            model = _mutate(base, rng)
            _import_or_frontend_error(model if rng.random() < 0.5 else _mutate(model, rng))


@pytest.mark.parametrize("seed", SEEDS)
def test_mutated_graphs_with_a_declared_input(seed: int) -> None:
    """Without their input quantizer (the first node removed), under ``input_quant``."""
    rng = np.random.default_rng(200 + seed)
    for base in _bases():
        stripped = copy.deepcopy(base)
        first = stripped.graph.node[0]
        for node in stripped.graph.node[1:]:
            node.input[:] = ["x" if i == first.output[0] else i for i in node.input]
        del stripped.graph.node[0]
        for _ in range(6):
            model = _mutate(stripped, rng) if rng.random() < 0.7 else stripped
            with contextlib.suppress(FrontendError):
                import_qonnx(model, input_quant=str(rng.choice(["int8", "fixed<8,3>", "bipolar"])))
