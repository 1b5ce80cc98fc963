"""The sf_globalpool instance for a global sum pooling node: its parameters and streams."""

from __future__ import annotations

from pathlib import Path

from streamfold.hw.block import NodeFolding, RtlInstance, StreamFormat
from streamfold.hw.fifo.rtl import SOURCE as FIFO_SOURCE
from streamfold.hw.globalpool.params import GlobalPoolParams, check_folding

SOURCE = Path(__file__).with_name("sf_globalpool.v")


def instance(params: GlobalPoolParams, folding: NodeFolding, name: str) -> RtlInstance:
    """An sf_globalpool instance named ``name`` (no memory images: sums start at zero)."""
    check_folding(name, params, folding)
    parameters: tuple[tuple[str, int | str], ...] = (
        ("ELEM_BITS", params.dtype.bits),
        ("SIGNED", int(params.dtype.signed and not params.dtype.bipolar)),
        ("BIPOLAR", int(params.dtype.bipolar)),
        ("ACC_BITS", params.out_dtype.bits),
        ("C", params.channels),
        ("SIMD", folding.simd),
        ("PIXELS", params.pixels),
    )
    return RtlInstance(
        module="sf_globalpool",
        sources=(SOURCE, FIFO_SOURCE),
        parameters=parameters,
        memories=(),
        stream_in=StreamFormat(params.dtype, folding.simd, params.in_vector),
        stream_out=StreamFormat(params.out_dtype, folding.simd, params.out_vector),
    )
