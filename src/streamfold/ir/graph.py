"""The immutable dataflow graph: typed values, nodes in topological order, scaled outputs."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cached_property
from typing import TypeVar

from streamfold.errors import IRError
from streamfold.ir.dtypes import IntType
from streamfold.ir.ops import Op

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Value:
    """A named per-sample tensor of integers: ``x: u8[1, 28, 28]``."""

    name: str
    dtype: IntType
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True, slots=True)
class Node:
    """One op applied to named input values, producing one typed value."""

    name: str
    op: Op
    inputs: tuple[str, ...]
    output: Value


@dataclass(frozen=True, slots=True)
class Scale:
    """The exact real meaning of an integer output: real = code * mul + add, per channel."""

    mul: tuple[Fraction, ...]
    add: tuple[Fraction, ...]

    def channel(self, c: int) -> tuple[Fraction, Fraction]:
        return self.mul[c % len(self.mul)], self.add[c % len(self.add)]


@dataclass(frozen=True)
class Graph:
    """A dataflow graph. Immutable: every edit returns a new Graph."""

    stage: str
    inputs: tuple[Value, ...]
    nodes: tuple[Node, ...]
    outputs: tuple[str, ...]
    scales: tuple[tuple[str, Scale], ...] = field(default=())

    def __post_init__(self) -> None:
        # One canonical order (the outputs'), so equal graphs compare and print equal.
        order = {name: i for i, name in enumerate(self.outputs)}
        ordered = tuple(sorted(self.scales, key=lambda s: order.get(s[0], len(order))))
        object.__setattr__(self, "scales", ordered)

    @cached_property
    def _values(self) -> dict[str, Value]:
        values = {v.name: v for v in self.inputs}
        values.update((n.output.name, n.output) for n in self.nodes)
        return values

    @cached_property
    def _producers(self) -> dict[str, Node]:
        return {n.output.name: n for n in self.nodes}

    def value(self, name: str) -> Value:
        try:
            return self._values[name]
        except KeyError:
            raise IRError(f"graph: value {name!r} does not exist") from None

    def producer(self, name: str) -> Node | None:
        """The node computing value ``name``; None for a graph input."""
        return self._producers.get(name)

    def consumers(self, name: str) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if name in n.inputs)

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise IRError(f"graph: node {name!r} does not exist")

    def ops_of(self, op_type: type[T]) -> Iterator[tuple[Node, T]]:
        """Each node whose op is an ``op_type``, with the op typed."""
        for n in self.nodes:
            if isinstance(n.op, op_type):
                yield n, n.op

    def scale(self, output: str) -> Scale | None:
        return dict(self.scales).get(output)

    def replace(self, old: Node, new: Node) -> Graph:
        """Swap one node for another computing the same output name."""
        if old.output.name != new.output.name:
            raise IRError(f"graph.replace: {new.name} must output {old.output.name!r}")
        nodes = tuple(new if n is old else n for n in self.nodes)
        return replace(self, nodes=nodes)

    def with_stage(self, stage: str) -> Graph:
        return replace(self, stage=stage)
