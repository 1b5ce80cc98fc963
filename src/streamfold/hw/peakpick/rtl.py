"""The sf_peakpick instance for a peak-picking node: its parameters and streams."""

from __future__ import annotations

from pathlib import Path

from streamfold.errors import FoldingError
from streamfold.hw.block import NodeFolding, RtlInstance, StreamFormat
from streamfold.hw.peakpick.params import PeakPickParams, check_folding

SOURCE = Path(__file__).with_name("sf_peakpick.v")
MAX_ELEMENT_BITS = 30  # the record arithmetic of sf_peakpick.v stays within 32-bit integers


def instance(params: PeakPickParams, folding: NodeFolding, name: str) -> RtlInstance:
    """An sf_peakpick instance named ``name`` (no memory images)."""
    check_folding(name, params, folding)
    x, out = params.dtype, params.out_dtype
    if out.bits > MAX_ELEMENT_BITS:
        raise FoldingError(
            f"{name}: record elements must be at most {MAX_ELEMENT_BITS} bits, not {out.bits}"
        )
    threshold = min(max(params.threshold, x.min), x.max + 1)  # the same decisions
    parameters: tuple[tuple[str, int | str], ...] = (
        ("BITS", x.bits),
        ("SIGNED", int(x.signed)),
        ("L", params.length),
        ("P", folding.simd),
        ("D", params.min_distance),
        ("THRESH", threshold),
        ("MAXP", params.max_peaks),
        ("OB", out.bits),
    )
    return RtlInstance(
        module="sf_peakpick",
        sources=(SOURCE,),
        parameters=parameters,
        memories=(),
        stream_in=StreamFormat(x, folding.simd, params.in_vector),
        stream_out=StreamFormat(out, params.out_vector, params.out_vector),
    )
