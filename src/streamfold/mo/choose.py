"""Dataflow pipeline or multi-layer offload: which architecture a network should use on a
device, and why.

``choose_architecture`` evaluates both at the device's clock (or a given one): the dataflow
design ``dse.search.max_fps`` picks (one engine per layer, weights on chip), or the reason none
fits; and the MO engine ``engine`` planned by ``mo.flow.plan_mo`` at the device's external
memory bandwidth, with the block RAM its on-chip memories need (``mo.flow.onchip_bram18``), or
the reason it cannot run the network. It picks the one with more frames/s among those that
fit, and says why in one line (``ArchitectureChoice.reason``). The MO engine's logic (LUT, FF)
is not estimated yet: only its block RAM is checked against the device.
"""

from __future__ import annotations

from dataclasses import dataclass

from streamfold.cost.devices import Device
from streamfold.dse.search import DEFAULT_LUT_CAP, Choice, max_fps
from streamfold.errors import FoldingError, IRError, ResourceError
from streamfold.ir.graph import Graph
from streamfold.mo.engine import EngineConfig
from streamfold.mo.flow import MoPlan, onchip_bram18, plan_mo

# FINN-R's engine on a Zynq-7020 (SIMD 64 x PE 32), sized for ImageNet-class layers.
DEFAULT_ENGINE = EngineConfig(simd=64, pe=32, max_channels=512, max_kernel=3, max_map=224)
DEFAULT_LATENCY_CYCLES = 40  # external memory read latency assumed by the plan


@dataclass(frozen=True)
class ArchitectureChoice:
    picked: str  # "dataflow" or "mo"
    reason: str
    dataflow: Choice | None
    dataflow_error: str | None  # why no dataflow design fits (None when one does)
    mo: MoPlan | None
    mo_bram18: int | None
    mo_error: str | None  # why the MO engine cannot run it here (None when it can)

    def lines(self) -> list[str]:
        """Both architectures and the choice, for ``streamfold explore --arch auto``."""
        if self.dataflow is not None:
            d = self.dataflow
            df = (
                f"{d.frames_per_second:,.1f} frames/s ({d.interval:,} cycles/frame, "
                f"{d.luts:,} LUT, {d.estimate.total.bram} RAMB18)"
            )
        else:
            df = f"does not fit: {self.dataflow_error}"
        if self.mo is not None and self.mo_error is None:
            m = self.mo
            mo = (
                f"{m.fps:,.1f} frames/s ({m.frame_cycles:,} cycles/frame over "
                f"{len(m.layers)} layers, {m.memory.bytes_per_cycle:g} B/cycle, "
                f"{self.mo_bram18} RAMB18; logic not estimated)"
            )
        else:
            mo = f"cannot run here: {self.mo_error}"
        return [
            f"dataflow:  {df}",
            f"MO engine: {mo}",
            f"picked:    {self.picked} ({self.reason})",
        ]


def choose_architecture(
    graph: Graph,
    dev: Device,
    clock_mhz: float,
    lut_cap: float = DEFAULT_LUT_CAP,
    engine: EngineConfig = DEFAULT_ENGINE,
    latency_cycles: int = DEFAULT_LATENCY_CYCLES,
) -> ArchitectureChoice:
    """Dataflow (max-fps) and MO on ``dev`` at ``clock_mhz``; the faster that fits. Raises
    ``ResourceError`` naming both reasons when neither fits."""
    dataflow: Choice | None = None
    dataflow_error = None
    try:
        dataflow = max_fps(graph, dev, clock_mhz, lut_cap)
    except ResourceError as e:
        dataflow_error = str(e)
    plan: MoPlan | None = None
    bram = None
    mo_error = None
    try:
        plan = plan_mo(graph, engine, dev, clock_mhz, latency_cycles)
        bram = onchip_bram18(plan.program)
        if bram > dev.bram:
            mo_error = f"the engine needs {bram} RAMB18, {dev.name} has {dev.bram}"
    except (ResourceError, FoldingError, IRError) as e:
        mo_error = str(e)
    mo_ok = plan is not None and mo_error is None
    if dataflow is None and not mo_ok:
        raise ResourceError(
            f"architecture: neither fits {dev.name}: dataflow: {dataflow_error}; "
            f"MO engine: {mo_error}"
        )
    if dataflow is None:
        picked, reason = "mo", f"no dataflow design fits: {dataflow_error}"
    elif not mo_ok:
        picked, reason = "dataflow", f"the MO engine cannot run it here: {mo_error}"
    else:
        assert plan is not None
        if dataflow.frames_per_second >= plan.fps:
            ratio = dataflow.frames_per_second / plan.fps
            picked, reason = "dataflow", f"{ratio:.1f}x the MO engine's frames/s"
        else:
            ratio = plan.fps / dataflow.frames_per_second
            picked, reason = "mo", f"{ratio:.1f}x the dataflow design's frames/s"
    return ArchitectureChoice(picked, reason, dataflow, dataflow_error, plan, bram, mo_error)
