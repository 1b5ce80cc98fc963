"""DEPTHTOSPACE: the Block record of the depthtospace block (DepthToSpace nodes)."""

from __future__ import annotations

from streamfold.hw.block import Block
from streamfold.hw.depthtospace import cost
from streamfold.hw.depthtospace.model import depthtospace
from streamfold.hw.depthtospace.params import (
    DepthToSpaceParams,
    check_folding,
    foldings,
    params_of,
)
from streamfold.hw.depthtospace.rtl import instance
from streamfold.ir.ops import DepthToSpace

DEPTHTOSPACE: Block[DepthToSpaceParams] = Block(
    op_type=DepthToSpace,
    params=params_of,
    foldings=foldings,
    check_folding=check_folding,
    model=depthtospace,
    cycles=cost.cycles,
    latency=cost.latency,
    rtl=instance,
)
