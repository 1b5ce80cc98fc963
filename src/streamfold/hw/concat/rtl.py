"""The sf_concat instance for a channel concatenation node: its parameters and streams."""

from __future__ import annotations

from pathlib import Path

from streamfold.hw.add.params import kind
from streamfold.hw.block import NodeFolding, RtlInstance, StreamFormat
from streamfold.hw.concat.params import ConcatParams, check_folding

SOURCE = Path(__file__).with_name("sf_concat.v")


def instance(params: ConcatParams, folding: NodeFolding, name: str) -> RtlInstance:
    check_folding(name, params, folding)
    simd, p = folding.simd, params.pixels
    return RtlInstance(
        module="sf_concat",
        sources=(SOURCE,),
        parameters=(
            ("SIMD", simd),
            ("IN0_BITS", params.in0.bits),
            ("IN0_KIND", kind(params.in0)),
            ("WORDS0", params.channels0 // simd),
            ("IN1_BITS", params.in1.bits),
            ("IN1_KIND", kind(params.in1)),
            ("WORDS1", params.channels1 // simd),
            ("OUT_BITS", params.out_dtype.bits),
        ),
        memories=(),
        stream_in=StreamFormat(params.in0, simd, p * params.channels0),
        stream_out=StreamFormat(params.out_dtype, simd, p * params.channels),
        extra_in=(StreamFormat(params.in1, simd, p * params.channels1),),
    )
