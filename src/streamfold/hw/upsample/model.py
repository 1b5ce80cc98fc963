"""Bit-exact NumPy model of nearest upsampling: (frames, in) -> (frames, out), channels-last."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.hw.block import model_input
from streamfold.hw.upsample.params import UpsampleParams

Array = npt.NDArray[Any]


def upsample(params: UpsampleParams, x: Array) -> Array:
    """Each input row ``f_h`` times, each pixel of it ``f_w`` times (all channels kept)."""
    xa = model_input("Upsample", x, params.in_vector)
    (h, w), (fh, fw) = params.in_hw, params.scale_hw
    pixels = xa.reshape(xa.shape[0], h, w, params.channels)
    out: Array = np.repeat(np.repeat(pixels, fh, axis=1), fw, axis=2)
    return out.reshape(xa.shape[0], -1)
