"""The sf_vvau instance for a node: parameters and memory images.

Images (layout also in the header of sf_vvau.v), one word per line in hexadecimal:
- ``{name}_weights.hex``: SF * NF words of PE * SIMD weights; word sf * NF + nf holds at element
  p * SIMD + s the weight of channel nf * PE + p at kernel position sf * SIMD + s (bipolar:
  bit 1 = +1).
- ``{name}_thresholds.hex`` (with thresholds only): NF words of PE * n thresholds; word nf holds
  at element p * n + k threshold k of channel nf * PE + p, clamped to the accumulator's range
  and stored in ``threshold_dtype`` (a per-tensor row is repeated for every channel).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from streamfold.hw.block import NodeFolding, RtlInstance, StreamFormat
from streamfold.hw.mvau.rtl import TREE_SOURCE, unit_parameters
from streamfold.hw.thresholding.image import hex_image
from streamfold.hw.vvau.params import VvauParams, check_folding

SOURCE = Path(__file__).with_name("sf_vvau.v")
MMV_SOURCE = Path(__file__).with_name("sf_vvau_mmv.v")


def weight_words(params: VvauParams, folding: NodeFolding) -> npt.NDArray[np.int64]:
    """The weight image as [SF * NF, PE * SIMD] element values (layout in the docstring)."""
    nf, sf = params.channels // folding.pe, params.kernel // folding.simd
    w = params.weight.array.astype(np.int64)
    if params.weight_dtype.bipolar:
        w = (w + 1) // 2
    words = w.reshape(nf, folding.pe, sf, folding.simd).transpose(2, 0, 1, 3)
    out: npt.NDArray[np.int64] = words.reshape(sf * nf, folding.pe * folding.simd)
    return out


def weight_image(params: VvauParams, folding: NodeFolding) -> str:
    """The weight memory image for ``folding``."""
    return hex_image(weight_words(params, folding), params.weight_dtype.bits)


def instance(params: VvauParams, folding: NodeFolding, name: str) -> RtlInstance:
    """An sf_vvau instance named ``name`` with images ``{name}_weights.hex`` (+ thresholds)."""
    check_folding(name, params, folding)
    types = (params.in_dtype, params.weight_dtype, params.acc_dtype, params.out_dtype)
    shared, memories = unit_parameters(
        name,
        weight_image(params, folding),
        params.thresholds,
        params.channels,
        folding.pe,
        types,
        params.n_thresholds,
        folding.mem_style,
    )
    parameters: tuple[tuple[str, int | str], ...] = (
        ("C", params.channels),
        ("K", params.kernel),
        ("PE", folding.pe),
        ("SIMD", folding.simd),
        *shared,
    )
    x, out = params.in_dtype, params.out_dtype
    mmv = folding.mmv
    return RtlInstance(
        module="sf_vvau" if mmv == 1 else "sf_vvau_mmv",
        sources=(SOURCE, TREE_SOURCE) if mmv == 1 else (MMV_SOURCE, SOURCE, TREE_SOURCE),
        parameters=parameters if mmv == 1 else (("MMV", mmv), *parameters),
        memories=memories,
        stream_in=StreamFormat(
            x, mmv * folding.pe * folding.simd, params.pixels * params.in_features
        ),
        stream_out=StreamFormat(out, mmv * folding.pe, params.pixels * params.channels),
    )
