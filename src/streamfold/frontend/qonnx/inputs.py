"""Declared input quantization: the graph input of a model that reads integers (or fixed point)
as plain float tensors, from ``import_qonnx(..., input_quant=...)`` or the model's own
``finn_datatype`` annotation on its input."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.errors import FrontendError
from streamfold.ir.dtypes import BIPOLAR, IntType

FORMS = "int<bits>, uint<bits>, bipolar, fixed<W,I>, ufixed<W,I> or bits=B,signed=0|1,scale=S"
MAX_BITS = 32


@dataclass(frozen=True)
class InputQuant:
    """The model input is ``code * scale`` with integer codes of ``bits`` (``signed``,
    ``narrow``: the most negative code unused); a 1-bit signed input is bipolar (codes -1, +1).

    ``codes(x)`` turns float inputs into codes: x / scale rounded half to even, then clamped to
    the code range (bipolar: +1 where x >= 0, else -1). The division runs in float64, exact for
    power-of-two scales (float32 inputs).
    """

    bits: int
    signed: bool
    scale: Fraction = Fraction(1)
    narrow: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.bits <= MAX_BITS:
            raise FrontendError(f"input_quant: bits must be in 1..{MAX_BITS}, not {self.bits}")
        if self.scale <= 0:
            raise FrontendError(f"input_quant: scale must be positive, not {self.scale}")
        if self.narrow and (not self.signed or self.bits < 2):
            raise FrontendError("input_quant: narrow needs a signed type of at least 2 bits")

    @property
    def dtype(self) -> IntType:
        if self.signed and self.bits == 1:
            return BIPOLAR
        return IntType(self.bits, self.signed, narrow=self.narrow)

    def codes(self, x: npt.ArrayLike) -> npt.NDArray[np.int64]:
        v = np.asarray(x, dtype=np.float64)
        if self.dtype == BIPOLAR:
            return np.where(v >= 0.0, 1, -1).astype(np.int64)
        y = np.round(v * self.scale.denominator / self.scale.numerator)
        t = self.dtype
        return np.clip(y, t.min, t.max).astype(np.int64)

    def __str__(self) -> str:
        kind = "bipolar" if self.dtype == BIPOLAR else str(self.dtype)
        return kind if self.scale == 1 else f"{kind} scale {self.scale}"


def parse_input_quant(text: str) -> InputQuant:
    """Read the forms users know: ``int8``, ``uint4``, ``bipolar`` (scale 1); hls4ml's
    ``fixed<16,6>`` (16 bits, 6 integer bits including the sign: scale 2**-10) and
    ``ufixed<8,0>`` (also with an ``ap_`` prefix); ``bits=8,signed=1,scale=0.0078125`` with
    the scale also as ``1/128``, ``2^-7`` or ``2**-7`` (decimals are read exactly) and an
    optional ``narrow=1``."""
    s = text.strip().lower().replace(" ", "")
    if m := re.fullmatch(r"(u?)int(\d+)", s):
        return InputQuant(int(m[2]), not m[1])
    if s == "bipolar":
        return InputQuant(1, True)
    if m := re.fullmatch(r"(?:ap_)?(u?)fixed<(\d+),(-?\d+)>", s):
        width, integer = int(m[2]), int(m[3])
        return InputQuant(width, not m[1], Fraction(2) ** (integer - width))
    if "=" in s:
        return _keywords(text, s)
    raise FrontendError(f"input_quant {text!r}: must be one of {FORMS}")


def _keywords(text: str, s: str) -> InputQuant:
    fields: dict[str, str] = {}
    for part in s.split(","):
        key, _, value = part.partition("=")
        if key not in ("bits", "signed", "scale", "narrow") or not value or key in fields:
            raise FrontendError(
                f"input_quant {text!r}: keys must be bits, signed, scale, narrow (once each), "
                f"not {part!r}"
            )
        fields[key] = value
    if "bits" not in fields or "signed" not in fields:
        raise FrontendError(f"input_quant {text!r}: must give bits= and signed=")
    return InputQuant(
        _int(text, "bits", fields["bits"]),
        _flag(text, "signed", fields["signed"]),
        _scale(text, fields.get("scale", "1")),
        _flag(text, "narrow", fields.get("narrow", "0")),
    )


def _int(text: str, key: str, value: str) -> int:
    if not re.fullmatch(r"\d+", value):
        raise FrontendError(f"input_quant {text!r}: {key} must be an integer, not {value!r}")
    return int(value)


def _flag(text: str, key: str, value: str) -> bool:
    flags = {"1": True, "0": False, "true": True, "false": False}
    if value not in flags:
        raise FrontendError(f"input_quant {text!r}: {key} must be 0 or 1, not {value!r}")
    return flags[value]


def _scale(text: str, value: str) -> Fraction:
    m = re.fullmatch(r"2(?:\^|\*\*)\(?(-?\d+)\)?", value)
    try:
        scale = Fraction(2) ** int(m[1]) if m else Fraction(value)
    except (ValueError, ZeroDivisionError):
        raise FrontendError(
            f"input_quant {text!r}: scale must be a number, a fraction p/q or 2^k, not {value!r}"
        ) from None
    if scale <= 0:
        raise FrontendError(f"input_quant {text!r}: scale must be positive, not {value!r}")
    return scale


def from_finn_datatype(name: str, where: str) -> InputQuant | None:
    """A ``finn_datatype`` annotation as qonnx's ``DataType[...]`` reads it; None for float."""
    s = name.strip().upper()
    if s in ("FLOAT32", "FLOAT16"):
        return None
    simple: dict[str, Any] = {"BINARY": (1, False), "BIPOLAR": (1, True)}
    if s in simple:
        return InputQuant(*simple[s])
    if s == "TERNARY":
        return InputQuant(2, True, narrow=True)
    if m := re.fullmatch(r"(U?)INT(\d+)", s):
        bits, signed = int(m[2]), not m[1]
        if signed and bits == 1:  # qonnx's INT1 holds -1 and 0, not bipolar codes
            raise FrontendError(f"{where}: finn_datatype INT1 is not supported")
        return InputQuant(bits, signed)
    if m := re.fullmatch(r"FIXED<(\d+),(-?\d+)>", s.replace(" ", "")):
        width, integer = int(m[1]), int(m[2])
        return InputQuant(width, True, Fraction(2) ** (integer - width))
    raise FrontendError(
        f"{where}: finn_datatype must be BINARY, BIPOLAR, TERNARY, INT<n>, UINT<n>, "
        f"FIXED<W,I>, FLOAT32 or FLOAT16, not {name!r}"
    )
