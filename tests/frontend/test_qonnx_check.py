"""``streamfold check``: every node's verdict, every unsupported node named (not only the
first), nodes behind them not checked; ``build`` of an unsupported model names them all."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from test_qonnx_helpers import Net, mlp

from streamfold.cli import main
from streamfold.frontend.qonnx.check import MODEL_ROW, Status, check_onnx

W = np.eye(4, dtype=np.float32)


def _broken() -> onnx.ModelProto:
    """fc1 and q1 convert; act (Tanh) does not; q2 reads it; res multiplies two activations;
    cat concatenates res and q1 (a join that converts, but reads res); fc3 reads cat; mystery is
    an op nobody knows."""
    net = Net((1, 4))
    q0 = net.quant("x", 1.0, 4, name="q0")
    q1 = net.quant(net.node("MatMul", [q0, net.const(W)], name="fc1"), 1.0, 4, name="q1")
    q2 = net.quant(net.node("Tanh", [q1], name="act"), 1.0, 4, name="q2")
    res = net.node("Mul", [q2, q1], name="res")
    cat = net.node("Concat", [res, q1], name="cat", axis=1)
    fc3 = net.node("MatMul", [cat, net.const(np.ones((8, 2), np.float32))], name="fc3")
    return net.model(net.node("Mystery", [fc3], name="mystery"))


def test_every_unsupported_node_is_named_with_its_reason() -> None:
    report = check_onnx(_broken())
    verdicts = {r.name: (r.status, r.reason) for r in report.rows}
    assert [r.name for r in report.rows] == [
        "q0", "fc1", "q1", "act", "q2", "res", "cat", "fc3", "mystery"
    ]  # fmt: skip
    assert all(verdicts[n][0] is Status.CONVERTS for n in ("q0", "fc1", "q1"))
    assert verdicts["act"] == (
        Status.UNSUPPORTED,
        "op Tanh is not supported (see docs/supported_ops.md)",
    )
    assert verdicts["q2"] == (Status.NOT_CHECKED, "its input comes from unsupported node 'act'")
    assert verdicts["res"] == (
        Status.UNSUPPORTED,
        "one operand must be a constant; subtracting or multiplying two activations is not "
        "supported (Add and Concat of activations are)",
    )
    assert verdicts["cat"] == (Status.NOT_CHECKED, "its input comes from unsupported node 'res'")
    assert verdicts["fc3"] == (Status.NOT_CHECKED, "its input comes from unsupported node 'res'")
    assert verdicts["mystery"] == (
        Status.UNSUPPORTED,
        "op Mystery is not supported (see docs/supported_ops.md)",
    )
    assert not report.ok and report.imported is None
    assert [r.name for r in report.unsupported] == ["act", "res", "mystery"]


@pytest.mark.parametrize("op", ["Add", "Concat"])
def test_residual_add_and_concat_of_activations_convert(op: str) -> None:
    net = Net((1, 4))
    q = net.quant("x", 1.0, 4, name="q0")
    h = net.quant(net.node("MatMul", [q, net.const(W)], name="fc"), 1.0, 4, name="q1")
    report = check_onnx(net.model(net.node(op, [h, q], name="join", axis=1)))
    assert report.ok and report.rows[-1].name == "join"
    assert report.rows[-1].status is Status.CONVERTS


def test_model_level_failure_is_a_row() -> None:
    net = Net((1, 4))
    report = check_onnx(net.model(net.node("Relu", [net.quant("x", 1.0, 4)], name="r")))
    assert report.rows[-1].name == MODEL_ROW and report.rows[-1].status is Status.UNSUPPORTED
    assert not report.ok


def test_cli_check_exit_codes_and_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = tmp_path / "good.onnx", tmp_path / "bad.onnx"
    onnx.save(mlp(), str(good))
    onnx.save(_broken(), str(bad))
    assert main(["check", str(good)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["node", "op", "converts", "why", "not"]
    assert "; the model converts" in out
    assert main(["check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "3 unsupported; the model does not convert" in out
    assert main(["check", "builtin:tfc-w1a1"]) == 0


def test_build_names_every_unsupported_node(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.onnx"
    onnx.save(_broken(), str(bad))
    assert main(["build", str(bad), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "every node must convert, and 3 do not" in err
    for name in ("act", "res", "mystery"):
        assert f"node {name!r} (" in err
    assert not (tmp_path / "out").exists()
