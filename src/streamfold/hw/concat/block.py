"""CONCAT: the Block record of the channel concatenation block (two-input Concat nodes)."""

from __future__ import annotations

from streamfold.hw.block import Block
from streamfold.hw.concat import cost
from streamfold.hw.concat.model import concat
from streamfold.hw.concat.params import ConcatParams, check_folding, foldings, params_of
from streamfold.hw.concat.rtl import instance
from streamfold.ir.ops import Concat

CONCAT: Block[ConcatParams] = Block(
    op_type=Concat,
    params=params_of,
    foldings=foldings,
    check_folding=check_folding,
    model=concat,
    cycles=cost.cycles,
    latency=cost.latency,
    rtl=instance,
)
