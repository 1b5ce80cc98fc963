"""Real Brevitas exports (tests/frontend/brevitas_models.py), both of its QONNX exporters:
``streamfold check`` passes, the imported graph equals qonnx's executor (integer output codes
identical, logits within float32 rounding), and the generated RTL in Verilator equals the
exact reference bit for bit.

Exports are made here, in a temporary directory, by the installed Brevitas 0.13 (TorchScript
exporter, and ``dynamo=True``: torch.export + onnxscript). The default suite keeps TFC-W1A1
(both exporters, import and Verilator) and CNV-W1A1 (TorchScript, import); the rest is marked
slow (a dynamo export of CNV alone takes 30-50 s, CNV in Verilator ~90 s).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from brevitas_models import MODELS, assert_matches_qonnx, cleaned, export, rtl_outputs

from streamfold.cli import main
from streamfold.frontend.qonnx import import_qonnx
from streamfold.frontend.qonnx.check import check_onnx

pytest.importorskip("brevitas", reason="the Brevitas corpus needs brevitas (pip install -e .[dev])")
# (model, exporter, test) kept in the default suite; CNV in Verilator takes ~90 s (slow)
DEFAULT = {
    ("TFC-W1A1", "torchscript", "import"),
    ("TFC-W1A1", "torchscript", "rtl"),
    ("TFC-W1A1", "dynamo", "import"),
    ("TFC-W1A1", "dynamo", "rtl"),
    ("CNV-W1A1", "torchscript", "import"),
    ("same-pad", "torchscript", "import"),
    ("same-pad", "torchscript", "rtl"),
    ("INT8-input", "torchscript", "import"),
    ("INT8-input", "dynamo", "rtl"),
}


def _cases(test: str) -> list[object]:
    cases: list[object] = []
    for name in MODELS:
        for exporter in ("torchscript", "dynamo"):
            marks: list[pytest.MarkDecorator] = []
            if (name, exporter, test) not in DEFAULT:
                marks.append(pytest.mark.slow)
            cases.append(pytest.param(name, exporter, marks=marks, id=f"{name}-{exporter}"))
    return cases


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("brevitas")


def exported(corpus_dir: Path, name: str, exporter: str) -> tuple[Path, Path]:
    """The raw export and its qonnx-cleaned form (made once per test module)."""
    raw = corpus_dir / f"{name}-{exporter}.onnx"
    clean = corpus_dir / f"{name}-{exporter}.clean.onnx"
    if not clean.is_file():
        export(MODELS[name], exporter, raw)
        cleaned(raw, clean)
    return raw, clean


@pytest.mark.parametrize(("name", "exporter"), _cases("import"))
def test_import_matches_qonnx(corpus_dir: Path, name: str, exporter: str) -> None:
    raw, clean = exported(corpus_dir, name, exporter)
    for path in (raw, clean):
        report = check_onnx(path)
        assert report.ok, report.table(failing_only=True)
        assert report.imported is not None
        assert_matches_qonnx(report.imported, MODELS[name], clean)
    assert import_qonnx(raw).graph.nodes  # the plain entry point agrees with check
    assert main(["check", str(raw)]) == 0  # prints the table


@pytest.mark.rtl
@pytest.mark.parametrize(("name", "exporter"), _cases("rtl"))
def test_rtl_matches_reference(
    corpus_dir: Path, rtl_cache: Path, tmp_path: Path, name: str, exporter: str
) -> None:
    raw, _ = exported(corpus_dir, name, exporter)
    expected, kernel_out, got = rtl_outputs(import_qonnx(raw), MODELS[name], tmp_path / "b")
    np.testing.assert_array_equal(kernel_out, expected)
    np.testing.assert_array_equal(got, expected)
