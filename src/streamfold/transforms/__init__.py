"""Graph -> Graph passes, one per module, and the explicit pipelines that chain them."""

from streamfold.transforms.infer_types import infer_types
from streamfold.transforms.lower_requantize import (
    Lowering,
    choose_lowering,
    lower_requantize,
    lower_to_mulshift,
    lower_to_thresholds,
)
from streamfold.transforms.lower_to_kernels import lower_to_kernels
from streamfold.transforms.streamline import streamline

__all__ = [
    "Lowering",
    "choose_lowering",
    "infer_types",
    "lower_requantize",
    "lower_to_kernels",
    "lower_to_mulshift",
    "lower_to_thresholds",
    "streamline",
]
