"""The sf_swg instance for a sliding-window generator: its parameters and streams."""

from __future__ import annotations

from pathlib import Path

from streamfold.hw.block import NodeFolding, RtlInstance, StreamFormat
from streamfold.hw.swg import line, window
from streamfold.hw.swg.cost import buffer_words
from streamfold.hw.swg.params import SwgParams, check_folding

SOURCE = Path(__file__).with_name("sf_swg.v")


def instance(params: SwgParams, folding: NodeFolding, name: str) -> RtlInstance:
    """An sf_swg instance named ``name`` (no memory images: the buffer starts empty); at
    folding mmv > 1 an sf_swg_win emitting whole windows (``window``)."""
    if params.padding:
        return line.instance(params, folding, name)
    if folding.mmv > 1:
        return window.instance(params, folding, name)
    check_folding(name, params, folding)
    (h, w), (kh, kw), (sh, sw) = params.in_hw, params.kernel_hw, params.stride_hw
    parameters: tuple[tuple[str, int | str], ...] = (
        ("ELEM_BITS", params.dtype.bits),
        ("C", params.channels),
        ("SIMD", folding.simd),
        ("H", h),
        ("W", w),
        ("K_H", kh),
        ("K_W", kw),
        ("S_H", sh),
        ("S_W", sw),
        ("MMV", params.mmv),
        ("DEPTH", buffer_words(params, folding)),
        ("MEM_STYLE", folding.mem_style.value),
    )
    return RtlInstance(
        module="sf_swg",
        sources=(SOURCE,),
        parameters=parameters,
        memories=(),
        stream_in=StreamFormat(params.dtype, folding.simd, params.in_vector),
        stream_out=StreamFormat(params.dtype, folding.simd * params.mmv, params.out_vector),
    )
