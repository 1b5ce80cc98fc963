"""Bit-exact NumPy model of DepthToSpace: (frames, in) -> (frames, out), channels-last."""

from __future__ import annotations

from typing import Any

import numpy.typing as npt

from streamfold.hw.block import model_input
from streamfold.hw.depthtospace.params import DepthToSpaceParams
from streamfold.ir.ops import DepthToSpaceMode

Array = npt.NDArray[Any]


def depthtospace(params: DepthToSpaceParams, x: Array) -> Array:
    """Input pixel ``(h, w)``'s channel ``k`` to output pixel ``(h * b + i, w * b + j)``,
    channel ``c``: ``k = (i * b + j) * C + c`` (DCR) or ``c * b * b + i * b + j`` (CRD)."""
    xa = model_input("DepthToSpace", x, params.in_vector)
    (h, w), b, c = params.in_dims, params.block_size, params.channels
    n = xa.shape[0]
    if params.mode is DepthToSpaceMode.DCR:
        split = xa.reshape(n, h, w, b, b, c)  # (h, w, i, j, c)
    else:
        split = xa.reshape(n, h, w, c, b, b).transpose(0, 1, 2, 4, 5, 3)  # (h, w, i, j, c)
    out: Array = split.transpose(0, 1, 3, 2, 4, 5)  # (h, i, w, j, c): row-major output
    return out.reshape(n, -1)
