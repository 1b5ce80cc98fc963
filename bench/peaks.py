"""Peak detection on synthetic laser-line profiles: quantized 1-D detectors vs classical
baselines (accuracy and CPU speed), and the detector as hardware (Verilator, estimate).

    python bench/peaks.py --epochs 40 --rtl-frames 16
    python bench/peaks.py --synth-only    # the picking block and a detector through Yosys / nextpnr

Data (``streamfold.peaks.data``, seeded): train 4,000 / validation 500 / test 2,000 profiles of
128 samples. The baselines' parameters and the detectors' score thresholds are tuned on the
validation split; every number is on the test split. Matching tolerance 2 samples, outlier
above 0.5 sample (``streamfold.peaks.metrics``). CPU speed: one thread, the whole test split,
best of ``--repeats``; it includes picking and refinement. Hardware: the trained 2/4/8-bit
detectors at the fastest folding, built and run in Verilator on ``--rtl-frames`` test profiles,
compared with PyTorch's integer scores bit for bit; LUT/FF are the cost model's estimate for
an xc7z020 (not synthesised here); then the same builds ending in the peak-picking block
(``hw.peakpick``), their records compared with the block model and the software picker.

Synthesis (``--synth`` / ``--synth-only``): the peak-picking block alone at 1-16 samples per
word (Yosys synth_xilinx, xc7z020), and ``builtin:peaks-w{--synth-bits}a{--synth-bits}``
(seeded, untrained weights: the hardware does not depend on trained values) with picking,
Yosys for the xc7z020 and nextpnr-ecp5 + ecppack for the LFE5U-85F: resources and Fmax.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from streamfold.codegen.top import write_build
from streamfold.cost.devices import Family, device
from streamfold.cost.estimate import estimate_pipeline
from streamfold.hw.block import NodeFolding
from streamfold.hw.peakpick import cost as peakpick_cost
from streamfold.hw.peakpick.params import PeakPickParams
from streamfold.hw.peakpick.rtl import instance as peakpick_instance
from streamfold.ir.dtypes import IntType
from streamfold.ir.ops import Mvau
from streamfold.ir.text import parse_graph
from streamfold.peaks import baselines, ecg
from streamfold.peaks.data import Profiles, generate
from streamfold.peaks.detector import (
    TrainConfig,
    float_net,
    inputs,
    peak_net,
    pick,
    scores,
    train,
    tune_threshold,
)
from streamfold.peaks.hardware import (
    build_detector,
    detector_design,
    fastest_folding,
    run_in_verilator,
)
from streamfold.peaks.metrics import OUTLIER, TOLERANCE, Scores, score
from streamfold.sim.design import simulate_build
from streamfold.sim.exact import run_single
from streamfold.synth.implement import Implementation, implement_build
from streamfold.synth.yosys import synthesize_instance
from streamfold.zoo import reference_model

BITS = (8, 4, 2)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def samples_per_second(run: Callable[[], Any], samples: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return samples / best


def row(name: str, s: Scores, speed: float) -> str:
    return (
        f"| {name} | {s.f1:.4f} | {s.precision:.4f} | {s.recall:.4f} | {s.mean_error:.4f} "
        f"| {s.p99_error:.3f} | {s.outliers} ({s.outliers / max(s.true_positives, 1):.2%}) "
        f"| {speed / 1e6:.2f} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", type=int, default=4000)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--rtl-frames", type=int, default=16, help="0: skip the Verilator runs")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, help="build directories (default: a temporary one)")
    ap.add_argument("--synth", action="store_true", help="also synthesise (minutes)")
    ap.add_argument("--synth-only", action="store_true", help="only synthesise")
    ap.add_argument("--synth-bits", type=int, default=2, help="the detector synthesised")
    ap.add_argument(
        "--samples",
        type=int,
        default=0,
        help="synthesise the detector at this many samples per cycle (samples=N) instead",
    )
    ap.add_argument(
        "--data",
        choices=("lines", "ecg"),
        default="lines",
        help="laser-line profiles (peaks.data) or synthetic ECG, R peaks (peaks.ecg)",
    )
    ap.add_argument(
        "--channels",
        type=int,
        default=8,
        help="the detectors' hidden channels (trained ones, and the one synthesised at --samples)",
    )
    ap.add_argument(
        "--graph",
        type=Path,
        help="with --samples: synthesise this saved detector graph (graph.hw.sfir of a build, "
        "e.g. a trained one the accuracy run writes under --out) instead of a calibrated one",
    )
    ap.add_argument(
        "--quick-pnr",
        action="store_true",
        help="with --samples: nextpnr without timing-driven placement (faster, slower clock)",
    )
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.synth or args.synth_only:
        with tempfile.TemporaryDirectory() as tmp:
            root = args.out or Path(tmp)
            if args.samples:
                throughput(
                    root, args.synth_bits, args.samples, args.channels, args.graph, args.quick_pnr
                )
            else:
                synthesis(root, args.synth_bits)
        if args.synth_only:
            return
    make = ecg.generate if args.data == "ecg" else generate
    grid = baselines.ECG_GRID if args.data == "ecg" else baselines.Grid()
    train_set, val, test = make(args.train, 1), make(500, 2), make(2000, 3)
    truth, samples = test.all_peaks(), test.x.size
    print(f"# Peak detection: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {cpu_name()}, 1 thread")
    print(
        f"data: {args.data}; test: {len(test)} profiles x {test.x.shape[1]} samples, "
        f"{sum(map(len, truth))} peaks;"
    )
    print(f"tolerance {TOLERANCE} samples, outlier > {OUTLIER} sample")
    print(f"CNN detectors: {args.channels} hidden channels\n")
    header = (
        "| detector | F1 | precision | recall | mean error | p99 error | outliers "
        "| CPU Msamples/s |\n|---|---|---|---|---|---|---|---|"
    )
    print(header)
    for b in baselines.tuned_baselines(val, grid):
        speed = samples_per_second(lambda b=b: b(test.x), samples, args.repeats)
        print(row(f"{b.refinement.value} (scipy)", baselines.evaluate(b, test), speed), flush=True)
    models: dict[str, nn.Sequential] = {"float": float_net(args.channels)}
    models |= {f"W{b}A{b}": peak_net(b, args.channels) for b in BITS}
    thresholds: dict[str, float] = {}
    for name, model in models.items():
        train(model, train_set, TrainConfig(epochs=args.epochs))
        threshold = tune_threshold(scores(model, val.x), val)
        thresholds[name] = threshold
        result = score(pick(scores(model, test.x), threshold), truth)
        speed = samples_per_second(
            lambda m=model, t=threshold: pick(scores(m, test.x), t), samples, args.repeats
        )
        print(row(f"CNN {name} (PyTorch CPU)", result, speed), flush=True)
    if args.rtl_frames:
        hardware(models, thresholds, test, args.rtl_frames, args.out)


def hardware(
    models: dict[str, nn.Sequential],
    thresholds: dict[str, float],
    test: Profiles,
    frames: int,
    out: Path | None,
) -> None:
    print(
        "\n| detector | bit-exact vs PyTorch | frames | cycles/sample predicted "
        "| cycles/sample measured | LUT (est.) | FF (est.) |\n|---|---|---|---|---|---|---|"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = out or Path(tmp)
        for b in BITS:
            for picking in (False, True):
                model = models[f"W{b}A{b}"]
                threshold = thresholds[f"W{b}A{b}"] if picking else None
                run = run_in_verilator(
                    model, test.x[:frames], root / f"w{b}a{b}{picking}", threshold=threshold
                )
                exact = f"{run.bit_exact}" + (
                    f", picks == software: {run.picks_match_software}" if picking else ""
                )
                print(
                    f"| CNN W{b}A{b}{' + picking' if picking else ''} | {exact} | {run.frames} "
                    f"| {run.predicted_cycles_per_sample:.2f} "
                    f"| {run.measured_cycles_per_sample:.2f} | {run.lut} | {run.ff} |",
                    flush=True,
                )


def synthesis(root: Path, bits: int) -> None:
    """The picking block alone (xc7z020, Yosys) at 1-32 samples per word, then a detector
    with picking: Yosys on the xc7z020, nextpnr-ecp5 and ecppack on the LFE5U-85F."""
    print(
        "\n| peak picking, 128 x u8, distance 4, 4 records | cycles/frame | LUT (model) "
        "| LUT (Yosys) | FF (model) | FF (Yosys) | CARRY4 |\n|---|---|---|---|---|---|---|"
    )
    params = PeakPickParams(128, IntType(8, False), 100, 4, 4)
    for p in (1, 2, 4, 8, 16, 32):
        folding = NodeFolding(simd=p)
        inst = peakpick_instance(params, folding, "pick")
        got = synthesize_instance(inst, Family.XILINX7, root / f"peakpick_p{p}").resources
        model = peakpick_cost.resources(params, folding, Family.XILINX7)
        print(
            f"| P = {p} | {peakpick_cost.cycles(params, folding)} | {model.lut} | {got.lut} "
            f"| {model.ff} | {got.ff} | {got.carry} |",
            flush=True,
        )
    model, shape = reference_model(f"peaks-w{bits}a{bits}")
    build = build_detector(
        model, shape[1], root / f"detector_w{bits}", fastest_folding(shape[1]), threshold=0.5
    )
    print(f"\nbuiltin:peaks-w{bits}a{bits} + picking at {fastest_folding(shape[1])}: {build}")
    for impl, line in implemented(build):
        print(line + f" (Yosys {impl.synth.seconds:.0f} s)", flush=True)


def implemented(
    build: Path, quick_pnr: bool = False, clock_mhz: float | None = None
) -> Iterator[tuple[Implementation, str]]:
    """``build`` through Yosys, nextpnr-ecp5 and ecppack for the LFE5U-85F (its streams
    registered at the pins: ``implement_build(register_io=True)``), then Yosys for the
    xc7z020: each implementation and its resources and Fmax in one line. ``quick_pnr``:
    nextpnr's quick mode (``place_and_route(quick=True)``); up to 6 hours either way;
    ``clock_mhz``: nextpnr's target."""
    for name, bitstream in (("lfe5u-85f", True), ("xc7z020", False)):
        impl = implement_build(
            build, device(name), bitstream=bitstream, per_stage=False, quick_pnr=quick_pnr,
            pnr_timeout_s=6 * 3600.0, clock_mhz=clock_mhz if bitstream else None,
            register_io=bitstream,
        )  # fmt: skip
        r = impl.synth.resources
        line = f"{name}: LUT {r.lut}, FF {r.ff}, BRAM {r.bram}, DSP {r.dsp}, CARRY {r.carry}"
        if impl.pnr is not None:
            line += f"; nextpnr Fmax {impl.pnr.fmax_mhz:.1f} MHz"
            line += f", bitstream {impl.pnr.bitstream}" if impl.pnr.bitstream else ""
        yield impl, line


def throughput(
    root: Path,
    bits: int,
    samples: int,
    channels: int = 8,
    graph_file: Path | None = None,
    quick_pnr: bool = False,
) -> None:
    """``builtin:peaks-w{bits}a{bits}`` (with ``channels`` other than its 8: ``peak_net(bits,
    channels)`` calibrated as the builtin is) with picking at ``samples=N``: samples per cycle
    measured in Verilator (free-running, after the pipeline settles; bit-exact under stalls
    checked first), then Yosys for the xc7z020 and nextpnr-ecp5 + ecppack for the LFE5U-85F;
    G samples/s = samples per cycle x clock, operations = 2 per multiply-accumulate.
    ``graph_file``: a saved detector graph instead (``graph_throughput``)."""
    folding = f"samples={samples}"
    if graph_file is not None:
        graph_throughput(root, graph_file, samples, quick_pnr)
        return
    model, shape = reference_model(f"peaks-w{bits}a{bits}")
    if channels != 8:
        model = calibrated_detector(bits, channels)
    x = generate(8, 2).x
    threshold = float(scores(model, x).mean())
    run = run_in_verilator(model, x, root / f"rtl_{samples}", folding, threshold=threshold)
    spc = run.length / run.measured_cycles_per_frame
    ops = 2 * macs_per_sample(model)
    print(
        f"\npeaks-w{bits}a{bits}, {channels} channels, + picking at {folding}: "
        f"bit-exact {run.bit_exact}, "
        f"picks = software {run.picks_match_software}; cycles/frame predicted "
        f"{run.predicted_cycles_per_frame}, measured {run.measured_cycles_per_frame:.2f} "
        f"({spc:.2f} samples/cycle); {ops} operations per sample",
        flush=True,
    )
    build = build_detector(model, shape[1], root / f"detector_{samples}", folding, threshold)
    report_rates(build, spc, ops, quick_pnr)


def report_rates(build: Path, spc: float, ops: int, quick_pnr: bool, mhz: float = 80.0) -> None:
    """``build`` through ``implemented``: per target, its resources, clock, G samples/s,
    G op/s and M op/s per LUT at ``spc`` samples per cycle. On ECP5 the clock is nextpnr's
    Fmax (timing-driven placement toward ``mhz`` unless ``quick_pnr``); on the xc7z020 250 MHz
    is assumed, not measured (no Vivado here)."""
    for impl, line in implemented(build, quick_pnr=quick_pnr, clock_mhz=mhz):
        clock = 250.0 if impl.pnr is None else impl.pnr.fmax_mhz
        r = impl.synth.resources
        rate = spc * clock * 1e6
        line += (
            f"; at {clock:.1f} MHz{' (assumed)' if impl.pnr is None else ''}: "
            f"{rate / 1e9:.2f} G samples/s, {rate * ops / 1e9:.1f} G op/s, "
            f"{rate * ops / r.lut / 1e6:.2f} M op/s per LUT"
        )
        if impl.pnr is not None and impl.pnr.critical_path is not None:
            cp = impl.pnr.critical_path
            levels = sum(1 for step in cp.steps if step.kind == "logic")
            line += f"; critical {cp.start} -> {cp.end}, {levels} logic steps"
        print(line + f" (Yosys {impl.synth.seconds:.0f} s)", flush=True)


def graph_throughput(root: Path, graph_file: Path, samples: int, quick_pnr: bool) -> None:
    """A saved detector graph (``graph.hw.sfir`` of a build: the trained detectors the
    accuracy run builds under ``--out``, e.g. ``w2a2True``) rebuilt at ``samples=N``:
    Verilator against the exact reference (16 test profiles, under 25 % stalls, then 8 times
    over free-running), then ``report_rates``."""
    folding = f"samples={samples}"
    graph = parse_graph(graph_file.read_text())
    length = graph.inputs[0].shape[-1]
    design = detector_design(graph, folding)
    build = write_build(design, root / f"detector_{samples}")
    x = generate(16, 3).x.astype(np.int64).reshape(16, 1, length)
    expected = run_single(graph, x).reshape(len(x), -1)
    stalled, _ = simulate_build(build, x, stall_in=0.25, stall_out=0.25, seed=1)
    free, run = simulate_build(build, np.concatenate([x] * 8))
    exact = np.array_equal(stalled, expected) and np.array_equal(free, np.tile(expected, (8, 1)))
    cycles = run.cycles_per_frame_from(len(x))
    macs = sum(
        int(n.op.weight.shape[0] * n.op.weight.shape[1])
        for n in graph.nodes
        if isinstance(n.op, Mvau)
    )
    print(
        f"\n{graph_file} + picking at {folding}: bit-exact against the exact reference "
        f"{bool(exact)}; cycles/frame predicted {estimate_pipeline(design).interval}, measured "
        f"{cycles:.2f} ({length / cycles:.2f} samples/cycle); {2 * macs} operations per sample",
        flush=True,
    )
    report_rates(build, length / cycles, 2 * macs, quick_pnr)


def calibrated_detector(bits: int, channels: int) -> nn.Sequential:
    """``peak_net(bits, channels)``, seeded, its scales and BatchNorm statistics set on 64
    synthetic profiles as ``zoo.reference_model`` sets the builtin's."""
    torch.manual_seed(0)
    model = peak_net(bits, channels)
    model.train()
    with torch.no_grad():
        for batch in torch.split(inputs(generate(64, 0).x), 16):
            model(batch)
    return model.eval()


def macs_per_sample(model: nn.Sequential) -> int:
    """Multiply-accumulates per output sample: every convolution's weights (each applied
    once per sample: stride 1, same padding)."""
    convs = [m for m in model.modules() if isinstance(m, nn.Conv1d)]
    return sum(int(c.weight.numel()) for c in convs)


if __name__ == "__main__":
    main()
