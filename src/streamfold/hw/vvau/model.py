"""Bit-exact NumPy model of the VVAU: (frames, pixels * K * C) -> (frames, pixels * C), each
pixel's window in ``(k, c)`` order (channels fastest, as a SlidingWindow streams it).

Independent of ``sim.exact``: the products are accumulated one kernel position at a time, in
int64 when the accumulator type guarantees it fits (else Python ints), and the fused thresholds
use the compare-and-count model of the thresholding block.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.hw.block import model_input
from streamfold.hw.thresholding.model import multithreshold
from streamfold.hw.vvau.params import VvauParams

Array = npt.NDArray[Any]
_INT64_BITS = 63  # an accumulator type of at most this many bits fits int64


def accumulate(params: VvauParams, windows: Array) -> Array:
    """The exact per-channel dot products for ``windows`` (vectors, K, C): (vectors, C)."""
    dt: Any = np.int64 if params.acc_dtype.bits <= _INT64_BITS else object
    w = params.weight.array.astype(dt)  # [C, K]
    xs = windows.astype(dt)
    acc = np.zeros((windows.shape[0], params.channels), dtype=dt)
    for k in range(params.kernel):  # partial sums stay within the accumulator's range
        acc += xs[:, k, :] * w[None, :, k]
    return acc


def vvau(params: VvauParams, x: Array) -> Array:
    """The block's output for input frames ``x`` (integer values, bipolar as -1/+1)."""
    xa = model_input("Vvau", x, params.pixels * params.in_features)
    frames = xa.shape[0]
    windows = xa.reshape(frames * params.pixels, params.kernel, params.channels)
    acc = accumulate(params, windows)
    if params.thresholds is not None:
        acc = multithreshold(acc, params.thresholds.array, params.out_dtype)
    return acc.reshape(frames, params.pixels * params.channels)
