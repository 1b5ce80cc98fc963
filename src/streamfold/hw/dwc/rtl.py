"""Instances of ``sf_dwc.v``: Python only computes the parameters."""

from __future__ import annotations

from pathlib import Path

from streamfold.errors import FoldingError
from streamfold.hw.block import RtlInstance, StreamFormat

SOURCE = Path(__file__).with_name("sf_dwc.v")


def dwc_instance(fmt_in: StreamFormat, out_elems: int) -> RtlInstance:
    """A converter from ``fmt_in`` words to words of ``out_elems`` elements (same order)."""
    if out_elems < 1 or fmt_in.vector % out_elems:
        raise FoldingError(
            f"sf_dwc: out_elems must divide the vector length {fmt_in.vector}, not {out_elems}"
        )
    return RtlInstance(
        module="sf_dwc",
        sources=(SOURCE,),
        parameters=(
            ("ELEM_BITS", fmt_in.dtype.bits),
            ("IN_ELEMS", fmt_in.elems),
            ("OUT_ELEMS", out_elems),
        ),
        memories=(),
        stream_in=fmt_in,
        stream_out=StreamFormat(fmt_in.dtype, out_elems, fmt_in.vector),
    )
