"""Walk an ONNX/QONNX graph once, folding constants and converting activations to IR nodes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from streamfold.errors import FrontendError, StreamfoldError
from streamfold.frontend.qonnx import numeric
from streamfold.frontend.qonnx.dispatch import ACT_OPS, act_op
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
    channel_values,
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
    env: dict[str, Env] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    host_nodes: list[OnnxNode] = field(default_factory=list)
    first: FirstQuant | None = None
    input_value: Value | None = None
    tails: dict[str, Tail] = field(default_factory=dict)
    _names: set[str] = field(default_factory=set)

    def run(self) -> None:
        self.start()
        for node in self.model.nodes:
            self.step(node)

    def start(self) -> None:
        m = self.model
        self.env.update(m.constants)
        self.env[m.input_name] = Host(np.zeros(m.input_shape, np.float32))

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

    # host side ---------------------------------------------------------------------------
    def _host_op(self, node: OnnxNode, args: list[Env | None]) -> list[Env]:
        if node.op_type in _QUANTIZERS and isinstance(args[0], Host):
            return [self._start(node, args)]
        if node.op_type not in HOST_OPS:
            raise FrontendError(
                f"{node.where}: runs on the float input before its first quantizer; only "
                f"preprocessing ops ({', '.join(HOST_OPS)}) may precede the input quantizer"
            )
        self.host_nodes.append(node)
        return [Host(v) for v in numeric.evaluate(node, [plain(a) for a in args])]

    def _start(self, node: OnnxNode, args: list[Env | None]) -> Act:
        """The first quantizer: its integer codes become the graph input."""
        if self.first is not None:
            raise FrontendError(
                f"{node.where}: only one quantizer may read the float input; "
                f"{self.first.node.where} already does"
            )
        sample = plain(args[0])
        if sample.ndim < 2 or sample.shape[0] != 1:
            raise FrontendError(
                f"{node.where}: input must be batched [1, C, ...], not {sample.shape}"
            )
        consts = [const_arg(node, a) for a in args[1:]]
        dtype, mul, add = input_meaning(node, consts, sample.shape)
        self.first = FirstQuant(node)
        self.input_value = Value(_sanitize(node.outputs[0]), dtype, tuple(sample.shape[1:]))
        self._names.add(self.input_value.name)
        return Act(self.input_value, mul, add)

    # activations ---------------------------------------------------------------------------
    def _act_op(self, node: OnnxNode, args: list[Env | None]) -> list[Env]:
        if node.op_type in ("Add", "Mul", "Sub") and len(args) == 2 and isinstance(args[1], Act):
            return self._act_second(node, args)
        act = args[0]
        if not isinstance(act, Act) or any(isinstance(a, Act) for a in args[1:]):
            raise FrontendError(
                f"{node.where}: only its first input may be computed from the model input; the "
                "others must be constants"
            )
        if node.inputs[0] in self.tails:
            raise FrontendError(f"{node.where}: nothing may follow a TopK/ArgMax")
        consts = [None if a is None else const_arg(node, a) for a in args[1:]]
        return act_op(self, node, act, consts)

    def _act_second(self, node: OnnxNode, args: list[Env | None]) -> list[Env]:
        act = args[1]
        assert isinstance(act, Act)
        if isinstance(args[0], Act):
            raise FrontendError(
                f"{node.where}: one operand must be a constant; adding or multiplying two "
                "activations is not supported"
            )
        if node.op_type != "Sub":
            return self._act_op(node, [act, args[0]])
        c = channel_values(plain(const_arg(node, args[0])), act.onnx_shape, node.where, "constant")
        return [act.affine((Fraction(-1),), c)]

    def emit(self, node: OnnxNode, op: Op, dtype: IntType, x: Value) -> Value:
        name = _sanitize(node.outputs[0])
        while name in self._names:
            name += "_"
        self._names.add(name)
        out = Value(name, dtype, output_shape(op, x.shape))
        self.nodes.append(Node(name, op, (x.name,), out))
        return out

    def value_range(self, value: Value) -> tuple[int, int]:
        assert self.input_value is not None
        g = Graph("nn", (self.input_value,), tuple(self.nodes), (value.name,))
        t = infer_types(g).value(value.name).dtype
        return t.min, t.max


_LAYOUT_OPS = ("Transpose", "Reshape", "Identity", "Unsqueeze", "Squeeze", "Flatten")


def _layout_qconst(node: OnnxNode, q: QConst, rest: list[Array]) -> QConst:
    """A layout op on quantized weights keeps them quantized (codes and scale move together)."""

    def apply(a: Array) -> Array:
        return numeric.evaluate(node, [a, *rest])[0]

    scale = np.broadcast_to(q.scale, q.codes.shape)
    return QConst(apply(q.codes), apply(np.ascontiguousarray(scale)), q.dtype, apply(q.value))


def _check_domain(node: OnnxNode) -> None:
    if node.op_type in QONNX_OPS:
        if node.domain not in QONNX_DOMAINS:
            raise FrontendError(
                f"{node.where}: domain must be one of {', '.join(QONNX_DOMAINS)}, "
                f"not {node.domain!r}"
            )
    elif node.domain not in STANDARD_DOMAINS:
        raise FrontendError(
            f"{node.where}: domain {node.domain!r} is not supported; supported ops: {ACT_OPS}"
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
