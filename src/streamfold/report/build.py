"""The build report's data: per layer and stage of a build directory, the folding, cycles
predicted and measured, resources estimated and synthesised, and the bottleneck.

Read from what the build directory holds: ``graph.hw.sfir`` + ``design_point.json`` (the
design, re-stitched; the cost models' predictions), ``sim/rtl.json`` (``streamfold sim --rtl``:
measured cycles/frame, latency and each stage's first output cycle) and
``synth/<family>/result.json`` (``streamfold synth``: flat totals, per stage from the
hierarchical run). Measurements recorded for another graph or design point are ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamfold.cost.design_cost import DesignEstimate, estimate_design, stage_resources
from streamfold.cost.devices import device
from streamfold.design import Design, DesignPoint, stitch
from streamfold.design.stitch import TOP_OUT
from streamfold.errors import StreamfoldError
from streamfold.ir.text import parse_graph
from streamfold.ir.verify import verify
from streamfold.synth.resources import Resources

SIM_RESULT = Path("sim") / "rtl.json"
SYNTH_RESULT = "result.json"  # in synth/<family>/ (streamfold.synth.implement.RESULT)


@dataclass(frozen=True)
class BuildData:
    """A build directory, re-stitched and estimated, with what was measured on it."""

    build_dir: Path
    manifest: dict[str, Any]
    design: Design
    estimate: DesignEstimate
    measured: dict[str, Any] | None  # sim/rtl.json, when it matches the build
    synthesis: dict[str, Any] | None  # synth/<family>/result.json (the device's, else any)


DEFAULT_DEVICE = "xc7z020"


def load_build(build_dir: Path, device_name: str | None, clock_mhz: float) -> BuildData:
    """The design of ``build_dir`` (verified by its manifest) and its recorded results,
    estimated for ``device_name`` (None: the device it was synthesised for, else xc7z020)."""
    from streamfold.codegen.build_dir import read_manifest

    build_dir = Path(build_dir)
    manifest = read_manifest(build_dir)
    if device_name is None:
        found = _synthesis(build_dir, None)
        device_name = str(found["device"]) if found is not None else DEFAULT_DEVICE
    graph = verify(parse_graph((build_dir / "graph.hw.sfir").read_text()))
    point = DesignPoint.from_json((build_dir / "design_point.json").read_text())
    design = stitch(graph, point)
    est = estimate_design(design, device(device_name), clock_mhz)
    measured = _json_file(build_dir / SIM_RESULT)
    if measured is not None and measured.get("inputs") != manifest["inputs"]:
        measured = None  # measured on another graph or design point
    return BuildData(build_dir, manifest, design, est, measured, _synthesis(build_dir, device_name))


def _json_file(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise StreamfoldError(
            f"{path}: must be JSON written by streamfold, and is not ({e})"
        ) from None
    return data if isinstance(data, dict) else None


def _synthesis(build_dir: Path, device_name: str | None) -> dict[str, Any] | None:
    """The synthesis result for ``device_name``, else the first one found (any device)."""
    found = [
        data
        for path in sorted((build_dir / "synth").glob(f"*/{SYNTH_RESULT}"))
        if (data := _json_file(path)) is not None
    ]
    for data in found:
        if device_name is not None and data.get("device") == device_name.lower():
            return data
    return found[0] if found else None


def _res(r: Resources) -> dict[str, int]:
    return r.to_json()


def report_json(data: BuildData) -> dict[str, Any]:
    """Everything the report shows, as JSON (``report.json``)."""
    from streamfold import __version__

    est, design = data.estimate, data.design
    pipeline = est.pipeline
    instances = (data.synthesis or {}).get("instances", {})
    first = _first_outputs(data.measured)
    stages = []
    for stage, s in zip(design.stages, pipeline.stages, strict=True):
        out = stage.outputs[0] if stage.outputs else ""
        stages.append(
            {
                "name": stage.name,
                "kind": stage.kind,
                "layer": stage.node,
                "cycles_predicted": s.cycles,
                "first_output_predicted": round(s.first_out),
                "first_output_measured": first.get(out),
                "estimate": _res(stage_resources(design, stage, est.device.family)),
                "synthesised": instances.get(f"u_{stage.ident}"),
            }
        )
    return {
        "streamfold": __version__,
        "build_dir": str(data.build_dir),
        "top": data.manifest["top"],
        "device": est.device.name,
        "clock_mhz": est.clock_mhz,
        "bottleneck": pipeline.bottleneck.name,
        "predicted": {
            "cycles_per_frame": pipeline.interval,
            "latency_cycles": pipeline.latency,
            "frames_per_second": est.frames_per_second,
        },
        "measured": _measured(data),
        "layers": _layers(data, stages),
        "stages": stages,
        "estimate_total": _res(est.total),
        "synthesis": _synthesis_json(data.synthesis),
    }


def _first_outputs(measured: dict[str, Any] | None) -> dict[str, int]:
    """Stream name -> cycle of its first word since reset (the harness offers the first input
    word on cycle 0; a pad emits its border before it takes that word), comparable with the
    cycle model's ``first_out``; the top output is the stream ``m_axis``."""
    if measured is None:
        return {}
    moved = {**measured["stream_first_cycle"], TOP_OUT: measured["first_output_cycle"]}
    return {name: int(cycle) for name, cycle in moved.items()}


def _measured(data: BuildData) -> dict[str, Any] | None:
    m = data.measured
    if m is None:
        return None
    keys = ("frames", "stall", "cycles_per_frame", "latency_cycles", "first_output_cycle")
    out = {k: m[k] for k in keys}
    interval = float(m["cycles_per_frame"])
    clock = data.estimate.clock_mhz
    out["frames_per_second"] = clock * 1e6 / interval if interval > 0 else None
    return out


def _synthesis_json(s: dict[str, Any] | None) -> dict[str, Any] | None:
    if s is None:
        return None
    per_stage = Resources()
    for r in s.get("instances", {}).values():
        per_stage = per_stage + Resources(**r)
    return {
        "device": s["device"],
        "family": s["family"],
        "yosys_seconds": s.get("yosys_seconds"),
        "fmax_mhz": s.get("fmax_mhz"),
        "flat": s["resources"],
        "sum_of_stages": _res(per_stage) if s.get("instances") else None,
        "glue": s.get("instances", {}).get(""),
    }


def _layers(data: BuildData, stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per graph node: its folding and cycles, its stages' resources summed (the graph
    input's glue in the first layer, as ``cost.design_cost.estimate_design`` counts)."""
    design, est = data.design, data.estimate
    graph_input = design.graph.inputs[0].name
    first = design.graph.nodes[0].name
    rows = []
    for layer in est.layers:
        owners = {layer.name, graph_input} if layer.name == first else {layer.name}
        mine = [s for s in stages if s["layer"] in owners]
        synth = [s["synthesised"] for s in mine]
        rows.append(
            {
                "name": layer.name,
                "op": type(design.graph.node(layer.name).op).__name__,
                **layer.folding.to_json(),
                "cycles_predicted": layer.cycles,
                "bottleneck": layer.name == est.pipeline.bottleneck.name,
                "stages": [s["name"] for s in mine],
                "estimate": _res(layer.resources),
                "synthesised": _sum(synth) if synth and None not in synth else None,
            }
        )
    return rows


def _sum(parts: list[dict[str, int]]) -> dict[str, int]:
    out = Resources()
    for p in parts:
        out = out + Resources(**p)
    return _res(out)
