"""SWG: the Block record of the swg block (SlidingWindow nodes)."""

from __future__ import annotations

from streamfold.hw.block import Block, NodeFolding
from streamfold.hw.swg import cost
from streamfold.hw.swg.model import swg
from streamfold.hw.swg.params import SwgParams, check_folding, foldings, params_of, word_needs
from streamfold.hw.swg.rtl import instance
from streamfold.ir.ops import SlidingWindow


def needed(params: SwgParams, folding: NodeFolding) -> int:
    """Input words up to the last one of the first window (group): what a consumer of whole
    windows waits for. Its first word comes earlier (``cost.latency``), but the rest of the
    window waits for the input rows below."""
    (_, w), (kh, kw), (_, sw) = params.in_hw, params.kernel_hw, params.stride_hw
    pixels = (kh - 1) * w + (params.mmv - 1) * sw + kw
    return pixels * (params.channels // folding.simd)


def delay(params: SwgParams, folding: NodeFolding) -> int:
    """From the window's last input word to its last output word offered: the write becomes
    visible, the read is registered and written to the output FIFO."""
    return cost.WRITE_VISIBLE_CYCLES + cost.READ_REGISTER_CYCLES + cost.FIFO_CYCLES


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
    delay=delay,
    needs=word_needs,
)
