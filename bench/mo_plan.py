"""Dataflow pipeline vs multi-layer offload (MO), as predicted, on xc7z020 and xczu3eg.

    PYTHONPATH=src .venv/bin/python bench/mo_plan.py

For CNV-W1A1 (zoo, seeded weights) and ``vgg224`` (tests/mo/mo_nets.py: an ImageNet-class
VGG-style backbone, 3x224x224 8-bit input, 2-bit weights and activations, random weights:
5.2 M weights, which no dataflow pipeline on xc7z020 holds on chip): the dataflow design
``dse.search.max_fps``
picks at the device's clock, or the reason none fits; and the MO engine ``mo.choose.choose_engine``
picks (size SIMD x PE searched, maxima and bit widths the network's) planned by
``mo.flow.plan_mo`` at the device's DDR bandwidth (``Device.mem_gbytes_per_s``, 40-cycle read
latency), with its estimated LUT and RAMB18 (``mo.resources``, calibrated on Yosys
synth_xilinx). Prints a Markdown table.
"""

from __future__ import annotations

import sys
from pathlib import Path

from streamfold.cost.devices import device
from streamfold.dse.search import max_fps
from streamfold.errors import ResourceError
from streamfold.flow import to_kernels
from streamfold.ir.graph import Graph
from streamfold.mo.choose import choose_engine
from streamfold.zoo import reference_graph

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "mo"))
from mo_nets import vgg224

LATENCY = 40


def row(name: str, graph: Graph, dev_name: str) -> str:
    dev = device(dev_name)
    try:
        choice = max_fps(graph, dev, dev.clock_mhz)
        dataflow = f"{choice.frames_per_second:,.0f}"
    except ResourceError as e:
        dataflow = f"does not fit ({str(e).split(': ', 2)[-1]})"
    search = choose_engine(graph, dev, dev.clock_mhz, LATENCY)
    plan, res, e = search.plan, search.resources, search.engine
    slower = dataflow.startswith("does not") or float(dataflow.replace(",", "")) < plan.fps
    pick = "MO" if slower else "dataflow"
    return (
        f"| {name} | {dev.name} | {dev.clock_mhz:g} | {dataflow} | {plan.fps:,.1f} "
        f"({min(plan.memory.bytes_per_cycle, 8):g} B/cycle) | SIMD {e.simd} x PE {e.pe}, "
        f"W{e.weight_bits}A{e.activation_bits} | {res.lut:,} of {dev.luts:,} | "
        f"{res.bram} of {dev.bram} | {pick} |"
    )


def main() -> None:
    print(
        "| network | device | MHz | dataflow frames/s | MO frames/s | MO engine | MO LUT "
        "| MO RAMB18 | pick |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, graph in (
        ("CNV-W1A1", to_kernels(reference_graph("cnv-w1a1"))),
        ("vgg224", vgg224()),
    ):
        for dev_name in ("xc7z020", "xczu3eg"):
            print(row(name, graph, dev_name), flush=True)


if __name__ == "__main__":
    main()
