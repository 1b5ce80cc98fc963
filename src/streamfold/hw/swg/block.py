"""SWG: the Block record of the swg block (SlidingWindow nodes)."""

from __future__ import annotations

from streamfold.hw.block import Block, NodeFolding
from streamfold.hw.swg import cost
from streamfold.hw.swg.model import swg
from streamfold.hw.swg.params import SwgParams, check_folding, foldings, params_of
from streamfold.hw.swg.rtl import instance
from streamfold.ir.ops import SlidingWindow


def needed(params: SwgParams, folding: NodeFolding) -> int:
    """Input words up to the one the first window word needs (``cost.latency``'s count)."""
    fixed = cost.WRITE_VISIBLE_CYCLES + cost.READ_REGISTER_CYCLES + cost.FIFO_CYCLES
    return cost.latency(params, folding) - fixed + 1


SWG: Block[SwgParams] = Block(
    op_type=SlidingWindow,
    params=params_of,
    foldings=foldings,
    check_folding=check_folding,
    model=swg,
    cycles=cost.cycles,
    latency=cost.latency,
    rtl=instance,
    needed=needed,
)
