"""UPSAMPLE: the Block record of the upsample block (Upsample nodes)."""

from __future__ import annotations

from streamfold.hw.block import Block
from streamfold.hw.upsample import cost
from streamfold.hw.upsample.model import upsample
from streamfold.hw.upsample.params import UpsampleParams, check_folding, foldings, params_of
from streamfold.hw.upsample.rtl import instance
from streamfold.ir.ops import Upsample

UPSAMPLE: Block[UpsampleParams] = Block(
    op_type=Upsample,
    params=params_of,
    foldings=foldings,
    check_folding=check_folding,
    model=upsample,
    cycles=cost.cycles,
    latency=cost.latency,
    rtl=instance,
)
