"""lower_requantize: replace each Requantize (rational scales) by an integer-only equivalent.

Two exact lowerings, chosen per node:
- MultiThreshold: per channel, the smallest input reaching each output level (FINN's
  streamlining). Costs ``levels - 1`` comparisons and stored thresholds per channel; works for
  any rational scale.
- MulShift: integer multiply, add, shift with round-half-even, clamp. One product per channel
  whatever the output width, so cheaper for wide activations; needs dyadic scales (the PyTorch
  frontend snaps them so).
Both compute exactly the integers Requantize defines (``streamfold.sim.exact``).

Which one a node gets: given per node or for all, else a chooser's pick among the feasible ones
(``feasible_lowerings``); the build flow's chooser compares the hardware blocks' resource models
(``streamfold.dse.requantize.cheaper_lowering``), and without one this module falls back to a
rule of thumb by output width (``choose_lowering``).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from fractions import Fraction

from streamfold.errors import IRError
from streamfold.ir.dtypes import IntType, narrowest
from streamfold.ir.graph import Graph, Node
from streamfold.ir.ops import Conv, IntArray, MatMul, MulShift, MultiThreshold, Requantize
from streamfold.transforms.infer_types import infer_types

# Above 15 thresholds per channel (4-bit outputs), one multiplier is cheaper than the comparators.
MAX_THRESHOLD_LEVELS = 16


class Lowering(enum.Enum):
    THRESHOLDS = "thresholds"
    MULSHIFT = "mulshift"


Chooser = Callable[[Graph, Node], Lowering]
"""Picks a lowering for a Requantize node that both lowerings can serve."""
Choice = Lowering | Mapping[str, Lowering] | Chooser | None


def feasible_lowerings(graph: Graph, node: Node) -> tuple[Lowering, ...]:
    """The lowerings that can be exact for ``node``: thresholds only when scales are not
    dyadic (multiply-shift cannot be exact then); multiply-shift only when a descending
    channel cannot be made ascending (see ``_make_ascending``), since thresholds need that."""
    assert isinstance(node.op, Requantize)
    if not all(map(is_dyadic, node.op.mul + node.op.add)):
        return (Lowering.THRESHOLDS,)
    if _negative_channels(graph, node) and _flippable_producer(graph, node) is None:
        return (Lowering.MULSHIFT,)
    return (Lowering.THRESHOLDS, Lowering.MULSHIFT)


def choose_lowering(graph: Graph, node: Node) -> Lowering:
    """Rule of thumb without a cost model: thresholds up to 4-bit outputs, multiply-shift
    beyond (among ``feasible_lowerings``)."""
    options = feasible_lowerings(graph, node)
    if len(options) == 1:
        return options[0]
    levels = node.output.dtype.levels
    return Lowering.THRESHOLDS if levels <= MAX_THRESHOLD_LEVELS else Lowering.MULSHIFT


def lower_requantize(graph: Graph, choice: Choice = None) -> Graph:
    """Lower every Requantize: all one way (a ``Lowering``), per node name (a mapping; nodes
    it leaves out are chosen), by a chooser (called only where both lowerings are feasible),
    or by ``choose_lowering`` (None).

    Requires: types inferred. Ensures: no Requantize remains; same integers for every input.
    """
    for node, _ in list(graph.ops_of(Requantize)):
        node = graph.node(node.name)
        how = _pick(graph, node, choice)
        graph = lower_node(graph, node, how)
    return graph


def _pick(graph: Graph, node: Node, choice: Choice) -> Lowering:
    if isinstance(choice, Lowering):
        return choice
    if isinstance(choice, Mapping):
        how = choice.get(node.name)
        return choose_lowering(graph, node) if how is None else how
    if choice is None:
        return choose_lowering(graph, node)
    options = feasible_lowerings(graph, node)
    return options[0] if len(options) == 1 else choice(graph, node)


def lower_to_thresholds(graph: Graph, nodes: Iterable[str] | None = None) -> Graph:
    names = _names(graph, nodes)
    return lower_requantize(graph, {n: Lowering.THRESHOLDS for n in names})


def lower_to_mulshift(graph: Graph, nodes: Iterable[str] | None = None) -> Graph:
    names = _names(graph, nodes)
    return lower_requantize(graph, {n: Lowering.MULSHIFT for n in names})


def _names(graph: Graph, nodes: Iterable[str] | None) -> list[str]:
    return [n.name for n, _ in graph.ops_of(Requantize)] if nodes is None else list(nodes)


def lower_node(graph: Graph, node: Node, how: Lowering) -> Graph:
    """``graph`` with the Requantize ``node`` lowered ``how`` (thresholds may negate its
    producer's weight rows: ``_make_ascending``); raises IRError where ``how`` cannot be exact."""
    assert isinstance(node.op, Requantize)
    if how is Lowering.MULSHIFT:
        return graph.replace(node, replace(node, op=_mulshift(node, node.op)))
    graph, node = _make_ascending(graph, node)
    assert isinstance(node.op, Requantize)
    x = graph.value(node.inputs[0]).dtype
    channels = graph.value(node.inputs[0]).shape[0]
    n = 1 if len(node.op.mul) == len(node.op.add) == 1 else channels
    rows = [_thresholds(*_channel(node.op, c), x, node.output.dtype) for c in range(n)]
    return graph.replace(node, replace(node, op=MultiThreshold(IntArray(rows))))


def _channel(op: Requantize, c: int) -> tuple[Fraction, Fraction]:
    return op.mul[c % len(op.mul)], op.add[c % len(op.add)]


def _thresholds(mul: Fraction, add: Fraction, x: IntType, out: IntType) -> list[int]:
    """Smallest x reaching each output level above the lowest, clipped to [x.min, x.max + 1]."""
    if mul == 0:
        reached = _level_of(_requantize_value(add, out), out)
        return [x.min] * reached + [x.max + 1] * (out.levels - 1 - reached)
    assert mul > 0
    result = []
    for level in range(1, out.levels):
        if out.bipolar:  # +1 where v >= 0
            t = math.ceil(-add / mul)
        else:  # round-half-even reaches L at v >= L - 1/2 for even L, v > L - 1/2 for odd L
            target = out.value_of_level(level)
            bound = (target - Fraction(1, 2) - add) / mul
            t = math.ceil(bound) if target % 2 == 0 else math.floor(bound) + 1
        result.append(min(max(t, x.min), x.max + 1))
    return result


def _requantize_value(v: Fraction, out: IntType) -> int:
    if out.bipolar:
        return 1 if v >= 0 else -1
    return min(max(round(v), out.min), out.max)  # Fraction.__round__ rounds half to even


def _level_of(value: int, out: IntType) -> int:
    return (value + 1) // 2 if out.bipolar else value - out.min


def _make_ascending(graph: Graph, node: Node) -> tuple[Graph, Node]:
    """Make every channel's multiplier >= 0 by negating the producer's weights where it is < 0."""
    op = node.op
    assert isinstance(op, Requantize)
    channels = graph.value(node.inputs[0]).shape[0]
    negative = _negative_channels(graph, node)
    if not negative:
        return graph, node
    src = _flippable_producer(graph, node)
    if src is None:
        raise IRError(
            f"node {node.name}: thresholds need ascending channels; channel {negative[0]} has "
            f"mul {_channel(op, negative[0])[0]} < 0 and its producer must be a MatMul or Conv "
            "feeding only this node, so its weights can be negated; use the mulshift lowering"
        )
    assert isinstance(src.op, MatMul | Conv)
    sign = [-1 if c in negative else 1 for c in range(channels)]
    w = src.op.weight.array
    flipped = w * IntArray(sign).array.reshape((-1,) + (1,) * (w.ndim - 1))
    wtype = src.op.weight_dtype
    if not wtype.contains(int(flipped.min()), int(flipped.max())):
        # e.g. i3's -4 negated is 4: widen the weights by the bit that needs (rare: BN gamma < 0).
        wtype = narrowest(int(flipped.min()), int(flipped.max()))
    flipped_op = replace(src.op, weight=IntArray(flipped), weight_dtype=wtype)
    graph = graph.replace(src, replace(src, op=flipped_op))
    graph = infer_types(graph)
    mul = tuple(_channel(op, c)[0] * sign[c] for c in range(channels))
    add = tuple(_channel(op, c)[1] for c in range(channels))
    lowered = replace(graph.node(node.name), op=Requantize(mul, add))
    return graph.replace(graph.node(node.name), lowered), lowered


def _negative_channels(graph: Graph, node: Node) -> list[int]:
    assert isinstance(node.op, Requantize)
    channels = graph.value(node.inputs[0]).shape[0]
    return [c for c in range(channels) if _channel(node.op, c)[0] < 0]


def _flippable_producer(graph: Graph, node: Node) -> Node | None:
    """The MatMul/Conv feeding only ``node``, whose weight rows may be negated; else None."""
    src = graph.producer(node.inputs[0])
    if (
        src is None
        or not isinstance(src.op, MatMul | Conv)
        or len(graph.consumers(src.output.name)) != 1
        or src.output.name in graph.outputs
    ):
        return None
    return src


def is_dyadic(v: Fraction) -> bool:
    """Whether ``v`` has a power-of-two denominator (multiply-shift can be exact)."""
    return v.denominator & (v.denominator - 1) == 0


def _mulshift(node: Node, op: Requantize) -> MulShift:
    n = max(len(op.mul), len(op.add))
    pairs = [_channel(op, c) for c in range(n)]
    for c, (m, a) in enumerate(pairs):
        if not (is_dyadic(m) and is_dyadic(a)):
            raise IRError(
                f"node {node.name}: channel {c} scale must be dyadic (a power-of-two denominator) "
                f"for the mulshift lowering, not mul={m} add={a}; use thresholds"
            )
    mults, biases, shifts = zip(*(dyadic_mulshift(m, a) for m, a in pairs), strict=True)
    return MulShift(tuple(mults), tuple(biases), tuple(shifts))


def dyadic_mulshift(mul: Fraction, add: Fraction) -> tuple[int, int, int]:
    """(M, B, S) with mul = M / 2**S and add = B / 2**S, for dyadic mul and add."""
    shift = max(mul.denominator, add.denominator).bit_length() - 1
    return int(mul * (1 << shift)), int(add * (1 << shift)), shift
