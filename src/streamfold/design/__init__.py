"""The design layer: what is built (graph + DesignPoint -> stages and streams), below codegen,
cost, dse and sim, which all read it."""

from streamfold.design.point import DesignPoint, check_design, check_fifo_depth
from streamfold.design.stitch import Design, Stage, internal_streams, stitch

__all__ = [
    "Design",
    "DesignPoint",
    "Stage",
    "check_design",
    "check_fifo_depth",
    "internal_streams",
    "stitch",
]
