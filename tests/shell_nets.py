"""A small MLP built with the foldings whose shell layouts differ most (shared by the shell and
runtime tests): 5-bit words in 35-byte frames (folded), 175-bit words in one 22-byte frame word
(cycles=8, a pipeline faster than the 32-bit DMA can feed), 6- and 42-bit outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from streamfold.codegen.top import stitch, write_build
from streamfold.dse.design_point import folding_preset
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export
from streamfold.ir.graph import Graph
from streamfold.models import mlp


def mlp_graph() -> Graph:
    torch.manual_seed(0)
    model = mlp(35, (24,), 7, weight_bits=2, act_bits=2, input_bits=5).train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.rand(64, 35))
    return to_kernels(export(model.eval(), (35,)))


def build(graph: Graph, folding: str, out: Path) -> Path:
    return write_build(stitch(graph, folding_preset(graph, folding)), out)


def random_codes(rng: np.random.Generator, frames: int) -> np.ndarray:
    return rng.integers(0, 32, size=(frames, 35))  # u5
