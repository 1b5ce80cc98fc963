"""CNV-W1A1 (seeded weights) on the MO engine's RTL, SIMD 32 x PE 16: bit-exact against the
exact reference, every layer's cycles within 5 % of ``mo.cost`` at 8 bytes/cycle (latency 20)
and at 1 byte/cycle (latency 40, the weight stream then bounds the fully connected layers);
started and polled over AXI-Lite, which reads back one run of every layer."""

from __future__ import annotations

import numpy as np
import pytest

from streamfold.flow import to_kernels
from streamfold.mo.compiler import compile_graph
from streamfold.mo.cost import Memory, program_cost
from streamfold.mo.engine import EngineConfig
from streamfold.mo.rtl import run_engine
from streamfold.sim.exact import run_single
from streamfold.simulate import random_inputs
from streamfold.zoo import reference_graph

pytestmark = [pytest.mark.rtl, pytest.mark.slow]


@pytest.mark.parametrize("memory", [Memory(8, 20), Memory(1, 40)], ids=["8Bpc", "1Bpc"])
def test_cnv_w1a1_on_the_engine_is_exact_at_the_predicted_cycles(memory: Memory) -> None:
    graph = to_kernels(reference_graph("cnv-w1a1"))
    program = compile_graph(graph, EngineConfig(simd=32, pe=16))
    x = random_inputs(graph, 1, seed=0)
    run = run_engine(program, x[0], memory.bytes_per_cycle, memory.latency_cycles)
    np.testing.assert_array_equal(run.outputs, run_single(graph, x)[0])
    predicted = [c.cycles for c in program_cost(program, memory)]
    assert run.layer_cycles == pytest.approx(predicted, rel=0.05)
    assert (run.runs, run.layers, run.run_cycles) == (1, len(program.layers), run.cycles - 1)
