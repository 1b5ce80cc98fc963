"""Dataflow pipeline or multi-layer offload: which architecture a network should use on a
device, and why.

``choose_architecture`` evaluates both at the device's clock (or a given one): the dataflow
design ``dse.search.max_fps`` picks (one engine per layer, weights on chip), or the reason none
fits; and the MO engine ``engine`` planned by ``mo.flow.plan_mo`` at the device's external
memory bandwidth, with its estimated resources (``mo.resources``), or
the reason it cannot run the network. It picks the one with more frames/s among those that
fit, and says why in one line (``ArchitectureChoice.reason``).

The MO engine's parameters come from a search (``choose_engine``): its maxima (channels,
kernel, map size) and bit widths (weights, activations) are the network's own
(``network_engine``), and its size SIMD x PE the fastest of ``ENGINE_SIZES`` that fits the
device; ties (within 1 %, e.g. when memory bandwidth bounds every size) go to the fewer
multiply-accumulates. "Fits" is the engine's estimated resources (``mo.resources``, calibrated
on Yosys synth_xilinx: RAMB18 exact, LUT and FF fitted) within the device's FF, RAMB18 and DSP
and ``lut_cap`` of its LUTs (70 %, as for dataflow designs).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from streamfold.cost.devices import Device
from streamfold.dse.search import DEFAULT_LUT_CAP, Choice, max_fps
from streamfold.errors import FoldingError, IRError, ResourceError
from streamfold.ir.graph import Graph
from streamfold.ir.ops import Mvau
from streamfold.mo.compiler import Program, compile_graph
from streamfold.mo.engine import EngineConfig, type_of
from streamfold.mo.flow import MoPlan, plan_mo
from streamfold.mo.layer import Act, Kind
from streamfold.mo.resources import engine_resources
from streamfold.mo.rtl import rtl_parameters
from streamfold.synth.resources import Resources

# FINN-R's engine on a Zynq-7020 (SIMD 64 x PE 32), sized for ImageNet-class layers.
DEFAULT_ENGINE = EngineConfig(simd=64, pe=32, max_channels=512, max_kernel=3, max_map=224)
DEFAULT_LATENCY_CYCLES = 40  # external memory read latency assumed by the plan
# The engine sizes the search tries (SIMD, PE).
ENGINE_SIZES = tuple((simd, pe) for simd in (8, 16, 32, 64, 128) for pe in (4, 8, 16, 32, 64))
TIE = 0.01  # frames/s within 1 % of the fastest: the smaller engine


def engine_estimate(program: Program) -> Resources:
    """The RTL engine's resources at ``program``'s sizes (``mo.resources``)."""
    return engine_resources(rtl_parameters(program))


def shortfall(res: Resources, dev: Device, lut_cap: float = DEFAULT_LUT_CAP) -> str | None:
    """Why ``res`` does not fit ``dev`` (the first resource over), or None when it does."""
    cap = int(dev.luts * lut_cap)
    checks = (
        ("LUT", res.lut, cap, f" ({100 * lut_cap:.0f} % of {dev.luts:,})"),
        ("FF", res.ff, dev.ffs, ""),
        ("RAMB18", res.bram, dev.bram, ""),
        ("DSP", res.dsp, dev.dsps, ""),
    )
    for name, need, have, note in checks:
        if need > have:
            return f"needs {need:,} {name}, {dev.name} has {have:,}{note}"
    return None


def network_engine(
    graph: Graph, simd: int = DEFAULT_ENGINE.simd, pe: int = DEFAULT_ENGINE.pe
) -> EngineConfig:
    """A SIMD x PE engine whose maxima and bit widths are ``graph``'s own: the largest
    channel count, kernel and map size of its layers, its widest weight, and its widest
    activation (or as many bits as its most threshold levels need). Raises the compiler's
    FoldingError naming a layer no engine runs."""
    unbounded = replace(
        DEFAULT_ENGINE, simd=simd, pe=pe, max_map=1 << 16, max_channels=1 << 20, max_kernel=64,
        weight_bits=8, activation_bits=16, max_levels=_most_levels(graph),
    )  # fmt: skip
    compiled = compile_graph(graph, unbounded)
    layers, names = compiled.layers, compiled.names
    fcs = {n.name for n in graph.nodes if isinstance(n.op, Mvau) and not n.op.per_pixel}
    fc = [name in fcs for name in names]
    windows = [x for x, f in zip(layers, fc, strict=True) if x.kind in (Kind.MVTU, Kind.MAXPOOL)
               and not f]  # fmt: skip
    kernel = max([1] + [max(x.k_h, x.k_w) for x in windows])
    channels = 1
    for x, f in zip(layers, fc, strict=True):
        most = max(x.in_c, x.out_c) if x.kind == Kind.MVTU else x.in_c
        # a fully connected layer's vector may be as long as the longest window
        channels = max(channels, -(-max(x.window, x.out_c) // kernel**2) if f else most)
    levels = max((x.p_levels for x in layers if x.act == Act.THRESHOLDS), default=1)
    weights = [n.op.weight_dtype.bits for n in graph.nodes if isinstance(n.op, Mvau)]
    return replace(
        DEFAULT_ENGINE,
        simd=simd,
        pe=pe,
        max_channels=channels,
        max_kernel=kernel,
        max_map=max(max(x.in_h, x.in_w, x.out_h, x.out_w) for x in layers),
        weight_bits=max([*weights, 1]),
        activation_bits=max([type_of(x.in_type).bits for x in layers] + [levels.bit_length()]),
        thresholds=any(x.act == Act.THRESHOLDS for x in layers),
        mulshift=any(x.act == Act.MULSHIFT for x in layers),
        max_levels=levels,
    )


def _most_levels(graph: Graph) -> int:
    """The most thresholds of any node's output stage (1 when none has thresholds)."""
    levels = [1]
    for n in graph.nodes:
        thresholds = getattr(n.op, "thresholds", None)
        if thresholds is not None:
            levels.append(int(thresholds.array.shape[-1]))
    return max(levels)


@dataclass(frozen=True)
class EngineSearch:
    """The engine ``choose_engine`` picked, its plan and block RAM, and why."""

    engine: EngineConfig
    plan: MoPlan
    resources: Resources  # estimated (mo.resources)
    reason: str

    @property
    def bram18(self) -> int:
        return self.resources.bram


def choose_engine(
    graph: Graph,
    dev: Device,
    clock_mhz: float,
    latency_cycles: int = DEFAULT_LATENCY_CYCLES,
    sizes: tuple[tuple[int, int], ...] = ENGINE_SIZES,
    lut_cap: float = DEFAULT_LUT_CAP,
) -> EngineSearch:
    """The fastest of ``sizes`` (module docstring) with the network's maxima that fits
    ``dev``; raises ResourceError naming the smallest size's shortfall when none fits."""
    sized = network_engine(graph)
    fitting: list[EngineSearch] = []
    misses: list[tuple[int, str]] = []  # (MACs, why)
    for simd, pe in sorted(sizes, key=lambda sp: (sp[0] * sp[1], sp)):
        engine = replace(sized, simd=simd, pe=pe)
        plan = plan_mo(graph, engine, dev, clock_mhz, latency_cycles)
        res = engine_estimate(plan.program)
        why = shortfall(res, dev, lut_cap)
        if why is not None:
            misses.append((simd * pe, f"SIMD {simd} x PE {pe} {why}"))
        else:
            fitting.append(EngineSearch(engine, plan, res, ""))
    if not fitting:
        raise ResourceError(f"MO: no engine size fits {dev.name}: {misses[0][1]}")
    best = max(x.plan.fps for x in fitting)
    pick = next(x for x in fitting if x.plan.fps >= best * (1 - TIE))  # the fewest MACs
    fastest = max(fitting, key=lambda x: (x.plan.fps, -x.engine.simd * x.engine.pe))
    macs = pick.engine.simd * pick.engine.pe
    reason = f"the fastest of the {len(fitting)} of {len(sizes)} sizes that fit"
    if fastest is not pick:
        f = fastest.engine
        reason += (
            f"; SIMD {f.simd} x PE {f.pe} is only "
            f"{100 * (fastest.plan.fps / pick.plan.fps - 1):.1f} % faster"
        )
    bigger = [why for n, why in misses if n > macs]
    if bigger:
        reason += f"; {bigger[0]}"
    return replace(pick, reason=reason)


@dataclass(frozen=True)
class ArchitectureChoice:
    picked: str  # "dataflow" or "mo"
    reason: str
    dataflow: Choice | None
    dataflow_error: str | None  # why no dataflow design fits (None when one does)
    mo: MoPlan | None
    mo_bram18: int | None
    mo_error: str | None  # why the MO engine cannot run it here (None when it can)
    mo_engine_reason: str = ""  # why this engine size (``choose_engine``), or "given"
    mo_resources: Resources | None = None  # the engine's, estimated (mo.resources)

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
            e = m.program.engine
            r = self.mo_resources
            logic = f"{r.lut:,} LUT, {r.ff:,} FF, " if r is not None else ""
            mo = (
                f"{m.fps:,.1f} frames/s ({m.frame_cycles:,} cycles/frame over "
                f"{len(m.layers)} layers, {m.memory.bytes_per_cycle:g} B/cycle, "
                f"{logic}{self.mo_bram18} RAMB18)\n"
                f"           engine SIMD {e.simd} x PE {e.pe}, {e.weight_bits}-bit weights, "
                f"{e.activation_bits}-bit activations, up to {e.max_channels} channels, "
                f"{e.max_kernel}x{e.max_kernel} kernels, {e.max_map} map "
                f"({self.mo_engine_reason})"
            )
        else:
            mo = f"cannot run here: {self.mo_error}"
        return [
            f"dataflow:  {df}",
            *f"MO engine: {mo}".split("\n"),
            f"picked:    {self.picked} ({self.reason})",
        ]


def choose_architecture(
    graph: Graph,
    dev: Device,
    clock_mhz: float,
    lut_cap: float = DEFAULT_LUT_CAP,
    engine: EngineConfig | None = None,
    latency_cycles: int = DEFAULT_LATENCY_CYCLES,
) -> ArchitectureChoice:
    """Dataflow (max-fps) and MO on ``dev`` at ``clock_mhz``; the faster that fits. The MO
    engine is ``engine``, or the one ``choose_engine`` picks when None. Raises
    ``ResourceError`` naming both reasons when neither fits."""
    dataflow: Choice | None = None
    dataflow_error = None
    try:
        dataflow = max_fps(graph, dev, clock_mhz, lut_cap)
    except ResourceError as e:
        dataflow_error = str(e)
    plan: MoPlan | None = None
    res: Resources | None = None
    mo_error = None
    engine_reason = "given"
    try:
        if engine is None:
            search = choose_engine(graph, dev, clock_mhz, latency_cycles, lut_cap=lut_cap)
            plan, res, engine_reason = search.plan, search.resources, search.reason
        else:
            plan = plan_mo(graph, engine, dev, clock_mhz, latency_cycles)
            res = engine_estimate(plan.program)
            why = shortfall(res, dev, lut_cap)
            if why is not None:
                mo_error = f"the engine {why}"
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
    bram = res.bram if res is not None else None
    return ArchitectureChoice(
        picked, reason, dataflow, dataflow_error, plan, bram, mo_error, engine_reason, res
    )
