"""lower_to_kernels: structure (IR text before / expected) and behaviour (same integers)."""

from __future__ import annotations

import numpy as np

from streamfold.ir import parse_graph, print_graph
from streamfold.sim.exact import run_single
from streamfold.transforms import lower_to_kernels

BEFORE = """\
graph hw
input x: u2[2]
node fc1: MatMul(x) -> fc1: i5[2]
  weight = [2, 2] 1 -2 3 1
  weight_dtype = i3
node act1: MultiThreshold(fc1) -> act1: u1[2]
  thresholds = [1, 1] 0
node fc2: MatMul(act1) -> fc2: i3[1]
  weight = [1, 2] 1 -2
  weight_dtype = i3
node act2: MultiThreshold(fc2) -> act2: bipolar[1]
  thresholds = [1, 1] 0
output act2
"""

EXPECTED = """\
graph hw
input x: u2[2]
node fc1: Mvau(x) -> act1: u1[2]
  weight = [2, 2] 1 -2 3 1
  weight_dtype = i3
  thresholds = [2, 1] 0 0
  per_pixel = False
node fc2: Mvau(act1) -> act2: bipolar[1]
  weight = [1, 2] 1 -2
  weight_dtype = i3
  thresholds = [1, 1] 0
  per_pixel = False
output act2
"""


def test_fuses_matmul_and_thresholds() -> None:
    g = parse_graph(BEFORE)
    after = lower_to_kernels(g)
    assert print_graph(after) == EXPECTED
    x = np.array([[a, b] for a in range(4) for b in range(4)])
    np.testing.assert_array_equal(run_single(after, x), run_single(g, x))


def test_unfused_ops_become_standalone_kernels() -> None:
    text = BEFORE.replace("output act2", "output fc2").replace(
        "node act2: MultiThreshold(fc2) -> act2: bipolar[1]\n  thresholds = [1, 1] 0\n", ""
    )
    after = lower_to_kernels(parse_graph(text))
    assert [type(n.op).__name__ for n in after.nodes] == ["Mvau", "Mvau"]
    assert after.nodes[1].op.thresholds is None  # type: ignore[union-attr]
    lone = (
        "graph hw\ninput x: i4[3]\nnode t: MultiThreshold(x) -> t: u1[3]\n"
        "  thresholds = [1, 1] 2\noutput t\n"
    )
    assert type(lower_to_kernels(parse_graph(lone)).nodes[0].op).__name__ == "Thresholding"


def test_mulshift_is_a_kernel_as_it_is() -> None:
    text = (
        "graph hw\ninput x: i4[2]\nnode ms: MulShift(x) -> ms: u2[2]\n"
        "  multiplier = (3)\n  bias = (0)\n  shift = (2)\noutput ms\n"
    )
    after = lower_to_kernels(parse_graph(text))
    assert after.stage == "hw" and after.nodes == parse_graph(text).nodes
