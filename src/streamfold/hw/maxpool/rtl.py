"""The sf_maxpool instance for a max-pooling node: its parameters and streams."""

from __future__ import annotations

from pathlib import Path

from streamfold.hw.block import NodeFolding, RtlInstance, StreamFormat
from streamfold.hw.fifo.rtl import SOURCE as FIFO_SOURCE
from streamfold.hw.maxpool.cost import buffer_words
from streamfold.hw.maxpool.params import MaxPoolParams, check_folding
from streamfold.hw.swg.rtl import SOURCE as SWG_SOURCE

SOURCE = Path(__file__).with_name("sf_maxpool.v")


def instance(params: MaxPoolParams, folding: NodeFolding, name: str) -> RtlInstance:
    """An sf_maxpool instance named ``name`` (an sf_swg window buffer, an sf_fifo output)."""
    check_folding(name, params, folding)
    swg = params.swg
    (h, w), (kh, kw), (sh, sw) = swg.in_hw, swg.kernel_hw, swg.stride_hw
    parameters: tuple[tuple[str, int | str], ...] = (
        ("ELEM_BITS", params.dtype.bits),
        ("SIGNED", int(params.dtype.signed and not params.dtype.bipolar)),
        ("C", params.channels),
        ("SIMD", folding.simd),
        ("H", h),
        ("W", w),
        ("K_H", kh),
        ("K_W", kw),
        ("S_H", sh),
        ("S_W", sw),
        ("DEPTH", buffer_words(params, folding)),
        ("MEM_STYLE", folding.mem_style.value),
    )
    return RtlInstance(
        module="sf_maxpool",
        sources=(SOURCE, SWG_SOURCE, FIFO_SOURCE),
        parameters=parameters,
        memories=(),
        stream_in=StreamFormat(params.dtype, folding.simd, params.in_vector),
        stream_out=StreamFormat(params.dtype, folding.simd, params.out_vector),
    )
