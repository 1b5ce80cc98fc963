"""Built-in reference networks with seeded random weights, as kernel graphs.

For exploring, estimating and building FINN's topologies without training them: the hardware
(sizes, cycles, resources) depends on the topology and precisions, not on trained values.
Each network's Requantizer scales and BatchNorm statistics are initialised from a few seeded
random batches in training mode, so every threshold is a real one.

Names: ``tfc-wXaY`` (784-64-64-64-10) and ``cnv-wXaY`` (FINN's CNV for 3x32x32), X, Y in 1, 2.
The command line takes them as ``builtin:cnv-w1a1``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import torch
from torch import nn

from streamfold.errors import StreamfoldError
from streamfold.frontend.torch import export
from streamfold.ir.graph import Graph
from streamfold.models import cnv, tfc

PREFIX = "builtin:"
_TOPOLOGIES: dict[str, tuple[Callable[[int, int], nn.Sequential], tuple[int, ...]]] = {
    "tfc": (lambda w, a: tfc(w, a, dropout=0.0), (784,)),
    "cnv": (cnv, (3, 32, 32)),
}
_NAME = re.compile(r"(tfc|cnv)-w([12])a([12])")
NAMES = tuple(f"{t}-w{w}a{a}" for t in _TOPOLOGIES for w in (1, 2) for a in (1, 2) if w <= a)
_SUMMARY = {
    "tfc": "FINN's TFC: MLP 784-64-64-64-10 on 28x28 images",
    "cnv": "FINN's CNV: 6 conv + 3 linear layers on 3x32x32 images",
}


def describe(name: str) -> str:
    """One line about a built-in network: topology, input and precisions."""
    m = _NAME.fullmatch(name)
    if m is None:
        raise StreamfoldError(
            f"builtin model: name must be one of {', '.join(NAMES)}, not {name!r}"
        )
    return f"{_SUMMARY[m[1]]}, {m[2]}-bit weights, {m[3]}-bit activations"


def reference_model(name: str, seed: int = 0) -> tuple[nn.Sequential, tuple[int, ...]]:
    """The eval-mode PyTorch model of a built-in network and its per-sample input shape."""
    m = _NAME.fullmatch(name)
    if m is None:
        raise StreamfoldError(
            f"builtin model: name must be one of {', '.join(NAMES)}, not {name!r}"
        )
    build, shape = _TOPOLOGIES[m[1]]
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = build(int(m[2]), int(m[3]))
        model.train()
        with torch.no_grad():
            for _ in range(4):  # initialise the Requantizer scales and BN statistics
                model(torch.rand(16, *shape, generator=generator))
    return model.eval(), shape


def reference_graph(name: str, seed: int = 0) -> Graph:
    """The exported nn-stage graph of a built-in network (``flow.to_kernels`` lowers it)."""
    model, shape = reference_model(name, seed)
    return export(model, shape)
