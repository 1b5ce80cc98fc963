"""lower_to_kernels: integer nn ops -> hardware kernels (the ops with a hardware block).

- MatMul whose only consumer is a MultiThreshold -> one Mvau with fused thresholds; one
  whose only consumer is a MulShift -> one Mvau with the multiply-shift output stage;
- any other MatMul -> Mvau without thresholds (outputs the accumulator);
- Conv -> [Pad] + SlidingWindow + per-pixel Mvau (thresholds fused as for MatMul); its weights
  ``[out, in, *kernel]`` become ``[out, *kernel, in]`` rows, the window order of the stream;
- depthwise Conv (groups = channels, one filter each) -> [Pad] + SlidingWindow + Vvau, weights
  ``[channels, *kernel]``; other grouped convolutions are refused (no block yet);
- Flatten of a feature map feeding a MatMul -> nothing: the Mvau takes the map directly, its
  weight columns permuted from PyTorch's channels-first order to the stream's channels-last
  order (the conv-to-FC transition costs no hardware);
- MultiThreshold not fused -> Thresholding;
- MulShift (the Requantizer's multiply-shift lowering), MaxPool, GlobalSumPool, Pad, Upsample
  and DepthToSpace are kernels as they are (a CRD
  DepthToSpace right after a convolution becomes DCR, the convolution's rows permuted:
  ``crd_to_dcr``);
- Add and Concat are kernels (the add and concat blocks) with two inputs: wider ones become a
  chain of two-input joins (left to right; each partial Add typed by its exact range, each
  partial Concat by its inputs' common type).
Nodes no graph output depends on are dropped first.
Requires: an integer-only graph (``streamline`` first). Ensures: same outputs for every input
(value names and shapes of the graph outputs unchanged); every node is a kernel; output scales
unchanged.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from streamfold.errors import IRError
from streamfold.ir.graph import Graph, Node, Value
from streamfold.ir.intervals import join_type
from streamfold.ir.ops import (
    KERNEL_TYPES,
    STREAM_TYPES,
    Add,
    Concat,
    Conv,
    Flatten,
    IntArray,
    MatMul,
    MulShift,
    MultiThreshold,
    Mvau,
    Pad,
    SlidingWindow,
    Thresholding,
    Vvau,
)
from streamfold.ir.shapes import join_shape, output_shape
from streamfold.ir.verify import verify
from streamfold.transforms.crd_to_dcr import crd_to_dcr


def lower_to_kernels(graph: Graph) -> Graph:
    verify(graph, "hw")
    graph = _sink_flattens(_without_dead_nodes(graph))
    nodes: list[Node] = []
    fused: set[str] = set()
    flattened = _flattened(graph)
    for node in graph.nodes:
        if node.name in fused or node.output.name in flattened:
            continue
        nodes.extend(_lower(graph, node, fused, flattened))
    return verify(crd_to_dcr(replace(graph, nodes=tuple(nodes), stage="hw")), "hw")


def _lower(graph: Graph, node: Node, fused: set[str], flattened: dict[str, str]) -> list[Node]:
    op = node.op
    if isinstance(op, KERNEL_TYPES + STREAM_TYPES):
        return [node]
    if isinstance(op, MatMul):
        source = flattened.get(node.inputs[0])
        if source is None:
            return [_mvau(graph, node, op.weight.array, node.inputs[0], fused, per_pixel=False)]
        weight = _channels_last_columns(op.weight.array, graph.value(source).shape)
        return [_mvau(graph, node, weight, source, fused, per_pixel=False)]
    if isinstance(op, Conv) and op.groups != 1 and op.weight.shape[:2] != (op.groups, 1):
        raise IRError(
            f"node {node.name} (Conv): groups must be 1 or the channels (depthwise, one filter "
            f"per channel), not {op.groups} for weights {list(op.weight.shape)}: grouped "
            "convolutions have no hardware block yet"
        )
    if isinstance(op, Conv):
        return _conv(graph, node, op, fused)
    if isinstance(op, MultiThreshold):
        return [replace(node, op=Thresholding(op.thresholds))]
    if isinstance(op, Add | Concat):
        return _two_input_joins(graph, node)
    supported = ", ".join(t.__name__ for t in (MatMul, Conv, Flatten, MultiThreshold))
    raise IRError(
        f"node {node.name} ({type(op).__name__}): has no hardware block yet; "
        f"ops with one are {supported}, MulShift, MaxPool, GlobalSumPool, Upsample and "
        "DepthToSpace (lower Requantize first)"
    )


def _mvau(
    graph: Graph,
    node: Node,
    weight: np.ndarray,
    source: str,
    fused: set[str],
    *,
    per_pixel: bool,
) -> Node:
    """An Mvau (a Vvau for a depthwise Conv) with the thresholds of its only consumer fused,
    or its multiply-shift (an Mvau's other output stage; a Vvau has none)."""
    assert isinstance(node.op, MatMul | Conv)
    wdt = node.op.weight_dtype
    depthwise = isinstance(node.op, Conv) and node.op.groups != 1
    act = _fusable_activation(graph, node, depthwise)
    rows: IntArray | None = None
    if act is not None:
        fused.add(act.name)
    if act is not None and isinstance(act.op, MultiThreshold):
        rows = _per_channel(act.op, weight.shape[0])
    kernel: Mvau | Vvau = (
        Vvau(IntArray(weight), wdt, rows)
        if depthwise
        else Mvau(IntArray(weight), wdt, rows, per_pixel)
    )
    if act is not None and isinstance(act.op, MulShift):
        assert isinstance(kernel, Mvau)
        kernel = replace(kernel, multiplier=act.op.multiplier, bias=act.op.bias,
                         shift=act.op.shift)  # fmt: skip
    return Node(node.name, kernel, (source,), node.output if act is None else act.output)


def _conv(graph: Graph, node: Node, op: Conv, fused: set[str]) -> list[Node]:
    x = graph.value(node.inputs[0])
    nodes: list[Node] = []
    source = x
    if any(op.padding):
        if not x.dtype.holds(0):
            raise IRError(
                f"node {node.name} (Conv): padding={op.padding} pads with zeros, but its input "
                f"{x.name} is {x.dtype}, which has no 0; use padding 0 for a convolution of a "
                "bipolar input, or a non-bipolar activation before it"
            )
        pad = Pad(tuple(p for p in op.padding for _ in range(2)), 0)
        source = _value(f"{node.name}_pad", pad, x)
        nodes.append(Node(source.name, pad, (x.name,), source))
    dims = len(op.padding)
    swg = SlidingWindow(tuple(op.weight.shape[2:]), op.stride)
    windows = _value(f"{node.name}_swg", swg, source)
    nodes.append(Node(windows.name, swg, (source.name,), windows))
    w = op.weight.array
    # [out, *k, in] for an Mvau; [channels, *k] for a Vvau (depthwise: in is 1)
    rows = w.transpose(0, *range(2, 2 + dims), 1).reshape(w.shape[0], -1)
    nodes.append(_mvau(graph, node, rows, windows.name, fused, per_pixel=True))
    return nodes


def _without_dead_nodes(graph: Graph) -> Graph:
    """Only the nodes the graph outputs depend on (hardware has no place for a stream nobody
    reads: a branch of a DAG that never rejoins is dropped, exactly)."""
    live = set(graph.outputs)
    keep: list[Node] = []
    for node in reversed(graph.nodes):
        if node.output.name in live:
            keep.append(node)
            live.update(node.inputs)
    return replace(graph, nodes=tuple(reversed(keep)))


def _two_input_joins(graph: Graph, node: Node) -> list[Node]:
    """``node`` as a left-to-right chain of two-input joins; the last keeps its name/output."""
    if len(node.inputs) == 2:
        return [node]
    op = node.op
    nodes: list[Node] = []
    left = graph.value(node.inputs[0])
    for k, name in enumerate(node.inputs[1:], start=1):
        right = graph.value(name)
        if isinstance(op, Add):
            part: Add | Concat = Add(
                (op.factors[0], op.factors[k]) if k == 1 else (1, op.factors[k])
            )
        else:
            part = Concat()
        if k + 1 == len(node.inputs):
            nodes.append(Node(node.name, part, (left.name, right.name), node.output))
            break
        out = _join_value(f"{node.name}_join{k}", part, left, right)
        nodes.append(Node(out.name, part, (left.name, right.name), out))
        left = out
    return nodes


def _join_value(name: str, op: Add | Concat, a: Value, b: Value) -> Value:
    """A partial join's value: an Add's exact sum range, a Concat's common input type (as
    ``infer_types`` types joins)."""
    dtype = join_type(op, (a.dtype, b.dtype))
    assert dtype is not None
    return Value(name, dtype, join_shape(op, (a.shape, b.shape)))


def _value(name: str, op: Pad | SlidingWindow, x: Value) -> Value:
    return Value(name, x.dtype, output_shape(op, x.shape))


def _flattened(graph: Graph) -> dict[str, str]:
    """Flatten outputs that vanish: {flatten output: its feature-map input}. Each must feed
    only MatMuls (which then read the map channels-last) and not be a graph output."""
    out: dict[str, str] = {}
    for node in graph.nodes:
        if not isinstance(node.op, Flatten):
            continue
        consumers = graph.consumers(node.output.name)
        if node.output.name in graph.outputs or not consumers:
            raise IRError(
                f"node {node.name} (Flatten): must feed a fully connected layer, but it is a "
                "graph output; streams carry feature maps channels-last, so a flattened map "
                "as output would be in the wrong order"
            )
        for c in consumers:
            if not isinstance(c.op, MatMul):
                raise IRError(
                    f"node {node.name} (Flatten): must feed fully connected layers (MatMul) "
                    f"only, not {c.name} ({type(c.op).__name__})"
                )
        out[node.output.name] = node.inputs[0]
    return out


def _sink_flattens(graph: Graph) -> Graph:
    """Move each Flatten after a MultiThreshold (or MulShift) that is its only consumer, when
    its constants mean the same on the map (one set for every element, or one pixel per
    channel): global
    pooling, Flatten, activation, FC becomes pooling, activation, FC without a Flatten."""
    nodes = list(graph.nodes)
    changed = True
    while changed:
        changed = False
        current = replace(graph, nodes=tuple(nodes))
        for i, node in enumerate(nodes):
            if not isinstance(node.op, Flatten) or node.output.name in graph.outputs:
                continue
            consumers = current.consumers(node.output.name)
            if len(consumers) != 1 or not isinstance(consumers[0].op, MultiThreshold | MulShift):
                continue
            thr = consumers[0]
            assert isinstance(thr.op, MultiThreshold | MulShift)
            x = current.value(node.inputs[0])
            if not _per_tensor(thr.op) and math.prod(x.shape[1:]) != 1:
                continue
            mapped = Value(f"{thr.output.name}_map", thr.output.dtype, x.shape)
            j = nodes.index(thr)
            nodes[i] = Node(thr.name, thr.op, (x.name,), mapped)
            nodes[j] = Node(node.name, node.op, (mapped.name,), thr.output)
            changed = True
            break
    return replace(graph, nodes=tuple(nodes))


def _per_tensor(op: MultiThreshold | MulShift) -> bool:
    """Whether one set of constants applies to every element."""
    if isinstance(op, MultiThreshold):
        return op.thresholds.shape[0] == 1
    return len(op.multiplier) == len(op.bias) == len(op.shift) == 1


def _channels_last_columns(weight: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Permute a MatMul's columns from a flattened ``[C, *spatial]`` map (channels-first) to
    the stream's channels-last order."""
    if len(shape) == 1:
        return weight
    w = weight.reshape(weight.shape[0], *shape)
    return w.transpose(0, *range(2, len(shape) + 1), 1).reshape(weight.shape[0], -1)


def _fusable_activation(graph: Graph, node: Node, depthwise: bool) -> Node | None:
    """The only consumer of ``node`` when it is a MultiThreshold (or, into an Mvau, a
    MulShift), to fuse as the unit's output stage."""
    if node.output.name in graph.outputs:
        return None
    consumers = graph.consumers(node.output.name)
    kinds = MultiThreshold if depthwise else MultiThreshold | MulShift
    if len(consumers) == 1 and isinstance(consumers[0].op, kinds):
        return consumers[0]
    return None


def _per_channel(op: MultiThreshold, channels: int) -> IntArray:
    """Per-tensor thresholds repeated per channel: each PE of an Mvau stores its own rows."""
    t = op.thresholds
    if t.shape[0] == channels:
        return t
    return IntArray(np.repeat(t.array, channels, axis=0))
