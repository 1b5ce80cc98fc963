"""Issue 13's findings, one test each: every bad input is one clear line and exit 1 (2 for
usage), never a traceback; build directories are never lost and never trusted blindly."""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from streamfold.cli import main
from streamfold.codegen.build_dir import BuildDirError, read_manifest
from streamfold.errors import IRError
from streamfold.frontend.torch import export
from streamfold.ir import parse_graph, print_graph
from streamfold.models import mlp


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    model = mlp(36, (24,), 6, weight_bits=2, act_bits=2, input_bits=4).train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.rand(64, 36))
    path = tmp_path_factory.mktemp("model") / "mlp.sfir"
    path.write_text(print_graph(export(model.eval(), (36,))))
    return path


@pytest.fixture(scope="module")
def good_build(model_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("good") / "hw"
    assert main(["build", str(model_file), "-o", str(out)]) == 0
    return out


@pytest.fixture
def build(good_build: Path, tmp_path: Path) -> Path:
    """A private copy of the good build, free to damage."""
    out = tmp_path / "hw"
    shutil.copytree(good_build, out)
    return out


def fails(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 1) -> str:
    """Run the CLI; it must exit ``code`` with one line on stderr and no traceback."""
    capsys.readouterr()
    try:
        got = main(argv)
    except SystemExit as e:
        got = e.code  # argparse usage errors
    err = capsys.readouterr().err
    assert got == code, err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err and "internal error" not in err
    return err.removeprefix("streamfold: error: ").rstrip("\n")


# --- sim --input ------------------------------------------------------------------------------


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    ok = np.zeros((2, 36), dtype=np.int64)
    np.save(tmp_path / "ok.npy", ok)
    np.savez(tmp_path / "x.npz", a=ok)
    (tmp_path / "x.txt").write_text("1 2 3\n")
    (tmp_path / "pickle.npy").write_bytes(pickle.dumps([1, 2, 3]))
    (tmp_path / "trunc.npy").write_bytes((tmp_path / "ok.npy").read_bytes()[:150])
    np.save(tmp_path / "u64.npy", np.full((2, 36), 2**64 - 1, dtype=np.uint64))
    np.save(tmp_path / "neg.npy", np.full((2, 36), -1, dtype=np.int8))
    np.save(tmp_path / "big.npy", np.full((2, 36), 16, dtype=np.int64))
    np.save(tmp_path / "shape.npy", np.zeros((2, 35), dtype=np.int64))
    np.save(tmp_path / "float.npy", ok.astype(np.float32))
    p = tmp_path
    return {
        "npz": (p / "x.npz", r"must be a \.npy file \(numpy\.save\), not '\.npz'"),
        "text": (p / "x.txt", r"must be a \.npy file \(numpy\.save\), not '\.txt'"),
        "pickle": (p / "pickle.npy", r"must be a \.npy file of integer codes, and is not"),
        "truncated": (p / "trunc.npy", r"must be a \.npy file of integer codes, and is not"),
        "uint64-wrap": (
            p / "u64.npy",
            r"codes must lie in 0\.\.15 \(u4\), not 18446744073709551615",
        ),
        "negative": (p / "neg.npy", r"codes must lie in 0\.\.15 \(u4\), not -1"),
        "too-big": (p / "big.npy", r"codes must lie in 0\.\.15 \(u4\), not 16"),
        "shape": (p / "shape.npy", r"must hold frames of shape \[36\] \(or \[36\]\), not \[35\]"),
        "float": (p / "float.npy", r"must hold integer input codes, not float32"),
        "missing": (p / "nope.npy", r"must be an existing file, and is missing"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "npz",
        "text",
        "pickle",
        "truncated",
        "uint64-wrap",
        "negative",
        "too-big",
        "shape",
        "float",
        "missing",
    ],
)
def test_sim_input_file_is_checked(
    good_build: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    path, message = _bad_inputs(tmp_path)[case]
    err = fails(capsys, ["sim", str(good_build), "--input", str(path)])
    assert err.startswith("sim: ")
    assert re.search(message, err), err


def test_sim_valid_input_still_runs(
    good_build: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    np.save(tmp_path / "x.npy", np.arange(3 * 36, dtype=np.uint8).reshape(3, 36) % 16)
    assert main(["sim", str(good_build), "--input", str(tmp_path / "x.npy")]) == 0
    assert capsys.readouterr().out.startswith("exact reference: 3 frames, outputs (6,)")


# --- options ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--rtl", "--stall", "1.0"], r"sim: stall: must be a finite number in \[0, 0\.9\], not 1"),
        (
            ["--rtl", "--stall", "nan"],
            r"sim: stall: must be a finite number in \[0, 0\.9\], not nan",
        ),
        (["--rtl", "--stall", "-0.5"], r"not -0\.5$"),
        (["--stall", "0.25"], r"sim: --stall must be given with --rtl .*not alone"),
        (["--seed", "-1"], r"sim: seed: must be an integer in 0\.\.4,294,967,295, not -1"),
        (["--frames", "0"], r"sim: frames: must be an integer in 1\.\.1,000,000, not 0"),
        (["--frames", "100000000000"], r"not 100,000,000,000"),
    ],
)
def test_sim_options_are_checked(
    good_build: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    err = fails(capsys, ["sim", str(good_build), *extra])
    assert re.search(message, err), err


def test_frames_that_do_not_parse_are_a_usage_error(
    good_build: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(["sim", str(good_build), "--frames", "1e11"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err == (
        "streamfold: usage: streamfold sim: argument --frames: invalid int value: '1e11' "
        "(see streamfold sim --help)\n"
    )


@pytest.mark.parametrize("clock", ["-5", "nan", "inf", "0"])
@pytest.mark.parametrize("command", ["build", "estimate", "explore"])
def test_clock_mhz_must_be_finite_and_positive(
    model_file: Path,
    good_build: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    clock: str,
) -> None:
    target = {
        "build": [str(model_file), "-o", str(tmp_path / "b")],
        "estimate": [str(good_build)],
        "explore": [str(model_file)],
    }[command]
    err = fails(capsys, [command, *target, "--clock-mhz", clock])
    assert err == f"{command}: --clock-mhz: must be a finite number in (0, 2000], not {clock}"
    assert not (tmp_path / "b").exists()


def test_estimate_json_is_valid_json(good_build: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["estimate", str(good_build), "--json", "--clock-mhz", "1e-300"]) == 0
    data = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(c))
    assert data["frames_per_second"] > 0


def test_explore_fps_zero_and_fps_without_its_goal(
    model_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = fails(capsys, ["explore", str(model_file), "--goal", "min-resources", "--fps", "0"])
    assert err == "explore: --fps: must be a finite number in [1e-06, 1e+12], not 0"
    err = fails(capsys, ["explore", str(model_file), "--fps", "100"])
    assert err == "explore: --fps must be given only with --goal min-resources, not with max-fps"


def test_explore_output_folder_is_checked_before_the_search(
    model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing" / "point.json"
    err = fails(capsys, ["explore", "builtin:cnv-w1a1", "-o", str(out)])
    assert err == f"explore: -o: the folder {out.parent} must exist, and does not"
    (tmp_path / "file").write_text("x")
    err = fails(capsys, ["explore", str(model_file), "--plot", str(tmp_path / "file" / "d")])
    assert err.endswith(f"{tmp_path / 'file'} must be a directory, not a file")


def test_output_under_a_regular_file(
    model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("x")
    err = fails(capsys, ["build", str(model_file), "-o", str(tmp_path / "file" / "hw")])
    assert (
        err == f"build: -o {tmp_path / 'file' / 'hw'}: {tmp_path / 'file'} must be a directory, "
        "not a file"
    )
    err = fails(capsys, ["build", str(model_file), "-o", str(tmp_path / "file")])
    assert err == f"build: -o {tmp_path / 'file'}: must be a directory, not a file"
    assert (tmp_path / "file").read_text() == "x"


def test_unwritable_output_is_one_line(
    model_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Root ignores chmod, so a failing write is simulated; without root a real one is tried."""
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        err = fails(capsys, ["explore", str(model_file), "-o", str(ro / "p.json")])
        assert err.startswith(f"explore: -o: the folder {ro} must be writable, and is not")
        err = fails(capsys, ["build", str(model_file), "-o", str(ro / "hw")])
        assert "must be writable, and is not" in err
    real_write = Path.write_bytes

    def refuse(self: Path, data: bytes) -> int:
        if self.name == "graph.hw.sfir":
            raise PermissionError(13, "Permission denied", str(self))
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", refuse)
    err = fails(capsys, ["build", str(model_file), "-o", str(tmp_path / "hw")])
    assert err.startswith(f"build: {tmp_path / 'hw'} must be writable, and is not (Permission")
    assert not (tmp_path / "hw").exists() and not list(tmp_path.glob(".hw.*"))


def test_demo_epochs_and_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = fails(capsys, ["demo", "--epochs", "-3", "-o", str(tmp_path / "d")])
    assert err == "demo: --epochs: must be an integer in 1..10,000, not -3"
    err = fails(capsys, ["demo", "--seed", "-1", "-o", str(tmp_path / "d")])
    assert err == "demo: --seed: must be an integer in 0..4,294,967,295, not -1"
    assert not (tmp_path / "d").exists()


def test_synth_bitstream_on_xilinx_is_an_error(
    good_build: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = fails(capsys, ["synth", str(good_build), "--target", "xc7z020", "--bitstream"])
    assert err.startswith("synth: bitstream must be requested for an ECP5 target")


def test_synth_seed_out_of_range_is_an_error(
    good_build: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = fails(capsys, ["synth", str(good_build), "--target", "lfe5u-85f", "--seed", "-1"])
    assert err == "synth: --seed: must be an integer in 0..4,294,967,295, not -1"
    assert not (good_build / "synth").exists()


def test_closed_stdout_exits_quietly(good_build: Path) -> None:
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    cmd = [sys.executable, "-m", "streamfold.cli", "estimate", str(good_build), "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head -0`
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 141
    assert err == b""


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    with pytest.raises(BuildDirError):
        main(["--debug", "sim", str(tmp_path)])
    with pytest.raises(BuildDirError):
        main(["sim", str(tmp_path), "--debug"])


# --- build directories ------------------------------------------------------------------------


def test_build_into_its_own_parent_from_inside_is_refused(
    model_file: Path,
    build: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = {p: p.read_bytes() for p in build.rglob("*") if p.is_file()}
    monkeypatch.chdir(build / "rtl")
    err = fails(capsys, ["build", str(model_file), "-o", ".."])
    assert err.startswith("build: -o ..: must not be the working directory or a folder above it")
    err = fails(capsys, ["build", str(model_file), "-o", "."])
    assert "must not be the working directory" in err
    err = fails(capsys, ["build", str(model_file), "-o", "sub"])
    assert err == f"build: -o sub: must not lie inside the build directory {build.resolve()}"
    assert {p: p.read_bytes() for p in build.rglob("*") if p.is_file()} == before


def test_build_refuses_a_build_directory_holding_foreign_files(
    model_file: Path, build: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (build / "rtl" / "mine.v").write_text("// keep me")
    err = fails(capsys, ["build", str(model_file), "-o", str(build)])
    assert "holds rtl/mine.v, which is not part of the build; refusing to delete it" in err
    assert (build / "rtl" / "mine.v").read_text() == "// keep me"


def test_rebuild_replaces_a_build_and_keeps_synth_outputs_replaceable(
    model_file: Path, build: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (build / "synth" / "xilinx7").mkdir(parents=True)
    (build / "synth" / "xilinx7" / "log.txt").write_text("yosys")
    assert main(["build", str(model_file), "-o", str(build), "--folding", "balanced"]) == 0
    assert not (build / "synth").exists()
    assert json.loads((build / "design_point.json").read_text()) != {}
    read_manifest(build)
    assert not list(build.parent.glob(".hw.*"))


def _damage(build: Path, how: str) -> str:
    """Damage the build; return the file the error must name."""
    if how == "edited-design-point":
        p = build / "design_point.json"
        p.write_text(p.read_text().replace('"pe": 1', '"pe": 2', 1))
        return "design_point.json"
    if how == "missing-graph":
        (build / "graph.hw.sfir").unlink()
        return "graph.hw.sfir"
    if how == "truncated-rtl":
        p = build / "rtl" / "sf_top.v"
        p.write_bytes(p.read_bytes()[:100])
        return "sf_top.v"
    if how == "missing-rtl":
        shutil.rmtree(build / "rtl")
        return "rtl/"
    if how == "corrupt-manifest":
        (build / "manifest.json").write_text('{"top": ')
        return "manifest.json"
    if how == "edited-manifest":
        p = build / "manifest.json"
        data = json.loads(p.read_text())
        data["predicted"]["cycles_per_frame"] = 1
        p.write_text(json.dumps(data))
        return "manifest.json"
    raise AssertionError(how)


DAMAGE = [
    "edited-design-point",
    "missing-graph",
    "truncated-rtl",
    "missing-rtl",
    "corrupt-manifest",
    "edited-manifest",
]


@pytest.mark.parametrize("how", DAMAGE)
@pytest.mark.parametrize(
    "argv",
    [["sim", "{}"], ["estimate", "{}"], ["synth", "{}", "--target", "xc7z020"]],
    ids=["sim", "estimate", "synth"],
)
def test_readers_refuse_a_damaged_build(
    build: Path, capsys: pytest.CaptureFixture[str], how: str, argv: list[str]
) -> None:
    name = _damage(build, how)
    err = fails(capsys, [a.format(build) for a in argv])
    assert name in err and ("rebuild" in err or "must be" in err), err


def test_stale_staging_directories_are_cleaned(
    model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / ".hw.partial-999999999"  # no such process
    (stale / "rtl").mkdir(parents=True)
    (stale / "manifest.json").write_text("{}")
    assert main(["build", str(model_file), "-o", str(tmp_path / "hw")]) == 0
    assert not stale.exists()
    fails(capsys, ["sim", str(stale)])


def test_interrupted_replacement_restores_the_previous_build(
    model_file: Path, good_build: Path, tmp_path: Path
) -> None:
    """The fallback without an atomic exchange: a build killed between renaming the old build
    aside and renaming the new one in; the next build of the target puts the old one back
    before replacing it."""
    aside = tmp_path / ".hw.old-999999999"
    shutil.copytree(good_build, aside)
    from streamfold.codegen.build_dir import clean_stale

    clean_stale(tmp_path / "hw")
    assert read_manifest(tmp_path / "hw") == read_manifest(good_build)
    assert not aside.exists()


def test_show_on_a_build_dir_graph(good_build: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", str(good_build / "graph.hw.sfir")]) == 0
    assert capsys.readouterr().out.startswith("graph hw\n")


# --- activation widths and memory images ------------------------------------------------------


def test_wide_activation_is_refused_before_any_work(
    model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = model_file.read_text().replace("requantizer3: i2n[24]", "requantizer3: u16[24]")
    # a scale of odd denominator: multiply-shift cannot be exact, thresholds are the only way
    text = text.replace("mul = [17977/2097152,", "mul = [17977/2097153,")
    wide = tmp_path / "wide.sfir"
    wide.write_text(text.replace("quantlinear4: i6[6]", "quantlinear4: i40[6]"))
    err = fails(capsys, ["build", str(wide), "-o", str(tmp_path / "hw")])
    assert err == (
        "node requantizer3: activation width must be at most 12 bits for hardware thresholds "
        "(4,095 per channel), not 16 bits (65,535 per channel); the multiply-shift block "
        "that serves wider ones needs dyadic scales (power-of-two denominators)"
    )


def test_memory_image_bound(
    monkeypatch: pytest.MonkeyPatch, model_file: Path, tmp_path: Path
) -> None:
    import streamfold.codegen.top as top
    from streamfold.errors import ResourceError

    monkeypatch.setattr(top, "MAX_IMAGE_BYTES", 64)
    with pytest.raises(ResourceError, match=r"^node quantlinear1: memory image \S+\.hex must be "):
        main(["--debug", "build", str(model_file), "-o", str(tmp_path / "hw")])


# --- the .sfir parser -------------------------------------------------------------------------


def _mlp_text(model_file: Path) -> str:
    return model_file.read_text()


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda t: t.replace(
                "  weight_dtype = i2n\n", "  weight_dtype = i2n\n  weight_dtype = i2n\n", 1
            ),
            r"^text line \d+: attribute 'weight_dtype' of node quantlinear1 must be given once, "
            "not twice",
        ),
        (
            lambda t: t.replace("mul=[", "mul=[1/0, ", 1),
            r"^text line \d+: fractions must have non-zero denominators, not '\[1/0, ",
        ),
        (
            lambda t: t.replace("input x: u4[36]", "input x: u100000[36]"),
            r"^text line 2: type width must be at most 256 bits, not u100000$",
        ),
        (
            lambda t: t.replace("graph nn", "graph"),
            r"^text line 1: must start with 'graph <stage>', not 'graph'$",
        ),
        (
            lambda t: t.replace("input x: u4[36]", "input x: u4[100000, 100000]"),
            r"^text line 2: shape \[100000, 100000\] must have at most 268,435,456 elements",
        ),
    ],
    ids=["duplicate", "one-over-zero", "absurd-width", "no-stage", "huge-shape"],
)
def test_parser_rejects_impossible_text(model_file: Path, edit: object, message: str) -> None:
    assert callable(edit)
    with pytest.raises(IRError, match=message):
        parse_graph(edit(_mlp_text(model_file)))


def test_deleted_node_line_gives_a_short_error(model_file: Path) -> None:
    lines = _mlp_text(model_file).splitlines(keepends=True)
    text = "".join(ln for ln in lines if not ln.startswith("node quantlinear1"))
    with pytest.raises(IRError) as exc:
        parse_graph(text)
    assert len(str(exc.value)) < 200 and " ... " in str(exc.value)


@pytest.mark.parametrize("kind", ["npy", "onnx-as-sfir", "latin1"])
def test_binary_graph_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    path = tmp_path / "g.sfir"
    if kind == "npy":
        np.save(tmp_path / "g.npy", np.zeros(3))
        path = tmp_path / "g.npy"
    elif kind == "onnx-as-sfir":
        path.write_bytes(b"\x08\x07\x12\x07pytorch\x1a\x052.0\xff\xfe")
    else:
        path.write_bytes("graph nn\ninput \xe9: u4[3]\n".encode("latin-1"))
    err = fails(capsys, ["show", str(path)])
    assert err.startswith(f"{path}: must be a graph text file (.sfir) in UTF-8, not binary data")


@pytest.mark.parametrize("stall", [1.0, float("nan"), -0.1])
def test_simulate_build_api_checks_stalls(good_build: Path, stall: float) -> None:
    from streamfold.sim.design import simulate_build
    from streamfold.validate import ArgumentError

    with pytest.raises(ArgumentError, match=r"^simulate_build: stall_in: must be a finite number"):
        simulate_build(good_build, np.zeros((1, 36), np.int64), stall_in=stall)


def test_options_that_would_be_ignored_are_errors(
    model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    point = tmp_path / "p.json"
    point.write_text(json.dumps({"nodes": {"quantlinear1": {}, "quantlinear4": {}}}))
    argv = ["build", str(model_file), "-o", str(tmp_path / "hw"), "--folding", str(point)]
    err = fails(capsys, [*argv, "--mem-style", "block"])
    assert err.startswith("build: --mem-style must be left out with a design point file")
    err = fails(capsys, ["explore", str(model_file), "--goal", "pareto", "--lut-cap", "0.5"])
    assert err.startswith("explore: --lut-cap must be left out with --goal pareto")


def test_absurd_fifo_depth_is_refused(
    model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    point = tmp_path / "p.json"
    nodes = {"quantlinear1": {"fifo_depth": 10**12}, "quantlinear4": {}}
    point.write_text(json.dumps({"nodes": nodes}))
    err = fails(
        capsys, ["build", str(model_file), "-o", str(tmp_path / "hw"), "--folding", str(point)]
    )
    assert err == "quantlinear1: fifo_depth must be at most 1,048,576 words, not 1,000,000,000,000"


def test_output_listed_twice_is_refused(model_file: Path) -> None:
    text = model_file.read_text().replace(
        "output quantlinear4", "output quantlinear4\noutput quantlinear4", 1
    )
    with pytest.raises(IRError, match=r"^text line \d+: output 'quantlinear4' must be listed once"):
        parse_graph(text)


def test_a_foreign_manifest_above_the_target_is_not_a_build(
    model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "manifest.json").write_text('{"name": "a web app", "icons": []}')
    assert main(["build", str(model_file), "-o", str(tmp_path / "hw")]) == 0
    read_manifest(tmp_path / "hw")
