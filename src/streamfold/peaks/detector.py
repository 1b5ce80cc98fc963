"""Small fully-convolutional 1-D peak detectors: a per-sample score, then peak picking.

``peak_net(bits)``: QuantInput (8-bit ADC codes), three padded convolutions (kernel 5,
``channels`` wide) each with BatchNorm and an unsigned ``bits``-bit Requantizer, then a biased
1-channel convolution (kernel 5) and an unsigned 8-bit Requantizer: the score, one per input
sample (the output has the input's length). ``float_net`` is its float twin (ReLU, no
quantization). Training regresses the parabola target of ``peaks.data`` (mean squared
error, the samples under a parabola weighted ``PEAK_WEIGHT`` times: they decide the
position, and they are few); ``pick`` picks local maxima of the score and refines them by a
parabolic fit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from streamfold.peaks.data import Profiles
from streamfold.peaks.metrics import F64, score
from streamfold.peaks.picking import local_maxima, parabolic
from streamfold.quant import QuantConv1d, QuantInput, Requantizer

KERNELS = (5, 5, 5, 5)  # a window over C channels takes K cycles per sample at most C wide
SCORE_BITS = 8
MIN_DISTANCE = 4  # samples between two picked peaks (twice the target's half-width)
PEAK_WEIGHT = 10.0  # 1.0 with half-width 3: 15-40 % larger errors (docs/peaks.md)


def peak_net(bits: int, channels: int = 8) -> nn.Sequential:
    """The quantized detector, ``bits``-bit weights and hidden activations."""
    layers: list[nn.Module] = [QuantInput(8, scale=1 / 255)]
    width = 1
    for k in KERNELS[:-1]:
        layers += [
            QuantConv1d(width, channels, k, padding=k // 2, bias=False, weight_bits=bits,
                        narrow=True),
            nn.BatchNorm1d(channels),
            Requantizer(bits, signed=False),
        ]  # fmt: skip
        width = channels
    k = KERNELS[-1]
    layers += [
        QuantConv1d(width, 1, k, padding=k // 2, bias=True, weight_bits=bits, narrow=True),
        Requantizer(SCORE_BITS, signed=False),
    ]
    return nn.Sequential(*layers)


def float_net(channels: int = 8) -> nn.Sequential:
    """``peak_net``'s topology in float (Conv1d / BatchNorm / ReLU)."""
    layers: list[nn.Module] = []
    width = 1
    for k in KERNELS[:-1]:
        layers += [
            nn.Conv1d(width, channels, k, padding=k // 2, bias=False),
            nn.BatchNorm1d(channels),
            nn.ReLU(),
        ]
        width = channels
    layers.append(nn.Conv1d(width, 1, KERNELS[-1], padding=KERNELS[-1] // 2))
    return nn.Sequential(*layers)


def inputs(x: npt.NDArray[np.uint8]) -> torch.Tensor:
    """ADC codes ``[n, length]`` as the networks' float input ``[n, 1, length]`` in [0, 1]."""
    return torch.from_numpy(x.astype(np.float32) / 255.0)[:, None, :]


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 30
    batch_size: int = 64
    lr: float = 0.01
    seed: int = 0


def train(model: nn.Module, data: Profiles, config: TrainConfig = TrainConfig()) -> float:
    """Fit ``model`` to ``data``'s targets in place (Adam, one-cycle, weighted MSE); wall
    seconds."""
    torch.manual_seed(config.seed)
    x, y = inputs(data.x), torch.from_numpy(data.targets)[:, None, :]
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    per_epoch = -(-len(x) // config.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, config.lr, total_steps=config.epochs * per_epoch, pct_start=0.1
    )
    start = time.perf_counter()
    model.train()
    for _ in range(config.epochs):
        for idx in torch.split(torch.randperm(len(x)), config.batch_size):
            opt.zero_grad(set_to_none=True)
            out = model(x[idx]).as_subclass(torch.Tensor)
            target = y[idx]
            weight = 1 + (PEAK_WEIGHT - 1) * (target > 0).float()
            loss = (weight * (out - target) ** 2).mean()
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    return time.perf_counter() - start


@torch.no_grad()
def scores(model: nn.Module, x: npt.NDArray[np.uint8], batch_size: int = 1000) -> F64:
    """Eval-mode per-sample scores ``[n, length]`` (a quantized model's are exact:
    its integer codes times its output scale)."""
    model.eval()
    parts = [model(inputs(x[i : i + batch_size])) for i in range(0, len(x), batch_size)]
    return torch.cat([p.as_subclass(torch.Tensor) for p in parts])[:, 0].double().numpy()


def pick(s: npt.NDArray[np.floating], threshold: float) -> list[F64]:
    """Peak positions per row of scores: local maxima at or above ``threshold``, refined by
    a 3-point parabolic fit on the scores."""
    return [parabolic(row, local_maxima(row, threshold, MIN_DISTANCE)) for row in s]


def tune_threshold(s: npt.NDArray[np.floating], val: Profiles) -> float:
    """The score threshold (0.05 .. 0.95 of full target scale) with the best F1 on ``val``."""
    truth = [val.peaks(i) for i in range(len(val))]
    grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
    f1 = [score(pick(s, float(t)), truth).f1 for t in grid]
    return float(grid[int(np.argmax(f1))])
