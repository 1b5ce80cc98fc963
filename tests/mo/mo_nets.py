"""A network too big for a dataflow pipeline on xc7z020, for the MO engine's tests and
bench/mo_plan.py."""

from __future__ import annotations

import torch
from torch import nn

from streamfold.flow import to_kernels
from streamfold.frontend import torch as sequential
from streamfold.ir.graph import Graph
from streamfold.quant import QuantConv2d, QuantInput, QuantLinear, Requantizer


def vgg224() -> Graph:
    """ImageNet-class: 3x224x224 8-bit input, eight 3x3 convolutions (32 to 512 channels, the
    first strided, four max pools), global pooling and a 1000-way classifier; 2-bit weights
    and activations, seeded random weights (5.2 M)."""
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
