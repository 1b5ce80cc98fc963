"""SWG: the Block record of the swg block (SlidingWindow nodes)."""

from __future__ import annotations

from typing import Any

from streamfold.hw.block import Block, NodeFolding, lanes
from streamfold.hw.swg import cost, line, window
from streamfold.hw.swg.model import swg
from streamfold.hw.swg.params import SwgParams, check_folding, foldings, params_of, word_needs
from streamfold.hw.swg.rtl import instance
from streamfold.ir.ops import SlidingWindow


def check(name: str, params: SwgParams, folding: NodeFolding) -> None:
    """``check_folding``; whole windows at mmv > 1 (``window.check``), a window with its own
    padding at any mmv (``line.check``)."""
    if params.padding:
        line.check(name, params, folding)
    elif folding.mmv > 1:
        window.check(name, params, folding)
    else:
        check_folding(name, params, folding)


def needs(params: SwgParams, folding: NodeFolding) -> Any:
    """``word_needs``; whole windows at mmv > 1 (``window.needs``)."""
    if params.padding:
        return line.needs(params, folding)
    return window.needs(params, folding) if folding.mmv > 1 else word_needs(params, folding)


def out_elems(params: SwgParams, folding: NodeFolding) -> int:
    """SIMD channels (of params.mmv pixels); mmv whole windows at folding mmv > 1 or with
    its own padding."""
    if folding.mmv > 1 or params.padding:
        return folding.mmv * params.window * params.channels
    return lanes(params, folding) * params.mmv


def needed(params: SwgParams, folding: NodeFolding) -> int:
    """Input words up to the last one of the first window (group): what a consumer of whole
    windows waits for. Its first word comes earlier (``cost.latency``), but the rest of the
    window waits for the input rows below."""
    if params.padding:
        return line.needed(params, folding)
    if folding.mmv > 1:
        return window.needed(params, folding)
    (_, w), (kh, kw), (_, sw) = params.in_hw, params.kernel_hw, params.stride_hw
    pixels = (kh - 1) * w + (params.mmv - 1) * sw + kw
    return pixels * (params.channels // folding.simd)


def delay(params: SwgParams, folding: NodeFolding) -> int:
    """From the window's last input word to its last output word offered: the write becomes
    visible, the read is registered (block RAM: twice) and written to the output FIFO
    (sf_swg_win: into the buffer, then the output register)."""
    if params.padding:
        return 1 + line.OUTPUT_REGISTER_CYCLES
    if folding.mmv > 1:
        return 1 + window.OUTPUT_REGISTER_CYCLES
    return cost.read_cycles(folding) + cost.FIFO_CYCLES


SWG: Block[SwgParams] = Block(
    op_type=SlidingWindow,
    params=params_of,
    foldings=foldings,
    check_folding=check,
    model=swg,
    cycles=cost.cycles,
    latency=cost.latency,
    rtl=instance,
    needed=needed,
    delay=delay,
    needs=needs,
    out_elems=out_elems,
    multi_pixel=True,
)
