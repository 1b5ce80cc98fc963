"""The sf_mulshift instance for a node: parameters and the constants' memory image.

Image layout: see ``constant_image`` and the header of sf_mulshift.v.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from streamfold.hw.block import NodeFolding, RtlInstance, StreamFormat
from streamfold.hw.mulshift.params import (
    HwConstants,
    MulShiftParams,
    check_folding,
    hw_constants,
    widened,
)
from streamfold.hw.thresholding.image import hex_image

SOURCE = Path(__file__).with_name("sf_mulshift.v")


def constant_words(k: HwConstants, pe: int) -> np.ndarray:
    """[CF, PE] channel constants, each ``B << M_BITS | M`` in two's complement bits."""
    m_mask, b_mask = (1 << k.m_dtype.bits) - 1, (1 << k.b_dtype.bits) - 1
    packed = [((b & b_mask) << k.m_dtype.bits) | (m & m_mask)
              for m, b in zip(k.multiplier, k.bias, strict=True)]  # fmt: skip
    return np.array(packed, dtype=object).reshape(-1, pe)


def constant_image(k: HwConstants, pe: int) -> str:
    """The CONST_FILE image: word cf holds channel cf * PE + p at element p."""
    return hex_image(constant_words(k, pe), k.m_dtype.bits + k.b_dtype.bits)


def instance(params: MulShiftParams, folding: NodeFolding, name: str) -> RtlInstance:
    """An sf_mulshift instance named ``name``; its image is ``{name}_constants.hex``."""
    check_folding(name, params, folding)
    params, folding = widened(params, folding)
    x, out = params.in_dtype, params.out_dtype
    k = hw_constants(params)
    const_file = f"{name}_constants.hex"
    parameters: tuple[tuple[str, int | str], ...] = (
        ("CHANNELS", params.channels),
        ("PE", folding.pe),
        ("IN_BITS", x.bits),
        ("IN_SIGNED", int(x.signed)),
        ("IN_BIPOLAR", int(x.bipolar)),
        ("M_BITS", k.m_dtype.bits),
        ("B_BITS", k.b_dtype.bits),
        ("SHIFT", k.shift),
        ("OUT_BITS", out.bits),
        ("OUT_MIN", 0 if out.bipolar else out.min),
        ("OUT_MAX", 1 if out.bipolar else out.max),
        ("OUT_BIPOLAR", int(out.bipolar)),
        ("MEM_STYLE", folding.mem_style.value),
        ("CONST_FILE", const_file),
    )
    return RtlInstance(
        module="sf_mulshift",
        sources=(SOURCE,),
        parameters=parameters,
        memories=((const_file, constant_image(k, folding.pe)),),
        stream_in=StreamFormat(x, folding.pe, params.pixels * params.channels),
        stream_out=StreamFormat(out, folding.pe, params.pixels * params.channels),
    )
