"""Dataflow pipeline vs multi-layer offload (MO), as predicted, on xc7z020 and xczu3eg.

    PYTHONPATH=src .venv/bin/python bench/mo_plan.py

For CNV-W1A1 (zoo, seeded weights) and ``vgg224`` (an ImageNet-class VGG-style backbone,
3x224x224 8-bit input, 2-bit weights and activations, random weights: 5.2 M weights, which no
dataflow pipeline on xc7z020 holds on chip): the dataflow design ``dse.search.max_fps``
picks at the device's clock, or the reason none fits; and the MO engine (SIMD 64 x PE 32,
FINN-R's Zynq-7020 size) planned by ``mo.flow.plan_mo`` at the device's DDR bandwidth
(``Device.mem_gbytes_per_s``, 40-cycle read latency), with the RAMB18s its on-chip memories
need (``mo.flow.onchip_bram18``; logic not estimated). Prints a Markdown table.
"""

from __future__ import annotations

import torch
from torch import nn

from streamfold.cost.devices import device
from streamfold.dse.search import max_fps
from streamfold.errors import ResourceError
from streamfold.flow import to_kernels
from streamfold.frontend import torch as sequential
from streamfold.ir.graph import Graph
from streamfold.mo.engine import EngineConfig
from streamfold.mo.flow import onchip_bram18, plan_mo
from streamfold.quant import QuantConv2d, QuantInput, QuantLinear, Requantizer
from streamfold.zoo import reference_graph

ENGINE = EngineConfig(simd=64, pe=32, max_channels=512, max_kernel=3, max_map=224)
LATENCY = 40


def vgg224() -> Graph:
    torch.manual_seed(0)
    layers: list[nn.Module] = [QuantInput(8, scale=1 / 255)]
    plan = [
        (3, 32, 2, True), (32, 64, 1, True), (64, 128, 1, False), (128, 128, 1, True),
        (128, 256, 1, False), (256, 256, 1, True), (256, 512, 1, False), (512, 512, 1, False),
    ]  # fmt: skip
    for cin, cout, stride, pool in plan:
        layers += [
            QuantConv2d(cin, cout, 3, stride=stride, padding=1, bias=False, weight_bits=2),
            nn.BatchNorm2d(cout),
            Requantizer(2, signed=False),
        ]
        if pool:
            layers.append(nn.MaxPool2d(2))
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), Requantizer(4, signed=False)]
    layers.append(QuantLinear(512, 1000, bias=False, weight_bits=2))
    model = nn.Sequential(*layers)
    model.train()
    with torch.no_grad():
        for _ in range(2):  # the Requantizer scales and BatchNorm statistics
            model(torch.rand(4, 3, 224, 224))
    model.eval()
    return to_kernels(sequential.export(model, (3, 224, 224)))


def row(name: str, graph: Graph, dev_name: str) -> str:
    dev = device(dev_name)
    try:
        choice = max_fps(graph, dev, dev.clock_mhz)
        dataflow = f"{choice.frames_per_second:,.0f}"
    except ResourceError as e:
        dataflow = f"does not fit ({str(e).split(': ', 2)[-1]})"
    plan = plan_mo(graph, ENGINE, dev, dev.clock_mhz, LATENCY)
    bram = onchip_bram18(plan.program)
    fits = "fits" if bram <= dev.bram else "does not fit"
    slower = dataflow.startswith("does not") or float(dataflow.replace(",", "")) < plan.fps
    pick = "MO" if slower else "dataflow"
    return (
        f"| {name} | {dev.name} | {dev.clock_mhz:g} | {dataflow} | {plan.fps:,.1f} "
        f"({min(plan.memory.bytes_per_cycle, 8):g} B/cycle) | {bram} of {dev.bram} ({fits}) "
        f"| {pick} |"
    )


def main() -> None:
    print("| network | device | MHz | dataflow frames/s | MO frames/s | MO RAMB18 | pick |")
    print("|---|---|---|---|---|---|---|")
    for name, graph in (
        ("CNV-W1A1", to_kernels(reference_graph("cnv-w1a1"))),
        ("vgg224", vgg224()),
    ):
        for dev_name in ("xc7z020", "xczu3eg"):
            print(row(name, graph, dev_name), flush=True)


if __name__ == "__main__":
    main()
