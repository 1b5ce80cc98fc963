"""Peak detection on synthetic laser-line profiles: quantized 1-D detectors vs classical
baselines (accuracy and CPU speed), and the detector as hardware (Verilator, estimate).

    python bench/peaks.py --epochs 40 --rtl-frames 16

Data (``streamfold.peaks.data``, seeded): train 4,000 / validation 500 / test 2,000 profiles of
128 samples. The baselines' parameters and the detectors' score thresholds are tuned on the
validation split; every number is on the test split. Matching tolerance 2 samples, outlier
above 0.5 sample (``streamfold.peaks.metrics``). CPU speed: one thread, the whole test split,
best of ``--repeats``; it includes picking and refinement. Hardware: the trained 2/4/8-bit
detectors at the fastest folding, built and run in Verilator on ``--rtl-frames`` test profiles,
compared with PyTorch's integer scores bit for bit; LUT/FF are the cost model's estimate for
an xc7z020 (not synthesised here).
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from torch import nn

from streamfold.peaks import baselines
from streamfold.peaks.data import Profiles, generate
from streamfold.peaks.detector import (
    TrainConfig,
    float_net,
    peak_net,
    pick,
    scores,
    train,
    tune_threshold,
)
from streamfold.peaks.hardware import run_in_verilator
from streamfold.peaks.metrics import OUTLIER, TOLERANCE, Scores, score

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


def truth_of(p: Profiles) -> list[Any]:
    return [p.peaks(i) for i in range(len(p))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", type=int, default=4000)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--rtl-frames", type=int, default=16, help="0: skip the Verilator runs")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, help="build directories (default: a temporary one)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    train_set, val, test = generate(args.train, 1), generate(500, 2), generate(2000, 3)
    truth, samples = truth_of(test), test.x.size
    print(f"# Peak detection: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {cpu_name()}, 1 thread")
    print(f"test: {len(test)} profiles x {test.x.shape[1]} samples, {sum(map(len, truth))} peaks;")
    print(f"tolerance {TOLERANCE} samples, outlier > {OUTLIER} sample\n")
    header = (
        "| detector | F1 | precision | recall | mean error | p99 error | outliers "
        "| CPU Msamples/s |\n|---|---|---|---|---|---|---|---|"
    )
    print(header)
    for b in baselines.tuned_baselines(val):
        speed = samples_per_second(lambda b=b: b(test.x), samples, args.repeats)
        print(row(f"{b.refinement.value} (scipy)", baselines.evaluate(b, test), speed), flush=True)
    models: dict[str, nn.Sequential] = {"float": float_net()}
    models |= {f"W{b}A{b}": peak_net(b) for b in BITS}
    for name, model in models.items():
        train(model, train_set, TrainConfig(epochs=args.epochs))
        threshold = tune_threshold(scores(model, val.x), val)
        result = score(pick(scores(model, test.x), threshold), truth)
        speed = samples_per_second(
            lambda m=model, t=threshold: pick(scores(m, test.x), t), samples, args.repeats
        )
        print(row(f"CNN {name} (PyTorch CPU)", result, speed), flush=True)
    if args.rtl_frames:
        hardware(models, test, args.rtl_frames, args.out)


def hardware(
    models: dict[str, nn.Sequential], test: Profiles, frames: int, out: Path | None
) -> None:
    print(
        "\n| detector | bit-exact vs PyTorch | frames | cycles/sample predicted "
        "| cycles/sample measured | LUT (est.) | FF (est.) |\n|---|---|---|---|---|---|---|"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = out or Path(tmp)
        for b in BITS:
            run = run_in_verilator(models[f"W{b}A{b}"], test.x[:frames], root / f"w{b}a{b}")
            print(
                f"| CNN W{b}A{b} | {run.bit_exact} | {run.frames} "
                f"| {run.predicted_cycles_per_sample:.2f} | {run.measured_cycles_per_sample:.2f} "
                f"| {run.lut} | {run.ff} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
