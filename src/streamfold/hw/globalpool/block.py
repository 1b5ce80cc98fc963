"""GLOBALPOOL: the Block record of the globalpool block (GlobalSumPool nodes)."""

from __future__ import annotations

from streamfold.hw.block import Block, NodeFolding
from streamfold.hw.globalpool import cost
from streamfold.hw.globalpool.model import globalpool
from streamfold.hw.globalpool.params import GlobalPoolParams, check_folding, foldings, params_of
from streamfold.hw.globalpool.rtl import instance
from streamfold.ir.ops import GlobalSumPool


def needed(params: GlobalPoolParams, folding: NodeFolding) -> int:
    """The first sums need the first word of the last pixel."""
    return (params.pixels - 1) * (params.channels // folding.simd) + 1


GLOBALPOOL: Block[GlobalPoolParams] = Block(
    op_type=GlobalSumPool,
    params=params_of,
    foldings=foldings,
    check_folding=check_folding,
    model=globalpool,
    cycles=cost.cycles,
    latency=cost.latency,
    rtl=instance,
    needed=needed,
)
