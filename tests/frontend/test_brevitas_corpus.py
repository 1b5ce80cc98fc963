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
from brevitas_models import FRONT, MODELS, CorpusModel, cleaned, export

from streamfold.frontend.qonnx import ImportedModel, import_qonnx
from streamfold.frontend.qonnx.check import check_onnx
from streamfold.sim.exact import dequantize, run_single

pytest.importorskip("brevitas", reason="the Brevitas corpus needs brevitas (pip install -e .[dev])")
FRAMES = 3
# (model, exporter, test) kept in the default suite; CNV in Verilator takes ~90 s (slow)
DEFAULT = {
    ("TFC-W1A1", "torchscript", "import"),
    ("TFC-W1A1", "torchscript", "rtl"),
    ("TFC-W1A1", "dynamo", "import"),
    ("TFC-W1A1", "dynamo", "rtl"),
    ("CNV-W1A1", "torchscript", "import"),
}


def _cases(test: str) -> list[object]:
    cases: list[object] = []
    for name, model in MODELS.items():
        for exporter in ("torchscript", "dynamo"):
            marks: list[pytest.MarkDecorator] = []
            if (name, exporter, test) not in DEFAULT:
                marks.append(pytest.mark.slow)
            if model.needs == FRONT:
                reason = f"needs importer support from branch {FRONT}"
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
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


def qonnx_execute(path: Path, x: np.ndarray) -> np.ndarray:
    """qonnx's executor, one frame at a time (the file's batch is 1)."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx

    wrapper = ModelWrapper(str(path))
    inp, out = wrapper.graph.input[0].name, wrapper.graph.output[0].name
    return np.concatenate([execute_onnx(wrapper, {inp: row[None]})[out] for row in x])


def input_codes(imported: ImportedModel, x: np.ndarray) -> np.ndarray:
    """One frame at a time: the exports reshape to batch 1 (``x.view(1, -1)`` is traced with
    the export's batch), which ``input_codes`` on a whole batch does not yet undo (issue 11)."""
    return np.concatenate([imported.input_codes(row[None]) for row in x])


def assert_matches_qonnx(imported: ImportedModel, model: CorpusModel, reference: Path) -> None:
    """Output codes identical to qonnx's logits read back through the output scale; logits
    equal within float32 rounding."""
    x = model.sample(FRAMES)
    ref = qonnx_execute(reference, x).reshape(FRAMES, -1).astype(np.float64)
    graph = imported.graph
    codes = run_single(graph, input_codes(imported, x)).reshape(FRAMES, -1)
    scale = graph.scale(graph.outputs[0])
    assert scale is not None
    mul = np.array([float(m) for m in scale.mul])
    add = np.array([float(a) for a in scale.add])
    ref_codes = (ref - add) / mul
    assert np.abs(ref_codes - np.rint(ref_codes)).max() < 1e-3  # qonnx's logits are codes too
    np.testing.assert_array_equal(codes, np.rint(ref_codes).astype(np.int64))
    ours = dequantize(codes, scale).reshape(FRAMES, -1).astype(np.float64)
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-5 * float(np.abs(ref).max()))


@pytest.mark.parametrize(("name", "exporter"), _cases("import"))
def test_import_matches_qonnx(corpus_dir: Path, name: str, exporter: str) -> None:
    raw, clean = exported(corpus_dir, name, exporter)
    for path in (raw, clean):
        report = check_onnx(path)
        assert report.ok, report.table(failing_only=True)
        assert report.imported is not None
        assert_matches_qonnx(report.imported, MODELS[name], clean)
    assert import_qonnx(raw).graph.nodes  # the plain entry point agrees with check


@pytest.mark.rtl
@pytest.mark.parametrize(("name", "exporter"), _cases("rtl"))
def test_rtl_matches_reference(
    corpus_dir: Path, rtl_cache: Path, tmp_path: Path, name: str, exporter: str
) -> None:
    from streamfold.codegen.top import stitch, write_build
    from streamfold.dse.design_point import folding_preset
    from streamfold.flow import to_kernels
    from streamfold.sim.design import simulate_build

    raw, _ = exported(corpus_dir, name, exporter)
    imported = import_qonnx(raw)
    kernels = to_kernels(imported.graph)
    build = write_build(stitch(kernels, folding_preset(kernels, "balanced")), tmp_path / "b")
    codes = input_codes(imported, MODELS[name].sample(FRAMES, seed=2))
    expected = run_single(imported.graph, codes).reshape(FRAMES, -1)
    np.testing.assert_array_equal(run_single(kernels, codes).reshape(FRAMES, -1), expected)
    got, _ = simulate_build(build, codes, stall_in=0.25, stall_out=0.25, seed=1)
    np.testing.assert_array_equal(got, expected)
