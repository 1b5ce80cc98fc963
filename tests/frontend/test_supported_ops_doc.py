"""docs/supported_ops.md is the importer's own lists, regenerated (never edited by hand)."""

from __future__ import annotations

from pathlib import Path

from streamfold.frontend.qonnx.support import main, op_support, supported_ops_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_committed_doc_is_the_generated_one() -> None:
    committed = (ROOT / "docs" / "supported_ops.md").read_text()
    assert committed == supported_ops_markdown(), (
        "docs/supported_ops.md is out of date: run python -m streamfold.frontend.qonnx.support"
    )


def test_table_follows_the_importer() -> None:
    rows = {s.op: s for s in op_support()}
    assert rows["Conv"].on_activations and not rows["Conv"].before_input_quant
    assert rows["Quant"].domains[0] == "onnx.brevitas" and rows["Quant"].on_activations
    assert rows["Concat"].on_constants and rows["Concat"].on_activations  # channel joins
    assert rows["Reshape"].before_input_quant and not rows["MatMul"].before_input_quant
    assert "Tanh" not in rows
    assert "qonnx.custom_op.channels_last" in rows["Conv"].domains
    assert "qonnx.custom_op.channels_last" not in rows["MatMul"].domains
    assert "FloatQuant" not in rows
    assert "`FloatQuant` (float quantization)" in supported_ops_markdown()


def test_check_mode_exit_codes(tmp_path: Path) -> None:
    doc = tmp_path / "ops.md"
    assert main(["--check", str(doc)]) == 1
    assert main([str(doc)]) == 0
    assert main(["--check", str(doc)]) == 0
    assert doc.read_text().count("\n| `") == len(op_support())
