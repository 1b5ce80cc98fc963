"""The MO engine's cycles per layer, measured (Verilator) vs predicted (``mo.cost``).

    PYTHONPATH=src .venv/bin/python bench/mo_cycles.py

CNV-W1A1 (seeded weights) on SIMD 32 x PE 16 at 8 B/cycle (latency 20) and 1 B/cycle
(latency 40), and vgg224 (tests/mo/mo_nets.py) on SIMD 32 x PE 16 at 8 and 2 B/cycle: one
seeded frame each, bit-exact against sim.exact (checked), as tests/mo/test_mo_cnv_rtl.py and
test_mo_big_rtl.py run them. Prints a Markdown row per run: frame cycles measured and
predicted, and the worst layer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from streamfold.flow import to_kernels
from streamfold.mo.compiler import compile_graph
from streamfold.mo.cost import Memory, program_cost
from streamfold.mo.engine import EngineConfig
from streamfold.mo.rtl import run_engine
from streamfold.sim.exact import run_single
from streamfold.simulate import random_inputs
from streamfold.zoo import reference_graph

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "mo"))
from mo_nets import vgg224


def main() -> None:
    nets = (
        ("CNV-W1A1", to_kernels(reference_graph("cnv-w1a1")), 32, (Memory(8, 20), Memory(1, 40))),
        ("vgg224", vgg224(), 224, (Memory(8, 20), Memory(2, 40))),
    )
    for name, graph, most, memories in nets:
        program = compile_graph(graph, EngineConfig(simd=32, pe=16, max_map=most))
        x = random_inputs(graph, 1, seed=0)
        expected = run_single(graph, x)[0]
        for memory in memories:
            run = run_engine(program, x[0], memory.bytes_per_cycle, memory.latency_cycles)
            assert np.array_equal(run.outputs, expected), name
            predicted = [c.cycles for c in program_cost(program, memory)]
            errors = [p / m - 1 for p, m in zip(predicted, run.layer_cycles, strict=True)]
            worst = max(range(len(errors)), key=lambda i: abs(errors[i]))
            print(
                f"| {name}, SIMD 32 x PE 16 | {memory.bytes_per_cycle:g} B/cycle, latency "
                f"{memory.latency_cycles} | {sum(run.layer_cycles):,} | {sum(predicted):,} "
                f"| {100 * errors[worst]:+.2f} % ({program.names[worst]}) |",
                flush=True,
            )


if __name__ == "__main__":
    main()
