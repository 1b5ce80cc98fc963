"""The sf_upsample instance for an upsampling node: its parameters and streams."""

from __future__ import annotations

from pathlib import Path

from streamfold.hw.block import NodeFolding, RtlInstance, StreamFormat
from streamfold.hw.upsample.params import UpsampleParams, check_folding

SOURCE = Path(__file__).with_name("sf_upsample.v")


def instance(params: UpsampleParams, folding: NodeFolding, name: str) -> RtlInstance:
    """An sf_upsample instance named ``name`` (a one-row buffer, no memory images)."""
    check_folding(name, params, folding)
    (_, w), (fh, fw) = params.in_hw, params.scale_hw
    parameters: tuple[tuple[str, int | str], ...] = (
        ("ELEM_BITS", params.dtype.bits),
        ("C", params.channels),
        ("SIMD", folding.simd),
        ("W", w),
        ("F_H", fh),
        ("F_W", fw),
        ("MEM_STYLE", folding.mem_style.value),
    )
    return RtlInstance(
        module="sf_upsample",
        sources=(SOURCE,),
        parameters=parameters,
        memories=(),
        stream_in=StreamFormat(params.dtype, folding.simd, params.in_vector),
        stream_out=StreamFormat(params.dtype, folding.simd, params.out_vector),
    )
