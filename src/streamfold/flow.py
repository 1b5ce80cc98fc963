"""The user-level flow behind the CLI: graph file -> kernels -> design point -> build directory."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streamfold.codegen.top import Design, stitch, write_build
from streamfold.cost.devices import Device, Family, device
from streamfold.cost.estimate import PipelineEstimate, estimate_pipeline
from streamfold.dse.ceiling import missed_target
from streamfold.dse.design_point import (
    DesignPoint,
    complete_point,
    folding_preset,
    point_graph,
    preset_graph,
)
from streamfold.dse.fit import DEFAULT_DEVICE, check_design_fits, fit_memory
from streamfold.dse.requantize import cheaper_lowering
from streamfold.errors import FoldingError, StreamfoldError
from streamfold.hw.block import MemStyle
from streamfold.ir.graph import Graph
from streamfold.ir.ops import MultiThreshold, Mvau, Requantize, Thresholding
from streamfold.ir.text import parse_graph
from streamfold.ir.verify import verify
from streamfold.transforms import Lowering, lower_to_kernels, streamline
from streamfold.transforms.lower_requantize import is_dyadic

if TYPE_CHECKING:
    from streamfold.frontend.qonnx.check import CheckReport


def load_graph(path: Path | str, input_quant: str | None = None) -> Graph:
    """A verified graph from a text file (.sfir), a QONNX/ONNX model (.onnx, imported), a build
    directory (its graph.hw.sfir, after checking the directory) or a built-in network with
    random weights (``builtin:cnv-w1a1``, see ``streamfold.zoo``).

    ``input_quant`` declares the quantization of an .onnx model's float input (``int8``,
    ``fixed<16,6>``, ...: ``streamfold.frontend.qonnx.parse_input_quant``)."""
    if input_quant is not None and Path(path).suffix.lower() != ".onnx":
        raise StreamfoldError(f"{path}: input_quant applies to .onnx models only")
    if str(path).startswith("builtin:"):
        from streamfold.zoo import reference_graph

        return reference_graph(str(path).removeprefix("builtin:"))
    path = Path(path)
    if path.is_dir():  # a build directory: its graph, once every file is verified
        from streamfold.codegen.build_dir import read_manifest

        read_manifest(path)
        path = path / "graph.hw.sfir"
    if not path.is_file():
        raise StreamfoldError(
            f"{path}: must be a graph text file (.sfir), a QONNX file (.onnx) or builtin:NAME"
        )
    if path.suffix.lower() == ".onnx":
        from streamfold.frontend.qonnx import import_qonnx

        return import_qonnx(path, input_quant=input_quant).graph
    return verify(parse_graph(read_text(path, "graph text file (.sfir)")))


# Thresholds are the only activation the hardware has (no multiply-shift block yet): a 12-bit
# output already needs 4,095 comparisons and stored thresholds per channel; 16 bits would need
# 65,535 (minutes of build time, megabytes of memory image per layer).
MAX_THRESHOLD_BITS = 12
# A FIFO deeper than this is a typo: 2^20 words fill any device of the database many times.
MAX_FIFO_DEPTH = 1 << 20
# A graph text file larger than this is not a network any device of the database can hold.
MAX_TEXT_BYTES = 256 << 20


def read_text(path: Path, kind: str) -> str:
    """The UTF-8 text of ``path``, or a clear error for binary files (.npy, .onnx, ...)."""
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        raise StreamfoldError(
            f"{path}: a {kind} must be at most {MAX_TEXT_BYTES >> 20} MiB, not {size >> 20} MiB"
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise StreamfoldError(
            f"{path}: must be a {kind} in UTF-8, not binary data (byte {e.start} is "
            f"0x{data[e.start]:02x}; is it an .npy or .onnx file?)"
        ) from None
    if "\x00" in text:
        raise StreamfoldError(f"{path}: must be a {kind}, not binary data (it holds NUL bytes)")
    return text


def check_activation_widths(graph: Graph) -> None:
    """Refuse activations too wide to serve as thresholds, before any lowering work (a
    Requantize of dyadic scales is served by the multiply-shift block at any width)."""
    for node in graph.nodes:
        bits = _threshold_bits(node.op, node.output.dtype.bits)
        if bits is not None and bits > MAX_THRESHOLD_BITS:
            raise StreamfoldError(
                f"node {node.name}: activation width must be at most {MAX_THRESHOLD_BITS} bits "
                f"for hardware thresholds ({(1 << MAX_THRESHOLD_BITS) - 1:,} per channel), not "
                f"{bits} bits ({(1 << bits) - 1:,} per channel); the multiply-shift block "
                "that serves wider ones needs dyadic scales (power-of-two denominators)"
            )


def _threshold_bits(op: object, out_bits: int) -> int | None:
    if isinstance(op, Requantize):
        return None if all(map(is_dyadic, op.mul + op.add)) else out_bits
    if isinstance(op, MultiThreshold | Thresholding) or (
        isinstance(op, Mvau) and op.thresholds is not None
    ):
        thresholds = op.thresholds
        assert thresholds is not None
        return max(1, int(thresholds.shape[-1]).bit_length())
    return None


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


def to_kernels(
    graph: Graph, lowering: Lowering | None = None, family: Family = Family.XILINX7
) -> Graph:
    """Any verified graph -> hardware kernels. Each Requantize becomes thresholds or the
    multiply-shift block: ``lowering`` forces one for all (where it can be exact), else the
    cheaper by the resource models on ``family`` (``dse.requantize.cheaper_lowering``)."""
    check_activation_widths(graph)
    if any(True for _ in graph.ops_of(Requantize)):
        graph = streamline(graph, lowering if lowering is not None else cheaper_lowering(family))
    return lower_to_kernels(graph)


def is_point_file(folding: str) -> bool:
    """Whether ``--folding`` names a design point file (rather than a preset)."""
    return folding.endswith(".json") or Path(folding).is_file()


Folding = str | DesignPoint | Mapping[str, Mapping[str, Any]]


def design_point(
    graph: Graph,
    folding: Folding,
    mem_style: MemStyle = MemStyle.DISTRIBUTED,
    *,
    allow_slower: bool = False,
    dev: Device | None = None,
) -> DesignPoint:
    """The design point of kernel graph ``graph`` for ``folding``: a preset (folded, balanced,
    cycles=N), a DesignPoint JSON file, a ``DesignPoint`` or a mapping ``{node: {"pe": ...,
    "simd": ..., "mem_style": ..., "fifo_depth": ...}}`` as in the JSON file.

    A given design point need not name every node: the nodes it leaves out (the lowering's
    ``*_pad`` and ``*_swg``, pooling, ...) are filled in by ``dse.design_point.complete_point``.
    ``cycles=N`` that no folding reaches raises FoldingError naming the node that sets the
    limit (``dse.ceiling``); with ``allow_slower`` it warns and builds the fastest folding.
    With ``dev``, a preset's weight memories move to block RAM where LUTs overflow
    (``dse.fit.fit_memory``); a given point is kept as it is."""
    given = _given_point(folding)
    if given is not None:
        return _checked(complete_point(graph, given, None))
    assert isinstance(folding, str)
    point = folding_preset(graph, folding, mem_style)
    if folding.startswith("cycles="):
        missed = missed_target(graph, point, int(folding.split("=", 1)[1]))
        if missed is not None and not allow_slower:
            raise FoldingError(
                f"{missed} (ask for fewer frames/s, or pass allow_slower=True (CLI: "
                "--allow-slower) to build the fastest folding anyway)"
            )
        if missed is not None:
            warnings.warn(f"{missed}; building the fastest folding", stacklevel=2)
    return point if dev is None else fit_memory(graph, point, dev)


def folded_graph(graph: Graph, folding: Folding) -> Graph:
    """The kernel graph ``folding`` is built on: a preset's (``preset_graph``: at
    ``samples=N``, N > 1, the 1-D "same" Pads folded into their windows), or a given design
    point's (``point_graph``: the same, for a point at mmv > 1 that names none of those Pads,
    as the search and ``samples=N`` write it; docs/mmv.md)."""
    given = _given_point(folding)
    if given is None:
        assert isinstance(folding, str)
        return preset_graph(graph, folding)
    return point_graph(graph, given)


def _given_point(folding: Folding) -> DesignPoint | None:
    """The design point ``folding`` gives (a DesignPoint, a mapping or a JSON file), as given;
    None for a preset."""
    if isinstance(folding, DesignPoint):
        return folding
    if not isinstance(folding, str):
        return _point_of(folding)
    if not is_point_file(folding):
        return None
    path = Path(folding)
    if not path.is_file():
        raise StreamfoldError(f"{path}: the folding file must exist")
    return DesignPoint.from_json(read_text(path, "design point file (.json)"))


def _point_of(folding: Mapping[str, Mapping[str, Any]]) -> DesignPoint:
    """A DesignPoint from the JSON file's ``nodes`` mapping (or the whole file's mapping)."""
    import json

    body = dict(folding) if "nodes" in folding else {"nodes": dict(folding)}
    try:
        text = json.dumps(body)
    except (TypeError, ValueError) as e:
        raise FoldingError(f"design point: must map node names to foldings, not ({e})") from None
    return DesignPoint.from_json(text)


def _checked(point: DesignPoint) -> DesignPoint:
    for name, f in point.nodes:
        if f.fifo_depth > MAX_FIFO_DEPTH:
            raise FoldingError(
                f"{name}: fifo_depth must be at most {MAX_FIFO_DEPTH:,} words, not {f.fifo_depth:,}"
            )
    return point


@dataclass(frozen=True)
class BuildResult:
    design: Design
    estimate: PipelineEstimate
    out_dir: Path


def as_graph(model: Graph | Path | str, input_quant: str | None = None) -> Graph:
    """``model`` itself when it is a Graph (verified), else ``load_graph(model)``; an ONNX file
    is checked node by node first, naming every unsupported node."""
    if isinstance(model, Graph):
        if input_quant is not None:
            raise StreamfoldError("input_quant applies to .onnx models only, not to a Graph")
        return verify(model)
    if not isinstance(model, str | Path):
        raise StreamfoldError(
            "model: must be a Graph, a path (.sfir, .onnx, build directory) or builtin:NAME, "
            f"not {type(model).__name__}"
        )
    if _is_onnx(model) and Path(model).is_file():
        report = check_model(model, input_quant)  # names every unsupported node
        if not report.ok:
            raise report.error()
    return load_graph(model, input_quant)


def build_design(
    model: Graph | Path | str,
    out_dir: Path | str,
    folding: Folding = "folded",
    mem_style: MemStyle = MemStyle.DISTRIBUTED,
    input_quant: str | None = None,
    *,
    allow_slower: bool = False,
    device: str | Device | None = None,
    force: bool = False,
) -> BuildResult:
    """Lower ``model`` (a Graph, nn or hw stage, or anything ``load_graph`` reads) to kernels,
    fold it by ``folding`` (``design_point``) for ``device`` and write the build directory
    ``out_dir``. ``device``: a name or Device; default the design point file's ``device``
    when it records one, else xc7z020. A design that does not fit by the cost models raises
    ResourceError (scarcest resource, estimate, capacity, percentage) before anything is
    written; ``force`` writes it anyway with a warning."""
    from streamfold.codegen.build_dir import check_target

    check_target(Path(out_dir))  # before any work
    dev = _device_of(device, folding)
    graph = to_kernels(as_graph(model, input_quant), family=dev.family)
    graph = folded_graph(graph, folding)
    point = design_point(graph, folding, mem_style, allow_slower=allow_slower, dev=dev)
    design = stitch(graph, point)
    check_design_fits(design, dev, force)
    write_build(design, Path(out_dir))
    return BuildResult(design, estimate_pipeline(design), Path(out_dir))


def _device_of(dev: str | Device | None, folding: Folding) -> Device:
    """``dev`` as a Device; None: the device a design point records, else DEFAULT_DEVICE."""
    if isinstance(dev, Device):
        return dev
    if dev is None and isinstance(folding, DesignPoint):
        dev = folding.device
    elif dev is None and isinstance(folding, str) and is_point_file(folding):
        path = Path(folding)
        if path.is_file():
            dev = DesignPoint.from_json(read_text(path, "design point file (.json)")).device
    return device(dev or DEFAULT_DEVICE)
