"""report.html opens in headless Chromium (Debian package ``chromium``): the browser's DOM has
the tables and plots, and a screenshot of the page is written (slow: starts a browser)."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest
import torch

from streamfold.cli import main
from streamfold.frontend.torch import export
from streamfold.ir import print_graph
from streamfold.models import mlp
from streamfold.report import write_report


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path is not None:
            return path
    pytest.skip("chromium is not installed (apt-get install chromium)")


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    base = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    return subprocess.run([*base, *args], capture_output=True, text=True, timeout=180)


@pytest.mark.slow
def test_report_opens_in_headless_chromium(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = mlp(36, (24,), 6, weight_bits=2, act_bits=2, input_bits=4).train()
    with torch.no_grad():
        model(torch.rand(64, 36))
    (tmp_path / "m.sfir").write_text(print_graph(export(model.eval(), (36,))))
    out = tmp_path / "hw"
    assert main(["build", str(tmp_path / "m.sfir"), "-o", str(out), "-q"]) == 0
    html = write_report(out)
    dom = _run(["--dump-dom", html.as_uri()])
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "<h2>Per layer</h2>" in dom.stdout and dom.stdout.count("<svg") == 4
    assert '<tr class="bottleneck"><td class="l">quantlinear1</td>' in dom.stdout
    png = tmp_path / "shot.png"
    shot = _run(["--window-size=1200,900", f"--screenshot={png}", html.as_uri()])
    assert shot.returncode == 0, shot.stderr[-2000:]
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1200, 900)
