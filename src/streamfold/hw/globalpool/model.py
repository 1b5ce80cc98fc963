"""Bit-exact NumPy model of global sum pooling: (frames, in) -> (frames, channels)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.errors import SimulationError
from streamfold.hw.block import model_input
from streamfold.hw.globalpool.params import GlobalPoolParams

Array = npt.NDArray[Any]


def globalpool(params: GlobalPoolParams, x: Array) -> Array:
    """Per channel, the sum over all pixels of channels-last frames ``x`` (int64: the sums fit
    ``params.out_dtype``, checked)."""
    xa = model_input("GlobalPool", x, params.in_vector)
    if params.out_dtype.bits > 63:
        raise SimulationError(f"GlobalPool: sums must fit int64, not {params.out_dtype}")
    n = xa.shape[0]
    sums: Array = xa.astype(np.int64).reshape(n, params.pixels, params.channels).sum(axis=1)
    return sums
