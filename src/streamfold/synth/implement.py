"""``streamfold synth``: synthesise a build directory for a device, check that it fits, and for
ECP5 place and route it (Fmax) and optionally write a bitstream."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamfold import progress
from streamfold.cost.devices import Device, Family
from streamfold.errors import ToolError
from streamfold.hw.pinwrap import SOURCES as PINWRAP_SOURCES
from streamfold.synth import pinwrap
from streamfold.synth.nextpnr import TIMEOUT_S as PNR_TIMEOUT_S
from streamfold.synth.nextpnr import PnrResult, place_and_route_seeds
from streamfold.synth.resources import check_fits, utilisation
from streamfold.synth.yosys import SynthResult, build_workdir, synthesize_build

RESULT = "result.json"


@dataclass(frozen=True)
class Implementation:
    device: Device
    synth: SynthResult
    pnr: PnrResult | None  # ECP5 only
    clock_mhz: float = 0.0  # the clock asked for (nextpnr's target on ECP5)
    cycles_per_frame: int = 0  # the build's predicted interval (0: unknown)
    pinwrap: pinwrap.PinPlan | None = None  # ECP5: the streams' pins (wrapped or not)

    def frames_per_second(self) -> tuple[float, float | None]:
        """Frames/s at the clock asked for, and at the placed design's Fmax (ECP5 only)."""
        if self.cycles_per_frame <= 0:
            return 0.0, None
        at_clock = self.clock_mhz * 1e6 / self.cycles_per_frame
        at_fmax = None if self.pnr is None else self.pnr.fmax_mhz * 1e6 / self.cycles_per_frame
        return at_clock, at_fmax


def implement_build(
    build_dir: Path,
    dev: Device,
    *,
    bitstream: bool = False,
    dsp: bool = False,
    workdir: Path | None = None,
    per_stage: bool = True,
    clock_mhz: float | None = None,
    quick_pnr: bool = False,
    pnr_timeout_s: float = PNR_TIMEOUT_S,
    register_io: bool = False,
    seed: int = 1,
    seeds: int = 1,
) -> Implementation:
    """Yosys for ``dev``'s family (with ``per_stage``, a second, hierarchical run for each
    stage's resources); ResourceError when the netlist does not fit ``dev``; then, for ECP5,
    nextpnr (and ``ecppack`` with ``bitstream``). Files go to ``workdir`` (default
    ``<build_dir>/synth/<family>``), the results last, as ``result.json`` (``RESULT``).
    ``clock_mhz`` (default: the device's) is nextpnr's target and the clock of the frames/s
    figures, which on ECP5 are also given at the achieved Fmax. ``quick_pnr`` and
    ``pnr_timeout_s``: nextpnr's ``quick`` mode and time limit (``place_and_route``).
    ``register_io`` (ECP5): both streams through the pin wrapper's registered stages, so that
    no path of the design runs through a pin (``synth.pinwrap``). ``seed``: nextpnr's
    placement seed; ``seeds`` > 1 places with seeds ``seed`` .. ``seed + seeds - 1``, in
    parallel, until one meets the clock, and keeps the fastest (``place_and_route_seeds``)."""
    clock = dev.clock_mhz if clock_mhz is None else clock_mhz
    ecp5 = dev.family is Family.ECP5
    if bitstream and not ecp5:
        raise ToolError(
            f"synth: bitstream must be requested for an ECP5 target (nextpnr + ecppack), "
            f"not {dev.name} ({dev.family.value}: use the vendor's tools)"
        )
    plan = _pin_plan(build_dir, dev, register_io) if ecp5 else None
    top: str | None = None
    extra: tuple[Path, ...] = ()
    if plan is not None and plan.wraps:  # the wrapper itself is shift registers and a counter
        work = Path(workdir or build_workdir(build_dir, dev.family))
        work.mkdir(parents=True, exist_ok=True)
        (work / pinwrap.SOURCE).write_text(pinwrap.wrapper_source(plan))
        top, extra = pinwrap.TOP, (*PINWRAP_SOURCES, work / pinwrap.SOURCE)
    synth = synthesize_build(
        build_dir, dev.family, workdir=workdir, dsp=dsp, netlist=ecp5, per_stage=per_stage,
        top=top, extra_sources=extra,
    )  # fmt: skip
    (synth.log_path.parent / RESULT).unlink(missing_ok=True)
    check_fits(synth.resources, dev, f"{Path(build_dir).name} on {dev.name}")
    pnr = None
    if ecp5:
        assert synth.netlist is not None
        with progress.phase(f"nextpnr-ecp5: place and route on {dev.name}"):
            pnr = place_and_route_seeds(
                synth.netlist, dev, range(seed, seed + seeds), bitstream=bitstream,
                target_mhz=clock, quick=quick_pnr, timeout_s=pnr_timeout_s,
            )  # fmt: skip
    impl = Implementation(dev, synth, pnr, clock, _predicted_interval(build_dir), plan)
    (synth.log_path.parent / RESULT).write_text(json.dumps(to_json(impl), indent=2) + "\n")
    return impl


def _pin_plan(build_dir: Path, dev: Device, registered: bool = False) -> pinwrap.PinPlan:
    """The top's streams on ``dev``'s package pins (``synth.pinwrap.plan``)."""
    from streamfold.sim.design import load_manifest  # sim sits above synth: import here

    manifest = load_manifest(Path(build_dir))
    in_bits, out_bits = (int(manifest[k]["width"]) for k in ("stream_in", "stream_out"))
    return pinwrap.plan(manifest["top"], in_bits, out_bits, pinwrap.package_pins(dev), registered)


def _predicted_interval(build_dir: Path) -> int:
    """The build's predicted cycles per frame (its manifest), 0 when it records none."""
    try:
        manifest = json.loads((Path(build_dir) / "manifest.json").read_text())
        return int(manifest["predicted"]["cycles_per_frame"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def to_json(impl: Implementation) -> dict[str, Any]:
    """What a report needs of an implementation: the device, the flat resources, each
    instance's (hierarchical run) and, for ECP5, the Fmax."""
    synth = impl.synth
    return {
        "device": impl.device.name,
        "family": synth.family.value,
        "top": synth.top,
        "yosys_seconds": round(synth.seconds, 3),
        "resources": synth.resources.to_json(),
        "instances": {name: res.to_json() for name, res in synth.instances},
        "fmax_mhz": None if impl.pnr is None else impl.pnr.fmax_mhz,
        "bram_output_ffs": None if impl.pnr is None else impl.pnr.bram_output_ffs,
        "seed": None if impl.pnr is None else impl.pnr.seed,
        "seeds_tried": None if impl.pnr is None else [list(t) for t in impl.pnr.tried],
        "pinwrap": _pinwrap_json(impl.pinwrap),
        "clock_mhz": impl.clock_mhz,
        "cycles_per_frame": impl.cycles_per_frame,
        "frames_per_second": impl.frames_per_second()[0],
        "frames_per_second_at_fmax": impl.frames_per_second()[1],
    }


def _pinwrap_json(plan: pinwrap.PinPlan | None) -> dict[str, int] | None:
    if plan is None or not plan.wraps:
        return None
    return {"in_bits": plan.in_bits, "in_pins": plan.in_pins, "out_bits": plan.out_bits,
            "out_pins": plan.out_pins, "registered": int(plan.registered)}  # fmt: skip


def implementation_report(impl: Implementation) -> str:
    dev, synth = impl.device, impl.synth
    rows = [
        f"{synth.top} on {dev.name} ({dev.family.value}): Yosys {synth.seconds:.1f} s, "
        f"log {synth.log_path}",
        "",
        f"{'resource':<12}{'used':>10}{'available':>12}{'util':>9}",
    ]
    for u in utilisation(synth.resources, dev):
        rows.append(f"{u.resource:<12}{u.used:>10}{u.available:>12}{u.percent:>8.1f}%")
    rows.append(f"{'carry':<12}{synth.resources.carry:>10}")
    pnr = impl.pnr
    if pnr is not None:
        rows += [
            "",
            f"nextpnr-ecp5 {pnr.seconds:.1f} s: Fmax {pnr.fmax_mhz:.1f} MHz "
            f"(target {pnr.target_mhz:g} MHz), report {pnr.report_path}",
        ]
        if len(pnr.tried) > 1:
            tried = ", ".join(f"seed {s}: {f:.1f} MHz" for s, f in pnr.tried)
            rows.append(f"placement seeds tried: {tried}; kept seed {pnr.seed}")
        if impl.pinwrap is not None and impl.pinwrap.wraps:
            p = impl.pinwrap
            rows.append(
                f"pin wrapper ({pinwrap.TOP}): streams of {p.in_bits} / {p.out_bits} bits "
                f"on {p.in_pins} / {p.out_pins} pins (the design alone needs "
                f"{pinwrap.ports_pins(p.in_bits, p.out_bits)}, the package has "
                f"{pinwrap.package_pins(dev)}){', registered' if p.registered else ''}"
            )
        if pnr.bram_output_ffs:
            rows.append(
                f"block RAM output registers: {pnr.bram_output_ffs} flip-flops moved into "
                "them (the resources above count them as Yosys does)"
            )
        if pnr.critical_path is not None:
            rows.append(f"critical path: {pnr.critical_path.summary()}")
        rows += [f"  {name:<16}{used:>8} / {avail}" for name, used, avail in pnr.utilisation]
        if pnr.bitstream is not None:
            rows.append(f"bitstream: {pnr.bitstream}")
    at_clock, at_fmax = impl.frames_per_second()
    if at_clock:
        line = (
            f"throughput: {impl.cycles_per_frame:,} cycles/frame (predicted): "
            f"{at_clock:,.0f} frames/s at {impl.clock_mhz:g} MHz"
        )
        if at_fmax is not None and pnr is not None:
            line += f", {at_fmax:,.0f} frames/s at the achieved Fmax ({pnr.fmax_mhz:.1f} MHz)"
        else:
            line += " (a clock assumed, not measured: no place and route for this family)"
        rows += ["", line]
    return "\n".join(rows)
