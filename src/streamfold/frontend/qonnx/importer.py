"""Walk an ONNX/QONNX graph once, folding constants and converting activations to IR nodes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import numpy as np

import streamfold.frontend.qonnx.branches as branches
import streamfold.frontend.qonnx.numeric as numeric
from streamfold.errors import FrontendError, StreamfoldError
from streamfold.frontend.qonnx.dispatch import ACT_OPS, CHANNELS_LAST, act_op
from streamfold.frontend.qonnx.inputs import InputQuant, from_finn_datatype
from streamfold.frontend.qonnx.model import (
    QONNX_DOMAINS,
    QONNX_OPS,
    STANDARD_DOMAINS,
    Array,
    OnnxModel,
    OnnxNode,
)
from streamfold.frontend.qonnx.quantizers import check_finite_positive, input_meaning, quant_spec
from streamfold.frontend.qonnx.values import (
    Act,
    Host,
    QConst,
    Tail,
    weight_dtype,
)
from streamfold.ir.dtypes import IntType
from streamfold.ir.graph import Graph, Node, Value
from streamfold.ir.ops import Op
from streamfold.ir.shapes import output_shape
from streamfold.transforms.infer_types import infer_types

Env = Array | QConst | Host | Act
HOST_OPS = (
    "Identity",
    "Shape",
    "Gather",
    "Unsqueeze",
    "Squeeze",
    "Concat",
    "Reshape",
    "Flatten",
    "Transpose",
    "Cast",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Neg",
    "Relu",
    "Clip",
)
_QUANTIZERS = ("Quant", "IntQuant", "BipolarQuant", "MultiThreshold")


@dataclass(frozen=True)
class FirstQuant:
    """The first quantizer on the input path: where the host side ends and codes begin."""

    node: OnnxNode


@dataclass
class Walker:
    """One pass over the nodes in order; ``env`` maps each ONNX tensor to what it is.

    Every failure inside a node becomes a FrontendError naming that node (torch.fx style).
    """

    model: OnnxModel
    input_quant: InputQuant | None = None
    env: dict[str, Env] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    host_nodes: list[OnnxNode] = field(default_factory=list)
    first: FirstQuant | InputQuant | None = None
    input_value: Value | None = None
    tails: dict[str, Tail] = field(default_factory=dict)
    _names: set[str] = field(default_factory=set)
    _transposed: dict[str, tuple[str, tuple[int, ...]]] = field(default_factory=dict)
    _after_transpose: set[str] = field(default_factory=set)  # host tensors a Transpose feeds

    def run(self) -> None:
        self.start()
        for node in self.model.nodes:
            self.step(node)

    def start(self) -> None:
        m = self.model
        self.env.update(m.constants)
        declared = self._declared()
        if declared is None:
            self.env[m.input_name] = Host(np.zeros(m.input_shape, np.float32))
        else:
            self.env[m.input_name] = self._declare(declared)

    def step(self, node: OnnxNode) -> None:
        """Convert one node (after ``start`` and its inputs' producers); a failure is a
        FrontendError naming the node (``check`` walks on past it)."""
        try:
            self._step(node)
        except FrontendError as e:
            if str(e).startswith(("node ", "model")):
                raise
            raise FrontendError(f"{node.where}: {e}") from None
        except StreamfoldError as e:
            raise FrontendError(f"{node.where}: {e}") from None
        except (ValueError, TypeError, IndexError, KeyError, ArithmeticError) as e:
            raise FrontendError(f"{node.where}: cannot be imported ({e})") from None

    def _step(self, node: OnnxNode) -> None:
        _check_domain(node)
        args = [self.env.get(i) if i else None for i in node.inputs]
        missing = [i for i, a in zip(node.inputs, args, strict=True) if i and a is None]
        if missing:
            raise FrontendError(f"{node.where}: input {missing[0]!r} must be defined before use")
        if any(isinstance(a, Act) for a in args):
            results = self._act_op(node, args)
        elif any(isinstance(a, Host) for a in args):
            results = self._host_op(node, args)
        else:
            results = self._const_op(node, args)
        for name, value in zip(node.outputs, results, strict=False):
            self.env[name] = value

    # constants -------------------------------------------------------------------------
    def _const_op(self, node: OnnxNode, args: list[Env | None]) -> list[Env]:
        if node.op_type in ("Quant", "IntQuant", "BipolarQuant"):
            return [self._quant_const(node, [const_arg(node, a) for a in args])]
        if node.op_type in _LAYOUT_OPS and args and isinstance(args[0], QConst):
            return [_layout_qconst(node, args[0], [plain(a) for a in args[1:]])]
        return list(numeric.evaluate(node, [plain(a) for a in args]))

    def _quant_const(self, node: OnnxNode, args: list[Array]) -> QConst:
        check_finite_positive(node, args[1], "scale")
        if not np.isfinite(np.asarray(args[0], np.float64)).all():
            raise FrontendError(f"{node.where}: quantized values must be finite")
        if node.op_type == "BipolarQuant":
            codes = numeric.bipolar_codes(args[0])
            return QConst(
                codes.astype(np.int64), args[1], weight_dtype(1, True, False), codes * args[1]
            )
        bits, signed, narrow, mode = quant_spec(node, args)
        codes = numeric.quant_codes(args[0], args[1], args[2], bits, signed, narrow, mode)
        return QConst(
            codes.astype(np.int64),
            np.asarray(args[1]),
            weight_dtype(bits, signed, narrow),
            (codes - args[2]) * args[1],
        )

    # declared input quantization -----------------------------------------------------------
    def _declared(self) -> InputQuant | None:
        m = self.model
        where = f"model input {m.input_name!r}"
        annotated = None
        if m.input_datatype is not None:
            annotated = from_finn_datatype(m.input_datatype, where)
        given = self.input_quant
        if given is None:
            return annotated
        if annotated is not None and annotated != given:
            raise FrontendError(
                f"{where}: input_quant must agree with its finn_datatype annotation "
                f"{m.input_datatype} ({annotated}), not {given}"
            )
        for node in m.nodes:
            if m.input_name in node.inputs[:1] and node.op_type in _QUANTIZERS:
                raise FrontendError(
                    f"{where}: is quantized by {node.where} already; input_quant applies only "
                    "to a float input that reaches the layers unquantized"
                )
        return given

    def _declare(self, q: InputQuant) -> Act:
        """The model input holds ``code * scale`` itself: its codes are the graph input."""
        m = self.model
        shape = m.input_shape
        if len(shape) < 2 or shape[0] != 1:
            raise FrontendError(
                f"model input {m.input_name!r}: must be batched [1, C, ...], not {list(shape)}"
            )
        self.first = q
        self.input_value = Value(_sanitize(m.input_name), q.dtype, tuple(shape[1:]))
        self._names.add(self.input_value.name)
        return Act(self.input_value, (q.scale,), (Fraction(0),))

    # host side ---------------------------------------------------------------------------
    def _host_op(self, node: OnnxNode, args: list[Env | None]) -> list[Env]:
        if node.op_type in _QUANTIZERS and isinstance(args[0], Host):
            return [self._start(node, args)]
        if node.op_type not in HOST_OPS:
            raise FrontendError(unquantized_input(self.model.input_name, node.where))
        self.host_nodes.append(node)
        if node.op_type == "Transpose":
            rank = plain(args[0]).ndim
            perm = tuple(node.attr_ints("perm", tuple(reversed(range(rank)))))
            if perm != tuple(range(rank)):
                self._transposed[node.outputs[0]] = (node.inputs[0], perm)
        if node.inputs[0] in self._transposed or node.inputs[0] in self._after_transpose:
            self._after_transpose.update(node.outputs)
        return [Host(v) for v in numeric.evaluate(node, [plain(a) for a in args])]

    def _start(self, node: OnnxNode, args: list[Env | None]) -> Act:
        """The first quantizer: its integer codes become the graph input."""
        if self.first is not None:
            assert isinstance(self.first, FirstQuant)  # a declared input has no Host tensors
            raise FrontendError(
                f"{node.where}: only one quantizer may read the float input; "
                f"{self.first.node.where} already does"
            )
        consts = [const_arg(node, a) for a in args[1:]]
        node, perm = self._before_transpose(node, consts)
        sample = plain(self.env[node.inputs[0]])
        if sample.ndim < 2 or sample.shape[0] != 1:
            raise FrontendError(
                f"{node.where}: input must be batched [1, C, ...], not {sample.shape}"
            )
        dtype, mul, add = input_meaning(node, consts, sample.shape)
        self.first = FirstQuant(node)
        self.input_value = Value(_sanitize(node.outputs[0]), dtype, tuple(sample.shape[1:]))
        self._names.add(self.input_value.name)
        act = Act(self.input_value, mul, add)
        return act if perm is None else act.with_layout(tuple(act.axes[p] for p in perm))

    def _before_transpose(
        self, node: OnnxNode, consts: list[Any]
    ) -> tuple[OnnxNode, tuple[int, ...] | None]:
        """A Transpose right before the input quantizer (channels-last conversion puts one
        there) moves after it: the graph input stays channels first."""
        moved = self._transposed.get(node.inputs[0])
        if moved is None and node.inputs[0] in self._after_transpose:
            raise FrontendError(
                f"{node.where}: a Transpose of the float input must come right before its "
                "quantizer, with no other op between"
            )
        if moved is None:
            return node, None
        source, perm = moved
        if source in self._after_transpose:
            raise FrontendError(
                f"{node.where}: only one Transpose of the float input may come before its quantizer"
            )
        if perm[:1] != (0,) or any(np.asarray(plain(c)).size > 1 for c in consts if c is not None):
            raise FrontendError(
                f"{node.where}: after a Transpose of the float input, its parameters must be "
                "one per tensor and the Transpose must keep the batch axis 0 first"
            )
        return replace(node, inputs=(source, *node.inputs[1:])), perm

    # activations ---------------------------------------------------------------------------
    def _act_op(self, node: OnnxNode, args: list[Env | None]) -> list[Env]:
        leaky = any(isinstance(a, Act) and a.slope is not None for a in args)
        if leaky and node.op_type not in ("Quant", "IntQuant", "BipolarQuant", "MultiThreshold"):
            raise FrontendError(
                f"{node.where}: a LeakyRelu/PRelu must be followed directly by a quantizer "
                "(Quant, BipolarQuant or MultiThreshold)"
            )
        if node.op_type == "Concat":
            return [branches.concat_acts(self, node, args)]
        if node.op_type in ("Add", "Mul", "Sub") and len(args) == 2 and isinstance(args[1], Act):
            return self._act_second(node, args)
        act = args[0]
        if not isinstance(act, Act) or any(isinstance(a, Act) for a in args[1:]):
            raise FrontendError(
                f"{node.where}: only its first input may be computed from the model input; the "
                "others must be constants"
            )
        tail = self.tails.get(node.inputs[0])
        if tail is not None and node.op_type not in ("TopK", "ArgMax", "Softmax", "LogSoftmax"):
            raise FrontendError(
                f"{node.where}: nothing may follow a {tail.op_type} (the host applies it to the "
                "graph's output)"
            )
        consts = [None if a is None else const_arg(node, a) for a in args[1:]]
        return act_op(self, node, act, consts)

    def _act_second(self, node: OnnxNode, args: list[Env | None]) -> list[Env]:
        act = args[1]
        assert isinstance(act, Act)
        if isinstance(args[0], Act) and node.op_type == "Add":
            return [branches.add_acts(self, node, args[0], act)]
        if isinstance(args[0], Act):
            raise FrontendError(
                f"{node.where}: one operand must be a constant; adding or multiplying two "
                "activations is not supported"
            )
        if node.op_type != "Sub":
            return self._act_op(node, [act, args[0]])
        c = act.constant(plain(const_arg(node, args[0])), node.where, "constant")
        return [act.affine((Fraction(-1),), c)]

    def emit(self, node: OnnxNode, op: Op, dtype: IntType, x: Value) -> Value:
        name = self.unique_name(node.outputs[0])
        out = Value(name, dtype, output_shape(op, x.shape))
        self.nodes.append(Node(name, op, (x.name,), out))
        return out

    def unique_name(self, onnx_name: str) -> str:
        name = _sanitize(onnx_name)
        while name in self._names:
            name += "_"
        self._names.add(name)
        return name

    def value_range(self, value: Value) -> tuple[int, int]:
        t = self.value_type(value)
        return t.min, t.max

    def value_type(self, value: Value) -> IntType:
        """The exact type of ``value`` (accumulators are emitted with a placeholder type)."""
        assert self.input_value is not None
        g = Graph("nn", (self.input_value,), tuple(self.nodes), (value.name,))
        return infer_types(g).value(value.name).dtype


_LAYOUT_OPS = ("Transpose", "Reshape", "Identity", "Unsqueeze", "Squeeze", "Flatten")


def _layout_qconst(node: OnnxNode, q: QConst, rest: list[Array]) -> QConst:
    """A layout op on quantized weights keeps them quantized (codes and scale move together)."""

    def apply(a: Array) -> Array:
        return numeric.evaluate(node, [a, *rest])[0]

    scale = np.broadcast_to(q.scale, q.codes.shape)
    return QConst(apply(q.codes), apply(np.ascontiguousarray(scale)), q.dtype, apply(q.value))


UNSUPPORTED_QONNX = {  # QONNX/FINN custom ops refused by name, for what they do
    "FloatQuant": "float quantization",
    "QuantAvgPool2d": "quantized average pooling",
    "Im2Col": "FINN's lowered convolution windows",
    "XnorPopcountMatMul": "FINN's binary matrix product",
}


def _check_domain(node: OnnxNode) -> None:
    op, where = node.op_type, node.where
    if node.domain == CHANNELS_LAST:
        return  # the channels-last ops are checked where they are converted
    if op in QONNX_OPS:
        if node.domain not in QONNX_DOMAINS:
            raise FrontendError(
                f"{where}: domain must be one of {', '.join(QONNX_DOMAINS)}, not {node.domain!r}"
            )
    elif node.domain in QONNX_DOMAINS:
        what = UNSUPPORTED_QONNX.get(op)
        raise FrontendError(
            f"{where}: op {op}{f' ({what})' if what else ''} is not supported; supported QONNX "
            f"ops: {', '.join(QONNX_OPS)}"
        )
    elif node.domain not in STANDARD_DOMAINS:
        raise FrontendError(
            f"{where}: domain {node.domain!r} is not supported; supported ops: {ACT_OPS}"
        )


def unquantized_input(name: str, reached: str) -> str:
    return (
        f"model input {name!r}: is float and reaches {reached} unquantized; declare its "
        "quantization with --input-quant (API: import_qonnx(..., input_quant=...)), e.g. int8 "
        "or fixed<16,6>"
    )


def plain(a: Env | None) -> Array:
    if isinstance(a, Host):
        return a.sample
    if isinstance(a, QConst):
        return a.value
    assert a is None or isinstance(a, np.ndarray)
    return a  # type: ignore[return-value]


def const_arg(node: OnnxNode, a: Env | None) -> Any:
    if isinstance(a, Host):
        if not np.issubdtype(a.sample.dtype, np.integer):
            raise FrontendError(f"{node.where}: its parameters must be constants")
        return a.sample
    return a


_NAME = re.compile(r"[^\w.]")


def _sanitize(name: str) -> str:
    name = _NAME.sub("_", name) or "v"
    return f"t{name}" if name[0].isdigit() or name[0] == "." else name
