"""The user-level flow behind the CLI: graph file -> kernels -> design point -> build directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from streamfold.codegen.top import Design, stitch, write_build
from streamfold.cost.estimate import PipelineEstimate, estimate_pipeline
from streamfold.dse.design_point import DesignPoint, folding_preset
from streamfold.errors import StreamfoldError
from streamfold.hw.block import MemStyle
from streamfold.ir.graph import Graph
from streamfold.ir.ops import Requantize
from streamfold.ir.text import parse_graph
from streamfold.ir.verify import verify
from streamfold.transforms import Lowering, lower_to_kernels, streamline

if TYPE_CHECKING:
    from streamfold.frontend.qonnx.check import CheckReport


def load_graph(path: Path | str, input_quant: str | None = None) -> Graph:
    """A verified graph from a text file (.sfir), a QONNX/ONNX model (.onnx, imported) or a
    built-in network with random weights (``builtin:cnv-w1a1``, see ``streamfold.zoo``).

    ``input_quant`` declares the quantization of an .onnx model's float input (``int8``,
    ``fixed<16,6>``, ...: ``streamfold.frontend.qonnx.parse_input_quant``)."""
    if input_quant is not None and Path(path).suffix.lower() != ".onnx":
        raise StreamfoldError(f"{path}: input_quant applies to .onnx models only")
    if str(path).startswith("builtin:"):
        from streamfold.zoo import reference_graph

        return reference_graph(str(path).removeprefix("builtin:"))
    path = Path(path)
    if not path.is_file():
        raise StreamfoldError(
            f"{path}: must be a graph text file (.sfir), a QONNX file (.onnx) or builtin:NAME"
        )
    if path.suffix.lower() == ".onnx":
        from streamfold.frontend.qonnx import import_qonnx

        return import_qonnx(path, input_quant=input_quant).graph
    return verify(parse_graph(path.read_text()))


def check_model(path: Path | str, input_quant: str | None = None) -> CheckReport:
    """Which nodes of a model convert (``streamfold check``): an ONNX file node by node, every
    unsupported node named; a graph text file or builtin as a whole (verified, lowered)."""
    from streamfold.frontend.qonnx.check import MODEL_ROW, CheckReport, NodeCheck, Status

    if _is_onnx(path):
        from streamfold.frontend.qonnx.check import check_onnx

        return check_onnx(Path(path), str(path), input_quant)
    graph = load_graph(path, input_quant)
    rows = [NodeCheck(n.name, type(n.op).__name__, Status.CONVERTS) for n in graph.nodes]
    try:
        to_kernels(graph)
    except StreamfoldError as e:
        rows.append(NodeCheck(MODEL_ROW, "", Status.UNSUPPORTED, str(e)))
    return CheckReport(str(path), tuple(rows))


def _is_onnx(path: Path | str) -> bool:
    return not str(path).startswith("builtin:") and Path(path).suffix.lower() == ".onnx"


def to_kernels(graph: Graph) -> Graph:
    """Any verified graph -> hardware kernels (Requantize lowered to thresholds)."""
    if any(True for _ in graph.ops_of(Requantize)):
        graph = streamline(graph, Lowering.THRESHOLDS)
    return lower_to_kernels(graph)


def design_point(graph: Graph, folding: str, mem_style: MemStyle) -> DesignPoint:
    """``folding`` is a preset (folded, balanced, cycles=N) or a DesignPoint JSON file."""
    path = Path(folding)
    if folding.endswith(".json") or path.is_file():
        if not path.is_file():
            raise StreamfoldError(f"{path}: the folding file must exist")
        return DesignPoint.from_json(path.read_text())
    return folding_preset(graph, folding, mem_style)


@dataclass(frozen=True)
class BuildResult:
    design: Design
    estimate: PipelineEstimate
    out_dir: Path


def build_design(
    model: Path,
    out_dir: Path,
    folding: str = "folded",
    mem_style: MemStyle = MemStyle.DISTRIBUTED,
    input_quant: str | None = None,
) -> BuildResult:
    if _is_onnx(model) and Path(model).is_file():
        report = check_model(model, input_quant)  # names every unsupported node
        if not report.ok:
            raise report.error()
    graph = to_kernels(load_graph(model, input_quant))
    design = stitch(graph, design_point(graph, folding, mem_style))
    write_build(design, out_dir)
    return BuildResult(design, estimate_pipeline(design), Path(out_dir))
