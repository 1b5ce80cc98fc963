"""Our folding search against FINN+'s SetFolding (``streamfold.dse.setfolding``) on TFC-W1A1
and CNV-W1A1: the rows of docs/benchmarks.md's comparison tables, as Markdown.

At FINN's published interval (64 and 32,768 cycles/frame) and at our max-fps interval: ours
(min-resources / max-fps) and SetFolding with that interval as its target, with LUT RAM and
with block RAM for every memory; all whole-design cost-model estimates (not synthesis).

    .venv/bin/python bench/setfolding_ratios.py [--device xc7z020] [--clock-mhz 100]
"""

from __future__ import annotations

import argparse

import torch

from streamfold.cost.devices import Device, device
from streamfold.dse.search import Choice, Space, evaluate, max_fps, min_resources
from streamfold.dse.setfolding import set_folding
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export
from streamfold.hw.block import MemStyle
from streamfold.ir.graph import Graph
from streamfold.models import tfc
from streamfold.zoo import reference_graph

FINN_CYCLES = {"TFC-W1A1": 64, "CNV-W1A1": 32_768}  # FINN's published Pynq-Z1 foldings


def _graphs() -> dict[str, Graph]:
    torch.manual_seed(0)
    return {
        "TFC-W1A1": to_kernels(export(tfc(1, 1), (784,))),
        "CNV-W1A1": to_kernels(reference_graph("cnv-w1a1")),
    }


def _per_klut(c: Choice) -> float:
    return c.frames_per_second / (c.luts / 1000)


def _row(label: str, c: Choice, dev: Device, ours: Choice | None) -> str:
    folding = ", ".join(f"{f.pe}/{f.simd}{f.mem_style.value[0]}" for _, f in c.point.nodes)
    pct = 100 * c.luts / dev.luts
    ratio = "" if ours is None else f"{_per_klut(ours) / _per_klut(c):.2f}x"
    return (
        f"| {label} | {folding} | {c.interval:,} | {c.frames_per_second:,.0f} | "
        f"{c.luts:,} ({pct:.1f} %) | {c.estimate.total.ff:,} | {c.estimate.total.bram} | "
        f"{_per_klut(c):,.0f} | {ratio} |"
    )


def _table(name: str, graph: Graph, dev: Device, clock: float) -> list[str]:
    space = Space(graph, dev)
    finn = FINN_CYCLES[name]
    best = max_fps(graph, dev, clock, space=space)
    ours = min_resources(graph, dev, clock * 1e6 / finn, clock, space=space)
    rows = [
        f"### {name} ({dev.name}, {clock:g} MHz)",
        "",
        "| strategy | folding (PE/SIMD, style) | cycles/frame | frames/s | LUT | FF | "
        f"{dev.family.bram_unit} | frames/s per kLUT | ours / it |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for target, mine, label in ((finn, ours, "min-resources"), (best.interval, best, "max-fps")):
        for style in (MemStyle.DISTRIBUTED, MemStyle.BLOCK):
            point = set_folding(graph, target, style, params=space.params)
            base = evaluate(graph, point, dev, clock, space)
            rows.append(_row(f"SetFolding, target {target:,}, {style.value}", base, dev, mine))
        rows.append(_row(f"ours, {label}", mine, dev, None))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="xc7z020")
    parser.add_argument("--clock-mhz", type=float, default=100.0)
    args = parser.parse_args()
    dev = device(args.device)
    for name, graph in _graphs().items():
        print("\n".join(_table(name, graph, dev, args.clock_mhz)))
        print()


if __name__ == "__main__":
    main()
