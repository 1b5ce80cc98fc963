"""PEAKPICK: the Block record of the peak-picking block (PeakPick nodes)."""

from __future__ import annotations

from streamfold.hw.block import Block, NodeFolding
from streamfold.hw.peakpick import cost
from streamfold.hw.peakpick.model import peakpick
from streamfold.hw.peakpick.params import (
    FIELDS,
    PeakPickParams,
    check_folding,
    foldings,
    params_of,
)
from streamfold.hw.peakpick.rtl import instance
from streamfold.ir.ops import PeakPick


def out_elems(params: PeakPickParams, folding: NodeFolding) -> int:
    """One word per frame: every record."""
    return FIELDS * params.max_peaks


PEAKPICK: Block[PeakPickParams] = Block(
    op_type=PeakPick,
    params=params_of,
    foldings=foldings,
    check_folding=check_folding,
    model=peakpick,
    cycles=cost.cycles,
    latency=cost.latency,
    rtl=instance,
    needed=cost.needed,
    out_elems=out_elems,
)
