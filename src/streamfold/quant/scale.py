"""Learned quantization scales: log-domain parameter, LSQ gradient, init from first batches."""

from __future__ import annotations

import math
from fractions import Fraction

import torch
from torch import nn

from streamfold.errors import QuantError
from streamfold.quant.exact import Fractions, exact_tensor
from streamfold.quant.functional import grad_scale


def check_bits(bits: object, where: str) -> int:
    if not isinstance(bits, int) or isinstance(bits, bool) or not 1 <= bits <= 8:
        raise QuantError(f"{where}: bits must be an integer in 1..8, not {bits!r}")
    return bits


class LearnedScale(nn.Module):
    """A positive scale s = exp(log_scale), per tensor or per channel.

    Until ``init_batches`` training batches have been seen, s is set to the running mean of a
    statistic of the data (all-reduced under DistributedDataParallel, so every rank agrees);
    afterwards it learns by gradient. A fixed scale never changes.
    """

    seen_batches: torch.Tensor
    init_sum: torch.Tensor

    def __init__(self, channels: int = 1, init_batches: int = 4, fixed: float | None = None):
        super().__init__()
        value = math.log(fixed) if fixed is not None else 0.0
        self.log_scale = nn.Parameter(torch.full((channels,), value), requires_grad=fixed is None)
        self.register_buffer("seen_batches", torch.tensor(init_batches if fixed else 0))
        self.register_buffer("init_sum", torch.zeros(channels))
        self.init_batches = init_batches

    def forward(self, gradient_factor: float) -> torch.Tensor:
        return torch.exp(grad_scale(self.log_scale, gradient_factor))

    def observe(self, stat: torch.Tensor) -> None:
        """Feed one batch's statistic (one value per channel) while initialising."""
        if int(self.seen_batches) >= self.init_batches:
            return
        with torch.no_grad():
            stat = stat.detach().reshape(-1).to(self.init_sum)
            if torch.distributed.is_available() and torch.distributed.is_initialized():
                torch.distributed.all_reduce(stat)
                stat /= torch.distributed.get_world_size()
            self.seen_batches += 1
            self.init_sum += stat
            mean = self.init_sum / self.seen_batches
            self.log_scale.copy_(torch.log(torch.clamp(mean, min=1e-8)))

    def preset(self, stat: torch.Tensor) -> None:
        """Set the scale from a statistic without counting it as an initialisation batch."""
        with torch.no_grad():
            self.log_scale.copy_(torch.log(torch.clamp(stat.detach().reshape(-1), min=1e-8)))

    def value(self) -> torch.Tensor:
        return torch.exp(self.log_scale.detach())

    def exact(self, where: str) -> Fractions:
        """The scales exactly as the float32 forward uses them; rejects nan/inf/<=0."""
        return exact_tensor(self.value(), where, "learned scale", positive=True)


def single(values: Fractions) -> Fraction:
    assert len(values) == 1
    return values[0]
