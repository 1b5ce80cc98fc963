"""Instances of ``sf_fork.v``: Python only computes the parameters."""

from __future__ import annotations

from pathlib import Path

from streamfold.hw.block import RtlInstance, StreamFormat

SOURCE = Path(__file__).with_name("sf_fork.v")


def fork_instance(fmt: StreamFormat) -> RtlInstance:
    """A two-way fork of ``fmt`` (both outputs carry every word unchanged)."""
    return RtlInstance(
        module="sf_fork",
        sources=(SOURCE,),
        parameters=(("WIDTH", fmt.width),),
        memories=(),
        stream_in=fmt,
        stream_out=fmt,
        outputs=2,
    )
