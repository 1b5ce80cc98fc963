"""Reference topologies built from the QAT layers."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from torch import nn

from streamfold.quant import QuantConv2d, QuantInput, QuantLinear, Requantizer


def mlp(
    in_features: int,
    hidden: Sequence[int],
    classes: int,
    *,
    weight_bits: int,
    act_bits: int,
    act_signed: bool | None = None,
    narrow: bool = True,
    input_bits: int = 8,
    dropout: float = 0.0,
) -> nn.Sequential:
    """QuantInput, then per hidden layer QuantLinear + BatchNorm1d + Requantizer, then a
    QuantLinear classifier with a final BatchNorm1d (FINN's TensorNorm).

    ``act_signed`` defaults to FINN's choice: bipolar at 1 bit, signed narrow range above
    (so W2A2 activations are {-1, 0, +1}). ``narrow`` also applies to weights of 2+ bits.
    """
    signed = True if act_signed is None else act_signed
    layers: list[nn.Module] = [QuantInput(input_bits, scale=1 / (2**input_bits - 1))]
    width = in_features
    for h in hidden:
        if dropout:
            layers.append(nn.Dropout(dropout))
        layers += [
            QuantLinear(width, h, bias=False, weight_bits=weight_bits, narrow=narrow),
            nn.BatchNorm1d(h),
            Requantizer(act_bits, signed=signed, narrow=narrow),
        ]
        width = h
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers += [
        QuantLinear(width, classes, bias=False, weight_bits=weight_bits, narrow=narrow),
        nn.BatchNorm1d(classes),
    ]
    return nn.Sequential(*layers)


def tfc(weight_bits: int, act_bits: int, dropout: float = 0.2) -> nn.Sequential:
    """FINN's TFC: 784-64-64-64-10 on MNIST."""
    return mlp(784, (64, 64, 64), 10, weight_bits=weight_bits, act_bits=act_bits, dropout=dropout)


def _act(act_bits: int) -> Requantizer:
    """FINN's activation choice: bipolar at 1 bit, signed narrow range above."""
    return Requantizer(act_bits, signed=True, narrow=True)


def _conv_block(
    in_ch: int, out_ch: int, weight_bits: int, act_bits: int, padding: int = 0
) -> list[nn.Module]:
    """3x3 QuantConv2d (no bias) + BatchNorm2d + Requantizer."""
    return [
        QuantConv2d(
            in_ch, out_ch, 3, padding=padding, bias=False, weight_bits=weight_bits, narrow=True
        ),
        nn.BatchNorm2d(out_ch),
        _act(act_bits),
    ]


def _classifier(
    widths: Sequence[int], classes: int, weight_bits: int, act_bits: int
) -> list[nn.Module]:
    """QuantLinear + BatchNorm1d + Requantizer between ``widths``, then a QuantLinear to
    ``classes`` with a final BatchNorm1d (as ``mlp``'s)."""
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(widths):
        layers += [
            QuantLinear(a, b, bias=False, weight_bits=weight_bits, narrow=True),
            nn.BatchNorm1d(b),
            _act(act_bits),
        ]
    layers += [
        QuantLinear(widths[-1], classes, bias=False, weight_bits=weight_bits, narrow=True),
        nn.BatchNorm1d(classes),
    ]
    return layers


def _input(in_bits: int) -> QuantInput:
    return QuantInput(in_bits, scale=1 / (2**in_bits - 1))


def cnv(weight_bits: int, act_bits: int, in_bits: int = 8, classes: int = 10) -> nn.Sequential:
    """FINN's CNV for 3x32x32 inputs (CIFAR-10): six unpadded 3x3 convolutions
    (64, 64, pool, 128, 128, pool, 256, 256; spatial 32-30-28-14-12-10-5-3-1), each with
    BatchNorm2d and a Requantizer, then 256-512-512-``classes`` fully connected.

    Max pooling follows the Requantizer, so it pools integer codes.
    """
    layers: list[nn.Module] = [_input(in_bits)]
    in_ch = 3
    for out_ch, pool in ((64, False), (64, True), (128, False), (128, True), (256, False)):
        layers += _conv_block(in_ch, out_ch, weight_bits, act_bits)
        if pool:
            layers.append(nn.MaxPool2d(2))
        in_ch = out_ch
    layers += _conv_block(in_ch, 256, weight_bits, act_bits)
    layers.append(nn.Flatten())
    layers += _classifier((256, 512, 512), classes, weight_bits, act_bits)
    return nn.Sequential(*layers)


def small_cnn(
    weight_bits: int,
    act_bits: int,
    in_bits: int = 8,
    classes: int = 10,
    channels: tuple[int, int, int] = (16, 32, 32),
    hidden: int = 64,
) -> nn.Sequential:
    """A small CNN for 1x28x28 inputs (Fashion-MNIST).

    conv c0 (padding 1: its input is unsigned 8-bit, so zero is a code) - pool - conv c1 - pool
    - conv c2, all 3x3 with BatchNorm2d and a Requantizer (spatial 28-28-14-12-6-4), then
    Flatten (c2 x 4 x 4: the convolution-to-FC transition keeps a spatial extent),
    ``hidden`` fully connected units and the ``classes`` outputs.
    """
    c0, c1, c2 = channels
    layers: list[nn.Module] = [_input(in_bits)]
    layers += _conv_block(1, c0, weight_bits, act_bits, padding=1)
    layers.append(nn.MaxPool2d(2))
    layers += _conv_block(c0, c1, weight_bits, act_bits)
    layers.append(nn.MaxPool2d(2))
    layers += _conv_block(c1, c2, weight_bits, act_bits)
    layers.append(nn.Flatten())
    layers += _classifier((c2 * 4 * 4, hidden), classes, weight_bits, act_bits)
    return nn.Sequential(*layers)


def small_cnn_float(
    classes: int = 10, channels: tuple[int, int, int] = (16, 32, 32), hidden: int = 64
) -> nn.Sequential:
    """``small_cnn``'s topology in float (Conv2d / BatchNorm / ReLU), the accuracy baseline."""
    c0, c1, c2 = channels

    def block(a: int, b: int, padding: int = 0) -> list[nn.Module]:
        return [nn.Conv2d(a, b, 3, padding=padding, bias=False), nn.BatchNorm2d(b), nn.ReLU()]

    return nn.Sequential(
        *block(1, c0, padding=1),
        nn.MaxPool2d(2),
        *block(c0, c1),
        nn.MaxPool2d(2),
        *block(c1, c2),
        nn.Flatten(),
        nn.Linear(c2 * 4 * 4, hidden, bias=False),
        nn.BatchNorm1d(hidden),
        nn.ReLU(),
        nn.Linear(hidden, classes, bias=False),
        nn.BatchNorm1d(classes),
    )
