"""MULSHIFT: the Block record of the standalone Requantizer (multiply, add, shift, clamp)."""

from __future__ import annotations

from streamfold.hw.block import Block
from streamfold.hw.mulshift import cost
from streamfold.hw.mulshift.model import mulshift
from streamfold.hw.mulshift.params import MulShiftParams, check_folding, foldings, params_of
from streamfold.hw.mulshift.rtl import instance
from streamfold.ir.ops import MulShift

MULSHIFT: Block[MulShiftParams] = Block(
    op_type=MulShift,
    params=params_of,
    foldings=foldings,
    check_folding=check_folding,
    model=mulshift,
    cycles=cost.cycles,
    latency=cost.latency,
    rtl=instance,
    multi_pixel=True,
)
