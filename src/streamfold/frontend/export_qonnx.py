"""export_qonnx: a streamfold QAT model to a QONNX file that ``qonnx``'s executor runs exactly.

What is exported is the model's *integer graph* (``frontend.torch.export``, or
``frontend.torch_fx.export_module`` for a model with its own forward; Requantizers lowered
to thresholds), carried in float32 tensors that hold every integer exactly:

==========================  =================================================================
streamfold                  QONNX
==========================  =================================================================
QuantInput(bits, scale s)   ``Div(x, s)`` then ``Quant(scale=1, zeropt=0, bits, signed, narrow,
                            ROUND)`` (``BipolarQuant(scale=1)`` when bipolar): the same float32
                            division, round half to even and clamp as ``QuantInput.codes``
QuantLinear                 ``MatMul(codes, Quant(W^T codes, scale=1))``
QuantConv1d/2d              ``Conv(codes, Quant(W codes, scale=1))``, strides, pads, group
QuantAdd                    ``Mul`` of each input's codes by its integer factor, ``Add``, then
                            the thresholds of its Requantize (as a Requantizer's)
QuantConcat, torch.cat      ``Concat(axis=1)`` of the codes
input/weight scales, bias,  no node of their own: folded, exactly as eval mode folds them, into
BatchNorm                   the next Requantizer's thresholds or into the final Mul/Add
Requantizer                 ``MultiThreshold`` on the integer accumulator with the integer
                            thresholds of ``lower_to_thresholds`` (``out_bias`` = lowest code;
                            bipolar: ``out_scale=2, out_bias=-1``); a channel with a negative
                            multiplier that cannot be absorbed into its weights gets a ``Mul`` by
                            -1 first
MaxPool1d/2d, Flatten       ``MaxPool``, ``Flatten(axis=1)``
Upsample (nearest)          ``Resize`` (nearest, asymmetric, floor) with integer ``scales``
PixelShuffle                ``DepthToSpace`` (CRD; a DCR DepthToSpace node exports as DCR)
AdaptiveAvgPool(1)          ``ReduceSum`` over the spatial axes (keepdims): the exact integer
                            sum; the 1/N is folded like a scale
Dropout, Identity           nothing
output scale (mul, add)     ``Mul`` by float32 mul and ``Add`` float32 add, per channel; with
                            ``float64_output_scale=True`` ``Cast`` to double, Mul/Add in double,
                            ``Cast`` back: then the logits equal PyTorch's bit for bit
==========================  =================================================================

The file's input ``global_in`` is float32 ``(batch_size, *input_shape)`` real values, its output
``global_out`` the float32 logits; it runs in ``qonnx`` as written and after ``cleanup_model``.
``graph_to_qonnx`` takes an nn-stage graph directly (also with MulShift nodes from streamlining).

Every integer tensor (codes, accumulators, thresholds) is checked to stay within +-2**24, where
float32 is exact, so MatMul/Conv (any summation order), comparisons and MaxPool compute exactly the
integers of ``sim.exact``; a model beyond that raises ``FrontendError``. The output codes therefore
equal PyTorch's eval codes bit for bit, and the logits equal them up to the float32 rounding of
the final scale (bit for bit with ``float64_output_scale``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from streamfold.errors import FrontendError, IRError
from streamfold.frontend.torch_fx import export_module, first_layer, input_quantizer
from streamfold.ir.dtypes import IntType, narrowest
from streamfold.ir.graph import Graph, Node, Scale, Value
from streamfold.ir.ops import (
    Add,
    Concat,
    Conv,
    DepthToSpace,
    Flatten,
    GlobalSumPool,
    MatMul,
    MaxPool,
    MulShift,
    MultiThreshold,
    Requantize,
    Upsample,
)
from streamfold.transforms.infer_types import infer_types
from streamfold.transforms.lower_requantize import (
    Lowering,
    lower_requantize,
    lower_to_thresholds,
)

QONNX_DOMAIN = "qonnx.custom_op.general"
ONNX_OPSET = 13
FLOAT32_EXACT = 1 << 24  # every integer of magnitude <= 2**24 is a float32
INPUT, OUTPUT = "global_in", "global_out"


def export_qonnx(
    model: nn.Module,
    input_shape: Sequence[int],
    path: str | os.PathLike[str],
    *,
    batch_size: int = 1,
    float64_output_scale: bool = False,
) -> onnx.ModelProto:
    """Write ``model`` (in eval semantics) as QONNX to ``path`` and return it.

    ``input_shape`` is per sample (e.g. ``(784,)``); the file's input is
    ``(batch_size, *input_shape)`` float32 real values, as the PyTorch model takes them.
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise FrontendError(f"export_qonnx: batch_size must be an integer >= 1, not {batch_size!r}")
    graph = export_module(model, input_shape)
    first = first_layer(model) if isinstance(model, nn.Sequential) else input_quantizer(model)
    proto = graph_to_qonnx(
        _lower(graph),
        float(first.scale.value()[0]),
        batch_size=batch_size,
        float64_output_scale=float64_output_scale,
    )
    onnx.save(proto, os.fspath(path))
    return proto


def graph_to_qonnx(
    graph: Graph,
    input_scale: float,
    *,
    batch_size: int = 1,
    float64_output_scale: bool = False,
) -> onnx.ModelProto:
    """QONNX model of an nn-stage ``graph`` (Requantizes lowered or not) whose input codes are
    ``round(x / input_scale)`` in float32, clamped to the input type."""
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise FrontendError("graph: must have one input and one output to export as QONNX")
    b = _Builder(batch_size)
    x = graph.inputs[0]
    b.value(INPUT, x.shape)
    scaled = b.node("Div", [INPUT, b.const("input_scale", np.float32(input_scale))], x.shape)
    b.quant(scaled, x.dtype, x.name, x.shape)
    _check_exact(x.name, x.dtype)
    for node in graph.nodes:
        _check_exact(node.name, node.output.dtype)
        if isinstance(node.op, Add):
            _check_add_terms(graph, node, node.op)
        _emit(b, graph, node)
    out = graph.value(graph.outputs[0])
    _emit_scale(b, out, graph.scale(out.name), float64_output_scale)
    return b.model()


def _lower(graph: Graph) -> Graph:
    """Each Requantize to MultiThreshold where its weights can absorb negative multipliers, the
    others to MulShift (exported as a sign flip and thresholds, ``_emit_requantize``)."""
    how = {}
    for node, _ in graph.ops_of(Requantize):
        try:
            lower_to_thresholds(graph, [node.name])  # the others are lowered too, by cost
            how[node.name] = Lowering.THRESHOLDS
        except IRError:
            how[node.name] = Lowering.MULSHIFT
    return infer_types(lower_requantize(graph, how))


def _check_exact(where: str, t: IntType) -> None:
    if t.min < -FLOAT32_EXACT or t.max + 1 > FLOAT32_EXACT:
        raise FrontendError(
            f"{where}: values must stay within +-2**24 to be exact in QONNX's float32, "
            f"not {t} [{t.min}, {t.max}]"
        )


def _check_add_terms(graph: Graph, node: Node, op: Add) -> None:
    """Each product ``factor * input`` of an Add must be exact in float32 too."""
    for name, k in zip(node.inputs, op.factors, strict=True):
        t = graph.value(name).dtype
        peak = abs(k) * max(abs(t.min), abs(t.max))
        if peak > FLOAT32_EXACT:
            raise FrontendError(
                f"{node.name}: the term {k} * {name} must stay within +-2**24 to be exact in "
                f"QONNX's float32, not reach {peak}"
            )


@dataclass
class _Builder:
    """Collects ONNX nodes, initializers and shapes (every tensor has one: qonnx needs it)."""

    batch_size: int
    nodes: list[onnx.NodeProto] = field(default_factory=list)
    inits: dict[str, onnx.TensorProto] = field(default_factory=dict)
    infos: dict[str, onnx.ValueInfoProto] = field(default_factory=dict)

    def value(self, name: str, shape: Sequence[int], batched: bool = True) -> str:
        self._unique(name)
        dims = [self.batch_size, *shape] if batched else list(shape)
        self.infos[name] = helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)
        return name

    def const(self, name: str, array: Any) -> str:
        if name not in self.inits:
            self._unique(name)
            self.inits[name] = numpy_helper.from_array(np.asarray(array), name)
        return name

    def _unique(self, name: str) -> None:
        if name in self.inits or name in self.infos:
            raise FrontendError(
                f"export_qonnx: tensor name {name!r} must be unique; rename the layer using it"
            )

    def node(
        self,
        op_type: str,
        inputs: list[str],
        shape: Sequence[int],
        name: str | None = None,
        *,
        batched: bool = True,
        domain: str = "",
        **attrs: Any,
    ) -> str:
        out = name or f"{inputs[0]}_{op_type.lower()}"
        self.nodes.append(
            helper.make_node(op_type, inputs, [out], name=f"{out}_node", domain=domain, **attrs)
        )
        return self.value(out, shape, batched)

    def quant(
        self, x: str, t: IntType, out: str, shape: Sequence[int], batched: bool = True
    ) -> str:
        """``out`` = the codes of ``x`` (scale 1) in type ``t``: Quant or BipolarQuant."""
        one = self.const("one", np.float32(1.0))
        if t.bipolar:
            return self.node(
                "BipolarQuant", [x, one], shape, out, batched=batched, domain=QONNX_DOMAIN
            )
        zero = self.const("zero", np.float32(0.0))
        bits = self.const(f"bits{t.bits}", np.float32(t.bits))
        return self.node(
            "Quant",
            [x, one, zero, bits],
            shape,
            out,
            batched=batched,
            domain=QONNX_DOMAIN,
            signed=int(t.signed),
            narrow=int(t.narrow),
            rounding_mode="ROUND",
        )

    def model(self) -> onnx.ModelProto:
        outputs = [self.infos.pop(OUTPUT)]
        inputs = [self.infos.pop(INPUT)]
        graph = helper.make_graph(
            self.nodes,
            "streamfold",
            inputs,
            outputs,
            initializer=list(self.inits.values()),
            value_info=list(self.infos.values()),
        )
        opsets = [helper.make_opsetid("", ONNX_OPSET), helper.make_opsetid(QONNX_DOMAIN, 1)]
        proto = helper.make_model(graph, opset_imports=opsets, producer_name="streamfold")
        onnx.checker.check_model(proto)
        return proto


def _emit(b: _Builder, graph: Graph, node: Node) -> None:
    x, out, op = node.inputs[0], node.output, node.op
    match op:
        case MatMul():
            w = op.weight.array.astype(np.float32).T  # [in, out]: ONNX MatMul's layout
            wq = b.quant(
                b.const(f"{node.name}_weight", w), op.weight_dtype, f"{node.name}_w", w.shape, False
            )
            b.node("MatMul", [x, wq], out.shape, out.name)
        case Conv():
            w = op.weight.array.astype(np.float32)
            wq = b.quant(
                b.const(f"{node.name}_weight", w), op.weight_dtype, f"{node.name}_w", w.shape, False
            )
            b.node(
                "Conv",
                [x, wq],
                out.shape,
                out.name,
                kernel_shape=list(w.shape[2:]),
                strides=list(op.stride),
                pads=list(op.padding) * 2,
                dilations=[1] * (w.ndim - 2),
                group=op.groups,
            )
        case Add():
            _emit_add(b, node, op)
        case Concat():
            b.node("Concat", list(node.inputs), out.shape, out.name, axis=1)
        case MaxPool():
            b.node(
                "MaxPool",
                [x],
                out.shape,
                out.name,
                kernel_shape=list(op.kernel_size),
                strides=list(op.stride),
            )
        case Flatten():
            b.node("Flatten", [x], out.shape, out.name, axis=1)
        case Upsample():
            scales = b.const(f"{node.name}_scales", np.array([1, 1, *op.scale], np.float32))
            b.node("Resize", [x, "", scales], out.shape, out.name, mode="nearest",
                   coordinate_transformation_mode="asymmetric", nearest_mode="floor")  # fmt: skip
        case DepthToSpace():
            b.node("DepthToSpace", [x], out.shape, out.name, blocksize=op.block_size,
                   mode=op.mode.value)  # fmt: skip
        case GlobalSumPool():
            axes = b.const(f"{node.name}_axes", np.arange(2, 1 + len(out.shape), dtype=np.int64))
            b.node("ReduceSum", [x, axes], out.shape, out.name, keepdims=1)
        case MultiThreshold():
            _multithreshold(b, x, op.thresholds.array, out)
        case Requantize():
            _emit_requantize(b, graph, node, op)
        case MulShift():
            _emit_requantize(b, graph, node, _as_requantize(op))
        case _:
            raise FrontendError(
                f"node {node.name}: op must be MatMul, Conv, MaxPool, GlobalSumPool, Upsample, "
                f"DepthToSpace, Flatten, Add, Concat, Requantize, MultiThreshold or MulShift to "
                f"export as QONNX, not {type(op).__name__}"
            )


def _emit_add(b: _Builder, node: Node, op: Add) -> None:
    """``Mul`` of each input by its integer factor (none for 1), then ``Add``s: each product
    and partial sum is an integer within +-2**24, so float32 computes them exactly."""
    shape = node.output.shape
    terms = []
    for i, (name, k) in enumerate(zip(node.inputs, op.factors, strict=True)):
        factor = b.const(f"{node.name}_factor{i}", np.float32(k))
        terms.append(name if k == 1 else b.node("Mul", [name, factor], shape, f"{node.name}_t{i}"))
    total = terms[0]
    for i, term in enumerate(terms[1:], start=1):
        last = i == len(terms) - 1
        total = b.node("Add", [total, term], shape, node.output.name if last else f"{total}_p{i}")


def _multithreshold(b: _Builder, x: str, thresholds: Any, out: Value) -> None:
    t = out.dtype
    if int(np.abs(thresholds.astype(object)).max(initial=0)) > FLOAT32_EXACT:
        raise FrontendError(f"{out.name}: thresholds must stay within +-2**24 for float32")
    layout = {1: "NC", 2: "NCW", 3: "NCHW"}[len(out.shape)]
    b.node(
        "MultiThreshold",
        [x, b.const(f"{out.name}_thresholds", thresholds.astype(np.float32))],
        out.shape,
        out.name,
        domain=QONNX_DOMAIN,
        out_dtype=_qonnx_dtype(t),
        out_scale=2.0 if t.bipolar else 1.0,
        out_bias=float(t.min),
        data_layout=layout,
    )


def _qonnx_dtype(t: IntType) -> str:
    """qonnx's DataType name holding every value of ``t`` (narrow types by their width)."""
    if t.bipolar:
        return "BIPOLAR"
    return f"{'INT' if t.signed else 'UINT'}{t.bits}"


def _as_requantize(op: MulShift) -> Requantize:
    """The same meaning: Requantize(M / 2**S, B / 2**S) per channel."""
    n = max(len(op.multiplier), len(op.bias), len(op.shift))
    m, b, s = ([v[c % len(v)] for c in range(n)] for v in (op.multiplier, op.bias, op.shift))
    mul = tuple(Fraction(m[c], 1 << s[c]) for c in range(n))
    return Requantize(mul, tuple(Fraction(b[c], 1 << s[c]) for c in range(n)))


def _emit_requantize(b: _Builder, graph: Graph, node: Node, op: Requantize) -> None:
    """Thresholds for a Requantize (or MulShift) left by ``_lower``: it has negative
    multipliers its producer cannot absorb, so negate those channels first (``Mul`` by +-1,
    exact) and threshold the now ascending channels."""
    src = graph.value(node.inputs[0])
    channels = src.shape[0]
    sign = [1 if op.mul[c % len(op.mul)] >= 0 else -1 for c in range(channels)]
    flipped = src.name
    if min(sign) < 0:
        signs = np.array(sign, np.float32).reshape((-1,) + (1,) * (len(src.shape) - 1))
        flipped = b.node("Mul", [src.name, b.const(f"{node.name}_sign", signs)], src.shape)
    t = src.dtype
    wide = narrowest(min(t.min, -t.max), max(t.max, -t.min))
    mul = tuple(abs(op.mul[c % len(op.mul)]) for c in range(channels))
    add = tuple(op.add[c % len(op.add)] for c in range(channels))
    single = Graph(
        "nn",
        (Value("v", wide, src.shape),),
        (Node(node.name, Requantize(mul, add), ("v",), node.output),),
        (node.output.name,),
    )
    lowered = lower_to_thresholds(single)
    mt = lowered.nodes[0].op
    assert isinstance(mt, MultiThreshold)
    _multithreshold(b, flipped, mt.thresholds.array, node.output)


def _emit_scale(b: _Builder, out: Value, scale: Scale | None, float64: bool) -> None:
    """The graph output's real value: codes * mul + add per channel."""
    scale = scale or Scale((Fraction(1),), (Fraction(0),))
    n = max(len(scale.mul), len(scale.add))
    per_channel = (-1,) + (1,) * (len(out.shape) - 1) if n > 1 else (1,)
    dtype = np.float64 if float64 else np.float32
    mul = np.array([float(scale.channel(c)[0]) for c in range(n)], dtype).reshape(per_channel)
    add = np.array([float(scale.channel(c)[1]) for c in range(n)], dtype).reshape(per_channel)
    x = out.name
    if float64:
        x = b.node("Cast", [x], out.shape, f"{x}_double", to=TensorProto.DOUBLE)
        b.infos[x].type.tensor_type.elem_type = TensorProto.DOUBLE
    x = b.node("Mul", [x, b.const("output_mul", mul)], out.shape, f"{out.name}_mul")
    last = b.node("Add", [x, b.const("output_add", add)], out.shape, f"{out.name}_add")
    if float64:
        for name in (x, last):
            b.infos[name].type.tensor_type.elem_type = TensorProto.DOUBLE
        last = b.node("Cast", [last], out.shape, f"{out.name}_float", to=TensorProto.FLOAT)
    b.nodes[-1].output[0] = OUTPUT
    b.infos[OUTPUT] = b.infos.pop(last)
    b.infos[OUTPUT].name = OUTPUT
