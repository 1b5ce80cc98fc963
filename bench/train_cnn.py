"""Train a small CNN on Fashion-MNIST in float, W4A4 and W2A2; save the models; print a table.

    python bench/train_cnn.py --data /usr/share/datasets/fashion-mnist --epochs 12 --threads 1

The network is ``streamfold.models.small_cnn`` (``small_cnn_float`` for the float baseline):
three 3x3 convolutions with max pooling, then two fully connected layers. Test top-1 is
measured in eval mode, which for the quantized models is the exact integer computation.
Each trained model is saved to ``--out`` (``small_cnn_<precision>.pt``: state dict and the
builder's arguments; ``load`` rebuilds it), with the rows in ``results.json``.

``train`` is importable (``bench`` is not a package: load this file by path), for tests that
train a tiny model on a few hundred images.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from streamfold.data import FASHION_MNIST_DIR, load_fashion_mnist
from streamfold.models import small_cnn, small_cnn_float
from streamfold.training import TrainConfig, accuracy, fit, predict

PRECISIONS = ("float", "W4A4", "W2A2")


def build(precision: str, **kwargs: Any) -> nn.Sequential:
    """The model for a precision: ``float`` or ``W<w>A<a>`` (e.g. ``W2A2``)."""
    if precision == "float":
        return small_cnn_float(**kwargs)
    w, _, a = precision.upper().removeprefix("W").partition("A")
    if not (w.isdigit() and a.isdigit()):
        raise ValueError(f"precision must be 'float' or 'W<bits>A<bits>', not {precision!r}")
    return small_cnn(int(w), int(a), **kwargs)


def train(
    precision: str,
    data_dir: str | Path = FASHION_MNIST_DIR,
    epochs: int = 12,
    limit: int | None = None,
    seed: int = 0,
    threads: int | None = None,
    *,
    batch_size: int = 100,
    lr: float = 0.01,
    test_limit: int | None = None,
    progress: bool = False,
) -> tuple[nn.Sequential, dict[str, Any]]:
    """Train one precision on Fashion-MNIST; returns the eval-mode model and its results row.

    ``limit`` trains on the first ``limit`` training images (``test_limit`` likewise tests on
    fewer); ``threads`` sets torch's thread count (None: leave it).
    """
    if threads:
        torch.set_num_threads(threads)
    train_split, test_split = load_fashion_mnist(data_dir)
    x, y = train_split.x[:limit], train_split.y[:limit]
    tx, ty = test_split.x[:test_limit], test_split.y[:test_limit]
    torch.manual_seed(seed)
    model = build(precision)
    config = TrainConfig(epochs, batch_size, lr, seed=seed, progress=progress)
    seconds = fit(model, x.reshape(-1, 1, 28, 28), y, config)
    start = time.perf_counter()
    logits = predict(model, tx.reshape(-1, 1, 28, 28))
    results = {
        "precision": precision,
        "test_top1": 100 * accuracy(logits, ty),
        "train_s": seconds,
        "eval_s": time.perf_counter() - start,
        "epochs": epochs,
        "train_images": len(x),
        "test_images": len(tx),
        "threads": torch.get_num_threads(),
        "seed": seed,
    }
    return model, results


def save(model: nn.Module, precision: str, path: Path) -> None:
    """state dict plus what ``build`` needs to rebuild the model."""
    torch.save(
        {"builder": "small_cnn", "precision": precision, "kwargs": {}, "state": model.state_dict()},
        path,
    )


def load(path: str | Path) -> nn.Sequential:
    """A model saved by ``save``, rebuilt and in eval mode."""
    saved = torch.load(path, weights_only=True)
    model = build(saved["precision"], **saved["kwargs"])
    model.load_state_dict(saved["state"])
    return model.eval()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=FASHION_MNIST_DIR)
    p.add_argument("--precisions", default=",".join(PRECISIONS))
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--limit", type=int, help="train on the first N training images only")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    p.add_argument("--out", default="build/train_cnn", help="saved models and results.json")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for precision in args.precisions.split(","):
        model, row = train(
            precision,
            args.data,
            args.epochs,
            args.limit,
            args.seed,
            args.threads or None,
            batch_size=args.batch_size,
            lr=args.lr,
            progress=args.progress,
        )
        save(model, precision, out / f"small_cnn_{precision}.pt")
        rows.append(row)
        print(f"{precision}: {row}", flush=True)
        with open(out / "results.json", "w") as f:
            json.dump(rows, f, indent=2)
    print(
        f"# small_cnn on Fashion-MNIST, {platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} threads, {time.strftime('%Y-%m-%d')}"
    )
    print("| precision | test top-1 % | train s | epochs |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['precision']} | {r['test_top1']:.2f} | {r['train_s']:.0f} | {r['epochs']} |")


if __name__ == "__main__":
    main()
