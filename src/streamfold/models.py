"""Reference topologies built from the QAT layers."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from streamfold.quant import QuantInput, QuantLinear, Requantizer


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
