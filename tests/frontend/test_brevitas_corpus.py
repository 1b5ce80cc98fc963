"""Real Brevitas exports (tests/frontend/brevitas_models.py), both of its QONNX exporters:
``streamfold check`` passes, the imported graph equals qonnx's executor (integer output codes
identical, logits within float32 rounding), and the generated RTL in Verilator equals the
exact reference bit for bit.

Exports are made here, in a temporary directory, by the installed Brevitas 0.13 (TorchScript
exporter, and ``dynamo=True``: torch.export + onnxscript). The default suite keeps TFC-W1A1
(both exporters, import, batch and Verilator), CNV-W1A1 (TorchScript, import and batch),
same-pad (TorchScript, import and Verilator) and INT8-input (TorchScript import, dynamo in
Verilator); the rest is marked slow (a dynamo export of CNV alone takes 15-30 s, CNV in
Verilator ~90 s).

    python -m pytest tests/frontend/test_brevitas_corpus.py -m "slow or not slow"

runs all of it (7 models x 2 exporters: import, check and Verilator; 2.5 minutes on 2 cores
with a warm Verilator cache).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from brevitas_models import MODELS, assert_matches_qonnx, cleaned, export, rtl_outputs

from streamfold.cli import main
from streamfold.errors import FrontendError
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
    ("TFC-W1A1", "torchscript", "batch"),
    ("TFC-W1A1", "dynamo", "batch"),
    ("CNV-W1A1", "torchscript", "batch"),
    ("same-pad", "torchscript", "import"),
    ("same-pad", "torchscript", "rtl"),
    ("INT8-input", "torchscript", "import"),
    ("INT8-input", "dynamo", "rtl"),
}


def _cases(test: str, models: tuple[str, ...] = tuple(MODELS)) -> list[object]:
    cases: list[object] = []
    for name in models:
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
def test_import_matches_qonnx(
    corpus_dir: Path, capsys: pytest.CaptureFixture[str], name: str, exporter: str
) -> None:
    raw, clean = exported(corpus_dir, name, exporter)
    for path in (raw, clean):
        report = check_onnx(path)
        assert report.ok, report.table(failing_only=True)
        assert report.imported is not None
        assert_matches_qonnx(report.imported, MODELS[name], clean)
    assert import_qonnx(raw).graph.nodes  # the plain entry point agrees with check
    capsys.readouterr()
    assert main(["check", str(raw)]) == 0
    table, summary = capsys.readouterr().out.rstrip("\n").split("\n\n")
    lines = table.splitlines()
    assert lines[0].split() == ["node", "op", "converts", "why", "not"]
    nodes = [n for n in onnx.load(str(raw)).graph.node if n.op_type != "Constant"]
    assert [line.split()[:2] for line in lines[1:]] == [[n.name, n.op_type] for n in nodes]
    assert summary == f"{raw}: {len(nodes)} of {len(nodes)} nodes convert, 0 unsupported; " \
        "the model converts"  # fmt: skip


@pytest.mark.rtl
@pytest.mark.parametrize(("name", "exporter"), _cases("rtl"))
def test_rtl_matches_reference(
    corpus_dir: Path, rtl_cache: Path, tmp_path: Path, name: str, exporter: str
) -> None:
    raw, _ = exported(corpus_dir, name, exporter)
    expected, kernel_out, got = rtl_outputs(import_qonnx(raw), MODELS[name], tmp_path / "b")
    np.testing.assert_array_equal(kernel_out, expected)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(("name", "exporter"), _cases("batch", ("TFC-W1A1", "CNV-W1A1")))
def test_input_codes_of_a_batch(corpus_dir: Path, name: str, exporter: str) -> None:
    """The exports trace ``x.view(x.shape[0], -1)`` with batch 1 (a constant Reshape to
    ``[1, -1]``): ``input_codes`` on several frames equals it frame by frame, and a batch in
    the wrong shape is refused naming the expected one."""
    raw, _ = exported(corpus_dir, name, exporter)
    imported = import_qonnx(raw)
    x = MODELS[name].sample(5, seed=3)
    codes = imported.input_codes(x)
    assert codes.shape == (5, *imported.graph.inputs[0].shape)
    frames = np.concatenate([imported.input_codes(row[None]) for row in x])
    np.testing.assert_array_equal(codes, frames)
    assert len(np.unique(codes.reshape(5, -1), axis=0)) == 5  # the frames differ
    shape = ", ".join(map(str, MODELS[name].input_shape))
    with pytest.raises(FrontendError, match=rf"must have shape \[batch, {shape}\], not \[5, "):
        imported.input_codes(x.reshape(5, -1, 2))
