"""Seeded random DAGs (random residual/concat placement, kernels, groups, precisions): PyTorch
eval == sim.exact on the nn graph == on the streamlined graph, bit for bit. A handful by
default, 40 with ``-m slow``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dag_nets import random_dag, random_plan
from streamfold.frontend.torch_fx import export_module, input_codes
from streamfold.quant import exact_of
from streamfold.sim.exact import run_single
from streamfold.transforms.lower_requantize import Lowering
from streamfold.transforms.streamline import streamline


def _check(seed: int) -> None:
    model, shape = random_dag(seed)
    x = torch.rand(16, *shape, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        out = exact_of(model(x))
    assert out is not None
    graph = export_module(model, shape)
    codes = input_codes(model, x.numpy())
    reference = run_single(graph, codes)
    np.testing.assert_array_equal(reference, out.codes.numpy())
    for lowering in (Lowering.THRESHOLDS, Lowering.MULSHIFT):
        np.testing.assert_array_equal(run_single(streamline(graph, lowering), codes), reference)


@pytest.mark.parametrize("seed", range(5))
def test_random_dag_is_exact(seed: int) -> None:
    _check(seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5, 45))
def test_many_random_dags_are_exact(seed: int) -> None:
    _check(seed)


def test_random_plans_join_branches() -> None:
    kinds = [s.kind for seed in range(5) for s in random_plan(seed)[1]]
    assert {"add", "cat", "conv", "pool"} <= set(kinds)
    groups = [s.groups for seed in range(5) for s in random_plan(seed)[1] if s.kind == "conv"]
    assert max(groups) > 1
