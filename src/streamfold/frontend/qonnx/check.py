"""``streamfold check``: which nodes of a QONNX/ONNX model convert, and why the others do not.

The importer stops at the first node it cannot convert; ``check_onnx`` walks on past it, so
that every unsupported node is named. A node that fails marks its outputs unknown; a later node
reading an unknown tensor is reported with its own reason when one is known without running it
(an op or domain the importer has no rule for, an op that exists only for constants, two
activations into one Add/Mul/Sub), else as not checked, naming the unsupported node its input
comes from.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamfold.frontend.qonnx.numeric as numeric
from streamfold.errors import FrontendError
from streamfold.frontend.qonnx.api import ImportedModel, _finish
from streamfold.frontend.qonnx.dispatch import ACT_OP_TYPES
from streamfold.frontend.qonnx.importer import HOST_OPS, Walker, _check_domain
from streamfold.frontend.qonnx.inputs import InputQuant, parse_input_quant
from streamfold.frontend.qonnx.model import QONNX_OPS, OnnxNode, load_model
from streamfold.frontend.qonnx.values import Act

MODEL_ROW = "(model)"


class Status(enum.Enum):
    CONVERTS = "yes"
    UNSUPPORTED = "no"
    NOT_CHECKED = "not checked"


@dataclass(frozen=True)
class NodeCheck:
    """One row: an ONNX node (or the model as a whole) and whether it converts."""

    name: str
    op_type: str
    status: Status
    reason: str = ""


@dataclass(frozen=True)
class CheckReport:
    model: str
    rows: tuple[NodeCheck, ...]
    imported: ImportedModel | None = None  # the conversion, when everything converts

    @property
    def ok(self) -> bool:
        return all(r.status is Status.CONVERTS for r in self.rows)

    @property
    def unsupported(self) -> tuple[NodeCheck, ...]:
        return tuple(r for r in self.rows if r.status is Status.UNSUPPORTED)

    def table(self, failing_only: bool = False) -> str:
        rows = [r for r in self.rows if r.status is not Status.CONVERTS or not failing_only]
        cells = [("node", "op", "converts", "why not")]
        cells += [(r.name, r.op_type, r.status.value, r.reason) for r in rows]
        widths = [max(len(c[i]) for c in cells) for i in range(3)]
        lines = ["  ".join(c[i].ljust(widths[i]) for i in range(3)) + "  " + c[3] for c in cells]
        return "\n".join(line.rstrip() for line in lines)

    def summary(self) -> str:
        nodes = [r for r in self.rows if r.name != MODEL_ROW]
        good = sum(r.status is Status.CONVERTS for r in nodes)
        verdict = "converts" if self.ok else "does not convert"
        return (
            f"{self.model}: {good} of {len(nodes)} nodes convert, {len(self.unsupported)} "
            f"unsupported; the model {verdict}"
        )

    def error(self) -> FrontendError:
        """The error a build raises: every unsupported node, with its reason."""
        why = "; ".join(f"node {r.name!r} ({r.op_type}): {r.reason}" for r in self.unsupported)
        return FrontendError(
            f"{self.model}: every node must convert, and {len(self.unsupported)} do not "
            f"(streamfold check {self.model} lists them all): {why}"
        )


def check_onnx(
    model: str | Path | bytes | Any,
    label: str | None = None,
    input_quant: InputQuant | str | None = None,
) -> CheckReport:
    """Try every node of ``model`` (path, bytes or ModelProto); an unreadable file raises.
    ``input_quant`` as ``import_qonnx`` takes it."""
    m = load_model(model)
    label = label or (str(model) if isinstance(model, str | Path) else "model")
    declared = parse_input_quant(input_quant) if isinstance(input_quant, str) else input_quant
    walker = Walker(m, declared)
    walker.start()
    unknown: dict[str, str] = {}  # tensor -> the unsupported node it comes from
    rows: list[NodeCheck] = []
    for node in m.nodes:
        row = _check_node(walker, node, unknown)
        rows.append(row)
        if row.status is not Status.CONVERTS:
            root = row.name if row.status is Status.UNSUPPORTED else _blocking(node, unknown)
            unknown.update((o, root) for o in node.outputs)
    imported = None
    if not unknown:
        try:
            imported = _finish(m, walker)
        except FrontendError as e:
            rows.append(NodeCheck(MODEL_ROW, "", Status.UNSUPPORTED, str(e)))
    return CheckReport(label, tuple(rows), imported)


def _check_node(walker: Walker, node: OnnxNode, unknown: dict[str, str]) -> NodeCheck:
    blocked = _blocking(node, unknown)
    on_act = blocked or any(isinstance(walker.env.get(i), Act) for i in node.inputs)
    reason = static_reason(node, walker, unknown) if on_act else None
    if reason is not None:
        return NodeCheck(node.name, node.op_type, Status.UNSUPPORTED, reason)
    if blocked:
        why = f"its input comes from unsupported node {blocked!r}"
        return NodeCheck(node.name, node.op_type, Status.NOT_CHECKED, why)
    try:
        walker.step(node)
    except FrontendError as e:
        return NodeCheck(node.name, node.op_type, Status.UNSUPPORTED, _strip(node, str(e)))
    return NodeCheck(node.name, node.op_type, Status.CONVERTS)


def _blocking(node: OnnxNode, unknown: dict[str, str]) -> str:
    return next((unknown[i] for i in node.inputs if i in unknown), "")


def static_reason(node: OnnxNode, walker: Walker, unknown: dict[str, str]) -> str | None:
    """Why ``node``, reading an activation, cannot convert, known without converting it (None:
    not known). Its unknown inputs are computed from the model input: activations too."""
    try:
        _check_domain(node)
    except FrontendError as e:
        return _strip(node, str(e))
    op = node.op_type
    if op not in ACT_OP_TYPES:
        if op not in numeric._EVAL and op not in HOST_OPS and op not in QONNX_OPS:
            return f"op {op} is not supported (see docs/supported_ops.md)"
        return f"op {op} is not supported on activations, only on constants and the float input"
    acts = [i for i in node.inputs if i in unknown or isinstance(walker.env.get(i), Act)]
    if op in ("Sub", "Mul") and len(acts) > 1:
        return (
            "one operand must be a constant; subtracting or multiplying two activations is not "
            "supported (Add and Concat of activations are)"
        )
    return None


def _strip(node: OnnxNode, message: str) -> str:
    """The reason without the ``node 'x' (Op): `` prefix the table's columns already give."""
    return message.removeprefix(f"{node.where}: ")
