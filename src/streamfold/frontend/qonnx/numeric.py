"""NumPy float32 evaluation of ONNX/QONNX ops, exactly as the ``qonnx`` executor computes them.

Used twice: to fold constants (quantized weights, shape arithmetic, TensorNorm's ``Pow``) and, on
the host side, to turn the float model input into the integer codes of the first quantizer.
The quantizer formulas follow qonnx 1.0 (``custom_op/general/intquant.py``, ``bipolar_quant.py``,
``trunc.py``, ``multithreshold.py``): scale, add the zero point, clamp, then round.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.errors import FrontendError
from streamfold.frontend.qonnx.model import OnnxNode

Array = npt.NDArray[Any]

ROUNDING: dict[str, Callable[[Array], Array]] = {
    "ROUND": np.round,
    "HALF_EVEN": np.round,
    "CEIL": np.ceil,
    "FLOOR": np.floor,
    "ROUND_TO_ZERO": np.fix,
    "DOWN": np.fix,
    "UP": lambda x: np.sign(x) * np.ceil(np.abs(x)),
    "HALF_UP": lambda x: np.sign(x) * np.floor(np.abs(x) + 0.5),
    "HALF_DOWN": lambda x: np.sign(x) * np.ceil(np.abs(x) - 0.5),
}


def rounding_mode(node: OnnxNode, default: str) -> str:
    mode = node.attr_str("rounding_mode", default).upper()
    if mode not in ROUNDING:
        raise FrontendError(
            f"{node.where}: rounding_mode must be one of {', '.join(ROUNDING)}, not {mode!r}"
        )
    return mode


def int_range(bits: int, signed: bool, narrow: bool) -> tuple[int, int]:
    """qonnx's min_int / max_int: unsigned narrow drops the top code (max 2**bits - 2)."""
    if signed:
        return -(1 << (bits - 1)) + (1 if narrow else 0), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - (2 if narrow else 1)


def quant_codes(
    x: Array, scale: Array, zeropt: Array, bits: int, signed: bool, narrow: bool, mode: str
) -> Array:
    """The integer codes (as floats) of qonnx's int_quant, before the rescale."""
    y = x / scale
    y = y + zeropt
    if bits == 1 and signed:  # qonnx: a 1-bit signed Quant is bipolar
        return np.where(y >= 0.0, np.ones_like(y), -np.ones_like(y))
    lo, hi = int_range(bits, signed, narrow)
    y = np.where(y > hi, np.asarray(hi, dtype=y.dtype), y)
    y = np.where(y < lo, np.asarray(lo, dtype=y.dtype), y)
    return ROUNDING[mode](y)


def bipolar_codes(x: Array) -> Array:
    return np.where(x >= 0.0, np.ones_like(x), -np.ones_like(x))


def trunc_codes(
    x: Array, scale: Array, zeropt: Array, shift: float, clamp: tuple[int, int] | None, mode: str
) -> Array:
    """qonnx trunc_v1 / trunc_v2 integer part: round, divide by 2**shift, (clamp), round."""
    y: Array = np.round(x / scale + zeropt)
    z: Array = y / np.asarray(2.0**shift, dtype=y.dtype)
    if clamp is not None:
        z = np.clip(z, *clamp)
    return ROUNDING[mode](z)


def multithreshold(x: Array, thresholds: Array, out_scale: float, out_bias: float) -> Array:
    """Counts x >= t per channel (axis 1), then out_scale * count + out_bias."""
    vm = np.expand_dims(np.moveaxis(x, 1, -1), -1)
    count = np.count_nonzero(vm >= thresholds, axis=-1).astype(x.dtype)
    return np.asarray(out_scale * np.moveaxis(count, -1, 1) + out_bias, dtype=x.dtype)


def reshape(x: Array, shape: Array, allowzero: bool = False) -> Array:
    target = [int(s) for s in np.asarray(shape).ravel()]
    if not allowzero:
        target = [x.shape[i] if s == 0 else s for i, s in enumerate(target)]
    return x.reshape(target)


def evaluate(node: OnnxNode, args: list[Array | None]) -> list[Array]:
    """Outputs of a standard or QONNX node on concrete arrays (float32 arithmetic)."""
    fn = _EVAL.get(node.op_type)
    if fn is None:
        raise FrontendError(
            f"{node.where}: cannot be evaluated on constants; supported: {', '.join(_EVAL)}"
        )
    out = fn(node, args)
    return [np.asarray(o) for o in out] if isinstance(out, list) else [np.asarray(out)]


def _arg(args: list[Array | None], i: int) -> Array:
    if i >= len(args) or args[i] is None:
        raise FrontendError(f"input {i} must be given")
    a = args[i]
    assert a is not None
    return a


def _unsqueeze(node: OnnxNode, args: list[Array | None]) -> Array:
    axes = node.attr_ints("axes") if len(args) < 2 else list(_arg(args, 1).ravel())
    x = _arg(args, 0)
    rank = x.ndim + len(axes)
    for a in sorted(int(a) % rank for a in axes):
        x = np.expand_dims(x, a)
    return x


def _squeeze(node: OnnxNode, args: list[Array | None]) -> Array:
    axes = node.attr_ints("axes") if len(args) < 2 else list(_arg(args, 1).ravel())
    x = _arg(args, 0)
    return np.squeeze(x, axis=tuple(int(a) % x.ndim for a in axes)) if axes else np.squeeze(x)


def _gemm(node: OnnxNode, args: list[Array | None]) -> Array:
    a, b = _arg(args, 0), _arg(args, 1)
    a = a.T if node.attr_int("transA", 0) else a
    b = b.T if node.attr_int("transB", 0) else b
    y: Array = np.float32(node.attr_float("alpha", 1.0)) * (a @ b)
    if len(args) > 2 and args[2] is not None:
        y = y + np.float32(node.attr_float("beta", 1.0)) * args[2]
    return y


def _quant(node: OnnxNode, args: list[Array | None]) -> Array:
    x, scale, zeropt, bits = (_arg(args, i) for i in range(4))
    signed, narrow = bool(node.attr_int("signed", 1)), bool(node.attr_int("narrow", 0))
    q = quant_codes(x, scale, zeropt, int(bits), signed, narrow, rounding_mode(node, "ROUND"))
    return (q - zeropt) * scale


def _trunc(node: OnnxNode, args: list[Array | None]) -> Array:
    x, scale, zeropt, in_bits = (_arg(args, i) for i in range(4))
    mode = rounding_mode(node, "FLOOR")
    if trunc_version(node, len(args)) == 2:  # output scale and output bit width, clamps
        out_scale, out_bits = _arg(args, 4), _arg(args, 5)
        shift = float(np.round(np.log2(out_scale / scale)).max())
        clamp = int_range(
            int(out_bits), bool(node.attr_int("signed", 1)), bool(node.attr_int("narrow", 0))
        )
        y = trunc_codes(x, scale, zeropt, shift, clamp, mode)
        return (y - zeropt / np.float32(2.0**shift)) * out_scale
    shift = float(in_bits) - float(_arg(args, 4))
    return (trunc_codes(x, scale, zeropt, shift, None, mode) - zeropt) * scale


def trunc_version(node: OnnxNode, inputs: int) -> int:
    """qonnx picks Trunc v1 or v2 by the opset version of the node's domain."""
    version = 2 if node.version >= 2 else 1
    if inputs != 4 + version:
        raise FrontendError(
            f"{node.where}: Trunc v{version} (domain opset {node.version}) must have "
            f"{4 + version} inputs, not {inputs}"
        )
    return version


def _clip(node: OnnxNode, args: list[Array | None]) -> Array:
    x = _arg(args, 0)
    lo = args[1] if len(args) > 1 and args[1] is not None else node.attr_float("min", -np.inf)
    hi = args[2] if len(args) > 2 and args[2] is not None else node.attr_float("max", np.inf)
    return np.clip(x, np.asarray(lo, x.dtype), np.asarray(hi, x.dtype))


_CAST: dict[int, Any] = {1: np.float32, 6: np.int32, 7: np.int64, 11: np.float64}
_EVAL: dict[str, Callable[[OnnxNode, list[Array | None]], Array | list[Array]]] = {
    "Identity": lambda n, a: _arg(a, 0),
    "Shape": lambda n, a: np.array(_arg(a, 0).shape, dtype=np.int64),
    "Gather": lambda n, a: np.take(_arg(a, 0), _arg(a, 1), axis=n.attr_int("axis", 0)),
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
    "Concat": lambda n, a: np.concatenate([_arg(a, i) for i in range(len(a))], n.attr_int("axis")),
    "Reshape": lambda n, a: reshape(_arg(a, 0), _arg(a, 1), bool(n.attr_int("allowzero", 0))),
    "Flatten": lambda n, a: _arg(a, 0).reshape(
        int(np.prod(_arg(a, 0).shape[: n.attr_int("axis", 1)])), -1
    ),
    "Transpose": lambda n, a: np.transpose(_arg(a, 0), n.attr_ints("perm") or None),
    "Cast": lambda n, a: _arg(a, 0).astype(_CAST.get(n.attr_int("to"), np.float32)),
    "Add": lambda n, a: _arg(a, 0) + _arg(a, 1),
    "Sub": lambda n, a: _arg(a, 0) - _arg(a, 1),
    "Mul": lambda n, a: _arg(a, 0) * _arg(a, 1),
    "Div": lambda n, a: _arg(a, 0) / _arg(a, 1),
    "Pow": lambda n, a: np.power(_arg(a, 0), _arg(a, 1)).astype(_arg(a, 0).dtype),
    "Sqrt": lambda n, a: np.sqrt(_arg(a, 0)),
    "Neg": lambda n, a: -_arg(a, 0),
    "Reciprocal": lambda n, a: np.float32(1) / _arg(a, 0),
    "Relu": lambda n, a: np.maximum(_arg(a, 0), np.zeros((), _arg(a, 0).dtype)),
    "Clip": _clip,
    "MatMul": lambda n, a: _arg(a, 0) @ _arg(a, 1),
    "Gemm": _gemm,
    "Quant": _quant,
    "IntQuant": _quant,
    "BipolarQuant": lambda n, a: bipolar_codes(_arg(a, 0)) * _arg(a, 1),
    "Trunc": _trunc,
    "MultiThreshold": lambda n, a: multithreshold(
        _arg(a, 0), _arg(a, 1), n.attr_float("out_scale", 1.0), n.attr_float("out_bias", 0.0)
    ),
}
