"""Bit-exact model of sf_add: the elementwise integer sum (any order: elementwise)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.hw.add.params import AddParams
from streamfold.hw.block import model_input


def add(params: AddParams, x0: npt.ArrayLike, x1: npt.ArrayLike) -> npt.NDArray[Any]:
    a = model_input("add", x0, params.vector).astype(np.int64)
    b = model_input("add", x1, params.vector).astype(np.int64)
    return a * params.k0 + b * params.k1
