"""Instances of ``sf_fifo.v``: Python only computes the parameters."""

from __future__ import annotations

from pathlib import Path

from streamfold.errors import FoldingError
from streamfold.hw.block import RtlInstance, StreamFormat

SOURCE = Path(__file__).with_name("sf_fifo.v")
MIN_DEPTH = 2


def fifo_instance(fmt: StreamFormat, depth: int) -> RtlInstance:
    """A FIFO of ``depth`` words of ``fmt`` (the stream passes through unchanged)."""
    if depth < MIN_DEPTH:
        raise FoldingError(f"sf_fifo: depth must be >= {MIN_DEPTH}, not {depth}")
    return RtlInstance(
        module="sf_fifo",
        sources=(SOURCE,),
        parameters=(("WIDTH", fmt.width), ("DEPTH", depth)),
        memories=(),
        stream_in=fmt,
        stream_out=fmt,
    )
