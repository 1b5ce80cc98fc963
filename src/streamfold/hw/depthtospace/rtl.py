"""The sf_depthtospace instance for a DepthToSpace node: its parameters and streams."""

from __future__ import annotations

from pathlib import Path

from streamfold.hw.block import NodeFolding, RtlInstance, StreamFormat
from streamfold.hw.depthtospace.params import DepthToSpaceParams, check_folding
from streamfold.ir.ops import DepthToSpaceMode

SOURCE = Path(__file__).with_name("sf_depthtospace.v")


def instance(params: DepthToSpaceParams, folding: NodeFolding, name: str) -> RtlInstance:
    """An sf_depthtospace instance named ``name`` (two row buffers, no memory images)."""
    check_folding(name, params, folding)
    parameters: tuple[tuple[str, int | str], ...] = (
        ("ELEM_BITS", params.dtype.bits),
        ("C", params.channels),
        ("SIMD", folding.simd),
        ("W", params.in_dims[1]),
        ("B", params.block_size),
        ("CRD", int(params.mode is DepthToSpaceMode.CRD)),
        ("MEM_STYLE", folding.mem_style.value),
    )
    return RtlInstance(
        module="sf_depthtospace",
        sources=(SOURCE,),
        parameters=parameters,
        memories=(),
        stream_in=StreamFormat(params.dtype, folding.simd, params.in_vector),
        stream_out=StreamFormat(params.dtype, folding.simd, params.out_vector),
    )
