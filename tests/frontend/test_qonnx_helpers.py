"""Builders of small QONNX models for the import tests (no tests here).

``Net`` collects nodes and float32 initializers; ``quant``/``bipolar`` add QONNX quantizer nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

QONNX = "qonnx.custom_op.general"


@dataclass
class Net:
    input_shape: tuple[int, ...]
    nodes: list[onnx.NodeProto] = field(default_factory=list)
    inits: list[onnx.TensorProto] = field(default_factory=list)
    count: int = 0

    def const(self, value: Any, dtype: Any = np.float32) -> str:
        self.count += 1
        name = f"c{self.count}"
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(
        self, op: str, inputs: list[str], domain: str = "", name: str = "", **attrs: Any
    ) -> str:
        self.count += 1
        out = f"t{self.count}"
        node_name = name or f"{op.lower()}{self.count}"
        self.nodes.append(
            helper.make_node(op, inputs, [out], name=node_name, domain=domain, **attrs)
        )
        return out

    def quant(
        self,
        x: str,
        scale: Any,
        bits: int,
        signed: bool = True,
        narrow: bool = False,
        mode: str = "ROUND",
        zeropt: float = 0.0,
        name: str = "",
    ) -> str:
        ins = [x, self.const(scale), self.const(zeropt), self.const(float(bits))]
        return self.node(
            "Quant", ins, QONNX, name, signed=int(signed), narrow=int(narrow), rounding_mode=mode
        )

    def bipolar(self, x: str, scale: Any = 1.0) -> str:
        return self.node("BipolarQuant", [x, self.const(scale)], QONNX)

    def model(self, output: str, opset: int = 11, qonnx_opset: int = 1) -> onnx.ModelProto:
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(self.input_shape))
        y = helper.make_tensor_value_info(output, TensorProto.FLOAT, None)
        graph = helper.make_graph(self.nodes, "g", [x], [y], self.inits)
        opsets = [helper.make_opsetid("", opset), helper.make_opsetid(QONNX, qonnx_opset)]
        return helper.make_model(graph, opset_imports=opsets)


def mlp(
    act_bits: int = 3,
    signed: bool = False,
    narrow: bool = False,
    mode: str = "ROUND",
    act_scale: Any = 0.5,
    bn: bool = False,
) -> onnx.ModelProto:
    """x -> Quant(u4) -> MatMul(i3 weights, per-channel scale) -> [BN] -> Quant -> MatMul."""
    rng = np.random.default_rng(1)
    net = Net((1, 6))
    h = net.quant("x", 1.0, 4, signed=False, name="qin")
    w1 = rng.integers(-3, 4, (6, 5)).astype(np.float32)
    s1 = np.array([[0.5, 0.25, 0.5, 1.0, 0.125]], np.float32)
    h = net.node("MatMul", [h, net.quant(net.const(w1 * s1), s1, 3)])
    if bn:
        h = net.node(
            "BatchNormalization",
            [
                h,
                *(
                    net.const(v)
                    for v in (
                        [1.5, 0.5, 1, 2, 1],
                        [0.1, 0, -1, 1, 0.5],
                        [1, 2, 0, 0, 1],
                        [1, 4, 1, 0.25, 1],
                    )
                ),
            ],
            epsilon=0.0,
        )
    h = net.quant(h, act_scale, act_bits, signed=signed, narrow=narrow, mode=mode, name="qact")
    w2 = rng.integers(-1, 2, (5, 3)).astype(np.float32)
    return net.model(net.node("MatMul", [h, net.quant(net.const(w2), 1.0, 2, narrow=True)]))


def qonnx_execute(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    """The ``qonnx`` package's executor on one batch (the reference the importer must match)."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.transformation.infer_shapes import InferShapes

    wrapper = ModelWrapper(model).transform(InferShapes())
    name = model.graph.output[0].name
    outs = [execute_onnx(wrapper, {"x": row[None]})[name] for row in x]
    return np.concatenate(outs)


def cnn(pool: str = "GlobalAveragePool") -> onnx.ModelProto:
    """Conv (pad 1, per-channel scales) -> Mul/Add -> Relu -> Quant i4 -> MaxPool -> avg pool
    -> Quant -> Flatten -> Gemm(transB) -> Sub/Div: every structural op on a 2-D input."""
    rng = np.random.default_rng(2)
    net = Net((1, 2, 6, 6))
    h = net.quant("x", 1.0, 4, signed=False)
    w = rng.integers(-2, 2, (3, 2, 3, 3)).astype(np.float32)
    ws = np.array([0.5, 0.25, 1.0], np.float32).reshape(3, 1, 1, 1)
    h = net.node(
        "Conv", [h, net.quant(net.const(w * ws), ws, 2)], kernel_shape=[3, 3], pads=[1, 1, 1, 1]
    )
    h = net.node("Mul", [h, net.const(np.array([1.0, 2.0, 0.5], np.float32).reshape(1, 3, 1, 1))])
    h = net.node("Add", [net.const(np.float32(0.25)), h])
    h = net.node("Relu", [h])
    h = net.quant(h, 0.5, 4, signed=True)
    h = net.node("MaxPool", [h], kernel_shape=[2, 2], strides=[2, 2])
    if pool == "GlobalAveragePool":
        h = net.node("GlobalAveragePool", [h])
    else:
        h = net.node("AveragePool", [h], kernel_shape=[3, 3], strides=[1, 1])
    h = net.quant(h, 0.25, 5, signed=False)
    h = net.node("Flatten", [h], axis=1)
    w2 = rng.integers(-3, 4, (4, 3)).astype(np.float32)
    h = net.node(
        "Gemm",
        [h, net.quant(net.const(w2), 1.0, 3), net.const(np.float32([0.5, 0, -1, 2]))],
        transB=1,
    )
    h = net.node("Sub", [h, net.const(np.float32(1.5))])
    return net.model(net.node("Div", [h, net.const(np.float32(4.0))]))


def trunc_net(version: int, scale: Any = 0.5, out_scale: Any = 4.0) -> onnx.ModelProto:
    """MatMul accumulator (scale 0.5) -> Trunc (v1: 8 -> 4 bits; v2: output scale 8x, 4-bit
    signed); ``scale`` and ``out_scale`` may be per channel (3)."""
    net = Net((1, 4))
    h = net.quant("x", 1.0, 4, signed=True)
    w = np.array([[3, -2, 1], [1, 1, -3], [2, 0, 1], [-1, 3, 2]], np.float32)
    h = net.node("MatMul", [h, net.quant(net.const(w * 0.5), 0.5, 3)])
    s, z = net.const(scale), net.const(0.0)
    if version == 1:
        h = net.node(
            "Trunc", [h, s, z, net.const(8.0), net.const(4.0)], QONNX, rounding_mode="FLOOR"
        )
    else:
        ins = [h, s, z, net.const(8.0), net.const(out_scale), net.const(4.0)]
        h = net.node("Trunc", ins, QONNX, rounding_mode="ROUND", signed=1, narrow=0)
    return net.model(
        net.node("MatMul", [h, net.const(np.eye(3, dtype=np.float32))]), qonnx_opset=version
    )


def threshold_net(domain: str = QONNX) -> onnx.ModelProto:
    """MatMul accumulator -> MultiThreshold (per-channel float thresholds) -> MatMul."""
    net = Net((1, 4))
    h = net.quant("x", 0.5, 4, signed=True)
    w = np.array([[3, -2, 1], [1, 1, -3], [2, 0, 1], [-1, 3, 2]], np.float32)
    h = net.node("MatMul", [h, net.quant(net.const(w), 1.0, 3)])
    t = net.const(np.array([[-2.5, 0.0, 1.5], [-1.0, -1.0, 3.0], [0.25, 2.0, 4.0]], np.float32))
    h = net.node("MultiThreshold", [h, t], domain, out_dtype="UINT2", out_scale=2.0, out_bias=-3.0)
    return net.model(net.node("MatMul", [h, net.const(np.eye(3, dtype=np.float32))]))


def tiny(*ops: tuple[str, dict[str, Any]], in_bits: int = 5) -> onnx.ModelProto:
    """x [1, n] -> Quant(i<in_bits>, scale 1) -> ops... -> MatMul(identity): for hand cases.

    Each op is ("Mul"/"Add", {"c": value}), ("Quant", quant kwargs), ("BipolarQuant", {}),
    ("Relu", {}) or ("MultiThreshold", {"t": thresholds}).
    """
    net = Net((1, 1))
    h = net.quant("x", 1.0, in_bits, signed=True)
    for op, kw in ops:
        if op in ("Mul", "Add"):
            h = net.node(op, [h, net.const(kw["c"])])
        elif op == "Quant":
            h = net.quant(h, **kw)
        elif op == "BipolarQuant":
            h = net.bipolar(h)
        elif op == "MultiThreshold":
            h = net.node("MultiThreshold", [h, net.const(kw["t"])], QONNX, out_dtype="UINT2")
        else:
            h = net.node(op, [h])
    return net.model(net.node("MatMul", [h, net.const(np.ones((1, 1), np.float32))]))


def run_imported(
    model: onnx.ModelProto, x: np.ndarray, input_quant: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Real outputs (the model's, ``apply_tail``) of the imported nn graph and of its
    streamlined (threshold) form."""
    from streamfold.frontend.qonnx import import_qonnx
    from streamfold.sim.exact import dequantize, run_single
    from streamfold.transforms import Lowering, streamline

    imported = import_qonnx(model, input_quant=input_quant)
    graph = imported.graph
    codes = imported.input_codes(x)
    scale = graph.scale(graph.outputs[0])
    nn_out = imported.apply_tail(dequantize(run_single(graph, codes), scale))
    hw = streamline(graph, Lowering.THRESHOLDS)
    hw_out = dequantize(run_single(hw, codes), hw.scale(hw.outputs[0]))
    return nn_out, imported.apply_tail(hw_out)


def conv1d() -> onnx.ModelProto:
    """Quant -> Conv1d (stride 2, per-channel scale, bias) -> BN -> Quant -> MaxPool -> Reshape."""
    rng = np.random.default_rng(3)
    net = Net((1, 3, 10))
    h = net.quant("x", 0.5, 5)
    w = rng.integers(-3, 4, (4, 3, 3)).astype(np.float32)
    ws = np.float32([0.25, 0.5, 0.5, 1]).reshape(4, 1, 1)
    bias = net.const(np.float32([0.5, -1, 0, 2]))
    h = net.node(
        "Conv", [h, net.quant(net.const(w * ws), ws, 3), bias], kernel_shape=[3], strides=[2]
    )
    stats = ([2, 1, 0.5, 1], [0, 1, -1, 0.5], [1, 0, 2, -1], [4, 1, 0.25, 1])
    h = net.node("BatchNormalization", [h, *(net.const(v) for v in stats)], epsilon=0.0)
    h = net.quant(h, 1.0, 3, signed=False)
    h = net.node("MaxPool", [h], kernel_shape=[2], strides=[2])
    h = net.node("Reshape", [h, net.const(np.int64([1, -1]), np.int64)])
    return net.model(net.node("MatMul", [h, net.const(np.ones((8, 2), np.float32))]))
