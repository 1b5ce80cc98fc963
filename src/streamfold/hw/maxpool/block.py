"""MAXPOOL: the Block record of the maxpool block (MaxPool nodes)."""

from __future__ import annotations

from typing import Any

from streamfold.hw.block import Block, NodeFolding
from streamfold.hw.maxpool import cost
from streamfold.hw.maxpool.model import maxpool
from streamfold.hw.maxpool.params import MaxPoolParams, check_folding, foldings, params_of
from streamfold.hw.maxpool.rtl import instance
from streamfold.hw.swg import cost as swg_cost
from streamfold.hw.swg.params import word_needs
from streamfold.ir.ops import MaxPool


def needs(params: MaxPoolParams, folding: NodeFolding) -> Any:
    """Each output word needs its window's last pixel (its channel group)."""
    return word_needs(params.swg, folding, whole_window=True)


def needed(params: MaxPoolParams, folding: NodeFolding) -> int:
    """Input words up to the one that completes the first window (``cost.latency``'s count)."""
    swg = swg_cost.read_cycles(folding) + swg_cost.FIFO_CYCLES
    return cost.latency(params, folding) - swg - cost.FIFO_CYCLES + 1


MAXPOOL: Block[MaxPoolParams] = Block(
    op_type=MaxPool,
    params=params_of,
    foldings=foldings,
    check_folding=check_folding,
    model=maxpool,
    cycles=cost.cycles,
    latency=cost.latency,
    rtl=instance,
    needed=needed,
    needs=needs,
)
