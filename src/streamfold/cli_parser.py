"""The ``streamfold`` command's arguments: every command, option and its help text.

``streamfold.cli`` runs the command named by ``args.command``; this module only parses.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

from streamfold import validate

EXIT_USAGE = 2


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


def _quiet_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress lines on stderr (phases, time)"
    )


def _device_option(
    parser: argparse.ArgumentParser,
    *aliases: str,
    default: str | None = "xc7z020",
    shown: str | None = None,
) -> None:
    shown = shown or ("xc7z020" if default else "the device synthesised for, else xc7z020")
    parser.add_argument(
        "--device",
        *aliases,
        dest="device",
        default=default,
        metavar="NAME",
        help=f"device (default: {shown}; see `streamfold list devices`)",
    )


def _clock_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--clock-mhz", type=float, default=100.0, help=f"clock for {what} (default 100)"
    )


def build_parser() -> argparse.ArgumentParser:
    from streamfold import __version__

    p = _Parser(prog="streamfold", description="Quantized networks to FPGA dataflow.")
    p.add_argument("--version", action="version", version=f"streamfold {__version__}")
    p.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _demo_parser(sub)
    _model_parsers(sub)
    _build_parsers(sub)
    _explore_parser(sub)
    _hardware_parsers(sub)
    for command in sub.choices.values():  # also accepted after the command
        command.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="show the Python traceback of an error",
        )
    return p


_Sub = Any  # argparse's private _SubParsersAction


def _demo_parser(sub: _Sub) -> None:
    demo = sub.add_parser("demo", help="train, export, streamline and check an MLP on 8x8 digits")
    demo.add_argument("-o", "--out", default="build/demo", help="output directory (build/demo)")
    demo.add_argument("--epochs", type=int, default=40, help="training epochs (default 40)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    _quiet_option(demo)
    demo.add_argument("--no-rtl", action="store_true", help="skip the Verilator check")


def _model_parsers(sub: _Sub) -> None:
    ls = sub.add_parser("list", help="list the known devices or the built-in networks")
    ls.add_argument(
        "what",
        choices=["devices", "builtins"],
        help="devices (for --device) or builtins (for builtin:NAME)",
    )
    show = sub.add_parser("show", help="print a graph's text form (verified)")
    show.add_argument(
        "graph",
        help="graph text file (.sfir), QONNX model (.onnx), build directory or builtin:NAME",
    )
    show.add_argument("--values", action="store_true", help="print weights and thresholds in full")
    _input_quant_option(show)
    check = sub.add_parser(
        "check", help="list per node whether a model converts and why not (exit 1 if not)"
    )
    check.add_argument("model", help="QONNX model (.onnx), graph text file (.sfir) or builtin:NAME")
    check.add_argument("--failing", action="store_true", help="list only the failing nodes")
    _input_quant_option(check)


def _build_parsers(sub: _Sub) -> None:
    build = sub.add_parser(
        "build", help="generate the dataflow RTL of a graph into a build directory"
    )
    build.add_argument(
        "model",
        help="graph text file (.sfir), nn or hw stage, QONNX model (.onnx) or builtin:NAME",
    )
    build.add_argument("-o", "--out", required=True, help="build directory to write")
    build.add_argument(
        "--folding",
        default="folded",
        help="folded | balanced | cycles=N | samples=N | a design point JSON file "
        "(default: folded)",
    )
    build.add_argument(
        "--mem-style",
        choices=["block", "distributed", "registers"],
        help="weight memory style for the presets (default distributed)",
    )
    build.add_argument(
        "--allow-slower",
        action="store_true",
        help="with --folding cycles=N that no folding reaches: warn and build the fastest "
        "folding instead of refusing",
    )
    _device_option(build, default=None, shown="the design point file's, else xc7z020")
    build.add_argument(
        "--arch",
        choices=["dataflow", "mo", "auto"],
        default="dataflow",
        help="dataflow pipeline (default), the multi-layer-offload engine (mo: a memory "
        "image and layer schedule, docs/mo.md), or auto: the faster that fits the device "
        "(dataflow at its max-fps folding)",
    )
    build.add_argument(
        "--force",
        action="store_true",
        help="write a design that does not fit the device (a warning instead of an error)",
    )
    _clock_option(build, "the frames/s estimate")
    _input_quant_option(build)
    _quiet_option(build)
    sim = sub.add_parser("sim", help="run a build: the exact reference, or Verilator with --rtl")
    sim.add_argument("build_dir", help="build directory written by `streamfold build`")
    sim.add_argument("--frames", type=int, help="random frames to run (default 100)")
    sim.add_argument(
        "--rtl",
        action="store_true",
        help="simulate the generated RTL in Verilator (records measured cycles in BUILD_DIR/sim)",
    )
    sim.add_argument(
        "--stall",
        type=float,
        default=0.0,
        help=f"with --rtl: random stall probability, both sides, in [0, {validate.MAX_STALL}]",
    )
    sim.add_argument("--seed", type=int, default=0, help="seed of the random frames and stalls")
    sim.add_argument("--input", help=".npy file of input codes (frames, ...); default: random")
    _quiet_option(sim)
    est = sub.add_parser(
        "estimate", help="per-layer resources, cycles, frames/s and device utilisation of a build"
    )
    est.add_argument("build_dir", help="build directory written by `streamfold build`")
    _device_option(est)
    _clock_option(est, "frames/s")
    est.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _explore_parser(sub: _Sub) -> None:
    explore = sub.add_parser(
        "explore", help="choose each layer's folding and memory style for a device and a goal"
    )
    explore.add_argument(
        "model", help="graph text file (.sfir), QONNX model (.onnx) or builtin:NAME (cnv-w1a1)"
    )
    _device_option(explore)
    explore.add_argument(
        "--goal",
        default="max-fps",
        choices=["max-fps", "min-resources", "pareto"],
        help="max-fps within --lut-cap, min-resources reaching --fps, or the whole front "
        "(default max-fps)",
    )
    explore.add_argument("--fps", type=float, help="frames/s to reach (min-resources)")
    _clock_option(explore, "frames/s")
    explore.add_argument(
        "--lut-cap",
        type=float,
        help="max-fps, min-resources: share of the device's LUTs (default 0.7)",
    )
    explore.add_argument(
        "-o",
        "--out",
        help="design point JSON to write; pareto: a directory for one file per front point",
    )
    explore.add_argument(
        "--plot", metavar="DIR", help="write DIR/pareto.png and DIR/roofline.png (matplotlib)"
    )
    explore.add_argument(
        "--arch",
        choices=["dataflow", "auto"],
        default="dataflow",
        help="auto (with --goal max-fps): also plan the multi-layer-offload engine at the "
        "device's memory bandwidth and say which architecture is faster on the device, and why",
    )
    _input_quant_option(explore)
    _quiet_option(explore)


def _hardware_parsers(sub: _Sub) -> None:
    synth = sub.add_parser(
        "synth", help="synthesise a build (Yosys); for ECP5 also place and route (nextpnr)"
    )
    synth.add_argument("build_dir", help="build directory written by `streamfold build`")
    _device_option(synth, "--target")
    synth.add_argument("--bitstream", action="store_true", help="ECP5: also write top.bit")
    synth.add_argument("--dsp", action="store_true", help="let Yosys map multipliers to DSPs")
    synth.add_argument(
        "--clock-mhz",
        type=float,
        default=None,
        help="target clock in MHz (default: the device's): nextpnr's target on ECP5, and the "
        "clock of the frames/s figures (ECP5: also at the achieved Fmax)",
    )
    synth.add_argument(
        "--flat-only",
        action="store_true",
        help="skip the second, hierarchical Yosys run that gives resources per stage",
    )
    synth.add_argument(
        "--seed",
        type=int,
        default=1,
        help="ECP5: nextpnr's placement seed (default 1); Fmax moves by several percent "
        "from seed to seed",
    )
    synth.add_argument(
        "--seeds",
        type=int,
        default=1,
        help="ECP5: place with up to N seeds from --seed, one per core at a time, until one "
        "meets the clock; keep the fastest (default 1)",
    )
    synth.add_argument(
        "--register-io",
        action="store_true",
        help="ECP5: both streams through registered pin-wrapper stages, so that no path of "
        "the design runs through a pin (what the Fmax model predicts)",
    )
    _quiet_option(synth)
    report = sub.add_parser(
        "report",
        help="write BUILD_DIR/report.html and report.json: per layer folding, cycles, resources",
    )
    report.add_argument("build_dir", help="build directory written by `streamfold build`")
    _device_option(report, default=None)
    _clock_option(report, "frames/s")
    _quiet_option(report)
    deploy = sub.add_parser(
        "deploy", help="write a board's folder: IP + block design, or bitstream; and the driver"
    )
    deploy.add_argument("build_dir", help="build directory written by `streamfold build`")
    deploy.add_argument("--board", required=True, help="pynq-z2 | zcu104 | ulx3s")
    deploy.add_argument("-o", "--out", required=True, help="folder to write")
    deploy.add_argument(
        "--clock-mhz", type=float, default=100.0, help="Zynq fabric clock in MHz (default 100)"
    )
    deploy.add_argument(
        "--no-bitstream", action="store_true", help="ulx3s: constraints and driver only"
    )
