"""THRESHOLDING: the Block record of the standalone multi-thresholding unit."""

from __future__ import annotations

from streamfold.hw.block import Block
from streamfold.hw.thresholding import cost
from streamfold.hw.thresholding.model import thresholding
from streamfold.hw.thresholding.params import (
    ThresholdingParams,
    check_folding,
    foldings,
    params_of,
)
from streamfold.hw.thresholding.rtl import instance
from streamfold.ir.ops import Thresholding

THRESHOLDING: Block[ThresholdingParams] = Block(
    op_type=Thresholding,
    params=params_of,
    foldings=foldings,
    check_folding=check_folding,
    model=thresholding,
    cycles=cost.cycles,
    latency=cost.latency,
    rtl=instance,
    multi_pixel=True,
)
