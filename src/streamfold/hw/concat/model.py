"""Bit-exact model of sf_concat on channels-last frames."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.hw.block import model_input
from streamfold.hw.concat.params import ConcatParams


def concat(params: ConcatParams, x0: npt.ArrayLike, x1: npt.ArrayLike) -> npt.NDArray[Any]:
    """(frames, P * C0) and (frames, P * C1) channels-last to (frames, P * (C0 + C1))."""
    p = params.pixels
    a = model_input("concat", x0, p * params.channels0).astype(np.int64)
    b = model_input("concat", x1, p * params.channels1).astype(np.int64)
    n = a.shape[0]
    out = np.concatenate([a.reshape(n, p, -1), b.reshape(n, p, -1)], axis=2)
    return out.reshape(n, -1)
