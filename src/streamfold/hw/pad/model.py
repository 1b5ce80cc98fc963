"""Bit-exact NumPy model of padding: (frames, in) -> (frames, out), channels-last."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.hw.block import model_input
from streamfold.hw.pad.params import PadParams

Array = npt.NDArray[Any]


def pad(params: PadParams, x: Array) -> Array:
    """Input frames ``x`` (channels-last) with the border ``params.pad_value`` added."""
    xa = model_input("Pad", x, params.in_vector)
    (h, w), (c, n) = params.in_hw, (params.channels, xa.shape[0])
    (oh, ow), ((top, _), (left, _)) = params.out_hw, params.padding_hw
    out = np.full((n, oh, ow, c), params.pad_value, dtype=xa.dtype)
    out[:, top : top + h, left : left + w, :] = xa.reshape(n, h, w, c)
    return out.reshape(n, -1)
