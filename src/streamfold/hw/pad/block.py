"""PAD: the Block record of the pad block (Pad nodes)."""

from __future__ import annotations

from streamfold.hw.block import Block
from streamfold.hw.pad import cost
from streamfold.hw.pad.model import pad
from streamfold.hw.pad.params import PadParams, check_folding, foldings, params_of, word_needs
from streamfold.hw.pad.rtl import instance
from streamfold.ir.ops import Pad

PAD: Block[PadParams] = Block(
    op_type=Pad,
    params=params_of,
    foldings=foldings,
    check_folding=check_folding,
    model=pad,
    cycles=cost.cycles,
    latency=cost.latency,
    rtl=instance,
    needs=word_needs,
)
