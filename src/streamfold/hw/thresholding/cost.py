"""Cycle cost of sf_thresholding.v. Resources come with synthesis calibration (a later issue)."""

from __future__ import annotations

from streamfold.hw.block import NodeFolding
from streamfold.hw.thresholding.params import ThresholdingParams

# sf_thresholding.v: the input word is registered with its threshold word (1 cycle), compared
# and counted into the output register (1), written into the output FIFO (1) whose head is
# offered the next cycle: the first output handshake comes 3 cycles after the first input one.
PIPELINE_CYCLES = 3


def cycles(params: ThresholdingParams, folding: NodeFolding) -> int:
    """Initiation interval: one input word per cycle, channels / PE words per frame."""
    return params.channels // folding.pe


def latency(params: ThresholdingParams, folding: NodeFolding) -> int:
    """Cycles from the first input handshake to the first output handshake (no stalls)."""
    return PIPELINE_CYCLES
