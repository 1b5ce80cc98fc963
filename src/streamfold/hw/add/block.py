"""ADD: the Block record of the elementwise add block (two-input Add nodes)."""

from __future__ import annotations

from streamfold.hw.add import cost
from streamfold.hw.add.model import add
from streamfold.hw.add.params import AddParams, check_folding, foldings, params_of
from streamfold.hw.add.rtl import instance
from streamfold.hw.block import Block
from streamfold.ir.ops import Add

ADD: Block[AddParams] = Block(
    op_type=Add,
    params=params_of,
    foldings=foldings,
    check_folding=check_folding,
    model=add,
    cycles=cost.cycles,
    latency=cost.latency,
    rtl=instance,
)
