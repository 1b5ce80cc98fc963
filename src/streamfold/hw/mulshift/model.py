"""Bit-exact NumPy model of sf_mulshift: the hardware's arithmetic on Python integers.

Independent of ``sim.exact`` (which shifts by each channel's own amount and rounds by adding
half and the kept LSB): here every channel is brought to the common shift (``hw_constants``)
and rounded from the quotient and remainder, as the RTL does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.hw.block import model_input
from streamfold.hw.mulshift.params import MulShiftParams, hw_constants
from streamfold.ir.dtypes import IntType

Array = npt.NDArray[Any]


def requantize(x: Array, m: Array, b: Array, shift: int, out: IntType) -> Array:
    """``x`` (n, channels) -> clamp(round_half_even((x * m + b) / 2**shift)) per channel."""
    acc = x.astype(object) * m[None, :].astype(object) + b[None, :].astype(object)
    if out.bipolar:
        sign: Array = np.where(acc >= 0, 1, -1).astype(np.int64)
        return sign
    q = acc >> shift
    r = acc - (q << shift)  # 0 <= r < 2**shift
    up = (2 * r > (1 << shift)) | ((2 * r == (1 << shift)) & (q % 2 == 1))
    y = q + up.astype(np.int64)
    clamped: Array = np.clip(y, out.min, out.max).astype(np.int64)
    return clamped


def mulshift(params: MulShiftParams, x: Array) -> Array:
    """The block's output for input frames ``x`` (frames, pixels * channels), channels-last."""
    xa = model_input("MulShift", x, params.pixels * params.channels)
    k = hw_constants(params)
    flat = xa.reshape(-1, params.channels)
    y = requantize(flat, np.array(k.multiplier, dtype=object),
                   np.array(k.bias, dtype=object), k.shift, params.out_dtype)  # fmt: skip
    return y.reshape(xa.shape)
