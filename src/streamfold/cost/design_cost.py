"""Resources and throughput of whole designs: per stage, per layer and in total, from each
block's ``cost.py`` (through ``cost.resources``) and the pipeline cycle model
(``cost.estimate``)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from streamfold.cost.devices import Device, Family, device
from streamfold.cost.estimate import PipelineEstimate, estimate_pipeline
from streamfold.cost.fmax import FmaxPrediction, design_fmax
from streamfold.design import Design, DesignPoint, Stage, stitch
from streamfold.errors import StreamfoldError
from streamfold.hw.block import Block, NodeFolding
from streamfold.hw.dwc import cost as dwc_cost
from streamfold.hw.fifo import cost as fifo_cost
from streamfold.hw.fork import cost as fork_cost
from streamfold.hw.registry import block_of
from streamfold.ir.text import parse_graph
from streamfold.ir.verify import verify
from streamfold.synth.resources import Resources, Utilisation, utilisation


# ------------------------------------------------------------------------------- designs
def stage_resources(design: Design, stage: Stage, family: Family) -> Resources:
    """Resources of one pipeline stage: a kernel, FIFO or width converter."""
    if stage.kind == "fifo":
        return fifo_cost.resources(stage.rtl, family)
    if stage.kind == "dwc":
        return dwc_cost.resources(stage.rtl, family)
    if stage.kind == "fork":
        return fork_cost.resources(stage.rtl, family)
    node = design.graph.node(stage.node)
    block = block_of(node)
    resources = block_cost_module(block).resources
    params = block.params(design.graph, node)
    out: Resources = resources(params, design.point.folding(node.name), family)
    return out


def design_resources(design: Design, family: Family) -> tuple[tuple[str, Resources], ...]:
    """(stage name, resources) for every stage of ``design``, in stream order."""
    return tuple((s.name, stage_resources(design, s, family)) for s in design.stages)


def total(parts: tuple[tuple[str, Resources], ...]) -> Resources:
    out = Resources()
    for _, r in parts:
        out = out + r
    return out


def block_cost_module(block: Block[Any]) -> ModuleType:
    """The ``cost`` module of a registered block: the one its ``cycles`` function lives in,
    which by the block-folder convention (DESIGN.md section 3) also holds ``resources``."""
    module = importlib.import_module(block.cycles.__module__)
    if not hasattr(module, "resources"):
        raise StreamfoldError(
            f"resources: {module.__name__} must define resources(params, folding, family)"
        )
    return module


# ------------------------------------------------------------------------------- ROM contents


# ------------------------------------------------------------------------------- report
@dataclass(frozen=True)
class LayerEstimate:
    """One graph node: its kernel with the width converter and FIFO that follow it."""

    name: str
    folding: NodeFolding
    cycles: int  # the kernel's cycles per frame
    resources: Resources


@dataclass(frozen=True)
class DesignEstimate:
    """Resources, throughput and device utilisation of a build, before synthesis."""

    device: Device
    clock_mhz: float
    layers: tuple[LayerEstimate, ...]
    pipeline: PipelineEstimate
    fmax: FmaxPrediction | None = None  # on the device's family (None: no fitted model)

    @property
    def total(self) -> Resources:
        out = Resources()
        for layer in self.layers:
            out = out + layer.resources
        return out

    @property
    def frames_per_second(self) -> float:
        return self.pipeline.frames_per_second(self.clock_mhz)

    @property
    def frames_per_second_at_fmax(self) -> float | None:
        if self.fmax is None:
            return None
        return self.pipeline.frames_per_second(self.fmax.fmax_mhz)

    def utilisation(self) -> tuple[Utilisation, ...]:
        return utilisation(self.total, self.device)

    def __str__(self) -> str:
        """The table ``streamfold estimate`` prints (``estimate_table``)."""
        return estimate_table(self)

    def to_json(self) -> dict[str, Any]:
        return {
            "device": self.device.name,
            "family": self.device.family.value,
            "clock_mhz": self.clock_mhz,
            "cycles_per_frame": self.pipeline.interval,
            "latency_cycles": self.pipeline.latency,
            "bottleneck": self.pipeline.bottleneck.name,
            "frames_per_second": self.frames_per_second,
            "fmax": _fmax_json(self.fmax),
            "frames_per_second_at_fmax": self.frames_per_second_at_fmax,
            "layers": [
                {
                    "name": layer.name,
                    **layer.folding.to_json(),
                    "cycles": layer.cycles,
                    "resources": _resources_json(layer.resources),
                }
                for layer in self.layers
            ],
            "total": _resources_json(self.total),
            "utilisation": {
                u.resource: {"used": u.used, "available": u.available, "percent": u.percent}
                for u in self.utilisation()
            },
        }


def _fmax_json(f: FmaxPrediction | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {
        "mhz": round(f.fmax_mhz, 1),
        "critical_stage": f.critical.stage,
        "critical_path": f.critical.kind.value,
        "fitted_on": f.model.device,
    }


def _resources_json(r: Resources) -> dict[str, int]:
    return {k: v for k, v in r.to_json().items() if k != "carry"}  # carry is not estimated


def estimate_design(design: Design, dev: Device, clock_mhz: float) -> DesignEstimate:
    """Per layer (kernel + converter + FIFO) resources, and the pipeline's cycles."""
    pipeline = estimate_pipeline(design)
    cycles = {s.name: s.cycles for s in pipeline.stages}
    layers = []
    first, x = design.graph.nodes[0].name, design.graph.inputs[0].name
    for node in design.graph.nodes:
        used = Resources()
        # the graph input's glue (forks where several nodes read it) counts in the first layer
        owners = {node.name, x} if node.name == first else {node.name}
        for stage in (s for s in design.stages if s.node in owners):
            used = used + stage_resources(design, stage, dev.family)
        folding = design.point.folding(node.name)
        layers.append(LayerEstimate(node.name, folding, cycles[node.name], used))
    return DesignEstimate(dev, clock_mhz, tuple(layers), pipeline, design_fmax(design, dev))


def estimate_build(build_dir: Path, device_name: str, clock_mhz: float) -> DesignEstimate:
    """The estimate of a build directory (``streamfold build``): its graph and design point."""
    from streamfold.sim.design import load_manifest  # sim sits above cost: import here
    from streamfold.validate import clock_mhz as check_clock

    build_dir = Path(build_dir)
    check_clock("estimate: clock_mhz", clock_mhz)
    dev = device(device_name)
    load_manifest(build_dir)  # a complete, unmodified build directory, or a clear error
    graph = verify(parse_graph((build_dir / "graph.hw.sfir").read_text()))
    point = DesignPoint.from_json((build_dir / "design_point.json").read_text())
    return estimate_design(stitch(graph, point), dev, clock_mhz)


def estimate_table(est: DesignEstimate) -> str:
    """The estimate as plain text: per layer, total, throughput and utilisation."""
    cols = ("LUT", "FF", "LUTRAM", est.device.family.bram_unit, "DSP")
    # pixels per word (docs/mmv.md): a column only where some layer takes several
    mmv = any(layer.folding.mmv > 1 for layer in est.layers)
    head = f"{'layer':<16}{'PE':>4}{'SIMD':>5}" + (f"{'MMV':>4}" if mmv else "")
    rows = [
        f"estimate for {est.device.name} ({est.device.family.value}), before synthesis",
        "",
        head + f" {'mem':<12}{'cycles':>8}" + "".join(f"{c:>9}" for c in cols),
    ]
    for layer in est.layers:
        f = layer.folding
        rows.append(
            f"{layer.name:<16}{f.pe:>4}{f.simd:>5}"
            + (f"{f.mmv:>4}" if mmv else "")
            + f" {f.mem_style.value:<12}{layer.cycles:>8}"
            + _resource_cells(layer.resources)
        )
    pad = 45 + 4 * mmv
    rows.append(f"{'total':<{pad}}" + _resource_cells(est.total))
    util = est.utilisation()
    rows.append(f"{'utilisation':<{pad}}" + "".join(f"{u.percent:>8.1f}%" for u in util))
    b = est.pipeline.bottleneck
    rows += [
        "",
        f"initiation interval: {est.pipeline.interval} cycles/frame (bottleneck: {b.name})",
        f"latency:             {est.pipeline.latency} cycles",
        f"throughput:          {est.frames_per_second:,.0f} frames/s at {est.clock_mhz:g} MHz",
        _fmax_line(est),
    ]
    over = [u for u in util if u.used > u.available]
    if over:
        worst = max(over, key=lambda u: u.percent)
        rows.append(
            f"does not fit: {worst.resource} {worst.used} > {worst.available} "
            f"({worst.percent:.0f} % of {est.device.name})"
        )
    return "\n".join(rows)


def _fmax_line(est: DesignEstimate) -> str:
    f, fps = est.fmax, est.frames_per_second_at_fmax
    if f is None or fps is None:
        return f"predicted Fmax:      none (no timing model for {est.device.family.value} yet)"
    return (
        f"predicted Fmax:      {f.fmax_mhz:.1f} MHz on {est.device.family.value} "
        f"({fps:,.0f} frames/s at it; critical: {f.critical.stage}, {f.critical.kind.value}; "
        f"model fitted to nextpnr on {f.model.device})"
    )


def _resource_cells(r: Resources) -> str:
    return "".join(f"{v:>9}" for v in (r.lut, r.ff, r.lutram, r.bram, r.dsp))
