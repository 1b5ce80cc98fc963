"""BLOCKS: the one registry of hardware blocks, keyed by IR op type."""

from __future__ import annotations

from typing import Any

from streamfold.errors import IRError
from streamfold.hw.add.block import ADD
from streamfold.hw.block import Block
from streamfold.hw.concat.block import CONCAT
from streamfold.hw.depthtospace.block import DEPTHTOSPACE
from streamfold.hw.globalpool.block import GLOBALPOOL
from streamfold.hw.maxpool.block import MAXPOOL
from streamfold.hw.mulshift.block import MULSHIFT
from streamfold.hw.mvau.block import MVAU
from streamfold.hw.pad.block import PAD
from streamfold.hw.peakpick.block import PEAKPICK
from streamfold.hw.swg.block import SWG
from streamfold.hw.thresholding.block import THRESHOLDING
from streamfold.hw.upsample.block import UPSAMPLE
from streamfold.hw.vvau.block import VVAU
from streamfold.ir.graph import Node

BLOCKS: dict[type, Block[Any]] = {
    b.op_type: b
    for b in (
        MVAU,
        VVAU,
        THRESHOLDING,
        MULSHIFT,
        PAD,
        SWG,
        MAXPOOL,
        GLOBALPOOL,
        UPSAMPLE,
        DEPTHTOSPACE,
        ADD,
        CONCAT,
        PEAKPICK,
    )
}


def block_of(node: Node) -> Block[Any]:
    try:
        return BLOCKS[type(node.op)]
    except KeyError:
        kinds = ", ".join(t.__name__ for t in BLOCKS)
        raise IRError(
            f"node {node.name} ({type(node.op).__name__}): has no hardware block; "
            f"blocks exist for {kinds} (run lower_to_kernels first)"
        ) from None
