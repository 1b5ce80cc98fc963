"""A build report, end to end, and its screenshot in headless Chromium.

    .venv/bin/python bench/report_screenshot.py --png docs/report_screenshot.png

Builds a small CNN (``models.small_cnn`` with 4-8-8 channels, 2-bit weights and activations,
seeded random weights, 1x28x28 inputs) at the ``balanced`` folding, simulates it in Verilator
(``streamfold sim --rtl``: measured cycles), synthesises it with Yosys for the xc7z020, flat
and per stage (``streamfold synth``), writes ``report.html`` + ``report.json``
(``streamfold report``) and opens the page in headless Chromium (Debian package ``chromium``:
``apt-get install chromium``), which saves a screenshot. The same steps as commands::

    streamfold build small_cnn.sfir -o build/report-demo --folding balanced
    streamfold sim build/report-demo --rtl --frames 20
    streamfold synth build/report-demo --device xc7z020
    streamfold report build/report-demo
    chromium --headless --no-sandbox --hide-scrollbars --window-size=1440,2500 \\
        --screenshot=docs/report_screenshot.png file://$PWD/build/report-demo/report.html
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import torch

from streamfold.cli import main as streamfold
from streamfold.frontend.torch import export
from streamfold.ir import print_graph
from streamfold.models import small_cnn

WINDOW = (1440, 2500)


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path is not None:
            return path
    sys.exit("report_screenshot: chromium must be installed (apt-get install chromium)")


def write_model(path: Path, seed: int) -> Path:
    torch.manual_seed(seed)
    model = small_cnn(2, 2, channels=(4, 8, 8), hidden=16).train()
    with torch.no_grad():
        for _ in range(4):  # initialise the Requantizer scales and BatchNorm statistics
            model(torch.rand(16, 1, 28, 28))
    path.write_text(print_graph(export(model.eval(), (1, 28, 28))))
    return path


def screenshot(chromium: str, html: Path, png: Path, window: tuple[int, int]) -> None:
    cmd = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        f"--window-size={window[0]},{window[1]}", f"--screenshot={png.resolve()}",
        html.resolve().as_uri(),
    ]  # fmt: skip
    print("$", " ".join(cmd))
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0 or not png.is_file():
        sys.exit(f"report_screenshot: chromium failed ({proc.returncode}): {proc.stderr[-2000:]}")


def step(argv: list[str]) -> None:
    print("$ streamfold", " ".join(argv), flush=True)
    start = time.monotonic()
    if streamfold(argv) != 0:
        sys.exit(f"report_screenshot: streamfold {argv[0]} failed")
    print(f"  ({time.monotonic() - start:.1f} s)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=Path("build/report-demo"), help="build directory")
    p.add_argument("--png", type=Path, default=Path("build/report_screenshot.png"))
    p.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    p.add_argument("--no-synth", action="store_true", help="skip Yosys (a minute or two)")
    args = p.parse_args()
    chromium = find_chromium()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model = write_model(args.out.parent / "small_cnn.sfir", args.seed)
    step(["build", str(model), "-o", str(args.out), "--folding", "balanced"])
    step(["sim", str(args.out), "--rtl", "--frames", "20"])
    if not args.no_synth:
        step(["synth", str(args.out), "--device", "xc7z020"])
    step(["report", str(args.out)])
    args.png.parent.mkdir(parents=True, exist_ok=True)
    screenshot(chromium, args.out / "report.html", args.png, WINDOW)
    print(f"wrote {args.png} ({args.png.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
