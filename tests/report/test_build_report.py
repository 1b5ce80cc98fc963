"""The build report (report.html + report.json): per layer and stage folding, cycles predicted
and measured, resources estimated and synthesised, the bottleneck, the plots."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from streamfold.cli import main
from streamfold.design import DesignPoint, stitch
from streamfold.frontend.torch import export
from streamfold.ir import parse_graph, print_graph
from streamfold.models import mlp
from streamfold.report import write_report
from streamfold.synth.resources import Resources


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The MLP of tests/test_cli_hw.py (its Verilator build is shared through the cache)."""
    torch.manual_seed(0)
    model = mlp(36, (24,), 6, weight_bits=2, act_bits=2, input_bits=4).train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.rand(64, 36))
    path = tmp_path_factory.mktemp("model") / "mlp.sfir"
    path.write_text(print_graph(export(model.eval(), (36,))))
    return path


def _build(model_file: Path, out: Path, folding: str = "balanced") -> Path:
    assert main(["build", str(model_file), "-o", str(out), "--folding", folding, "-q"]) == 0
    return out


def test_report_of_a_fresh_build(
    model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _build(model_file, tmp_path / "hw")
    capsys.readouterr()
    assert main(["report", str(out), "-q"]) == 0
    assert capsys.readouterr().out == f"wrote {out / 'report.html'} and {out / 'report.json'}\n"
    rep = json.loads((out / "report.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    point = json.loads((out / "design_point.json").read_text())["nodes"]
    assert [layer["name"] for layer in rep["layers"]] == list(point)
    for layer in rep["layers"]:
        folding = point[layer["name"]]
        assert (layer["pe"], layer["simd"], layer["mem_style"]) == (
            folding["pe"], folding["simd"], folding["mem_style"]
        )  # fmt: skip
        assert layer["synthesised"] is None
    predicted = manifest["predicted"]
    assert rep["bottleneck"] == predicted["bottleneck"]
    assert [s["name"] for s in rep["stages"]] == [s["name"] for s in predicted["stages"]]
    assert [s["cycles_predicted"] for s in rep["stages"]] == [
        s["cycles"] for s in predicted["stages"]
    ]
    assert rep["predicted"]["cycles_per_frame"] == predicted["cycles_per_frame"]
    assert [layer["bottleneck"] for layer in rep["layers"]].count(True) == 1
    assert rep["measured"] is None and rep["synthesis"] is None
    html = (out / "report.html").read_text()
    assert html.count("<svg") == 4  # cycles, LUTs, Pareto, roofline
    assert f'<tr class="bottleneck"><td class="l">{rep["bottleneck"]}</td>' in html
    assert "streamfold sim BUILD_DIR --rtl" in html and "streamfold synth BUILD_DIR" in html


def test_report_is_deterministic_and_leaves_the_build_valid(
    model_file: Path, tmp_path: Path
) -> None:
    out = _build(model_file, tmp_path / "hw", "folded")
    first = write_report(out, search=False).read_bytes()
    assert write_report(out, search=False).read_bytes() == first
    assert first.count(b"<svg") == 2
    _build(model_file, out, "balanced")  # a rebuild replaces the report with the build
    assert not (out / "report.html").exists()


def test_synthesis_per_stage_is_summed_per_layer(model_file: Path, tmp_path: Path) -> None:
    """Synthesised resources (as ``streamfold synth`` records them, per instance ``u_<ident>``)
    are shown per stage and summed per layer; the flat total is shown as recorded."""
    out = _build(model_file, tmp_path / "hw")
    design = stitch(
        parse_graph((out / "graph.hw.sfir").read_text()),
        DesignPoint.from_json((out / "design_point.json").read_text()),
    )
    per_stage = {s.name: Resources(lut=10 * (i + 1), ff=i) for i, s in enumerate(design.stages)}
    flat = Resources(lut=7, ff=3)
    recorded = {
        "device": "xc7z020",
        "family": "xilinx7",
        "top": "sf_top",
        "resources": flat.to_json(),
        "instances": {f"u_{s.ident}": per_stage[s.name].to_json() for s in design.stages},
        "fmax_mhz": None,
    }
    (out / "synth" / "xilinx7").mkdir(parents=True)
    (out / "synth" / "xilinx7" / "result.json").write_text(json.dumps(recorded))
    write_report(out, search=False)
    rep = json.loads((out / "report.json").read_text())
    for stage in rep["stages"]:
        assert stage["synthesised"] == per_stage[stage["name"]].to_json()
    for layer in rep["layers"]:
        expected = Resources()
        for s in design.stages:
            if s.node == layer["name"]:
                expected = expected + per_stage[s.name]
        assert layer["synthesised"] == expected.to_json()
    assert rep["synthesis"]["flat"] == flat.to_json()
    assert rep["synthesis"]["sum_of_stages"]["lut"] == sum(r.lut for r in per_stage.values())


@pytest.mark.rtl
def test_measured_cycles_from_sim_rtl(
    model_file: Path, tmp_path: Path, rtl_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _build(model_file, tmp_path / "hw")
    assert main(["sim", str(out), "--rtl", "--frames", "20", "-q"]) == 0
    assert "(+0.00 %)" in capsys.readouterr().out
    sim = json.loads((out / "sim" / "rtl.json").read_text())
    write_report(out, search=False)
    rep = json.loads((out / "report.json").read_text())
    measured = rep["measured"]
    assert measured["frames"] == 20
    assert measured["cycles_per_frame"] == sim["cycles_per_frame"]
    assert measured["cycles_per_frame"] == rep["predicted"]["cycles_per_frame"]
    assert rep["stages"][-1]["first_output_measured"] == sim["first_output_cycle"]
    assert sim["first_output_cycle"] - sim["first_input_cycle"] == measured["latency_cycles"]
    # the cycle model places every stage's first output word on the cycle the RTL does
    for s in rep["stages"]:
        assert s["first_output_measured"] == s["first_output_predicted"], s["name"]
    # a measurement of another design point is not shown as this one's
    other = _build(model_file, tmp_path / "folded", "folded")
    (other / "sim").mkdir()
    shutil.copy(out / "sim" / "rtl.json", other / "sim" / "rtl.json")
    write_report(other, search=False)
    assert json.loads((other / "report.json").read_text())["measured"] is None


def test_estimates_default_to_the_synthesised_device(model_file: Path, tmp_path: Path) -> None:
    out = _build(model_file, tmp_path / "hw")
    recorded = {
        "device": "lfe5u-85f",
        "family": "ecp5",
        "top": "sf_top",
        "resources": Resources(lut=1).to_json(),
        "instances": {},
        "fmax_mhz": 93.5,
    }
    (out / "synth" / "ecp5").mkdir(parents=True)
    (out / "synth" / "ecp5" / "result.json").write_text(json.dumps(recorded))
    assert main(["report", str(out), "-q"]) == 0
    rep = json.loads((out / "report.json").read_text())
    assert rep["device"] == "lfe5u-85f" and rep["synthesis"]["fmax_mhz"] == 93.5
    write_report(out, device="xc7z020", search=False)
    rep = json.loads((out / "report.json").read_text())
    assert rep["device"] == "xc7z020" and rep["synthesis"]["device"] == "lfe5u-85f"
    assert "Fmax (nextpnr)" in (out / "report.html").read_text()
