"""Whole-design resources of the ResNet-style DAG (tests/dag_nets.py "resnet", w2a2, briefly
trained): the estimate (``cost.design_cost.estimate_design``) against Yosys synth_xilinx of the
generated top, per resource, and per stage kind (kernels, forks, converters, FIFOs).

    PYTHONPATH=src:tests .venv/bin/python bench/resnet_synth.py [--folding balanced] [--out DIR]

Target (issue 12): LUT and FF within 10 %, BRAM exact. One synthesis (minutes on one core).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from dag_nets import trained  # noqa: E402
from streamfold.codegen.top import stitch, write_build  # noqa: E402
from streamfold.cost.design_cost import estimate_design, stage_resources  # noqa: E402
from streamfold.cost.devices import Family, device  # noqa: E402
from streamfold.dse.design_point import folding_preset  # noqa: E402
from streamfold.flow import to_kernels  # noqa: E402
from streamfold.frontend.torch_fx import export_module  # noqa: E402
from streamfold.synth.resources import Resources  # noqa: E402
from streamfold.synth.yosys import synthesize_build  # noqa: E402

RESOURCES = ("lut", "ff", "lutram", "bram")
TARGET_PCT = {"lut": 10.0, "ff": 10.0}  # BRAM (and LUTRAM) exact


def pct(estimated: int, measured: int) -> float:
    return 0.0 if measured == estimated else 100.0 * (estimated - measured) / max(measured, 1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--folding", default="balanced")
    p.add_argument("--precision", default="w2a2")
    p.add_argument("--out", default="build/resnet_synth")
    args = p.parse_args()
    dev = device("xc7z020")
    graph = to_kernels(export_module(trained("resnet", args.precision), (1, 8, 8)))
    design = stitch(graph, folding_preset(graph, args.folding))
    est = estimate_design(design, dev, dev.clock_mhz)
    kinds: dict[str, Resources] = defaultdict(Resources)
    for stage in design.stages:
        kinds[stage.kind] = kinds[stage.kind] + stage_resources(design, stage, Family.XILINX7)
    out = write_build(design, Path(args.out) / "build")
    start = time.time()
    measured = synthesize_build(out, Family.XILINX7, workdir=Path(args.out) / "synth").resources
    seconds = time.time() - start
    print(f"ResNet-style {args.precision}, {args.folding}: {est.pipeline.interval} cycles/frame,")
    print(f"{len(design.stages)} stages; Yosys synth_xilinx {seconds:.0f} s\n")
    print("| resource | estimate | Yosys | error | target |")
    print("|---|---:|---:|---:|---|")
    for r in RESOURCES:
        e, m = getattr(est.total, r), getattr(measured, r)
        target = f"<= {TARGET_PCT[r]:.0f} %" if r in TARGET_PCT else "exact"
        met = abs(pct(e, m)) <= TARGET_PCT[r] if r in TARGET_PCT else e == m
        print(f"| {r.upper()} | {e} | {m} | {pct(e, m):+.1f} % | {target}: "
              f"{'met' if met else 'MISSED'} |")  # fmt: skip
    print("\nestimate by stage kind:")
    for kind, used in sorted(kinds.items()):
        print(f"  {kind:7s} " + " ".join(f"{r}={getattr(used, r)}" for r in RESOURCES))


if __name__ == "__main__":
    main()
