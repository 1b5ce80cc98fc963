"""The integer IR: exact types, a closed union of ops, an immutable Graph, its text form."""

from streamfold.ir.dtypes import BIPOLAR, IntType, narrowest
from streamfold.ir.graph import Graph, Node, Scale, Value
from streamfold.ir.ops import (
    KERNEL_TYPES,
    OP_TYPES,
    Conv,
    DepthToSpace,
    DepthToSpaceMode,
    Flatten,
    IntArray,
    MatMul,
    MaxPool,
    MulShift,
    MultiThreshold,
    Mvau,
    Op,
    Requantize,
    Thresholding,
    Upsample,
)
from streamfold.ir.text import parse_graph, print_graph
from streamfold.ir.verify import verify

__all__ = [
    "BIPOLAR",
    "KERNEL_TYPES",
    "OP_TYPES",
    "Conv",
    "DepthToSpace",
    "DepthToSpaceMode",
    "Flatten",
    "Graph",
    "IntArray",
    "IntType",
    "MatMul",
    "MaxPool",
    "MulShift",
    "MultiThreshold",
    "Mvau",
    "Node",
    "Op",
    "Requantize",
    "Scale",
    "Thresholding",
    "Upsample",
    "Value",
    "narrowest",
    "parse_graph",
    "print_graph",
    "verify",
]
