"""The sf_add instance for an elementwise add node: its parameters and streams."""

from __future__ import annotations

from pathlib import Path

from streamfold.hw.add.params import AddParams, check_folding, kind
from streamfold.hw.block import NodeFolding, RtlInstance, StreamFormat

SOURCE = Path(__file__).with_name("sf_add.v")


def instance(params: AddParams, folding: NodeFolding, name: str) -> RtlInstance:
    check_folding(name, params, folding)
    simd, n = folding.simd, params.vector
    return RtlInstance(
        module="sf_add",
        sources=(SOURCE,),
        parameters=(
            ("SIMD", simd),
            ("IN0_BITS", params.in0.bits),
            ("IN0_KIND", kind(params.in0)),
            ("K0", params.k0),
            ("IN1_BITS", params.in1.bits),
            ("IN1_KIND", kind(params.in1)),
            ("K1", params.k1),
            ("OUT_BITS", params.out_dtype.bits),
        ),
        memories=(),
        stream_in=StreamFormat(params.in0, simd, n),
        stream_out=StreamFormat(params.out_dtype, simd, n),
        extra_in=(StreamFormat(params.in1, simd, n),),
    )
