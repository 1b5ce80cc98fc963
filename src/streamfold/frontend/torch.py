"""Export a trained ``nn.Sequential`` of streamfold QAT layers to an nn-stage Graph.

The export computes exactly what the model's eval forward computes (both use
``streamfold.quant.exact``): integer weights, each Requantizer as a Requantize node whose exact
dyadic mul/add absorb the input scale, weight scales, bias and folded BatchNorm, and the final
layer's real scale on the graph output.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from torch import nn

from streamfold.errors import FrontendError
from streamfold.ir.dtypes import IntType
from streamfold.ir.graph import Graph, Node, Scale, Value
from streamfold.ir.ops import (
    Conv,
    DepthToSpace,
    DepthToSpaceMode,
    Flatten,
    GlobalSumPool,
    IntArray,
    MatMul,
    MaxPool,
    Op,
    Requantize,
    Upsample,
)
from streamfold.ir.shapes import output_shape
from streamfold.ir.verify import verify
from streamfold.quant.exact import (
    Fractions,
    compose_affine,
    exact_tensor,
    expand_flatten,
    fold_batchnorm,
)
from streamfold.quant.layers import QuantConv1d, QuantConv2d, QuantLinear
from streamfold.quant.qtensor import integer_factors, shuffled_scale
from streamfold.quant.requantizer import QuantInput, Requantizer
from streamfold.transforms.infer_types import infer_types

_PASS_THROUGH = (nn.Dropout, nn.Identity)
_FLOAT_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ReLU, nn.Hardtanh, nn.Sigmoid, nn.Tanh)
SUPPORTED = (
    "QuantInput, QuantLinear, QuantConv1d, QuantConv2d, BatchNorm1d, BatchNorm2d, Requantizer, "
    "Flatten, MaxPool1d, MaxPool2d, AdaptiveAvgPool1d(1), AdaptiveAvgPool2d(1), "
    "Upsample(nearest, integer scale_factor), PixelShuffle, Dropout, Identity"
)
_ACC = IntType(64, True)  # placeholder; infer_types computes the real accumulator types


@dataclass
class _State:
    """The tensor flowing between layers: integer ``value`` meaning value * mul + add."""

    value: Value
    mul: Fractions
    add: Fractions
    source: str

    @property
    def is_integer(self) -> bool:
        return len(self.mul) == 1 and all(a == 0 for a in self.add)


def export(model: nn.Module, input_shape: Sequence[int]) -> Graph:
    """nn-stage Graph of ``model`` for per-sample inputs of ``input_shape`` (e.g. ``(784,)``).

    A model with its own ``forward`` (residual adds, concatenations: a DAG) is exported by
    ``frontend.torch_fx.export_module``.
    """
    layers = list(_leaves(model, ""))
    if not layers or not isinstance(layers[0][1], QuantInput):
        raise FrontendError(
            "model: the first layer must be a QuantInput, which fixes the input codes"
        )
    first = layers[0][1]
    assert isinstance(first, QuantInput)
    x = Value("x", first.dtype, tuple(input_shape))
    state = _State(
        x, first.scale.exact(f"layer {layers[0][0]} (QuantInput)"), (Fraction(0),), "input"
    )
    nodes: list[Node] = []
    for path, layer in layers[1:]:
        where = f"layer {path} ({type(layer).__name__})"
        state = _export_layer(path, where, layer, state, nodes)
    scale = Scale(state.mul, state.add)
    graph = Graph("nn", (x,), tuple(nodes), (state.value.name,), ((state.value.name, scale),))
    return verify(infer_types(graph), "nn")


def _leaves(module: nn.Module, prefix: str) -> Iterator[tuple[str, nn.Module]]:
    if not isinstance(module, nn.Sequential):
        raise FrontendError(
            f"model{'.' + prefix if prefix else ''} ({type(module).__name__}): must be an "
            f"nn.Sequential of {SUPPORTED}; export a model with its own forward with "
            "streamfold.frontend.torch_fx.export_module"
        )
    for name, child in module.named_children():
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(child, nn.Sequential):
            yield from _leaves(child, path)
        else:
            yield path, child


def _node_name(path: str, layer: nn.Module) -> str:
    name = path.replace(".", "_")
    return f"{type(layer).__name__.lower()}{name}" if name[0].isdigit() else name


def _export_layer(
    path: str, where: str, layer: nn.Module, state: _State, nodes: list[Node]
) -> _State:
    def emit(op: Op, dtype: IntType, mul: Fractions, add: Fractions) -> _State:
        name = _node_name(path, layer)
        try:
            shape = output_shape(op, state.value.shape)
        except Exception as e:
            raise FrontendError(f"{where}: {e}") from None
        out = Value(name, dtype, shape)
        nodes.append(Node(name, op, (state.value.name,), out))
        return _State(out, mul, add, where)

    match layer:
        case QuantLinear() | QuantConv1d() | QuantConv2d():
            _check_conv(where, layer)
            _require_integer(where, state)
            w = layer.weight_quant.codes(layer.weight.detach()).numpy()
            s_w = layer.weight_quant.exact_scale(where)
            op: Op = (
                MatMul(IntArray(w), layer.weight_quant.dtype)
                if isinstance(layer, QuantLinear)
                else Conv(
                    IntArray(w),
                    layer.weight_quant.dtype,
                    _pair(layer.stride),
                    _padding(where, layer),
                    layer.groups,
                )
            )
            mul = tuple(state.mul[0] * s for s in s_w)
            add = _bias(where, layer)
            return emit(op, _ACC, mul, add)
        case nn.BatchNorm1d() | nn.BatchNorm2d():
            channels = state.value.shape[0]
            if layer.num_features != channels:
                raise FrontendError(
                    f"{where}: num_features must be {channels}, not {layer.num_features}"
                )
            a, c = fold_batchnorm(layer, where)
            mul, add = compose_affine(state.mul, state.add, a, c)
            return _State(state.value, mul, add, where)
        case QuantInput():
            raise FrontendError(f"{where}: a QuantInput must be the first layer only")
        case Requantizer():
            mul, add = layer.fold(state.mul, state.add, where)
            req = emit(Requantize(mul, add), layer.dtype, *_scale_of(layer, where))
            return req
        case nn.Flatten():
            if layer.start_dim != 1 or layer.end_dim != -1:
                raise FrontendError(
                    f"{where}: start_dim, end_dim must be 1, -1, "
                    f"not {layer.start_dim}, {layer.end_dim}"
                )
            spatial = math.prod(state.value.shape[1:])
            mul, add = expand_flatten(state.mul, spatial), expand_flatten(state.add, spatial)
            return emit(Flatten(), state.value.dtype, mul, add)
        case nn.MaxPool1d() | nn.MaxPool2d():
            return _maxpool(where, layer, state, emit)
        case nn.AdaptiveAvgPool1d() | nn.AdaptiveAvgPool2d():
            dims = 1 if isinstance(layer, nn.AdaptiveAvgPool1d) else 2
            if _ntuple(layer.output_size, dims) != (1,) * dims:  # type: ignore[arg-type]
                raise FrontendError(
                    f"{where}: output_size must be 1 (global average pooling), "
                    f"not {layer.output_size}"
                )
            if len(state.value.shape) != dims + 1:
                raise FrontendError(
                    f"{where}: input must be [C, <{dims} spatial>], not {list(state.value.shape)}"
                )
            n = math.prod(state.value.shape[1:])
            return emit(GlobalSumPool(), _ACC, tuple(m / n for m in state.mul), state.add)
        case nn.Upsample():
            return _upsample(where, layer, state, emit)
        case nn.PixelShuffle():
            return _pixel_shuffle(where, layer, state, emit)
        case _ if isinstance(layer, _PASS_THROUGH):
            return state
        case _ if isinstance(layer, _FLOAT_LAYERS):
            raise FrontendError(
                f"{where}: is not quantized but is fed by {state.source}; an integer graph cannot "
                "be formed: use QuantLinear/QuantConv and Requantizer instead"
            )
    raise FrontendError(f"{where}: unsupported layer; supported layers are {SUPPORTED}")


def _scale_of(layer: Requantizer, where: str) -> tuple[Fractions, Fractions]:
    return layer.scale.exact(where), (Fraction(0),)


def _require_integer(where: str, state: _State) -> None:
    if not state.is_integer:
        raise FrontendError(
            f"{where}: input must be integer codes with one per-tensor scale, not the real-valued "
            f"output of {state.source}; insert a Requantizer before it"
        )


def _bias(where: str, layer: QuantLinear | QuantConv1d | QuantConv2d) -> Fractions:
    return exact_tensor(layer.bias, where, "bias") if layer.bias is not None else (Fraction(0),)


def _pair(v: int | Sequence[int]) -> tuple[int, ...]:
    return tuple(v) if isinstance(v, Sequence) else (v,)


def _padding(where: str, layer: nn.Module) -> tuple[int, ...]:
    pad: Any = layer.padding
    if isinstance(pad, str):
        raise FrontendError(f"{where}: padding must be integers, not {pad!r}")
    return _pair(pad)


def _check_conv(where: str, layer: nn.Module) -> None:
    """Refuse what the sliding-window lowering cannot build, naming the layer and the value."""
    if not isinstance(layer, QuantConv1d | QuantConv2d):
        return
    groups = layer.in_channels // layer.weight.shape[1]
    if layer.groups != groups or groups * layer.weight.shape[1] != layer.in_channels:
        raise FrontendError(
            f"{where}: groups must be {groups} for weights {list(layer.weight.shape)} and "
            f"in_channels={layer.in_channels}, not {layer.groups}"
        )
    if any(d != 1 for d in layer.dilation):
        raise FrontendError(f"{where}: dilation must be 1, not {tuple(layer.dilation)}")
    if layer.padding_mode != "zeros":
        raise FrontendError(f"{where}: padding_mode must be 'zeros', not {layer.padding_mode!r}")


Emit = Callable[[Op, IntType, Fractions, Fractions], _State]


def _maxpool(where: str, layer: nn.MaxPool1d | nn.MaxPool2d, state: _State, emit: Emit) -> _State:
    dims = len(state.value.shape) - 1
    kernel = _ntuple(layer.kernel_size, dims)
    stride = _ntuple(layer.stride if layer.stride is not None else layer.kernel_size, dims)
    if _ntuple(layer.padding, dims) != (0,) * dims or _ntuple(layer.dilation, dims) != (1,) * dims:
        raise FrontendError(f"{where}: padding must be 0 and dilation 1")
    if layer.ceil_mode or layer.return_indices:
        raise FrontendError(f"{where}: ceil_mode and return_indices must be False")
    if any(m <= 0 for m in state.mul):
        raise FrontendError(f"{where}: its input scale must be positive to pool integer codes")
    return emit(MaxPool(kernel, stride), state.value.dtype, state.mul, state.add)


def _upsample(where: str, layer: nn.Upsample, state: _State, emit: Emit) -> _State:
    spatial = state.value.shape[1:]
    factors = integer_factors(spatial, layer.size, layer.scale_factor, layer.mode)
    if factors is None or layer.align_corners:
        raise FrontendError(
            f"{where}: must be nearest with integer scale factors for input {list(spatial)}, "
            f"not mode={layer.mode!r} scale_factor={layer.scale_factor} size={layer.size}"
        )
    return emit(Upsample(factors), state.value.dtype, state.mul, state.add)


def _pixel_shuffle(where: str, layer: nn.PixelShuffle, state: _State, emit: Emit) -> _State:
    """PixelShuffle is DepthToSpace in CRD mode."""
    r, channels = layer.upscale_factor, state.value.shape[0]
    mul, add = (shuffled_scale(v, channels, r) for v in (state.mul, state.add))
    if mul is None or add is None:
        raise FrontendError(
            f"{where}: each group of {r * r} input channels it merges must share one scale"
        )
    return emit(DepthToSpace(r, DepthToSpaceMode.CRD), state.value.dtype, mul, add)


def _ntuple(v: int | Sequence[int], n: int) -> tuple[int, ...]:
    return tuple(v) if isinstance(v, Sequence) else (int(v),) * n


def input_codes(model: nn.Sequential, x: np.ndarray) -> np.ndarray:
    """The integer graph's input for real inputs ``x``: the first QuantInput's codes."""
    import torch

    first = next(iter(model))
    if not isinstance(first, QuantInput):
        raise FrontendError("model: the first layer must be a QuantInput")
    return first.codes(torch.as_tensor(x, dtype=torch.float32)).numpy()
