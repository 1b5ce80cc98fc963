"""The graph's text form: readable, diffable, and parsed back to an equal Graph.

    graph nn
    input x: u8[64]
    node fc1: MatMul(x) -> fc1: i13[32]
      weight_dtype = i2
      weight = [32, 64] 1 -1 0 ...
    node act1: Requantize(fc1) -> act1: u2[32]
      mul = [3/512]
      add = [1/4, -3/8, ...]
    output act1
    output logits scale mul=[1/64] add=[0]

``print_graph(g, values=False)`` elides array contents (``<sha=...>``) for humans; that form
does not parse back.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import re
from fractions import Fraction
from typing import Any

from streamfold.errors import IRError
from streamfold.ir.dtypes import IntType
from streamfold.ir.graph import Graph, Node, Scale, Value
from streamfold.ir.ops import OP_TYPES, DepthToSpaceMode, IntArray, Op

_OPS_BY_NAME = {t.__name__: t for t in OP_TYPES}
# Fields added after graphs were first written down: printed only when not at their default
# (so older texts and tests stay valid), and filled with the default when a text omits them.
_OMITTED_AT_DEFAULT = {
    ("Conv", "groups"),
    ("Mvau", "multiplier"),
    ("Mvau", "bias"),
    ("Mvau", "shift"),
    ("SlidingWindow", "pads"),
    ("SlidingWindow", "value"),
}
_ENUMS: dict[str, type[enum.Enum]] = {t.__name__: t for t in (DepthToSpaceMode,)}


def print_graph(graph: Graph, *, values: bool = True) -> str:
    lines = [f"graph {graph.stage}"]
    lines += [f"input {_value(v)}" for v in graph.inputs]
    for node in graph.nodes:
        args = ", ".join(node.inputs)
        lines.append(f"node {node.name}: {type(node.op).__name__}({args}) -> {_value(node.output)}")
        for f in dataclasses.fields(node.op):
            if (type(node.op).__name__, f.name) in _OMITTED_AT_DEFAULT and getattr(
                node.op, f.name
            ) == f.default:
                continue
            lines.append(f"  {f.name} = {_format(getattr(node.op, f.name), values)}")
    scales = dict(graph.scales)
    for name in graph.outputs:
        scale = scales.get(name)
        suffix = "" if scale is None else f" scale mul={_fracs(scale.mul)} add={_fracs(scale.add)}"
        lines.append(f"output {name}{suffix}")
    return "\n".join(lines) + "\n"


def _value(v: Value) -> str:
    return f"{v.name}: {v.dtype}[{', '.join(map(str, v.shape))}]"


def _fracs(xs: tuple[Fraction, ...]) -> str:
    return "[" + ", ".join(str(x) for x in xs) + "]"


def _format(v: Any, values: bool) -> str:
    if v is None:
        return "none"
    if isinstance(v, IntArray):
        dims = f"[{', '.join(map(str, v.shape))}]"
        body = " ".join(str(int(x)) for x in v.array.ravel()) if values else f"<sha={v.digest()}>"
        return f"{dims} {body}"
    if isinstance(v, IntType | bool | int):
        return str(v)
    if isinstance(v, enum.Enum):
        return str(v.value)
    if isinstance(v, tuple) and v and isinstance(v[0], Fraction):
        return _fracs(v)
    if isinstance(v, tuple):
        return "(" + ", ".join(str(x) for x in v) + ")"
    raise IRError(f"text: no format for {type(v).__name__}")  # pragma: no cover


# Bounds on what a text file may declare, far beyond any network a device can hold: a wider
# type or a larger value is a typo or a damaged file, and would only exhaust memory later.
MAX_TYPE_BITS = 256
MAX_ELEMENTS = 1 << 28
EXCERPT_CHARS = 80


def excerpt(line: str) -> str:
    """``line`` quoted, long rows elided to about EXCERPT_CHARS characters."""
    text = line.strip()
    if len(text) > EXCERPT_CHARS:
        text = f"{text[: EXCERPT_CHARS - 25]} ... {text[-20:]}"
    return repr(text)


_VALUE = re.compile(r"\s*([\w.]+):\s*(\w+)\[([\d,\s]*)\]\s*$")
_NODE = re.compile(r"node ([\w.]+): (\w+)\(([\w.,\s]*)\) -> (.*)$")
_ATTR = re.compile(r"  (\w+) = (.*)$")
_OUTPUT = re.compile(r"output ([\w.]+)(?: scale mul=(\[.*?\]) add=(\[.*?\]))?\s*$")


def parse_graph(text: str) -> Graph:
    """Parse ``print_graph`` output (with values) back into a Graph."""
    lines = [
        (n, ln)
        for n, ln in enumerate(text.splitlines(), start=1)
        if ln.strip() and not ln.lstrip().startswith("#")
    ]
    head = lines[0][1].split() if lines else []
    if len(head) != 2 or head[0] != "graph":
        got = f", not {excerpt(lines[0][1])}" if lines else ", not an empty file"
        raise IRError(
            f"text line {lines[0][0] if lines else 1}: must start with 'graph <stage>'{got}"
        )
    stage = head[1]
    inputs: list[Value] = []
    nodes: list[Node] = []
    outputs: list[str] = []
    scales: list[tuple[str, Scale]] = []
    pending: tuple[str, type, tuple[str, ...], Value, dict[str, str]] | None = None

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            name, op_type, args, out, attrs = pending
            nodes.append(Node(name, _build_op(name, op_type, attrs), args, out))
            pending = None

    for lineno, line in lines[1:]:
        where = f"text line {lineno}"
        if (m := _ATTR.match(line)) and pending is not None:
            if m[1] in pending[4]:
                raise IRError(
                    f"{where}: attribute {m[1]!r} of node {pending[0]} must be given once, "
                    f"not twice: {excerpt(line)}"
                )
            pending[4][m[1]] = m[2]
            continue
        flush()
        if line.startswith("input "):
            inputs.append(_parse_value(line[6:], where))
        elif m := _NODE.match(line):
            if m[2] not in _OPS_BY_NAME:
                raise IRError(f"{where}: op must be one of {', '.join(_OPS_BY_NAME)}, not {m[2]!r}")
            args = tuple(a.strip() for a in m[3].split(",") if a.strip())
            pending = (m[1], _OPS_BY_NAME[m[2]], args, _parse_value(m[4], where), {})
        elif m := _OUTPUT.match(line):
            if m[1] in outputs:
                raise IRError(f"{where}: output {m[1]!r} must be listed once, not twice")
            outputs.append(m[1])
            if m[2] is not None:
                scales.append((m[1], Scale(_parse_fracs(m[2], where), _parse_fracs(m[3], where))))
        else:
            raise IRError(f"{where}: cannot parse {excerpt(line)}")
    flush()
    return Graph(stage, tuple(inputs), tuple(nodes), tuple(outputs), tuple(scales))


def _parse_value(text: str, where: str) -> Value:
    m = _VALUE.match(text)
    if m is None:
        raise IRError(f"{where}: value must look like 'name: u8[1, 28, 28]', not {excerpt(text)}")
    shape = _parse_shape(m[3], where)
    return Value(m[1], _parse_type(m[2], where), shape)


def _parse_type(text: str, where: str) -> IntType:
    try:
        t = IntType.parse(text)
    except IRError as e:
        raise IRError(f"{where}: {e}") from None
    if t.bits > MAX_TYPE_BITS:
        raise IRError(f"{where}: type width must be at most {MAX_TYPE_BITS} bits, not {text}")
    return t


def _parse_shape(text: str, where: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise IRError(f"{where}: shape must be integers, not [{text[:40]}]") from None
    if math.prod(shape) > MAX_ELEMENTS:
        raise IRError(
            f"{where}: shape {list(shape)} must have at most {MAX_ELEMENTS:,} elements, "
            f"not {math.prod(shape):,}"
        )
    return shape


def _parse_fracs(text: str, where: str) -> tuple[Fraction, ...]:
    body = text.strip()
    if not (body.startswith("[") and body.endswith("]")):
        raise IRError(f"{where}: fractions must be in [...], not {text!r}")
    try:
        return tuple(Fraction(s.strip()) for s in body[1:-1].split(",") if s.strip())
    except ValueError as e:
        raise IRError(f"{where}: {str(e)[:EXCERPT_CHARS]}") from None
    except ZeroDivisionError:
        raise IRError(
            f"{where}: fractions must have non-zero denominators, not {excerpt(text)}"
        ) from None


def _build_op(node: str, op_type: type, attrs: dict[str, str]) -> Op:
    where = f"node {node}"
    fields = {f.name: f for f in dataclasses.fields(op_type)}
    defaults = {n for n in fields if (op_type.__name__, n) in _OMITTED_AT_DEFAULT}
    if not set(fields) - defaults <= set(attrs) <= set(fields):
        raise IRError(f"{where}: attributes must be {sorted(fields)}, not {sorted(attrs)}")
    kwargs = {
        name: _parse_attr(str(fields[name].type), attrs[name], f"{where}.{name}") for name in attrs
    }
    try:
        op: Op = op_type(**kwargs)
    except (ValueError, TypeError) as e:
        raise IRError(f"{where}: {str(e)[:EXCERPT_CHARS]}") from None
    return op


def _parse_attr(kind: str, text: str, where: str) -> Any:
    text = text.strip()
    try:
        if kind == "IntArray | None":
            return None if text == "none" else _parse_array(text, where)
        if kind == "IntArray":
            return _parse_array(text, where)
        if kind == "IntType":
            return _parse_type(text, where)
        if kind == "tuple[Fraction, ...]":
            return _parse_fracs(text, where)
        if kind == "int":
            return int(text[:EXCERPT_CHARS])
        if kind == "bool":
            if text not in ("True", "False"):
                raise ValueError(f"must be True or False, not {text!r}")
            return text == "True"
        if kind == "tuple[int, ...]":
            return tuple(int(s) for s in text.strip("()").split(",") if s.strip())
        if kind in _ENUMS:
            return _ENUMS[kind](text)
    except ValueError as e:
        raise IRError(f"{where}: {str(e)[:EXCERPT_CHARS]}") from None
    raise IRError(f"{where}: no parser for attribute type {kind}")  # pragma: no cover


def _parse_array(text: str, where: str) -> IntArray:
    m = re.fullmatch(r"\[([\d,\s]*)\]\s*(.*)", text, flags=re.S)
    if m is None or m[2].startswith("<"):
        raise IRError(f"{where}: array must be '[dims] v v ...' with values, not {text[:40]!r}")
    import numpy as np

    shape = _parse_shape(m[1], where)
    flat = [int(s) for s in m[2].split()]
    if len(flat) != math.prod(shape):
        raise IRError(
            f"{where}: array {list(shape)} must have {math.prod(shape)} values, not {len(flat)}"
        )
    return IntArray(np.array(flat, dtype=object).reshape(shape))
