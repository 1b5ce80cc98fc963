"""Wall time of the folding search (``streamfold explore``) on TFC-W1A1 and CNV-W1A1.

Each run starts cold: a new search space and an empty MVAU shape cache, so it pays for every
resource estimate it makes. Building the graph (export, lowering) is timed separately.

    .venv/bin/python bench/explore_speed.py [--device xc7z020] [--clock-mhz 100]
"""

from __future__ import annotations

import argparse
import time

import torch

from streamfold.cost.devices import Device, device
from streamfold.dse.search import Choice, Space, max_fps, min_resources, pareto
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export
from streamfold.hw.mvau import cost as mvau_cost
from streamfold.ir.graph import Graph
from streamfold.models import tfc
from streamfold.zoo import reference_graph

FINN_CYCLES = {"TFC-W1A1": 64, "CNV-W1A1": 32_768}  # FINN's published Pynq-Z1 foldings


def _tfc() -> Graph:
    torch.manual_seed(0)
    return to_kernels(export(tfc(1, 1), (784,)))


def _cnv() -> Graph:
    return to_kernels(reference_graph("cnv-w1a1"))


def _run(goal: str, graph: Graph, dev: Device, clock: float, fps: float) -> tuple[Choice, ...]:
    space = Space(graph, dev)
    if goal == "max-fps":
        return (max_fps(graph, dev, clock, space=space),)
    if goal == "min-resources":
        return (min_resources(graph, dev, fps, clock, space=space),)
    return pareto(graph, dev, clock, space=space)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="xc7z020")
    ap.add_argument("--clock-mhz", type=float, default=100.0)
    args = ap.parse_args()
    dev, clock = device(args.device), args.clock_mhz
    print(f"{'network':<10}{'goal':<16}{'seconds':>9}{'cycles/frame':>20}{'LUT':>9}  note")
    for name, build in (("TFC-W1A1", _tfc), ("CNV-W1A1", _cnv)):
        t0 = time.perf_counter()
        graph = build()
        print(f"{name:<10}{'(graph)':<16}{time.perf_counter() - t0:>9.2f}{'':>20}{'':>9}  "
              "export + lowering, not part of the search")  # fmt: skip
        fps = clock * 1e6 / FINN_CYCLES[name]
        for goal in ("max-fps", "min-resources", "pareto"):
            mvau_cost._SHAPES.clear()  # cold: no resource estimate reused from a previous run
            t0 = time.perf_counter()
            chosen = _run(goal, graph, dev, clock, fps)
            seconds = time.perf_counter() - t0
            if goal == "pareto":
                cycles = f"{chosen[-1].interval}..{chosen[0].interval}"
                note = f"{len(chosen)} points; LUTs of the fastest"
            else:
                cycles, note = str(chosen[0].interval), ""
            print(f"{name:<10}{goal:<16}{seconds:>9.2f}{cycles:>20}{chosen[-1].luts:>9}  {note}")


if __name__ == "__main__":
    main()
