"""The demo's numbers do not depend on the machine's torch thread count."""

from __future__ import annotations

from pathlib import Path

import torch

from streamfold.demo import run_demo


def test_demo_accuracies_do_not_depend_on_threads(tmp_path: Path) -> None:
    before = torch.get_num_threads()
    results = []
    try:
        for i, threads in enumerate((2, 1)):
            torch.set_num_threads(threads)
            r = run_demo(tmp_path / str(i), epochs=3, progress=False, rtl=False)
            assert torch.get_num_threads() == threads  # restored after training
            results.append((r.float_top1, r.qat_top1, r.int_top1))
    finally:
        torch.set_num_threads(before)
    assert results[0] == results[1]
    assert (tmp_path / "0" / "model.pt").read_bytes() == (tmp_path / "1" / "model.pt").read_bytes()
