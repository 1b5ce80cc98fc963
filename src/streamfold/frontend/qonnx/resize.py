"""Resize, Upsample and DepthToSpace on activations: nearest repetition by integer factors, and
channel blocks to pixel blocks. Both only move integer codes, so they are exact; the scale
stays per channel (DepthToSpace requires the channels it merges to share one).

Resize (opset 10 and 11+; roi/scales/sizes inputs, ``axes`` from 18) is accepted when its mode
is nearest, every factor is an integer >= 1 (1 on the batch and channel axes), and its
``coordinate_transformation_mode`` with ``nearest_mode`` reads, for every output index ``i``,
the input index ``i // factor``: this is checked per axis with the ONNX formulas in exact
arithmetic, so e.g. asymmetric + floor and half_pixel + round_prefer_floor are taken (any
factor) and asymmetric + round_prefer_floor only up to factor 2. The deprecated ``Upsample``
(opset 7 attribute, opset 9 input) is asymmetric + floor.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from streamfold.errors import FrontendError
from streamfold.frontend.qonnx.model import OnnxNode
from streamfold.frontend.qonnx.quantize import Emit
from streamfold.frontend.qonnx.values import Act, QConst
from streamfold.ir.ops import DepthToSpace, DepthToSpaceMode, Upsample
from streamfold.quant.exact import per_channel

HALF = Fraction(1, 2)
Coordinate = Callable[[int, int, int], Fraction]  # (output index, input length, factor)
COORDINATES: dict[str, Coordinate] = {
    "asymmetric": lambda i, n, f: Fraction(i, f),
    "half_pixel": lambda i, n, f: (i + HALF) / f - HALF,
    "half_pixel_symmetric": lambda i, n, f: (i + HALF) / f - HALF,  # offset 0: integer sizes
    "pytorch_half_pixel": lambda i, n, f: (i + HALF) / f - HALF if n * f > 1 else Fraction(0),
    "align_corners": lambda i, n, f: Fraction(i * (n - 1), n * f - 1) if n * f > 1 else Fraction(0),
    "tf_half_pixel_for_nn": lambda i, n, f: (i + HALF) / f,
}
ROUNDINGS: dict[str, Callable[[Fraction], int]] = {
    "round_prefer_floor": lambda x: math.ceil(x - HALF),
    "round_prefer_ceil": lambda x: math.floor(x + HALF),
    "floor": math.floor,
    "ceil": math.ceil,
}


def resize(node: OnnxNode, act: Act, consts: list[Any], emit: Emit) -> Act:
    """An ONNX Resize (module docstring)."""
    _nearest(node)
    if node.version <= 10:  # Resize-10: (X, scales), asymmetric with floor for upsampling
        factors = _scale_factors(node, act, _input(consts, 0))
        return _repeat(node, act, factors, "asymmetric", "floor", emit)
    scales, sizes = _input(consts, 1), _input(consts, 2)
    if (scales is None) == (sizes is None):
        raise FrontendError(f"{node.where}: exactly one of scales and sizes must be given")
    if scales is not None:
        factors = _scale_factors(node, act, scales)
    else:
        policy = node.attr_str("keep_aspect_ratio_policy", "stretch")
        if policy != "stretch":
            raise FrontendError(
                f"{node.where}: keep_aspect_ratio_policy must be stretch, not {policy!r}"
            )
        factors = _size_factors(node, act, sizes)
    ctm = node.attr_str("coordinate_transformation_mode", "half_pixel")
    rounding = node.attr_str("nearest_mode", "round_prefer_floor")
    return _repeat(node, act, factors, ctm, rounding, emit)


def upsample(node: OnnxNode, act: Act, consts: list[Any], emit: Emit) -> Act:
    """The deprecated ONNX Upsample: scales as an attribute (opset 7) or input (opset 9)."""
    _nearest(node)
    scales = node.attrs.get("scales") if node.version < 9 else _input(consts, 0)
    if scales is None:
        raise FrontendError(f"{node.where}: scales must be given")
    factors = _scale_factors(node, act, np.asarray(scales, dtype=np.float64))
    return _repeat(node, act, factors, "asymmetric", "floor", emit)


def depth_to_space(node: OnnxNode, act: Act, emit: Emit) -> Act:
    """ONNX DepthToSpace (DCR or CRD mode) of a 2-D map."""
    b = node.attr_int("blocksize")
    name = node.attr_str("mode", "DCR")
    modes = {m.value: m for m in DepthToSpaceMode}
    if name not in modes:
        raise FrontendError(f"{node.where}: mode must be DCR or CRD, not {name!r}")
    mode, c = modes[name], act.channels // (b * b) if b > 0 else 0
    if len(act.value.shape) != 3 or b < 1 or c * b * b != act.channels:
        raise FrontendError(
            f"{node.where}: input must be [1, C * {b}**2, H, W] with blocksize >= 1, "
            f"not {list(act.onnx_shape)}"
        )
    sources = [[_source_channel(mode, b, c, k, ch) for k in range(b * b)] for ch in range(c)]
    out = emit(DepthToSpace(b, mode), act.value.dtype, act.value)
    fields = [_merge(node, getattr(act, f), sources, f) for f in ("mul", "add", "lo", "hi")]
    return Act(out, *fields)


# ------------------------------------------------------------------------------- helpers
def _nearest(node: OnnxNode) -> None:
    mode = node.attr_str("mode", "nearest")
    if mode != "nearest":
        raise FrontendError(f"{node.where}: mode must be nearest, not {mode!r}")


def _input(consts: list[Any], i: int) -> Any:
    """Input ``i`` of the constants, None when absent or empty (ONNX's optional inputs)."""
    if i >= len(consts) or consts[i] is None:
        return None
    value = np.asarray(consts[i].value if isinstance(consts[i], QConst) else consts[i])
    return None if value.size == 0 else value


def _axes(node: OnnxNode, rank: int, given: int) -> list[int]:
    axes = [a % rank for a in node.attr_ints("axes", tuple(range(rank)))]
    if len(axes) != given or len(set(axes)) != len(axes):
        raise FrontendError(f"{node.where}: axes {axes} must name {given} distinct axes")
    return axes


def _scale_factors(node: OnnxNode, act: Act, scales: Any) -> tuple[int, ...]:
    values = np.asarray(scales, dtype=np.float64).ravel()
    rank = len(act.onnx_shape)
    full = [1.0] * rank
    for axis, v in zip(_axes(node, rank, len(values)), values, strict=True):
        full[axis] = float(v)
    if any(v != round(v) or v < 1 for v in full):
        raise FrontendError(f"{node.where}: scales must be integers >= 1, not {full}")
    return _spatial(node, tuple(int(v) for v in full))


def _size_factors(node: OnnxNode, act: Act, sizes: Any) -> tuple[int, ...]:
    values = [int(v) for v in np.asarray(sizes).ravel()]
    rank, shape = len(act.onnx_shape), act.onnx_shape
    full = list(shape)
    for axis, v in zip(_axes(node, rank, len(values)), values, strict=True):
        full[axis] = v
    if any(s < d or s % d for s, d in zip(full, shape, strict=True)):
        raise FrontendError(
            f"{node.where}: sizes must be integer multiples of the input shape {list(shape)}, "
            f"not {full}"
        )
    return _spatial(node, tuple(s // d for s, d in zip(full, shape, strict=True)))


def _spatial(node: OnnxNode, factors: tuple[int, ...]) -> tuple[int, ...]:
    if factors[:2] != (1, 1):
        raise FrontendError(
            f"{node.where}: the batch and channel factors must be 1, not {list(factors[:2])}"
        )
    return factors[2:]


def _repeat(
    node: OnnxNode, act: Act, factors: tuple[int, ...], ctm: str, rounding: str, emit: Emit
) -> Act:
    if ctm not in COORDINATES:
        raise FrontendError(
            f"{node.where}: coordinate_transformation_mode must be one of "
            f"{', '.join(COORDINATES)}, not {ctm!r}"
        )
    if rounding not in ROUNDINGS:
        raise FrontendError(
            f"{node.where}: nearest_mode must be one of {', '.join(ROUNDINGS)}, not {rounding!r}"
        )
    for n, f in zip(act.value.shape[1:], factors, strict=True):
        for i in range(n * f):
            j = min(max(ROUNDINGS[rounding](COORDINATES[ctm](i, n, f)), 0), n - 1)
            if j != i // f:
                raise FrontendError(
                    f"{node.where}: coordinate_transformation_mode={ctm} with "
                    f"nearest_mode={rounding} must repeat each input index {f} times "
                    f"(output {i} reading input {i // f}), not read input {j}; exact for any "
                    "integer factor: asymmetric with floor, half_pixel or pytorch_half_pixel "
                    "with round_prefer_floor or round_prefer_ceil"
                )
    if all(f == 1 for f in factors):
        return act
    out = emit(Upsample(factors), act.value.dtype, act.value)
    return Act(out, act.mul, act.add, act.lo, act.hi)


def _source_channel(mode: DepthToSpaceMode, b: int, c: int, k: int, ch: int) -> int:
    """The input channel of output channel ``ch`` at block offset ``k = i * b + j``."""
    return k * c + ch if mode is DepthToSpaceMode.DCR else ch * b * b + k


def _merge(node: OnnxNode, values: tuple[Any, ...], sources: list[list[int]], what: str) -> Any:
    """Per-output-channel values of a DepthToSpace: its source channels must agree."""
    if len(values) == 1:
        return values
    full = per_channel(values, sum(len(s) for s in sources))
    out = []
    for ch, src in enumerate(sources):
        seen = {full[k] for k in src}
        if len(seen) != 1:
            raise FrontendError(
                f"{node.where}: the input channels {src} that become output channel {ch} must "
                f"share one {what}, not {', '.join(sorted(str(v) for v in seen))}"
            )
        out.append(full[src[0]])
    return tuple(out) if len(set(out)) > 1 else tuple(out[:1])
