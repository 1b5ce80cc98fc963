"""The exact arithmetic shared by the PyTorch eval path and the exporter.

A tensor's exact meaning is ``codes * mul + add`` per channel, with integer codes and rational
(``Fraction``) mul and add. Every float parameter enters as the exact rational it stores; BN is
folded with the float64 formula below; a Requantizer snaps its total multiplier to a dyadic
fraction with ``multiplier_bits`` significant bits, so that both integer lowerings (thresholds
and multiply-shift) compute it exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import torch

from streamfold.errors import QuantError

Fractions = tuple[Fraction, ...]


def exact(value: float, where: str, what: str = "scale", positive: bool = False) -> Fraction:
    """The exact rational value of a float parameter; rejects nan, inf and (optionally) <= 0."""
    if not math.isfinite(value) or (positive and value <= 0):
        kind = "finite and positive" if positive else "finite"
        raise QuantError(f"{where}: {what} must be {kind}, not {value}")
    return Fraction(value)


def exact_tensor(
    t: torch.Tensor, where: str, what: str = "scale", positive: bool = False
) -> Fractions:
    return tuple(exact(float(v), where, what, positive) for v in t.detach().double().reshape(-1))


def per_channel(values: Fractions, channels: int) -> Fractions:
    return values if len(values) == channels else values * channels


def fold_batchnorm(
    bn: torch.nn.modules.batchnorm._BatchNorm, where: str
) -> tuple[Fractions, Fractions]:
    """BN in eval as y = x * a + c per channel (see ``fold_batchnorm_values``)."""
    if bn.running_mean is None or bn.running_var is None:
        raise QuantError(f"{where}: BatchNorm must track running statistics to be folded")
    return fold_batchnorm_values(bn.running_mean, bn.running_var, bn.weight, bn.bias, bn.eps, where)


def fold_batchnorm_values(
    running_mean: torch.Tensor,
    running_var: torch.Tensor,
    weight: torch.Tensor | None,
    bias: torch.Tensor | None,
    eps: float,
    where: str,
) -> tuple[Fractions, Fractions]:
    """a = gamma / sqrt(var + eps), c = beta - mean * a, in float64 (Python floats), then exact."""
    n = running_mean.numel()
    mean = running_mean.detach().double().tolist()
    var = running_var.detach().double().tolist()
    gamma = weight.detach().double().tolist() if weight is not None else [1.0] * n
    beta = bias.detach().double().tolist() if bias is not None else [0.0] * n
    a = [g / math.sqrt(v + eps) for g, v in zip(gamma, var, strict=True)]
    c = [b - m * ai for b, m, ai in zip(beta, mean, a, strict=True)]
    return (
        tuple(exact(x, where, "folded BatchNorm multiplier") for x in a),
        tuple(exact(x, where, "folded BatchNorm offset") for x in c),
    )


def compose_affine(
    mul: Fractions, add: Fractions, a: Fractions, c: Fractions
) -> tuple[Fractions, Fractions]:
    """(x * mul + add) * a + c, per channel."""
    n = max(len(mul), len(add), len(a), len(c))
    mul, add, a, c = (per_channel(v, n) for v in (mul, add, a, c))
    return (
        tuple(m * ai for m, ai in zip(mul, a, strict=True)),
        tuple(d * ai + ci for d, ai, ci in zip(add, a, c, strict=True)),
    )


def floor_log2(v: Fraction) -> int:
    """e with 2**e <= |v| < 2**(e+1), for v != 0."""
    v = abs(v)
    e = v.numerator.bit_length() - v.denominator.bit_length()
    return e - 1 if Fraction(2) ** e > v else e


def snap_requant(
    mul: Fractions, add: Fractions, scale: Fraction, multiplier_bits: int
) -> tuple[Fractions, Fractions]:
    """Per channel, (x * mul + add) / scale as dyadic fractions M / 2**S, B / 2**S.

    S is chosen per channel so that |M| has ``multiplier_bits`` significant bits (S >= 0);
    M and B are rounded half to even.
    """
    out_mul, out_add = [], []
    for m, a in zip(*(per_channel(v, max(len(mul), len(add))) for v in (mul, add)), strict=True):
        rm, ra = m / scale, a / scale
        shift = multiplier_bits if rm == 0 else max(0, multiplier_bits - 1 - floor_log2(rm))
        den = 1 << shift
        out_mul.append(Fraction(round(rm * den), den))
        out_add.append(Fraction(round(ra * den), den))
    return tuple(out_mul), tuple(out_add)


def expand_flatten(values: Fractions, spatial: int) -> Fractions:
    """Per-channel values after flattening [C, *spatial]: each repeated ``spatial`` times."""
    return values if len(values) == 1 else tuple(v for v in values for _ in range(spatial))


def as_channel_tensor(values: Sequence[int], ndim: int) -> torch.Tensor:
    """int64 tensor shaped to broadcast along axis 1 of an ``ndim``-dimensional batch."""
    return torch.tensor(list(values), dtype=torch.int64).reshape((1, -1) + (1,) * (ndim - 2))


def snap_add(
    muls: Fractions, adds: Sequence[Fractions], scale: Fraction, multiplier_bits: int
) -> tuple[tuple[int, ...], Fraction, Fractions]:
    """sum_i (codes_i * muls[i] + adds[i]) / scale as integers: factors k_i and a dyadic g, B.

    Each ``muls[i] / scale`` is snapped to M_i / 2**S with one shift S for all inputs, chosen so
    that every |M_i| has at least ``multiplier_bits`` significant bits; the summed offsets per
    channel to B / 2**S (round half to even). With g = gcd(M_i), k_i = M_i / g, the sum is
    ``(sum_i codes_i * k_i) * (g / 2**S) + B / 2**S`` exactly: an integer Add, then a Requantize
    with mul g / 2**S and add B / 2**S. Returns (k, g / 2**S, B / 2**S per channel).
    """
    ratios = [m / scale for m in muls]
    shift = max(max(0, multiplier_bits - 1 - floor_log2(r)) for r in ratios if r != 0)
    den = 1 << shift
    big = [round(r * den) for r in ratios]
    n = max(len(a) for a in adds)
    total = [sum((per_channel(a, n)[c] for a in adds), Fraction(0)) for c in range(n)]
    g = math.gcd(*big)
    offsets = tuple(Fraction(round(t / scale * den), den) for t in total)
    return tuple(b // g for b in big), Fraction(g, den), offsets


def concat_channels(values: Sequence[Fractions], channels: Sequence[int]) -> Fractions:
    """Per-channel values of a channel concatenation (one entry when all channels agree)."""
    joined = tuple(v for vs, c in zip(values, channels, strict=True) for v in per_channel(vs, c))
    return joined[:1] if all(v == joined[0] for v in joined) else joined
