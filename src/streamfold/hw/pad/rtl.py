"""The sf_pad instance for a padding node: its parameters and streams."""

from __future__ import annotations

from pathlib import Path

from streamfold.hw.block import NodeFolding, RtlInstance, StreamFormat
from streamfold.hw.fifo.rtl import SOURCE as FIFO_SOURCE
from streamfold.hw.pad.params import PadParams, check_folding

SOURCE = Path(__file__).with_name("sf_pad.v")


def instance(params: PadParams, folding: NodeFolding, name: str) -> RtlInstance:
    """An sf_pad instance named ``name`` (no memory images)."""
    check_folding(name, params, folding)
    (h, w), ((top, bottom), (left, right)) = params.in_hw, params.padding_hw
    parameters: tuple[tuple[str, int | str], ...] = (
        ("ELEM_BITS", params.dtype.bits),
        ("C", params.channels),
        ("SIMD", folding.simd),
        ("H", h),
        ("W", w),
        ("PAD_TOP", top),
        ("PAD_BOTTOM", bottom),
        ("PAD_LEFT", left),
        ("PAD_RIGHT", right),
        ("PAD_CODE", params.pad_code),
    )
    return RtlInstance(
        module="sf_pad",
        sources=(SOURCE, FIFO_SOURCE),
        parameters=parameters,
        memories=(),
        stream_in=StreamFormat(params.dtype, folding.simd, params.in_vector),
        stream_out=StreamFormat(params.dtype, folding.simd, params.out_vector),
    )
