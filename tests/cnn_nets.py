"""Small convolutional QAT networks shared by the CNN tests (lowering and RTL)."""

from __future__ import annotations

import torch
from torch import nn

from streamfold.quant import QuantConv1d, QuantConv2d, QuantInput, QuantLinear, Requantizer


def conv2d_net(act_bits: int = 2, padding: int = 1, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        QuantInput(4, scale=1 / 15),
        QuantConv2d(2, 4, 3, padding=padding, stride=stride, bias=False, weight_bits=2),
        nn.BatchNorm2d(4),
        Requantizer(act_bits, signed=act_bits == 1),
        QuantConv2d(4, 6, (2, 3), bias=False, weight_bits=1 if act_bits == 1 else 3),
        nn.BatchNorm2d(6),
        Requantizer(act_bits, signed=act_bits == 1),
        nn.MaxPool2d(2),
        nn.Flatten(),
        QuantLinear(6 * _pooled(padding, stride), 5, bias=True, weight_bits=2),
    )


def _pooled(padding: int, stride: int) -> int:
    h, w = 11, 14
    h, w = (h + 2 * padding - 3) // stride + 1, (w + 2 * padding - 3) // stride + 1
    h, w = h - 1, w - 2
    return (h // 2) * (w // 2)


def conv1d_net() -> nn.Sequential:
    return nn.Sequential(
        QuantInput(8, scale=1 / 255, signed=True),
        QuantConv1d(1, 8, 5, stride=2, bias=False, weight_bits=3),
        nn.BatchNorm1d(8),
        Requantizer(3, signed=False),
        QuantConv1d(8, 8, 1, bias=False, weight_bits=2),  # kernel 1
        nn.BatchNorm1d(8),
        Requantizer(2, signed=False),
        nn.MaxPool1d(3, stride=2),
        QuantConv1d(8, 4, 3, padding=2, bias=False, weight_bits=2),
        nn.BatchNorm1d(4),
        Requantizer(4, signed=False),
        nn.AdaptiveAvgPool1d(1),
        nn.Flatten(),
        QuantLinear(4, 3, bias=False, weight_bits=4),
    )


def gap2d_net() -> nn.Sequential:
    return nn.Sequential(
        QuantInput(4, scale=1 / 15),
        QuantConv2d(3, 8, 1, bias=False, weight_bits=2),  # kernel 1, 2-D
        nn.BatchNorm2d(8),
        Requantizer(2, signed=False),
        QuantConv2d(8, 8, 3, stride=2, bias=False, weight_bits=2),
        nn.BatchNorm2d(8),
        Requantizer(2, signed=False),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        Requantizer(4, signed=False),
        QuantLinear(8, 4, bias=False, weight_bits=2),
    )


def calibrated(model: nn.Sequential, shape: tuple[int, ...], seed: int) -> torch.Tensor:
    torch.manual_seed(seed)
    x = torch.rand(48, *shape) * (2 if shape[0] == 1 and len(shape) == 2 else 1)
    if shape == (1, 40):
        x = x - 1  # signed 1-D signal
    model.train()
    for _ in range(4):  # initialise the Requantizer scales and BN statistics
        model(x)
    model.eval()
    return x
