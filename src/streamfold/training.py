"""A plain training loop for the QAT layers (Adam, cosine schedule, cross-entropy)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import nn
from tqdm.auto import tqdm


@contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """Run the body with ``threads`` torch threads (restored after). Float reductions are
    summed in an order that depends on the thread count, so a result meant to reproduce
    (the demo's accuracies) is computed with a fixed count: 1."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 20
    batch_size: int = 100
    lr: float = 0.01
    weight_decay: float = 0.0
    seed: int = 0
    progress: bool = True


def fit(
    model: nn.Module, x: npt.NDArray[np.float32], y: npt.NDArray[np.int64], config: TrainConfig
) -> float:
    """Train ``model`` in place; returns the wall-clock seconds spent."""
    torch.manual_seed(config.seed)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps = config.epochs * ((len(x) + config.batch_size - 1) // config.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, config.lr, total_steps=steps, pct_start=0.1)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    bar = tqdm(total=steps, desc="training", unit="batch", disable=not config.progress, leave=False)
    model.train()
    for _ in range(config.epochs):
        for idx in torch.split(torch.randperm(len(x)), config.batch_size):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            sched.step()
            bar.update()
            bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
    bar.close()
    model.eval()
    return time.perf_counter() - start


@torch.no_grad()
def predict(model: nn.Module, x: npt.NDArray[np.float32], batch_size: int = 1000) -> torch.Tensor:
    """Eval-mode outputs for ``x``, batched (a QTensor's exact meaning is kept per batch)."""
    model.eval()
    outs = [model(torch.from_numpy(x[i : i + batch_size])) for i in range(0, len(x), batch_size)]
    return torch.cat([o.as_subclass(torch.Tensor) for o in outs])


def accuracy(logits: torch.Tensor | npt.NDArray[Any], y: npt.NDArray[np.int64]) -> float:
    pred = np.asarray(logits).argmax(axis=1)
    return float((pred == y).mean())
