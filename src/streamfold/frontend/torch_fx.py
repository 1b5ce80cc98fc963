"""Export a streamfold QAT model with its own ``forward`` (a DAG) through torch.fx tracing.

The model is traced symbolically (``torch.fx``) with every streamfold layer and every torch.nn
layer as a leaf; each call becomes IR nodes exactly as ``frontend.torch`` exports the layers of
an ``nn.Sequential`` (same exact folding, same names for errors). On the traced graph:

- ``QuantInput`` must read the model's only input, and nothing else may;
- streamfold and torch.nn layers that ``frontend.torch`` supports, called on one activation;
- ``QuantAdd(a, b)``: an ``Add`` of the codes with the integer factors of ``QuantAdd.fold``,
  then a ``Requantize``; adding activations any other way (``a + b``, ``torch.add``) is refused,
  since only a QuantAdd rounds the sum the way its eval forward does;
- ``QuantConcat(*xs)`` and ``torch.cat(xs, dim=1)``: a ``Concat`` (meanings kept per channel);
- ``torch.flatten(x, 1)`` and ``x.flatten(1)``: as ``nn.Flatten()``.
Anything else raises FrontendError naming the fx node. The forward must return one tensor.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import torch
from torch import fx, nn

from streamfold.errors import FrontendError, QuantError
from streamfold.frontend.torch import _ACC, _export_layer, _State, export
from streamfold.ir.graph import Graph, Node, Scale, Value
from streamfold.ir.ops import Add, Concat, Requantize
from streamfold.ir.shapes import join_shape
from streamfold.ir.verify import verify
from streamfold.quant.branches import QuantAdd, QuantConcat
from streamfold.quant.exact import concat_channels
from streamfold.quant.layers import QuantConv1d, QuantConv2d, QuantLinear
from streamfold.quant.requantizer import QuantInput, Requantizer
from streamfold.transforms.infer_types import infer_types

_LEAVES = (QuantInput, Requantizer, QuantLinear, QuantConv1d, QuantConv2d, QuantAdd, QuantConcat)
_ADDS = (operator.add, operator.iadd, torch.add, torch.Tensor.add)


class _Tracer(fx.Tracer):
    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return isinstance(m, _LEAVES) or super().is_leaf_module(m, module_qualified_name)


def trace(model: nn.Module) -> fx.GraphModule:
    """The fx graph of ``model`` with streamfold's layers kept whole."""
    try:
        graph = _Tracer().trace(model)
    except Exception as e:  # tracing runs arbitrary user code; say which model failed
        raise FrontendError(
            f"model ({type(model).__name__}): torch.fx cannot trace its forward ({e})"
        ) from None
    return fx.GraphModule(model, graph)


def export_module(model: nn.Module, input_shape: Sequence[int]) -> Graph:
    """nn-stage Graph of any streamfold model: an nn.Sequential as ``frontend.torch.export``
    exports it, any other module through its traced forward (``export_traced``)."""
    if isinstance(model, nn.Sequential):
        return export(model, input_shape)
    return export_traced(model, input_shape)


def input_codes(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """The integer graph's input for real inputs ``x``: the input QuantInput's codes."""
    layer = first_layer(model) if isinstance(model, nn.Sequential) else input_quantizer(model)
    return layer.codes(torch.as_tensor(x, dtype=torch.float32)).numpy()


def export_traced(model: nn.Module, input_shape: Sequence[int]) -> Graph:
    """nn-stage Graph (a DAG) of ``model``'s traced forward for per-sample ``input_shape``."""
    gm = trace(model)
    walk = _Walk(gm, tuple(input_shape))
    for n in gm.graph.nodes:
        walk.step(n)
    if walk.result is None or walk.x is None:
        raise FrontendError(f"model ({type(model).__name__}): forward must return a tensor")
    out = walk.result
    scales = ((out.value.name, Scale(out.mul, out.add)),)
    graph = Graph("nn", (walk.x,), tuple(walk.nodes), (out.value.name,), scales)
    return verify(infer_types(graph), "nn")


def input_quantizer(model: nn.Module) -> QuantInput:
    """The QuantInput that reads ``model``'s input (what fixes the integer graph's input)."""
    return _input_quantizer(trace(model))


def _input_quantizer(gm: fx.GraphModule) -> QuantInput:
    placeholder = _placeholder(gm)
    users = list(placeholder.users)
    if len(users) != 1 or not isinstance(_module(gm, users[0]), QuantInput):
        raise FrontendError(
            f"model: its input {placeholder.name!r} must be read by one QuantInput only, not by "
            f"{', '.join(u.name for u in users) or 'nothing'}"
        )
    layer = _module(gm, users[0])
    assert isinstance(layer, QuantInput)
    return layer


def first_layer(model: nn.Sequential) -> QuantInput:
    """The first layer of a (nested) nn.Sequential, which ``export`` requires be a QuantInput."""
    first: nn.Module = model
    while isinstance(first, nn.Sequential):
        first = next(iter(first))
    if not isinstance(first, QuantInput):
        raise FrontendError("model: the first layer must be a QuantInput")
    return first


def _placeholder(gm: fx.GraphModule) -> fx.Node:
    inputs: list[fx.Node] = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(inputs) != 1:
        raise FrontendError(f"model: forward must take one input tensor, not {len(inputs)}")
    return inputs[0]


def _module(gm: fx.GraphModule, n: fx.Node) -> nn.Module | None:
    return gm.get_submodule(str(n.target)) if n.op == "call_module" else None


class _Walk:
    """One pass over the fx nodes in order; ``states`` maps each to the activation it is."""

    def __init__(self, gm: fx.GraphModule, input_shape: tuple[int, ...]):
        self.gm, self.input_shape = gm, input_shape
        self.states: dict[fx.Node, _State] = {}
        self.nodes: list[Node] = []
        self.x: Value | None = None
        self.result: _State | None = None

    def step(self, n: fx.Node) -> None:
        where = _where(self.gm, n)
        if n.op == "placeholder":
            _input_quantizer(self.gm)  # checks the input is read by one QuantInput only
            return
        if n.op == "output":
            self.result = self._arg(n.args[0], where)
            return
        layer = _module(self.gm, n)
        if isinstance(layer, QuantInput):
            self.states[n] = self._input(n, layer, where)
        elif isinstance(layer, QuantAdd):
            self.states[n] = self._add(n, layer, where)
        elif isinstance(layer, QuantConcat) or n.target is torch.cat:
            self.states[n] = self._concat(n, where)
        elif _is_flatten(n):
            _check_flatten(n, where)
            self.states[n] = self._layer(n, nn.Flatten(), where, n.args[:1], {})
        elif layer is not None:
            self.states[n] = self._layer(n, layer, where)
        elif n.target in _ADDS:
            raise FrontendError(
                f"{where}: adding two activations must use a QuantAdd, whose output "
                "requantizer aligns their scales exactly"
            )
        else:
            raise FrontendError(
                f"{where}: is not supported; supported are streamfold's layers, the torch.nn "
                "layers of an nn.Sequential export, QuantAdd, QuantConcat, torch.cat(dim=1) and "
                "torch.flatten(x, 1)"
            )

    def _arg(self, a: Any, where: str) -> _State:
        if not isinstance(a, fx.Node):
            raise FrontendError(f"{where}: input must be one activation, not {a!r}")
        if a not in self.states:
            raise FrontendError(
                f"{where}: input {a.name!r} must be quantized by the model's QuantInput first"
            )
        return self.states[a]

    def _input(self, n: fx.Node, layer: QuantInput, where: str) -> _State:
        if self.x is not None or not (n.args and isinstance(n.args[0], fx.Node)):
            raise FrontendError(f"{where}: a QuantInput must read the model input only")
        if n.args[0].op != "placeholder":
            raise FrontendError(f"{where}: a QuantInput must read the model input only")
        self.x = Value("x", layer.dtype, self.input_shape)
        return _State(self.x, layer.scale.exact(where), (Fraction(0),), "input")

    def _layer(
        self,
        n: fx.Node,
        layer: nn.Module,
        where: str,
        args: Sequence[Any] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> _State:
        args, kwargs = (n.args, n.kwargs) if args is None else (args, kwargs)
        if len(args) != 1 or kwargs:
            raise FrontendError(f"{where}: must be called on one activation, not {len(args)}")
        return _export_layer(n.name, where, layer, self._arg(args[0], where), self.nodes)

    def _add(self, n: fx.Node, layer: QuantAdd, where: str) -> _State:
        if len(n.args) != 2 or n.kwargs:
            raise FrontendError(f"{where}: must be called on two activations, not {len(n.args)}")
        a, b = (self._arg(v, where) for v in n.args)
        try:
            factors, mul, add = layer.fold((a.mul, b.mul), (a.add, b.add), where)
            shape = join_shape(Add(factors), (a.value.shape, b.value.shape))
        except (QuantError, FrontendError) as e:
            raise FrontendError(str(e)) from None
        except Exception as e:
            raise FrontendError(f"{where}: {e}") from None
        total = Value(f"{n.name}_sum", _ACC, shape)
        self.nodes.append(Node(total.name, Add(factors), (a.value.name, b.value.name), total))
        out = Value(n.name, layer.out.dtype, shape)
        self.nodes.append(Node(n.name, Requantize((mul,), add), (total.name,), out))
        return _State(out, layer.out.scale.exact(where), (Fraction(0),), where)

    def _concat(self, n: fx.Node, where: str) -> _State:
        xs, dim = (n.args, 1) if n.op == "call_module" else _cat_args(n, where)
        states = [self._arg(v, where) for v in xs]
        rank = len(states[0].value.shape) + 1 if states else 0
        if len(states) < 2 or dim % max(rank, 1) != 1:
            raise FrontendError(
                f"{where}: must concatenate two or more activations along dim 1 (channels), "
                f"not {len(states)} along dim {dim}"
            )
        try:
            shape = join_shape(Concat(), tuple(s.value.shape for s in states))
        except Exception as e:
            raise FrontendError(f"{where}: {e}") from None
        out = Value(n.name, states[0].value.dtype, shape)
        self.nodes.append(Node(n.name, Concat(), tuple(s.value.name for s in states), out))
        channels = [s.value.shape[0] for s in states]
        mul = concat_channels([s.mul for s in states], channels)
        return _State(out, mul, concat_channels([s.add for s in states], channels), where)


def _check_flatten(n: fx.Node, where: str) -> None:
    args = list(n.args[1:]) + list(n.kwargs.values())
    if args not in ([1], [1, -1]):
        raise FrontendError(f"{where}: must flatten from dim 1 to the end, not {args}")


def _cat_args(n: fx.Node, where: str) -> tuple[Sequence[Any], int]:
    xs = n.args[0] if n.args else n.kwargs.get("tensors")
    dim = n.args[1] if len(n.args) > 1 else n.kwargs.get("dim", 0)
    if not isinstance(xs, list | tuple) or not isinstance(dim, int):
        raise FrontendError(f"{where}: must be torch.cat of a list of activations and an int dim")
    return xs, dim


def _is_flatten(n: fx.Node) -> bool:
    return (n.op == "call_function" and n.target is torch.flatten) or (
        n.op == "call_method" and n.target == "flatten"
    )


def _where(gm: fx.GraphModule, n: fx.Node) -> str:
    layer = _module(gm, n)
    if layer is not None:
        return f"fx node {n.name} ({n.target}: {type(layer).__name__})"
    target = n.target if isinstance(n.target, str) else getattr(n.target, "__name__", n.target)
    return f"fx node {n.name} ({n.op} {target})"
