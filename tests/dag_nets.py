"""Small non-chain QAT networks (residual, depthwise-separable, concatenating) on 8x8 digits,
shared by the DAG tests: PyTorch eval == exact reference on the nn graph == on the streamlined
graph, and the QONNX round trip."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from streamfold.data import load_digits_split
from streamfold.quant import (
    QuantAdd,
    QuantConcat,
    QuantConv2d,
    QuantInput,
    QuantLinear,
    Requantizer,
)

SHAPE = (1, 8, 8)


@dataclass(frozen=True)
class Precision:
    weight_bits: int
    act_bits: int


PRECISIONS = {"w2a2": Precision(2, 2), "w4a4": Precision(4, 4)}


def _cbr(
    p: Precision,
    cin: int,
    cout: int,
    k: int,
    stride: int = 1,
    groups: int = 1,
    signed: bool = False,
) -> nn.Sequential:
    """Conv, BatchNorm, Requantizer."""
    return nn.Sequential(
        QuantConv2d(
            cin, cout, k, stride, k // 2, bias=False, weight_bits=p.weight_bits, groups=groups
        ),
        nn.BatchNorm2d(cout),
        Requantizer(p.act_bits, signed=signed),
    )


class ResidualBlock(nn.Module):
    """Two convolutions plus the shortcut (identity, or a strided 1x1 projection), QuantAdd."""

    def __init__(self, p: Precision, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = _cbr(p, cin, cout, 3, stride)
        self.conv2 = _cbr(p, cout, cout, 3, signed=True)
        self.project = _cbr(p, cin, cout, 1, stride, signed=True) if stride != 1 else None
        self.add = QuantAdd(p.act_bits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.project is None else self.project(x)
        return self.add(self.conv2(self.conv1(x)), shortcut)


class ResNet(nn.Module):
    """Stem, three residual blocks (the second with a strided 1x1 projection), pooled FC."""

    def __init__(self, p: Precision):
        super().__init__()
        self.inp = QuantInput(8, scale=1 / 255)
        self.stem = _cbr(p, 1, 8, 3)
        self.blocks = nn.Sequential(
            ResidualBlock(p, 8, 8, 1), ResidualBlock(p, 8, 16, 2), ResidualBlock(p, 16, 16, 1)
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = QuantLinear(16, 10, weight_bits=p.weight_bits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.stem(self.inp(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


class MobileNet(nn.Module):
    """Depthwise-separable blocks (depthwise 3x3 then pointwise 1x1), one grouped conv."""

    def __init__(self, p: Precision, grouped: bool = True):
        super().__init__()
        self.inp = QuantInput(8, scale=1 / 255)
        self.features = nn.Sequential(
            _cbr(p, 1, 8, 3),
            _cbr(p, 8, 8, 3, groups=8),  # depthwise
            _cbr(p, 8, 16, 1),  # pointwise
            _cbr(p, 16, 16, 3, stride=2, groups=16),
            _cbr(p, 16, 16, 1, groups=4 if grouped else 1),  # grouped pointwise
            _cbr(p, 16, 16, 1),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = QuantLinear(16, 10, weight_bits=p.weight_bits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(self.features(self.inp(x))).flatten(1))


class ConcatNet(nn.Module):
    """Inception-style: a 1x1 and a 3x3 branch concatenated (torch.cat and QuantConcat)."""

    def __init__(self, p: Precision):
        super().__init__()
        self.inp = QuantInput(8, scale=1 / 255)
        self.stem = _cbr(p, 1, 6, 3)
        self.narrow = _cbr(p, 6, 4, 1)
        self.wide = _cbr(p, 6, 4, 3, signed=True)
        self.mixed = Requantizer(p.act_bits)
        self.conv = _cbr(p, 8, 8, 3, stride=2)
        self.max = nn.MaxPool2d(2)
        self.cat = QuantConcat()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.pooled = Requantizer(p.act_bits)
        self.fc = QuantLinear(16, 10, weight_bits=p.weight_bits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(self.inp(x))
        x = self.mixed(torch.cat([self.narrow(x), self.wide(x)], dim=1))
        y = self.conv(x)
        z = self.cat(y, self.max(x))  # per-channel scales: requantized after pooling
        return self.fc(self.pooled(torch.flatten(self.pool(z), 1)))


def depthwise_net(p: Precision) -> MobileNet:
    """The MobileNet without its grouped convolution: every convolution has a kernel today."""
    return MobileNet(p, grouped=False)


NETS = {"resnet": ResNet, "mobilenet": MobileNet, "concat": ConcatNet}
MORE = {"depthwise": depthwise_net}


@functools.cache
def digits(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    train, _ = load_digits_split()
    return torch.from_numpy(train.x[:n]).reshape(n, *SHAPE), torch.from_numpy(train.y[:n])


def trained(name: str, precision: str, steps: int = 8, seed: int = 0) -> nn.Module:
    """A seeded net after a few Adam steps on digits (scales and BN statistics non-trivial)."""
    torch.manual_seed(seed)
    model = (NETS | MORE)[name](PRECISIONS[precision])
    x, y = digits(256)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model.train()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny batches: threads only contend (25 s instead of 1 s on 2 cores)
    try:
        for step in range(steps):
            batch = slice(32 * step % 256, 32 * step % 256 + 32)
            opt.zero_grad()
            F.cross_entropy(model(x[batch]), y[batch]).backward()
            opt.step()
    finally:
        torch.set_num_threads(threads)
    return model.eval()


# ------------------------------------------------------------------------------ random DAGs
@dataclass(frozen=True)
class Step:
    """One step of a random DAG: ``kind`` applied to earlier tensors ``inputs`` (indices)."""

    kind: str  # "conv", "add", "cat", "pool"
    inputs: tuple[int, ...]
    channels: int = 0
    kernel: int = 1
    stride: int = 1
    groups: int = 1
    bits: int = 2
    signed: bool = False


def random_plan(
    seed: int,
    steps: int = 6,
    groupings: tuple[str, ...] = ("dense", "depthwise", "grouped"),
    bipolar: bool = True,
) -> tuple[tuple[int, int, int], list[Step]]:
    """A seeded random DAG over an input ``(C, H, W)``: convolutions (dense, depthwise,
    grouped, among ``groupings``; strided), residual adds of equally shaped tensors,
    concatenations, max pools. The random draws do not depend on ``groupings``: a convolution
    whose grouping is left out becomes dense; without ``bipolar`` a 1-bit activation is
    unsigned (binary) rather than bipolar (hardware zero-pads, and bipolar has no 0)."""
    rng = np.random.default_rng(seed)
    shape = (int(rng.choice([1, 2])), 6, 6)
    shapes = [(int(rng.choice([2, 4])), 6, 6)]  # tensor 0: the stem's output
    plan = [Step("conv", (-1,), shapes[0][0], 3, 1, 1, int(rng.integers(1, 5)), False)]
    while len(plan) < steps:
        kind = str(rng.choice(["conv", "conv", "add", "cat", "pool"]))
        i = int(rng.integers(len(shapes)))
        c, h, w = shapes[i]
        if kind == "conv":
            groups = int(rng.choice([1, c, 2 if c % 2 == 0 else 1]))
            kind_of = "dense" if groups == 1 else "depthwise" if groups == c else "grouped"
            groups = groups if kind_of in groupings else 1
            out = c if groups == c else groups * int(rng.choice([1, 2]))
            stride = int(rng.choice([1, 2])) if h >= 4 else 1
            kernel = int(rng.choice([1, 3]))
            bits, signed = int(rng.integers(1, 5)), bool(rng.integers(2))
            signed = signed and (bipolar or bits > 1)
            plan.append(Step("conv", (i,), out, kernel, stride, groups, bits, signed))
            shapes.append((out, (h - 1) // stride + 1, (w - 1) // stride + 1))
            continue
        if kind == "add":  # a residual branch: a 3x3 convolution of i, added back to i
            bits, signed = int(rng.integers(1, 5)), bool(rng.integers(2))
            signed = signed and (bipolar or bits > 1)
            plan.append(Step("conv", (i,), c, 3, 1, 1, bits, signed))
            plan.append(Step("add", (i, len(shapes)), bits=int(rng.integers(2, 5))))
            shapes += [(c, h, w), (c, h, w)]
            continue
        same = [j for j, s in enumerate(shapes) if j != i and s[1:] == (h, w)]
        if kind == "cat" and same:
            j = int(rng.choice(same))
            plan.append(Step("cat", (i, j), bits=int(rng.integers(2, 5))))
            shapes.append((c + shapes[j][0], h, w))
        elif kind == "pool" and h >= 2:
            plan.append(Step("pool", (i,)))
            shapes.append((c, h // 2, w // 2))
    return shape, plan


class RandomDag(nn.Module):
    """The network of a ``random_plan``: QuantInput, the steps, global pool, Requantizer, FC."""

    def __init__(self, shape: tuple[int, int, int], plan: list[Step]):
        super().__init__()
        self.plan = plan
        self.inp = QuantInput(8, scale=1 / 255)
        channels = [shape[0]]
        self.steps = nn.ModuleList()
        for step in plan:
            c = [channels[i + 1] for i in step.inputs]
            p = Precision(3, step.bits)
            if step.kind == "conv":
                layer: nn.Module = _cbr(
                    p,
                    c[0],
                    step.channels,
                    step.kernel,
                    step.stride,
                    step.groups,
                    signed=step.signed,
                )
                channels.append(step.channels)
            elif step.kind == "add":
                layer = QuantAdd(step.bits, signed=True)
                channels.append(c[0])
            elif step.kind == "cat":
                layer = Requantizer(step.bits)  # after the concatenation: one scale again
                channels.append(sum(c))
            else:
                layer = nn.MaxPool2d(2)
                channels.append(c[0])
            self.steps.append(layer)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = QuantLinear(channels[-1], 5, weight_bits=3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tensors = [self.inp(x)]
        for step, layer in zip(self.plan, self.steps, strict=True):
            args = [tensors[i + 1] for i in step.inputs]
            if step.kind == "add":
                tensors.append(layer(*args))
            elif step.kind == "cat":
                tensors.append(layer(torch.cat(args, dim=1)))
            else:
                tensors.append(layer(args[0]))
        return self.fc(torch.flatten(self.pool(tensors[-1]), 1))


def random_dag(
    seed: int,
    groupings: tuple[str, ...] = ("dense", "depthwise", "grouped"),
    bipolar: bool = True,
) -> tuple[nn.Module, tuple[int, int, int]]:
    """A seeded random DAG after a few training steps on random data, in eval mode."""
    shape, plan = random_plan(seed, groupings=groupings, bipolar=bipolar)
    torch.manual_seed(seed)
    model = RandomDag(shape, plan)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(4):
            opt.zero_grad()
            model(torch.rand(16, *shape)).square().mean().backward()
            opt.step()
    finally:
        torch.set_num_threads(threads)
    return model.eval(), shape
