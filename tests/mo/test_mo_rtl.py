"""The MO engine's RTL (Verilator, with a memory model of given bandwidth and latency) runs
compiled images bit-exact against ``sim.exact`` under random stalls of every memory channel,
and each layer's cycles (no stalls) are within 5 % of ``mo.cost`` at two bandwidths."""

from __future__ import annotations

import numpy as np
import pytest
from test_mo_model import NETS, SMALL, kernels

from streamfold.ir.graph import Graph
from streamfold.mo.compiler import compile_graph
from streamfold.mo.cost import Memory, program_cost
from streamfold.mo.engine import EngineConfig
from streamfold.mo.rtl import run_engine
from streamfold.sim.exact import run_single
from streamfold.simulate import random_inputs
from streamfold.transforms.lower_requantize import Lowering

pytestmark = pytest.mark.rtl
BANDWIDTHS = (Memory(bytes_per_cycle=8, latency_cycles=0), Memory(2, latency_cycles=20))


def check_engine(graph: Graph, engine: EngineConfig, frames: int = 2, stall: float = 0.3) -> None:
    program = compile_graph(graph, engine)
    x = random_inputs(graph, frames, seed=2)
    expected = run_single(graph, x)
    for i in range(frames):
        run = run_engine(program, x[i], 4, 7, stall=stall, seed=i)
        np.testing.assert_array_equal(run.outputs, expected[i])
    for memory in BANDWIDTHS:
        run = run_engine(program, x[0], memory.bytes_per_cycle, memory.latency_cycles)
        np.testing.assert_array_equal(run.outputs, expected[0])
        predicted = [c.cycles for c in program_cost(program, memory)]
        assert run.layer_cycles == pytest.approx(predicted, rel=0.05), (memory, predicted)
        assert run.cycles == pytest.approx(sum(predicted), rel=0.02)


def test_small_cnn_runs_bit_exact_at_the_predicted_cycles() -> None:
    check_engine(kernels("conv2d"), SMALL)


@pytest.mark.slow
@pytest.mark.parametrize("net", sorted(NETS))
@pytest.mark.parametrize("lowering", [Lowering.THRESHOLDS, Lowering.MULSHIFT])
def test_every_test_net_runs_bit_exact_at_the_predicted_cycles(
    net: str, lowering: Lowering
) -> None:
    check_engine(kernels(net, lowering), SMALL)
    check_engine(kernels(net, lowering), EngineConfig(simd=8, pe=5, max_kernel=5), frames=1)
