"""The ``streamfold`` command: thin argument parsing over library calls.

Every failure is one line on stderr, never a traceback (``streamfold --debug ...`` shows one).
Exit codes:

- 0: success;
- 1: an error: bad input, an option value out of range, a damaged build directory, a file that
  cannot be written, a tool that failed (``streamfold: error: ...``);
- 2: a usage error: an unknown command or option, a missing argument, a value that does not
  parse as its type (``streamfold: usage: ...``), as argparse does;
- 3: an internal error, a bug in streamfold (``streamfold: internal error: ...``; please report
  it with the output of ``--debug``);
- 130: interrupted (Ctrl-C); 141: stdout was closed early (``... | head``), quietly.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streamfold import progress, validate
from streamfold.cli_parser import EXIT_USAGE, build_parser
from streamfold.errors import StreamfoldError

if TYPE_CHECKING:
    from streamfold.design.point import DesignPoint

__all__ = ["EXIT_USAGE", "build_parser", "main"]

EXIT_ERROR, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_PIPE = 1, 3, 130, 141


def _demo(args: argparse.Namespace) -> int:
    from streamfold.demo import report, run_demo

    validate.integer("demo: --epochs", args.epochs, 1, validate.MAX_EPOCHS)
    validate.seed("demo: --seed", args.seed)
    result = run_demo(
        Path(args.out),
        epochs=args.epochs,
        seed=args.seed,
        progress=not args.quiet,
        rtl=not args.no_rtl,
    )
    print(report(result))
    if not result.bit_exact:
        raise StreamfoldError(
            "demo: integer graph outputs must equal PyTorch's exactly, and do not"
        )
    if not isinstance(result.hardware, str) and not result.hardware.bit_exact:
        raise StreamfoldError("demo: Verilator outputs must equal the integer graph's, and do not")
    return 0


def _show(args: argparse.Namespace) -> int:
    from streamfold.flow import load_graph
    from streamfold.ir import print_graph

    graph = load_graph(args.graph, args.input_quant)  # .sfir, .onnx, build dir or builtin:NAME
    print(print_graph(graph, values=args.values), end="")
    return 0


def _check(args: argparse.Namespace) -> int:
    from streamfold.flow import check_model

    report = check_model(args.model, args.input_quant)
    print(report.table(failing_only=args.failing))
    print()
    print(report.summary())
    return 0 if report.ok else 1


def _build(args: argparse.Namespace) -> int:
    from streamfold.flow import build_design, is_point_file
    from streamfold.hw.block import MemStyle
    from streamfold.report.text import build_report

    validate.clock_mhz("build: --clock-mhz", args.clock_mhz)
    if args.mem_style is not None and is_point_file(args.folding):
        raise validate.ArgumentError(
            f"build: --mem-style must be left out with a design point file (it gives each "
            f"node's mem_style), not given with --folding {args.folding}"
        )
    mem_style = MemStyle(args.mem_style or MemStyle.DISTRIBUTED.value)
    if args.arch != "dataflow" and (args.folding != "folded" or args.mem_style is not None):
        raise validate.ArgumentError(
            f"build: --arch {args.arch} chooses the design itself: --folding and --mem-style "
            f"must be left out"
        )
    if args.arch != "dataflow":
        return _build_arch(args)
    with progress.phase(f"build: lower {args.model}, fold and write the RTL to {args.out}"):
        result = build_design(
            Path(args.model),
            Path(args.out),
            args.folding,
            mem_style,
            args.input_quant,
            allow_slower=args.allow_slower,
            device=args.device,
            force=args.force,
        )
    print(build_report(result, args.clock_mhz))
    return 0


def _build_arch(args: argparse.Namespace) -> int:
    """``build --arch mo`` (the MO engine's memory image and schedule) or ``--arch auto``
    (whichever of dataflow at max-fps and MO is faster on the device)."""
    from streamfold.cost.devices import device
    from streamfold.flow import build_design, load_graph, to_kernels
    from streamfold.mo.choose import choose_architecture, choose_engine
    from streamfold.mo.flow import build_mo
    from streamfold.report.text import build_report

    dev = device(args.device or "xc7z020")
    with progress.phase(f"build: lower {args.model}"):
        graph = to_kernels(load_graph(Path(args.model), args.input_quant), family=dev.family)
    picked = "mo"
    if args.arch == "auto":
        with progress.phase("build: dataflow and MO engine"):
            arch = choose_architecture(graph, dev, args.clock_mhz)
        print("\n".join(arch.lines()))
        picked = arch.picked
        if arch.picked == "dataflow":
            assert arch.dataflow is not None
            result = build_design(
                graph, Path(args.out), arch.dataflow.point, device=dev, force=args.force
            )
            print(build_report(result, args.clock_mhz))
            return 0
    with progress.phase(f"build: compile for the MO engine and write {args.out}"):
        if args.arch == "auto" and arch.mo is not None:
            plan = arch.mo
        else:
            plan = choose_engine(graph, dev, args.clock_mhz).plan
        build_mo(graph, plan.program.engine, Path(args.out), plan.memory)
    print(
        f"wrote {args.out} ({picked}: image.bin, image.hex, schedule.json): "
        f"{len(plan.layers)} layers, {plan.frame_cycles:,} cycles/frame at "
        f"{plan.memory.bytes_per_cycle:g} B/cycle, {plan.fps:,.1f} frames/s at "
        f"{args.clock_mhz:g} MHz on {dev.name}"
    )
    return 0


def _sim(args: argparse.Namespace) -> int:
    from streamfold.report.text import sim_report
    from streamfold.simulate import simulate_dir

    if args.input and args.frames is not None:
        raise validate.ArgumentError(
            "sim: --frames must not be given with --input (the file sets the frame count)"
        )
    if args.stall and not args.rtl:
        raise validate.ArgumentError(
            f"sim: --stall must be given with --rtl (the exact reference has no streams), "
            f"not alone (--stall {args.stall:g})"
        )
    result = simulate_dir(
        Path(args.build_dir),
        frames=100 if args.frames is None else args.frames,
        rtl=args.rtl,
        stall=args.stall,
        seed=args.seed,
        inputs=Path(args.input) if args.input else None,
        progress=not args.quiet,
    )
    print(sim_report(result))
    return 0


def _synth(args: argparse.Namespace) -> int:
    from streamfold.cost.devices import device
    from streamfold.synth.implement import implement_build, implementation_report

    dev = device(args.device)
    if args.clock_mhz is not None:
        validate.clock_mhz("synth: --clock-mhz", args.clock_mhz)
    validate.seed("synth: --seed", args.seed)
    validate.seeds("synth: --seeds", args.seeds)
    impl = implement_build(
        Path(args.build_dir),
        dev,
        bitstream=args.bitstream,
        dsp=args.dsp,
        per_stage=not args.flat_only,
        clock_mhz=args.clock_mhz,
        register_io=args.register_io,
        seed=args.seed,
        seeds=args.seeds,
    )
    print(implementation_report(impl))
    return 0


def _list(args: argparse.Namespace) -> int:
    if args.what == "devices":
        from streamfold.cost.devices import DEVICES

        print(f"{'device':<11}{'family':<11}{'LUT':>10}{'FF':>10}{'BRAM':>7}{'DSP':>7}  boards")
        for d in DEVICES.values():
            print(
                f"{d.name:<11}{d.family.value:<11}{d.luts:>10,}{d.ffs:>10,}{d.bram:>7}"
                f"{d.dsps:>7}  {', '.join(d.boards)}"
            )
    else:
        from streamfold.zoo import NAMES, describe

        for name in NAMES:
            print(f"builtin:{name:<12}{describe(name)}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from streamfold.report import write_report

    validate.clock_mhz("report: --clock-mhz", args.clock_mhz)
    path = write_report(Path(args.build_dir), device=args.device, clock_mhz=args.clock_mhz)
    print(f"wrote {path} and {path.with_suffix('.json')}")
    return 0


def _deploy(args: argparse.Namespace) -> int:
    """``deploy``: a board's folder (packaging.deploy); the ULX3S's Fmax and frames/s."""
    from streamfold.packaging.deploy import deploy

    validate.clock_mhz("deploy: --clock-mhz", args.clock_mhz)
    result = deploy(
        Path(args.build_dir),
        args.board,
        Path(args.out),
        clock_mhz=args.clock_mhz,
        bitstream=not args.no_bitstream,
    )
    print(f"{result.board}: {len(result.files)} files in {result.out_dir}")
    if result.ecp5 is not None:
        e = result.ecp5
        print(f"bitstream: {result.out_dir / 'sf_accel_ulx3s.bit'} (every I/O constrained)")
        print(f"Fmax: {e.fmax_mhz:.1f} MHz (board clock {e.clock_mhz:g} MHz)")
        print(
            f"throughput: {e.frames_per_s:,.0f} frames/s at {e.clock_mhz:g} MHz, "
            f"{e.frames_per_s_at_fmax:,.0f} frames/s at Fmax "
            f"({e.shell_cycles_per_frame} cycles/frame)"
        )
    elif result.board != "ulx3s":
        print(f"next: vivado -mode batch -source {result.board}.tcl (in {result.out_dir})")
    return 0


def _estimate(args: argparse.Namespace) -> int:
    import json

    from streamfold.cost.design_cost import estimate_build, estimate_table

    validate.clock_mhz("estimate: --clock-mhz", args.clock_mhz)
    est = estimate_build(Path(args.build_dir), args.device, args.clock_mhz)
    # allow_nan=False: a NaN or infinity would make the output invalid JSON
    print(
        json.dumps(est.to_json(), indent=2, allow_nan=False) if args.json else estimate_table(est)
    )
    return 0


def _recorded(point: DesignPoint, device_name: str) -> str:
    """The design point's JSON recording the device it was chosen for (``build`` checks the
    fit against it by default)."""
    from dataclasses import replace

    return replace(point, device=device_name).to_json()


def _explore(args: argparse.Namespace) -> int:
    from streamfold.cost.devices import device
    from streamfold.dse.report import baseline_report, choice_report, front_report, merge_front
    from streamfold.dse.search import Goal, Space, max_fps, min_resources, pareto
    from streamfold.flow import load_graph, to_kernels

    goal = Goal(args.goal)
    _check_explore(args, goal)
    plot_dir = Path(args.plot) if args.plot else None
    model = str(args.model)
    dev = device(args.device)
    with progress.phase("explore: load and lower the model"):
        graph = to_kernels(load_graph(Path(model), args.input_quant), family=dev.family)
    if args.arch == "auto":
        from streamfold.dse.search import DEFAULT_LUT_CAP
        from streamfold.mo.choose import choose_architecture

        with progress.phase("explore: dataflow and MO engine"):
            arch = choose_architecture(graph, dev, args.clock_mhz, args.lut_cap or DEFAULT_LUT_CAP)
        print("\n".join(arch.lines()))
        if arch.picked == "mo":
            print(f"build it with: streamfold build {model} --arch mo -o DIR")
            return 0
        print()
    with progress.phase("explore: enumerate each layer's foldings"):
        space = Space(graph, dev)
    chosen = None
    front = None
    if goal is Goal.PARETO:
        with progress.phase("explore: Pareto front"):
            front = merge_front(
                pareto(graph, dev, args.clock_mhz, space=space),
                _fastest(graph, dev, args.clock_mhz, space),
            )
        print(front_report(front))
        if args.out:
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            for c in front:
                (out / f"point_{c.interval}c.json").write_text(_recorded(c.point, dev.name))
            print(f"wrote {len(front)} design points to {out} (point_<cycles>c.json)")
    else:
        with progress.phase(f"explore: {goal.value} search"):
            if goal is Goal.MAX_FPS:
                chosen = max_fps(graph, dev, args.clock_mhz, args.lut_cap, space=space)
            else:
                chosen = min_resources(
                    graph, dev, args.fps, args.clock_mhz, args.lut_cap, space=space
                )
        print(choice_report(chosen, goal.value))
        print()
        with progress.phase("explore: SetFolding baseline"):
            baseline = baseline_report(chosen, space)
        print(baseline)
        if args.out:
            Path(args.out).write_text(_recorded(chosen.point, dev.name))
            print(f"wrote {args.out} (use: streamfold build MODEL --folding {args.out})")
    if plot_dir is not None:
        from streamfold.dse.plots import explore_plots

        with progress.phase("explore: plots"):
            written = explore_plots(plot_dir, model, graph, space, args.clock_mhz, chosen, front)
        print(f"wrote {' and '.join(str(p) for p in written)}")
    return 0


def _fastest(graph: Any, dev: Any, clock_mhz: float, space: Any) -> tuple[Any, ...]:
    """The max-fps design on the whole device, which the front must not beat (none if nothing
    fits)."""
    from streamfold.dse.search import max_fps

    try:
        return (max_fps(graph, dev, clock_mhz, 1.0, space=space),)
    except StreamfoldError:
        return ()


def _check_explore(args: argparse.Namespace, goal: Any) -> None:
    """Every explore option, before the search (which may take minutes)."""
    if args.arch == "auto" and goal.value != "max-fps":
        raise StreamfoldError(
            f"explore: --arch auto must be given with --goal max-fps, not {goal.value}"
        )
    from streamfold.dse.search import DEFAULT_LUT_CAP, Goal

    if goal is Goal.MIN_RESOURCES and args.fps is None:
        raise StreamfoldError("explore: --goal min-resources must be given --fps F, and is not")
    if goal is not Goal.MIN_RESOURCES and args.fps is not None:
        raise validate.ArgumentError(
            f"explore: --fps must be given only with --goal min-resources, not with {goal.value}"
        )
    if args.fps is not None:
        validate.fps("explore: --fps", args.fps)
    if goal is Goal.PARETO and args.lut_cap is not None:
        raise validate.ArgumentError(
            "explore: --lut-cap must be left out with --goal pareto (the front spans the "
            "whole device), not given"
        )
    if args.lut_cap is None:
        args.lut_cap = DEFAULT_LUT_CAP
    validate.lut_cap("explore: --lut-cap", args.lut_cap)
    validate.clock_mhz("explore: --clock-mhz", args.clock_mhz)
    if args.out and goal is Goal.PARETO:
        validate.output_dir("explore: -o", Path(args.out))
    elif args.out:
        validate.output_file("explore: -o", Path(args.out))
    if args.plot:
        validate.output_dir("explore: --plot", Path(args.plot))


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": _demo,
    "list": _list,
    "show": _show,
    "check": _check,
    "build": _build,
    "sim": _sim,
    "estimate": _estimate,
    "explore": _explore,
    "synth": _synth,
    "report": _report,
    "deploy": _deploy,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with progress.reporting(enabled=not getattr(args, "quiet", False)):
            code: int = COMMANDS[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, inside the boundary
    except BaseException as e:  # the boundary: every failure becomes one line and an exit code
        if args.debug and not isinstance(e, BrokenPipeError | SystemExit):
            raise
        return _failure(e)
    return code


def _failure(e: BaseException) -> int:
    """Map an exception to one line on stderr and an exit code (see the module docstring)."""
    if isinstance(e, BrokenPipeError):
        # the reader went away (``| head``): say nothing, and keep Python's final flush quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE
    if isinstance(e, SystemExit):
        return e.code if isinstance(e.code, int) else EXIT_ERROR
    if isinstance(e, KeyboardInterrupt):
        _say("streamfold: interrupted")
        return EXIT_INTERRUPTED
    if isinstance(e, StreamfoldError):
        _say(f"streamfold: error: {e}")
        return EXIT_ERROR
    if isinstance(e, OSError):
        where = f"{e.filename}: " if e.filename else ""
        _say(f"streamfold: error: {where}{e.strerror or type(e).__name__}")
        return EXIT_ERROR
    if isinstance(e, MemoryError):
        _say("streamfold: error: out of memory")
        return EXIT_ERROR
    _say(
        f"streamfold: internal error: {type(e).__name__}: {e} "
        "(a bug in streamfold; rerun with --debug for the traceback and please report it)"
    )
    return EXIT_INTERNAL


def _say(line: str) -> None:
    """One line on stderr, however long or multi-line the message (long ones are cut)."""
    flat = " | ".join(part.rstrip() for part in line.splitlines() if part.strip())
    if len(flat) > 1000:
        flat = flat[:900] + " ... " + flat[-80:]
    print(flat, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
