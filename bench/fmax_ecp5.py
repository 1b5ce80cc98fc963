"""Fmax on ECP5: place and route a set of designs with nextpnr-ecp5, measured vs predicted.

    PYTHONPATH=src nice -n 10 .venv/bin/python bench/fmax_ecp5.py            # run what is missing
    PYTHONPATH=src .venv/bin/python bench/fmax_ecp5.py --fit                 # refit fmax_ecp5.json

Each design is built (random weights: the timing depends on shapes, widths and memory styles,
not on accuracy), synthesised with Yosys ``synth_ecp5`` and placed and routed by nextpnr-ecp5 on
LFE5U-85F (``--freq 50 --seed 1``; wide streams through the pin wrapper, ``synth.pinwrap``).
Results are cached in ``bench/fmax_ecp5_runs.json`` by the design's Verilog and memory images
(a digest), so a rerun only places what changed. ``--fit`` refits the model's constants
(``cost/fmax_ecp5.json``) on the "fit" designs; the table gives measured vs predicted for all,
the "held" designs being held out of the fit (the bar: within 10 %).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from torch import nn

from streamfold.api import Accelerator, compile
from streamfold.cost import fmax
from streamfold.cost.devices import Family, device
from streamfold.design import Design
from streamfold.hw.pinwrap import SOURCES as PINWRAP_SOURCES
from streamfold.models import mlp, small_cnn, tfc
from streamfold.synth import pinwrap
from streamfold.synth.implement import implement_build, to_json

REPO = Path(__file__).resolve().parents[1]
RUNS = REPO / "bench" / "fmax_ecp5_runs.json"
REPORTS = REPO / "build" / "fmax_ecp5"  # nextpnr's report.json per design
DEVICE = "lfe5u-85f"


@dataclass(frozen=True)
class Spec:
    name: str
    role: str  # "fit" or "held"
    model: Callable[[], nn.Module]
    shape: tuple[int, ...]
    folding: str | dict[str, dict[str, int]]
    mem_style: str


SPECS = (
    Spec("tfc-w1a1-folded-block", "fit", lambda: tfc(1, 1), (784,), "folded", "block"),
    Spec("tfc-w1a1-folded-lut", "fit", lambda: tfc(1, 1), (784,), "folded", "distributed"),
    Spec(
        "mlp64-w2a2-balanced",
        "fit",
        lambda: mlp(64, (64, 64), 10, weight_bits=2, act_bits=2, input_bits=5),
        (64,),
        "balanced",
        "distributed",
    ),
    Spec("cnn-w2a2-folded-block", "fit", lambda: small_cnn(2, 2), (1, 28, 28), "folded", "block"),
    Spec("tfc-w2a2-folded-block", "held", lambda: tfc(2, 2), (784,), "folded", "block"),
    Spec("tfc-w1a1-c3136-block", "held", lambda: tfc(1, 1), (784,), "cycles=3136", "block"),
    Spec(
        "mlp64-w2a2-wide-pinwrap",  # a 512-bit input word: placed through the pin wrapper
        "held",
        lambda: mlp(64, (16,), 4, weight_bits=2, act_bits=2),
        (64,),
        {"quantlinear1": {"simd": 64}},
        "distributed",
    ),
    Spec(
        "mlp64-w4a4-folded-lut",
        "held",
        lambda: mlp(64, (32,), 10, weight_bits=4, act_bits=4),
        (64,),
        "folded",
        "distributed",
    ),
    Spec(
        "cnn8-w1a1-folded-lut",
        "held",
        lambda: small_cnn(1, 1, channels=(8, 16, 16), hidden=32),
        (1, 28, 28),
        "folded",
        "distributed",
    ),
    Spec(
        "cnn-w2a2-folded-lut", "fit", lambda: small_cnn(2, 2), (1, 28, 28), "folded", "distributed"
    ),
    Spec(  # a 16,384 x 1 LUT ROM: between the fit designs' 512 and 32,768 words
        "mlp128-w1a1-folded-lut",
        "fit",
        lambda: mlp(128, (128,), 10, weight_bits=1, act_bits=1),
        (128,),
        "folded",
        "distributed",
    ),
    Spec(  # one input word per frame of 256 and 1,024 bits (SF = 1): the unit's control
        "mlp32-w2a2-wide-pinwrap",  # (fold counter, credits, the input buffer's enable) spread
        "fit",  # over a wide datapath, as in the held-out 512-bit MLP
        lambda: mlp(32, (16,), 4, weight_bits=2, act_bits=2),
        (32,),
        {"quantlinear1": {"simd": 32}},
        "distributed",
    ),
    Spec(
        "mlp128-w2a2-wide-pinwrap",
        "fit",
        lambda: mlp(128, (16,), 4, weight_bits=2, act_bits=2),
        (128,),
        {"quantlinear1": {"simd": 128}},
        "distributed",
    ),
    Spec(  # a second block-RAM MLP: the registered DP16KD reads of another shape
        "mlp64-w2a2-folded-block",
        "fit",
        lambda: mlp(64, (64,), 10, weight_bits=2, act_bits=2),
        (64,),
        "folded",
        "block",
    ),
)


# the flow between the RTL and nextpnr: a change here places every design again
FLOW = "bram-outreg-1"  # block RAM output registers absorbed (synth.bram_outreg)


def accelerator(spec: Spec) -> Accelerator:
    torch.manual_seed(0)
    model = spec.model().eval()
    return compile(model, spec.shape, device=DEVICE, folding=spec.folding, mem_style=spec.mem_style)


def digest(build_dir: Path) -> str:
    manifest = json.loads((build_dir / "manifest.json").read_text())
    h = hashlib.sha256()
    h.update(FLOW.encode())
    for name in sorted([*manifest["sources"], *manifest["memories"]]):
        h.update(name.encode() + b"\0" + (build_dir / name).read_bytes())
    in_bits, out_bits = (int(manifest[k]["width"]) for k in ("stream_in", "stream_out"))
    pins = pinwrap.package_pins(device(DEVICE))
    if pinwrap.plan(manifest["top"], in_bits, out_bits, pins).wraps:
        for source in PINWRAP_SOURCES:
            h.update(source.read_bytes())
    return h.hexdigest()[:16]


def measure(spec: Spec, runs: dict[str, dict[str, object]], work: Path) -> dict[str, object]:
    acc = accelerator(spec)
    build = acc.build(work / spec.name, force=True)
    key = digest(build)
    cached = runs.get(spec.name)
    if cached is not None and cached.get("digest") == key:
        return cached
    print(f"# {spec.name}: Yosys + nextpnr-ecp5 ...", flush=True)
    impl = implement_build(build, device(DEVICE), per_stage=False)
    assert impl.pnr is not None
    path = impl.pnr.critical_path
    REPORTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(impl.pnr.report_path, REPORTS / f"{spec.name}.report.json")
    run: dict[str, object] = {
        "digest": key,
        "fmax_mhz": round(impl.pnr.fmax_mhz, 2),
        "critical_path": None if path is None else path.summary(),
        "critical_cells": [] if path is None else sorted({s.cell for s in path.steps}),
        "lut4": impl.synth.resources.lut,
        "pinwrap": to_json(impl)["pinwrap"],
        "seconds": round(impl.synth.seconds + impl.pnr.seconds, 1),
        "date": time.strftime("%Y-%m-%d"),
        "machine": platform.machine(),
    }
    runs[spec.name] = run
    RUNS.write_text(json.dumps(runs, indent=2, sort_keys=True) + "\n")
    return run


def fit_point(
    name: str, design: Design, paths: tuple[fmax.TimingPath, ...], run: dict[str, object]
) -> fmax.FitPoint:
    """The stage and path kind of a measured critical path: the stage from the ``u_<ident>.``
    prefix of its start, the kind from the cells' names (a memory's, or a path from its read
    address ``waddr``) and the stage's memory style."""
    cells = [str(c) for c in run["critical_cells"]]  # type: ignore[attr-defined]
    by_ident = {f"u_{st.ident}.": st for st in design.stages}
    start = str(run["critical_path"]).split(" -> ")[0].removeprefix("u_design.")  # pinwrap
    stage = next(st for prefix, st in by_ident.items() if start.startswith(prefix))
    kinds = {p.kind for p in paths if p.stage == stage.name}
    memory = any("mem" in c for c in cells) or "addr" in start  # a memory or its address
    if memory and fmax.PathKind.BRAM_REGISTERED in kinds:
        kind = fmax.PathKind.BRAM_REGISTERED
    elif memory and fmax.PathKind.BRAM in kinds:
        kind = fmax.PathKind.BRAM
    elif memory and fmax.PathKind.LUT_ROM in kinds:
        kind = fmax.PathKind.LUT_ROM
    elif fmax.PathKind.ENABLE in kinds and (
        any(".g_ibuf.ibuf[" in c for c in cells) or ".g_ibuf.replay_q" in start
    ):  # the replayed word's control: into the one-word buffer's enables, or its select
        kind = fmax.PathKind.ENABLE
    elif fmax.PathKind.DATAPATH in kinds:
        kind = fmax.PathKind.DATAPATH
    elif fmax.PathKind.SWG in kinds:  # a window generator's control (its buffer: above)
        kind = fmax.PathKind.SWG
    else:
        (kind,) = kinds
    return fmax.FitPoint(name, paths, float(run["fmax_mhz"]), stage.name, kind)  # type: ignore[arg-type]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--fit", action="store_true", help="refit cost/fmax_ecp5.json on the fit set")
    p.add_argument("--cached", action="store_true", help="no tool runs: the cached designs")
    p.add_argument("--measure-only", action="store_true", help="place and route, no table")
    p.add_argument("--only", nargs="*", default=None, help="design names to run")
    args = p.parse_args()
    runs: dict[str, dict[str, object]] = json.loads(RUNS.read_text()) if RUNS.is_file() else {}
    specs = [s for s in SPECS if args.only is None or s.name in args.only]
    if args.cached:
        specs = [s for s in specs if s.name in runs]
    else:
        with tempfile.TemporaryDirectory(prefix="fmax-") as tmp:
            for spec in specs:
                measure(spec, runs, Path(tmp))
    if args.measure_only:
        return
    designs = {s.name: accelerator(s).design for s in specs}
    paths = {name: fmax.design_paths(d) for name, d in designs.items()}
    model, priors = fmax.load_model(Family.ECP5), fmax.load_priors(Family.ECP5)
    assert model is not None and priors is not None
    if args.fit:
        points = [
            fit_point(s.name, designs[s.name], paths[s.name], runs[s.name])
            for s in specs
            if s.role == "fit"
        ]
        source = f"bench/fmax_ecp5.py --fit ({time.strftime('%Y-%m-%d')})"
        model = replace(model, paths=fmax.fit(points, priors, source))
        fmax.write_model(model, priors)
    print(f"# nextpnr-ecp5 on {DEVICE} (--freq 50 --seed 1), {platform.machine()}")
    print("| design | set | measured MHz | predicted MHz | error | predicted critical path |")
    print("|---|---|---|---|---|---|")
    for spec in specs:
        measured = float(runs[spec.name]["fmax_mhz"])  # type: ignore[arg-type]
        pred = fmax.predict_fmax(paths[spec.name], model)
        err = (pred.fmax_mhz - measured) / measured * 100
        print(
            f"| {spec.name} | {spec.role} | {measured:.1f} | {pred.fmax_mhz:.1f} | {err:+.1f} % "
            f"| {pred.critical.stage}, {pred.critical.kind.value} |"
        )
    for spec in specs:
        print(f"# {spec.name}: measured critical path {runs[spec.name]['critical_path']}")


if __name__ == "__main__":
    main()
