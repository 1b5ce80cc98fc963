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
import torch
from torch import nn

from cnn_nets import calibrated
from streamfold.codegen.top import TOP, stitch, write_build
from streamfold.codegen.verilog import KEYWORDS, MAX_IDENT, is_identifier, legal_identifiers
from streamfold.cost.fifo_sizing import with_sized_fifos
from streamfold.dse.design_point import folding_preset
from streamfold.flow import to_kernels
from streamfold.frontend.torch import export, input_codes
from streamfold.frontend.torch_fx import export_module
from streamfold.frontend.torch_fx import input_codes as module_input_codes
from streamfold.ir.graph import Graph, Node
from streamfold.ir.ops import (
    Add,
    Concat,
    DepthToSpace,
    GlobalSumPool,
    MaxPool,
    Mvau,
    Pad,
    SlidingWindow,
    Thresholding,
    Upsample,
)
from streamfold.ir.verify import verify
from streamfold.quant import (
    QuantAdd,
    QuantConcat,
    QuantConv2d,
    QuantInput,
    QuantLinear,
    Requantizer,
)
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


def _renamed(graph: Graph, ugly: tuple[str, ...] = UGLY) -> Graph:
    """``graph`` with ``ugly`` names on every node and value (the input included)."""
    names = {v.name: ugly[-1] + "in" for v in graph.inputs}
    assert len(graph.nodes) <= len(ugly) - 1
    names.update((n.output.name, ugly[k]) for k, n in enumerate(graph.nodes))
    nodes = tuple(
        Node(ugly[k], n.op, tuple(names[i] for i in n.inputs),
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
    _lint(out)


def _conv(cin: int, cout: int, k: int, signed: bool = False) -> nn.Sequential:
    return nn.Sequential(
        QuantConv2d(cin, cout, k, padding=k // 2, bias=False, weight_bits=2),
        nn.BatchNorm2d(cout),
        Requantizer(2, signed=signed),
    )


class _Branchy(nn.Module):
    """The newer kernels: Upsample, a fork into two branches joined by Concat, a residual Add
    around a 3x3 convolution (another fork), DepthToSpace, then pooled FC. Input [2, 3, 3]."""

    def __init__(self) -> None:
        super().__init__()
        self.inp = QuantInput(4, scale=1 / 15)
        self.stem = _conv(2, 4, 3)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.narrow, self.wide = _conv(4, 4, 1), _conv(4, 4, 3, signed=True)
        self.cat = QuantConcat()
        self.mixed = Requantizer(2)
        self.res = _conv(8, 8, 3, signed=True)
        self.add = QuantAdd(2)
        self.shuffle = nn.PixelShuffle(2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.pooled = Requantizer(3)
        self.fc = QuantLinear(2, 3, bias=False, weight_bits=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.up(self.stem(self.inp(x)))
        x = self.mixed(self.cat(self.narrow(x), self.wide(x)))
        x = self.shuffle(self.add(self.res(x), x))
        return self.fc(self.pooled(torch.flatten(self.pool(x), 1)))


# more PyTorch-style names for the larger graph (dots, slashes, ``::``, a keyword)
MORE_UGLY = (*UGLY[:-1], *(f"/blocks.{k}/Conv_output_0" for k in range(12)), "x.0", "wire",
             UGLY[-1])  # fmt: skip


@pytest.mark.slow  # ~55 s, most of it the Verilator build
@pytest.mark.rtl
def test_pytorch_style_names_build_on_joins_forks_and_upsampling(
    rtl_cache: Path, tmp_path: Path
) -> None:
    shape = (2, 3, 3)
    model = _Branchy()
    x = calibrated(model, shape, seed=6)[:3]  # type: ignore[arg-type]
    graph = _renamed(to_kernels(export_module(model, shape)), MORE_UGLY)
    kinds = {type(n.op) for n in graph.nodes}
    assert {Upsample, DepthToSpace, Add, Concat, Mvau, SlidingWindow, Pad} <= kinds
    point = with_sized_fifos(graph, folding_preset(graph, "balanced"))  # joins need them
    design = stitch(graph, point)
    assert "fork" in {s.kind for s in design.stages}
    out = write_build(design, tmp_path / "a")
    again = write_build(stitch(graph, point), tmp_path / "b")
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        assert path.read_bytes() == (again / path.relative_to(out)).read_bytes(), path
    manifest = json.loads((out / "manifest.json").read_text())
    assert all(is_identifier(s[: -len("_out")]) for s in manifest["internal_streams"])
    codes = module_input_codes(model, x.numpy())
    with torch.no_grad():
        np.testing.assert_array_equal(run_single(graph, codes), model(x).exact.codes.numpy())
    got, _ = simulate_build(out, codes, stall_in=0.25, stall_out=0.25, seed=2)
    np.testing.assert_array_equal(got, run_single(graph, codes).reshape(len(codes), -1))
    _lint(out)


def _lint(out: Path) -> None:
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
