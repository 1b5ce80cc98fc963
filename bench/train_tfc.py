"""Train FINN's TFC (784-64-64-64-10) on MNIST at W1A1, W1A2, W2A2; check exactness; print a table.

    python bench/train_tfc.py --data ../shared/data/mnist --epochs 150 --threads 1

For each configuration: QAT top-1 (PyTorch eval mode), top-1 of the streamlined integer graph
(``streamfold.sim.exact``), whether the integer outputs equal PyTorch's bit for bit, training
time. Brevitas's published top-1 for these networks: 93.17 / 94.79 / 96.60 %.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
import torch

from streamfold.data import load_mnist
from streamfold.frontend.torch import export, input_codes
from streamfold.models import tfc
from streamfold.sim.exact import dequantize, run_single
from streamfold.training import TrainConfig, accuracy, fit, predict
from streamfold.transforms import streamline

BREVITAS = {"W1A1": 93.17, "W1A2": 94.79, "W2A2": 96.60}


def run_config(name: str, args: argparse.Namespace, train, test) -> dict[str, object]:  # type: ignore[no-untyped-def]
    w, a = int(name[1]), int(name[3])
    torch.manual_seed(args.seed)
    model = tfc(w, a, dropout=args.dropout)
    seconds = fit(
        model, train.x, train.y, TrainConfig(args.epochs, args.batch_size, args.lr, seed=args.seed)
    )
    logits = predict(model, test.x)
    graph = streamline(export(model, (784,)))
    codes = run_single(graph, input_codes(model, test.x))
    int_logits = dequantize(codes, graph.scale(graph.outputs[0])).astype(np.float32)
    exact = bool(np.array_equal(int_logits, logits.numpy()))
    return {
        "config": name,
        "qat_top1": 100 * accuracy(logits, test.y),
        "int_top1": 100 * accuracy(int_logits, test.y),
        "bit_exact": exact,
        "brevitas_top1": BREVITAS[name],
        "train_s": seconds,
        "epochs": args.epochs,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="../shared/data/mnist")
    p.add_argument("--configs", default="W1A1,W1A2,W2A2")
    p.add_argument("--epochs", type=int, default=150)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    p.add_argument("--json", help="also write the rows to this file")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    train, test = load_mnist(args.data)
    rows = []
    for config in args.configs.split(","):
        rows.append(run_config(config, args, train, test))
        print(f"{config}: {rows[-1]}", flush=True)
    print(
        f"# TFC on MNIST, {args.epochs} epochs, {platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} threads, {time.strftime('%Y-%m-%d')}"
    )
    print(
        "| config | QAT top-1 % | integer graph top-1 % | bit-exact | Brevitas top-1 % | train s |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['config']} | {r['qat_top1']:.2f} | {r['int_top1']:.2f} | {r['bit_exact']} "
            f"| {r['brevitas_top1']:.2f} | {r['train_s']:.0f} |"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
