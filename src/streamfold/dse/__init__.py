"""Design points (how each node is built) and the strategies that choose them."""

from streamfold.dse.design_point import DesignPoint, check_design, folding_preset
from streamfold.dse.search import Choice, Goal, max_fps, min_resources, pareto
from streamfold.dse.setfolding import set_folding

__all__ = [
    "Choice",
    "DesignPoint",
    "Goal",
    "check_design",
    "folding_preset",
    "max_fps",
    "min_resources",
    "pareto",
    "set_folding",
]
