"""Design points (how each node is built) and the strategies that choose them."""

from streamfold.dse.design_point import DesignPoint, check_design, folding_preset

__all__ = ["DesignPoint", "check_design", "folding_preset"]
