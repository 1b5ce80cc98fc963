"""Bit-exact NumPy model of the MVAU: (frames, pixels * in_features) -> (frames, pixels *
out_features), each pixel's input vector in turn (a convolution's windows, channels-last).

Independent of ``sim.exact``: the dot products are accumulated one column at a time, in int64
when the accumulator type guarantees it fits (else Python ints), and the fused thresholds use
the compare-and-count model of the thresholding block (the multiply-shift stage: the
multiply-shift block's model).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.hw.block import model_input
from streamfold.hw.mulshift.model import requantize
from streamfold.hw.mulshift.params import hw_constants
from streamfold.hw.mvau.params import MvauParams
from streamfold.hw.thresholding.model import multithreshold

Array = npt.NDArray[Any]
_INT64_BITS = 63  # an accumulator type of at most this many bits fits int64


def accumulate(params: MvauParams, x: Array) -> Array:
    """The exact dot products W x for each frame: (frames, out_features)."""
    dt: Any = np.int64 if params.acc_dtype.bits <= _INT64_BITS else object
    w = params.weight.array.astype(dt)
    xs = x.astype(dt)
    acc = np.zeros((x.shape[0], params.out_features), dtype=dt)
    for i in range(params.in_features):  # partial sums stay within the accumulator's range
        acc += xs[:, i : i + 1] * w[None, :, i]
    return acc


def mvau(params: MvauParams, x: Array) -> Array:
    """The block's output for input frames ``x`` (integer values, bipolar as -1/+1)."""
    xa = model_input("Mvau", x, params.pixels * params.in_features)
    frames = xa.shape[0]
    acc = accumulate(params, xa.reshape(frames * params.pixels, params.in_features))
    requant = params.requant()
    if requant is not None:
        k = hw_constants(requant)
        m, b = (np.array(v, dtype=object) for v in (k.multiplier, k.bias))
        acc = requantize(acc, m, b, k.shift, params.out_dtype)
    elif params.thresholds is not None:
        acc = multithreshold(acc, params.thresholds.array, params.out_dtype)
    return acc.reshape(frames, params.pixels * params.out_features)
