"""The Brevitas export corpus: every model, both Brevitas QONNX exporters, as a table.

    .venv/bin/python bench/brevitas_corpus.py [--models CNV-W1A1,TFC-W1A1] [--exporters dynamo]

For each (model, exporter): export it (seeded, tests/frontend/brevitas_models.py), count its
nodes, run ``streamfold check`` on it, compare the import with qonnx's executor (output codes
identical, logits within float32 rounding), build it (``balanced`` folding) and compare
Verilator with the exact reference under 25 % random stalls. Prints a Markdown table; a failing
step shows its error's first words.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "frontend"))

from brevitas_models import (
    EXPORTERS,
    MODELS,
    assert_matches_qonnx,
    cleaned,
    export,
    rtl_outputs,
)

from streamfold.frontend.qonnx.check import check_onnx


def _short(e: BaseException) -> str:
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return f"no: {text[:90]}"


def row(name: str, exporter: str, work: Path) -> list[str]:
    import onnx

    model = MODELS[name]
    t = time.perf_counter()
    raw = export(model, exporter, work / f"{name}-{exporter}.onnx")
    seconds = time.perf_counter() - t
    clean = cleaned(raw, work / f"{name}-{exporter}.clean.onnx")
    nodes = len(onnx.load(str(raw)).graph.node)
    report = check_onnx(raw)
    check = "pass" if report.ok else f"fail: {len(report.unsupported)} unsupported"
    if report.imported is None:
        first = report.unsupported[0] if report.unsupported else None
        why = f"{first.op_type}: {first.reason[:70]}" if first else "model"
        return [name, exporter, str(nodes), f"{seconds:.1f}", check, f"no ({why})", "-"]
    try:
        assert_matches_qonnx(report.imported, model, clean)
        same = "yes"
    except (AssertionError, Exception) as e:
        same = _short(e)
    try:
        expected, kernels, got = rtl_outputs(report.imported, model, work / f"{name}-{exporter}")
        rtl = "yes" if np.array_equal(kernels, expected) and np.array_equal(got, expected) else "no"
    except Exception as e:
        rtl = _short(e)
    return [name, exporter, str(nodes), f"{seconds:.1f}", check, same, rtl]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--exporters", default=",".join(EXPORTERS))
    args = p.parse_args()
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    head = ["model", "exporter", "nodes", "export s", "check", "import == qonnx", "Verilator"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            for exporter in args.exporters.split(","):
                print("| " + " | ".join(row(name, exporter, Path(tmp))) + " |", flush=True)


if __name__ == "__main__":
    main()
