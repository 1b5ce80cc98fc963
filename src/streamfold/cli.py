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
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from streamfold import validate
from streamfold.errors import StreamfoldError

EXIT_ERROR, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_PIPE = 1, 2, 3, 130, 141


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
    result = build_design(
        Path(args.model), Path(args.out), args.folding, mem_style, args.input_quant
    )
    print(build_report(result, args.clock_mhz))
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

    dev = device(args.target)
    impl = implement_build(Path(args.build_dir), dev, bitstream=args.bitstream, dsp=args.dsp)
    print(implementation_report(impl))
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


def _explore(args: argparse.Namespace) -> int:
    from streamfold.cost.devices import device
    from streamfold.dse.report import baseline_report, choice_report, front_report
    from streamfold.dse.search import Goal, Space, max_fps, min_resources, pareto
    from streamfold.flow import load_graph, to_kernels

    goal = Goal(args.goal)
    _check_explore(args, goal)
    plot_dir = Path(args.plot) if args.plot else None
    model = str(args.model)
    graph = to_kernels(load_graph(Path(model), args.input_quant))
    dev = device(args.device)
    space = Space(graph, dev)
    chosen = None
    front = None
    if goal is Goal.PARETO:
        front = pareto(graph, dev, args.clock_mhz, space=space)
        print(front_report(front))
        if args.out:
            out = Path(args.out)
            for c in front:
                path = out.with_suffix(f".{c.interval}c.json")
                path.write_text(c.point.to_json())
            print(f"wrote {len(front)} design points as {out.with_suffix('.<cycles>c.json')}")
    else:
        if goal is Goal.MAX_FPS:
            chosen = max_fps(graph, dev, args.clock_mhz, args.lut_cap, space=space)
        else:
            chosen = min_resources(graph, dev, args.fps, args.clock_mhz, args.lut_cap, space=space)
        print(choice_report(chosen, goal.value))
        print()
        print(baseline_report(chosen, space))
        if args.out:
            Path(args.out).write_text(chosen.point.to_json())
            print(f"wrote {args.out} (use: streamfold build MODEL --folding {args.out})")
    if plot_dir is not None:
        _explore_plots(plot_dir, model, graph, space, args.clock_mhz, chosen, front)
    return 0


def _check_explore(args: argparse.Namespace, goal: Any) -> None:
    """Every explore option, before the search (which may take minutes)."""
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
    if args.out:
        validate.output_file("explore: -o", Path(args.out))
    if args.plot:
        validate.output_dir("explore: --plot", Path(args.plot))


def _explore_plots(
    plot_dir: Path,
    model: str,
    graph: Any,
    space: Any,
    clock_mhz: float,
    chosen: Any,
    front: Any,
) -> None:
    from streamfold.dse.plots import pareto_png, roofline_png
    from streamfold.dse.report import setfolding_baseline
    from streamfold.dse.roofline import PRECISIONS, roof, workload
    from streamfold.dse.search import pareto

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise StreamfoldError(
            "explore: --plot needs matplotlib (pip install 'matplotlib>=3.8'), and it is missing"
        ) from None
    dev = space.device
    if front is None:
        front = pareto(graph, dev, clock_mhz, space=space)
    baseline = setfolding_baseline(chosen, space)[0] if chosen is not None else None
    plot_dir.mkdir(parents=True, exist_ok=True)
    name = Path(model).stem if not model.startswith("builtin:") else model.split(":", 1)[1]
    title = f"{name} on {dev.name} at {clock_mhz:g} MHz"
    p1 = pareto_png(plot_dir / "pareto.png", front, chosen, baseline, title)
    bits = _graph_bits(graph)
    own = roof(dev, *bits, clock_mhz)
    others = tuple(roof(dev, w, a, clock_mhz) for w, a in PRECISIONS if (w, a) != bits)
    points = tuple(front) + ((chosen,) if chosen is not None else ())
    p2 = roofline_png(plot_dir / "roofline.png", (own, *others), workload(graph), points, title)
    print(f"wrote {p1} and {p2}")


def _graph_bits(graph: Any) -> tuple[int, int]:
    """(weight bits, input bits) of most matrix-vector layers (the first layer's 8-bit image
    input does not set a network's precision); (1, 1) when there are none."""
    from collections import Counter

    from streamfold.ir.ops import Mvau

    bits = Counter(
        (node.op.weight_dtype.bits, graph.value(node.inputs[0]).dtype.bits)
        for node in graph.nodes
        if isinstance(node.op, Mvau)
    )
    if not bits:
        return 1, 1
    return max(sorted(bits), key=lambda b: bits[b])


def _input_quant_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--input-quant",
        metavar="TEXT",
        help="quantization of an .onnx model's float input: int8, uint4, fixed<16,6>, "
        "ufixed<8,0> or bits=8,signed=1,scale=1/128 (rounds half to even, clamps)",
    )


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line (exit 2) instead of the usage block."""

    def error(self, message: str) -> NoReturn:
        print(
            f"streamfold: usage: {self.prog}: {message} (see {self.prog} --help)", file=sys.stderr
        )
        sys.exit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="streamfold", description="Quantized networks to FPGA dataflow.")
    p.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
    sub = p.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="train, export, streamline and check an MLP on 8x8 digits")
    demo.add_argument("-o", "--out", default="build/demo", help="output directory (build/demo)")
    demo.add_argument("--epochs", type=int, default=40)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    demo.add_argument("--no-rtl", action="store_true", help="skip the Verilator check")
    demo.set_defaults(run=_demo)
    show = sub.add_parser("show", help="print a graph's text form (verified)")
    show.add_argument(
        "graph",
        help="graph text file (.sfir), QONNX model (.onnx), build directory or builtin:NAME",
    )
    show.add_argument("--values", action="store_true", help="print weights and thresholds in full")
    _input_quant_option(show)
    show.set_defaults(run=_show)
    check = sub.add_parser(
        "check", help="list per node whether a model converts and why not (exit 1 if not)"
    )
    check.add_argument("model", help="QONNX model (.onnx), graph text file (.sfir) or builtin:NAME")
    check.add_argument("--failing", action="store_true", help="list only the failing nodes")
    _input_quant_option(check)
    check.set_defaults(run=_check)
    build = sub.add_parser(
        "build", help="generate the dataflow RTL of a graph into a build directory"
    )
    build.add_argument(
        "model", help="graph text file (.sfir), nn or hw stage, or QONNX model (.onnx)"
    )
    build.add_argument("-o", "--out", required=True, help="build directory to write")
    build.add_argument(
        "--folding",
        default="folded",
        help="folded | balanced | cycles=N | a design point JSON file (default: folded)",
    )
    build.add_argument(
        "--mem-style",
        choices=["block", "distributed", "registers"],
        help="for the presets (default distributed)",
    )
    build.add_argument("--clock-mhz", type=float, default=100.0, help="for the frames/s estimate")
    _input_quant_option(build)
    build.set_defaults(run=_build)
    sim = sub.add_parser("sim", help="run a build: the exact reference, or Verilator with --rtl")
    sim.add_argument("build_dir")
    sim.add_argument("--frames", type=int, help="random frames to run (default 100)")
    sim.add_argument("--rtl", action="store_true", help="simulate the generated RTL in Verilator")
    sim.add_argument(
        "--stall",
        type=float,
        default=0.0,
        help=f"with --rtl: random stall probability, both sides, in [0, {validate.MAX_STALL}]",
    )
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--input", help=".npy file of input codes (frames, ...); default: random")
    sim.add_argument("-q", "--quiet", action="store_true")
    sim.set_defaults(run=_sim)
    est = sub.add_parser(
        "estimate", help="per-layer resources, cycles, frames/s and device utilisation of a build"
    )
    est.add_argument("build_dir", help="build directory written by `streamfold build`")
    est.add_argument("--device", default="xc7z020", help="device name (default: xc7z020)")
    est.add_argument("--clock-mhz", type=float, default=100.0, help="for frames/s (default 100)")
    est.add_argument("--json", action="store_true", help="print JSON instead of a table")
    est.set_defaults(run=_estimate)
    explore = sub.add_parser(
        "explore", help="choose each layer's folding and memory style for a device and a goal"
    )
    explore.add_argument(
        "model", help="graph text file (.sfir), QONNX model (.onnx) or builtin:NAME (cnv-w1a1)"
    )
    explore.add_argument("--device", default="xc7z020", help="device name (default: xc7z020)")
    explore.add_argument(
        "--goal", default="max-fps", choices=["max-fps", "min-resources", "pareto"]
    )
    explore.add_argument("--fps", type=float, help="frames/s to reach (min-resources)")
    explore.add_argument("--clock-mhz", type=float, default=100.0, help="clock (default 100)")
    explore.add_argument(
        "--lut-cap",
        type=float,
        help="max-fps, min-resources: share of the device's LUTs (default 0.7)",
    )
    explore.add_argument(
        "-o", "--out", help="design point JSON to write (pareto: one file per front point)"
    )
    explore.add_argument(
        "--plot", metavar="DIR", help="write DIR/pareto.png and DIR/roofline.png (matplotlib)"
    )
    _input_quant_option(explore)
    explore.set_defaults(run=_explore)
    synth = sub.add_parser(
        "synth", help="synthesise a build (Yosys); for ECP5 also place and route (nextpnr)"
    )
    synth.add_argument("build_dir")
    synth.add_argument("--target", required=True, help="device, e.g. xc7z020 or lfe5u-85f")
    synth.add_argument("--bitstream", action="store_true", help="ECP5: also write top.bit")
    synth.add_argument("--dsp", action="store_true", help="let Yosys map multipliers to DSPs")
    synth.set_defaults(run=_synth)
    deploy = sub.add_parser(
        "deploy", help="write a board's folder: IP + block design, or bitstream; and the driver"
    )
    deploy.add_argument("build_dir")
    deploy.add_argument("--board", required=True, help="pynq-z2 | zcu104 | ulx3s")
    deploy.add_argument("-o", "--out", required=True, help="folder to write")
    deploy.add_argument("--clock-mhz", type=float, default=100.0, help="Zynq fabric clock")
    deploy.add_argument(
        "--no-bitstream", action="store_true", help="ulx3s: constraints and driver only"
    )
    deploy.set_defaults(run=_deploy)
    for command in sub.choices.values():  # also accepted after the command
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
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
