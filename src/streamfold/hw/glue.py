"""The stream glue after each kernel of a pipeline: a width converter when the next kernel
takes a different number of elements per word, then the FIFO (codegen.top's stitching rule,
shared with the design-space search's fast estimate so the two cannot drift apart)."""

from __future__ import annotations

from streamfold.hw.block import RtlInstance, StreamFormat
from streamfold.hw.dwc.rtl import dwc_instance
from streamfold.hw.fifo.rtl import fifo_instance


def glue(
    name: str, out: StreamFormat, next_elems: int, fifo_depth: int, last: bool
) -> list[tuple[str, str, RtlInstance]]:
    """(stage name, kind "dwc" or "fifo", instance) after kernel ``name`` with output ``out``.

    ``fifo_depth`` counts the kernel's output words; the FIFO, on the consumer's side of the
    converter, keeps as many elements in its own word size; 0 means none, except after the
    ``last`` kernel: the top's output always leaves through a FIFO.
    """
    stages: list[tuple[str, str, RtlInstance]] = []
    fmt = out
    if next_elems != out.elems:
        dwc = dwc_instance(out, next_elems)
        stages.append((f"{name}_dwc", "dwc", dwc))
        fmt = dwc.stream_out
    if fifo_depth or last:
        depth = max(2, -(-fifo_depth * out.elems // fmt.elems))
        stages.append((f"{name}_fifo", "fifo", fifo_instance(fmt, depth)))
    return stages
