"""Any graph name builds: generated Verilog identifiers are legal, unique and deterministic.

The regression (issue 11): PyTorch-style ONNX names (``x.7``, ``/layer.0/Gemm_output_0``,
``onnx::Gemm_12``) imported and simulated, but ``build`` failed on the Verilog identifier.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from torch import nn

from cnn_nets import calibrated
from streamfold.codegen.top import TOP, stitch, write_build
from streamfold.codegen.verilog import KEYWORDS, MAX_IDENT, is_identifier, legal_identifiers
from streamfold.dse.design_point import folding_preset
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export, input_codes
from streamfold.ir.graph import Graph, Node
from streamfold.ir.ops import GlobalSumPool, MaxPool, Mvau, Pad, SlidingWindow, Thresholding
from streamfold.ir.verify import verify
from streamfold.quant import QuantConv2d, QuantInput, QuantLinear, Requantizer
from streamfold.sim.design import simulate_build
from streamfold.sim.exact import run_single
from streamfold.sim.rtl import find_verilator

# PyTorch/ONNX-style names, a keyword, a leading digit, names differing only by punctuation
# (and from a legal name they sanitise to), and a name too long for a file name.
UGLY = (
    "x.7",
    "/layer.0/Gemm_output_0",
    "onnx::Gemm_12",
    "input",
    "module",
    "7up",
    "x/7",
    "x_7",
    "reg",
    "/features/features.3/Conv_output_0" * 12,
)


def test_legal_identifiers_are_legal_unique_and_deterministic() -> None:
    names = [*UGLY, "fc1", "", "..", "x:7"]
    idents = legal_identifiers(names)
    assert list(idents) == names
    assert all(is_identifier(i) or len(i) <= MAX_IDENT + 3 for i in idents.values())
    assert all(i not in KEYWORDS and i[0].isalpha() for i in idents.values())
    assert len(set(idents.values())) == len(names)
    assert idents == legal_identifiers(names)
    assert idents["fc1"] == "fc1" and idents["x_7"] == "x_7"  # legal names keep themselves
    assert idents["x.7"] == "x_7_2" and idents["x/7"] == "x_7_3" and idents["x:7"] == "x_7_4"
    assert idents["/layer.0/Gemm_output_0"] == "layer_0_Gemm_output_0"
    assert idents["onnx::Gemm_12"] == "onnx_Gemm_12"
    assert idents["input"] == "n_input" and idents["7up"] == "n_7up"


def _net() -> nn.Sequential:
    """Every kernel kind: Pad, SlidingWindow, Mvau, MaxPool, GlobalSumPool, Thresholding."""
    return nn.Sequential(
        QuantInput(4, scale=1 / 15),
        QuantConv2d(2, 4, 3, padding=1, bias=False, weight_bits=2),
        nn.BatchNorm2d(4),
        Requantizer(2, signed=False),
        nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        Requantizer(3, signed=False),
        QuantLinear(4, 3, bias=False, weight_bits=2),
    )


def _renamed(graph: Graph) -> Graph:
    """``graph`` with UGLY names on every node and value (the input included)."""
    names = {v.name: UGLY[-1] + "in" for v in graph.inputs}
    assert len(graph.nodes) <= len(UGLY) - 1
    names.update((n.output.name, UGLY[k]) for k, n in enumerate(graph.nodes))
    nodes = tuple(
        Node(UGLY[k], n.op, tuple(names[i] for i in n.inputs),
             replace(n.output, name=names[n.output.name]))
        for k, n in enumerate(graph.nodes)
    )  # fmt: skip
    inputs = tuple(replace(v, name=names[v.name]) for v in graph.inputs)
    scales = tuple((names[o], s) for o, s in graph.scales)
    outputs = tuple(names[o] for o in graph.outputs)
    return verify(Graph(graph.stage, inputs, nodes, outputs, scales), "hw")


@pytest.mark.rtl
def test_pytorch_style_names_build_lint_and_run_bit_exact(rtl_cache: Path, tmp_path: Path) -> None:
    shape = (2, 6, 6)
    model = _net()
    x = calibrated(model, shape, seed=5)[:3]
    graph = _renamed(to_kernels(export(model, shape)))
    kinds = {type(n.op) for n in graph.nodes}
    assert kinds == {Pad, SlidingWindow, Mvau, MaxPool, GlobalSumPool, Thresholding}
    design = stitch(graph, folding_preset(graph, "balanced"))
    assert {s.kind for s in design.stages} == {"kernel", "fifo", "dwc"}
    out = write_build(design, tmp_path / "a")
    again = write_build(stitch(graph, folding_preset(graph, "balanced")), tmp_path / "b")
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        assert path.read_bytes() == (again / path.relative_to(out)).read_bytes(), path
    manifest = json.loads((out / "manifest.json").read_text())
    assert all(is_identifier(s[: -len("_out")]) for s in manifest["internal_streams"])
    assert [n.name for n in graph.nodes] == list(UGLY[: len(graph.nodes)])  # IR names kept
    codes = input_codes(model, x.numpy())
    got, _ = simulate_build(out, codes, stall_in=0.25, stall_out=0.25, seed=2)
    np.testing.assert_array_equal(got, run_single(graph, codes).reshape(len(codes), -1))
    tool = find_verilator()
    sources = sorted(str(p) for p in (out / "rtl").glob("*.v"))
    cmd = [str(tool.executable), "--lint-only", "-Wall", "--top-module", TOP, *sources]
    proc = subprocess.run(cmd, env=dict(tool.env), cwd=out / "rtl", capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_emitter_refuses_keywords_and_duplicate_names() -> None:
    from streamfold.codegen.verilog import Direction, Module, Port, Wire, emit
    from streamfold.errors import IRError

    clk = Port("clk", Direction.INPUT)
    with pytest.raises(IRError, match=r"^verilog: identifier must not be a keyword, not 'reg'$"):
        emit(Module("sf_top", (clk,), (Wire("reg"),)))
    with pytest.raises(
        IRError, match=r"^verilog: module sf_top: names must be unique, not 'clk' twice$"
    ):
        emit(Module("sf_top", (clk,), (Wire("clk"),)))
