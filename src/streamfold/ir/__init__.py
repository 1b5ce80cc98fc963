"""The integer IR: exact types, a closed union of ops, an immutable Graph, its text form."""

from streamfold.ir.dtypes import BIPOLAR, IntType, narrowest
from streamfold.ir.graph import Graph, Node, Scale, Value
from streamfold.ir.ops import (
    OP_TYPES,
    Conv,
    Flatten,
    IntArray,
    MatMul,
    MaxPool,
    MulShift,
    MultiThreshold,
    Op,
    Requantize,
)
from streamfold.ir.text import parse_graph, print_graph
from streamfold.ir.verify import verify

__all__ = [
    "BIPOLAR",
    "OP_TYPES",
    "Conv",
    "Flatten",
    "Graph",
    "IntArray",
    "IntType",
    "MatMul",
    "MaxPool",
    "MulShift",
    "MultiThreshold",
    "Node",
    "Op",
    "Requantize",
    "Scale",
    "Value",
    "narrowest",
    "parse_graph",
    "print_graph",
    "verify",
]
