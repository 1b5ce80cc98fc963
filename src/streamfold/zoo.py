"""Built-in reference networks with seeded random weights, as kernel graphs.

For exploring, estimating and building FINN's topologies without training them: the hardware
(sizes, cycles, resources) depends on the topology and precisions, not on trained values.
Each network's Requantizer scales and BatchNorm statistics are initialised from a few seeded
random batches in training mode, so every threshold is a real one.

Names: ``tfc-wXaY`` (784-64-64-64-10) and ``cnv-wXaY`` (FINN's CNV for 3x32x32), X, Y in 1, 2;
``peaks-wXaX`` (X in 2, 4, 8: the 1-D peak detector of ``streamfold.peaks.detector`` on
128-sample profiles, calibrated on seeded synthetic profiles; see docs/peaks.md).
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
from streamfold.peaks.data import ProfileConfig
from streamfold.peaks.data import generate as generate_profiles
from streamfold.peaks.detector import inputs as profile_inputs
from streamfold.peaks.detector import peak_net

PREFIX = "builtin:"
_TOPOLOGIES: dict[str, tuple[Callable[[int, int], nn.Sequential], tuple[int, ...]]] = {
    "tfc": (lambda w, a: tfc(w, a, dropout=0.0), (784,)),
    "cnv": (cnv, (3, 32, 32)),
    "peaks": (lambda w, a: peak_net(a), (1, ProfileConfig().length)),
}
_NAME = re.compile(r"(tfc|cnv)-w([12])a([12])|(peaks)-w([248])a\5")
NAMES = tuple(
    f"{t}-w{w}a{a}" for t in ("tfc", "cnv") for w in (1, 2) for a in (1, 2) if w <= a
) + tuple(f"peaks-w{b}a{b}" for b in (2, 4, 8))
_SUMMARY = {
    "tfc": "FINN's TFC: MLP 784-64-64-64-10 on 28x28 images",
    "cnv": "FINN's CNV: 6 conv + 3 linear layers on 3x32x32 images",
    "peaks": "1-D peak detector: 4 convolutions, a per-sample score for 128-sample profiles",
}


def _parts(name: str) -> tuple[str, int, int]:
    """(topology, weight bits, activation bits) of a built-in name."""
    m = _NAME.fullmatch(name)
    if m is None:
        raise StreamfoldError(
            f"builtin model: name must be one of {', '.join(NAMES)}, not {name!r}"
        )
    if m[4] is not None:
        return m[4], int(m[5]), int(m[5])
    return m[1], int(m[2]), int(m[3])


def _calibration(
    topology: str, shape: tuple[int, ...], generator: torch.Generator, seed: int
) -> list[torch.Tensor]:
    """Four batches of 16 inputs: seeded synthetic profiles for the peak detector (its
    thresholds then sit where real profiles put them), uniform noise otherwise."""
    if topology == "peaks":
        x = profile_inputs(generate_profiles(64, seed).x)
        return list(torch.split(x, 16))
    return [torch.rand(16, *shape, generator=generator) for _ in range(4)]


def describe(name: str) -> str:
    """One line about a built-in network: topology, input and precisions."""
    topology, w, a = _parts(name)
    return f"{_SUMMARY[topology]}, {w}-bit weights, {a}-bit activations"


def reference_model(name: str, seed: int = 0) -> tuple[nn.Sequential, tuple[int, ...]]:
    """The eval-mode PyTorch model of a built-in network and its per-sample input shape."""
    topology, w, a = _parts(name)
    build, shape = _TOPOLOGIES[topology]
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = build(w, a)
        model.train()
        with torch.no_grad():
            for batch in _calibration(topology, shape, generator, seed):
                model(batch)  # initialise the Requantizer scales and BN statistics
    return model.eval(), shape


def reference_graph(name: str, seed: int = 0) -> Graph:
    """The exported nn-stage graph of a built-in network (``flow.to_kernels`` lowers it)."""
    model, shape = reference_model(name, seed)
    return export(model, shape)
