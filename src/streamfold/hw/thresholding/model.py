"""Bit-exact NumPy model of multi-thresholding (shared with the MVAU's fused thresholds).

Written independently of ``sim.exact`` (which counts with ``searchsorted``): here every
comparison ``x >= threshold`` is made and the true ones are counted, so the two implementations
check each other.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.errors import SimulationError
from streamfold.hw.block import model_input
from streamfold.hw.thresholding.params import ThresholdingParams
from streamfold.ir.dtypes import IntType

Array = npt.NDArray[Any]


def multithreshold(x: Array, thresholds: Array, out_dtype: IntType) -> Array:
    """``x`` (frames, channels) -> out_dtype values of levels count_k(x[:, c] >= t[c, k]).

    ``thresholds`` is [channels or 1, levels - 1]; one row applies to every channel.
    """
    t = np.asarray(thresholds)
    if t.ndim != 2 or t.shape[0] not in (1, x.shape[1]):
        raise SimulationError(
            f"multithreshold: thresholds must be [1 or {x.shape[1]}, levels - 1], "
            f"not {list(t.shape)}"
        )
    wide = x.dtype == object or t.dtype == object
    xs, ts = (x.astype(object), t.astype(object)) if wide else (x, t)
    count = np.zeros(x.shape, dtype=np.int64)
    for k in range(ts.shape[1]):  # one comparison per threshold keeps memory at frames x C
        count += (xs >= ts[None, :, k]).astype(np.int64)
    levels: Array = 2 * count - 1 if out_dtype.bipolar else out_dtype.min + count
    return levels


def thresholding(params: ThresholdingParams, x: Array) -> Array:
    """The block's output for input frames ``x`` (frames, pixels * channels), channels-last."""
    xa = model_input("Thresholding", x, params.pixels * params.channels)
    flat = xa.reshape(-1, params.channels)
    return multithreshold(flat, params.thresholds.array, params.out_dtype).reshape(xa.shape)
