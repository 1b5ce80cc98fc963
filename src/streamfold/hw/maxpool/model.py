"""Bit-exact NumPy model of max-pooling: (frames, in) -> (frames, out), channels-last."""

from __future__ import annotations

from typing import Any

import numpy.typing as npt

from streamfold.hw.block import model_input
from streamfold.hw.maxpool.params import MaxPoolParams
from streamfold.hw.swg.model import window_indices

Array = npt.NDArray[Any]


def maxpool(params: MaxPoolParams, x: Array) -> Array:
    """Per output pixel and channel, the max of its window (integers; bipolar -1 / +1 too)."""
    xa = model_input("MaxPool", x, params.in_vector)
    windows = xa[:, window_indices(params.swg)]  # [OH, OW, K_h, K_w, C], channels fastest
    n, c = xa.shape[0], params.channels
    pooled: Array = windows.reshape(n, -1, params.window, c).max(axis=2)
    return pooled.reshape(n, -1)
