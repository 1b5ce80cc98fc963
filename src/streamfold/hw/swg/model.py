"""Bit-exact NumPy model of the sliding-window generator: (frames, in) -> (frames, out).

The SWG only reorders elements, so the model is a gather through ``window_indices``: output
element j is input element ``window_indices(params, simd)[j]`` (stream orders in ``params``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from streamfold.hw.block import model_input
from streamfold.hw.swg.params import SwgParams

Array = npt.NDArray[Any]


def window_indices(params: SwgParams, simd: int = 1) -> npt.NDArray[np.int64]:
    """For each output element in stream order, the index of its input element.

    Output order ``[OH, OW / mmv, K_h, K_w, C / simd, mmv, simd]``; with ``mmv = 1`` that is
    ``[OH, OW, K_h, K_w, C]`` for every ``simd``.
    """
    (_, w), (kh, kw), (sh, sw) = params.in_hw, params.kernel_hw, params.stride_hw
    oh, ow = params.out_hw
    c, mmv = params.channels, params.mmv
    oy, og, ky, kx, cf, m, s = np.ix_(
        *(np.arange(n) for n in (oh, ow // mmv, kh, kw, c // simd, mmv, simd))
    )
    y = oy * sh + ky
    x = (og * mmv + m) * sw + kx
    idx = (y * w + x) * c + cf * simd + s
    return idx.reshape(-1).astype(np.int64)


def swg(params: SwgParams, x: Array, simd: int = 1) -> Array:
    """The windows of input frames ``x`` (channels-last), in output stream order.

    ``simd`` matters only with ``mmv > 1`` (it sets the element order, see ``window_indices``).
    """
    xa = model_input("Swg", x, params.in_vector)
    if params.padding:
        n, c = xa.shape[0], params.channels
        widths = ((0, 0), *params.padding, (0, 0))
        xa = np.pad(
            xa.reshape(n, *params.unpadded_dims, c), widths, constant_values=params.pad_value
        )
        xa = xa.reshape(n, -1)
    return xa[:, window_indices(params, simd)]
