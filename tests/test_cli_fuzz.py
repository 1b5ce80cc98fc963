"""Seeded fuzzing of the command line: malformed ONNX, mutated .sfir lines, bad values of every
option and damaged build directories.

Every case must end with exit 0 (valid input: the same output as the library gives), 1 (an
error: exactly one line on stderr) or 2 (a usage error: one line), never a traceback or an
internal error, within a bounded time. 75 cases per kind in the default suite (300 in all),
750 per kind (3,000) with ``-m slow``. Commands that would run Verilator, Yosys or training are
only ever given arguments that must fail before them.
"""

from __future__ import annotations

import io
import json
import random
import shutil
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import numpy as np
import onnx
import pytest
import torch

from streamfold.cli import main
from streamfold.frontend.export_qonnx import export_qonnx
from streamfold.frontend.torch import export
from streamfold.ir import print_graph
from streamfold.models import mlp

CASE_SECONDS = 30  # generous: the machine is shared; a hang is what this catches
KINDS = ("sfir", "onnx", "option", "build_dir")
DEFAULT_CASES, SLOW_CASES = 75, 750
# Numbers as a hostile user types them: out of range, not finite, not numbers at all.
NUMBERS = (
    "0", "-0", "1", "-1", "-3", "0.5", "1.0", "0.9", "0.95", "2", "100", "1e11",
    "100000000000", "99999999999999999999999", "nan", "NaN", "inf", "-inf", "1e309", "1e-320",
    "abc", "", " 3", "0x10", "\u0663", "1_000", "5e", "--", "4294967296", "4294967295",
)  # fmt: skip
DEVICES = ("xc7z020", "XC7Z020", "lfe5u-85f", "nope", "", "../xc7z020", "xc7z020 ")


@dataclass
class World:
    root: Path
    model: Path  # the small MLP as .sfir
    onnx: bytes  # the same network as QONNX
    build: Path  # its build directory (folded)
    npy: dict[str, Path] = field(default_factory=dict)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("fuzz")
    torch.manual_seed(0)
    net = mlp(12, (8,), 4, weight_bits=2, act_bits=2, input_bits=3).train()
    with torch.no_grad():
        for _ in range(4):
            net(torch.rand(32, 12))
    net = net.eval()
    model = root / "mlp.sfir"
    model.write_text(print_graph(export(net, (12,))))
    export_qonnx(net, (12,), root / "mlp.onnx")
    build = root / "good"
    assert main(["build", str(model), "-o", str(build)]) == 0
    w = World(root, model, (root / "mlp.onnx").read_bytes(), build)
    arrays = {
        "ok": np.zeros((3, 12), np.int64),
        "wide": np.full((2, 12), 2**64 - 1, np.uint64),
        "neg": np.full((2, 12), -1, np.int64),
        "float": np.zeros((2, 12), np.float64),
        "shape": np.zeros((2, 3, 4, 5), np.int64),
        "scalar": np.int64(3),
        "empty": np.zeros((0, 12), np.int64),
    }
    for name, a in arrays.items():
        np.save(root / f"{name}.npy", a)
        w.npy[name] = root / f"{name}.npy"
    (root / "trunc.npy").write_bytes(w.npy["ok"].read_bytes()[:100])
    (root / "text.npy").write_text("1 2 3")
    w.npy["trunc"], w.npy["text"] = root / "trunc.npy", root / "text.npy"
    np.savez(root / "x.npz", a=arrays["ok"])
    w.npy["npz"] = root / "x.npz"
    return w


# --- running one case -------------------------------------------------------------------------


class _Hang(BaseException):
    pass


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str
    seconds: float


def run_cli(argv: list[str]) -> Outcome:
    def alarm(signum: int, frame: FrameType | None) -> None:
        raise _Hang

    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(CASE_SECONDS)
    start = time.monotonic()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else -1
    except _Hang:
        code = -2
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return Outcome(code, out.getvalue(), err.getvalue(), time.monotonic() - start)


def check(argv: list[str], result: Outcome, *, must_fail: bool = False) -> None:
    what = f"{argv} -> {result.code}: {result.err!r}"
    assert result.seconds < CASE_SECONDS and "_Hang" not in result.err, f"hang: {what}"
    assert result.code in (0, 1, 2), what
    assert "Traceback" not in result.err and "internal error" not in result.err, what
    if result.code == 0:
        assert not must_fail, f"accepted: {what}"
        assert result.err == "", what
    else:
        assert result.err.count("\n") == 1 and result.err.endswith("\n"), what
        prefix = "streamfold: error: " if result.code == 1 else "streamfold: usage: "
        assert result.err.startswith(prefix), what


# --- case generators --------------------------------------------------------------------------


def _mutate_lines(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True)
    k = rng.randrange(len(lines))
    how = rng.randrange(8)
    if how == 0:
        del lines[k]
    elif how == 1:
        lines.insert(k, lines[k])
    elif how == 2:
        j = rng.randrange(len(lines))
        lines[k], lines[j] = lines[j], lines[k]
    elif how == 3:
        tokens = lines[k].split(" ")
        t = rng.randrange(len(tokens))
        tokens[t] = rng.choice(
            ["1/0", "i100000", "u0", "-1", "[", "]", "none", "x", "", "\u00e9", "99" * 30, "nan"]
        )
        lines[k] = " ".join(tokens)
    elif how == 4:
        data = "".join(lines)
        return data[: rng.randrange(len(data))]
    elif how == 5:
        lines[k] = lines[k][: rng.randrange(len(lines[k]) + 1)] + "\n"
    elif how == 6:
        lines.insert(k, rng.choice(["graph hw\n", "output x\n", "  weight = [1] 1\n", "# c\n"]))
    else:
        lines[k] = lines[k].replace("[", "[0, ", 1)
    return "".join(lines)


def _flip(rng: random.Random, data: bytes, flips: int) -> bytes:
    b = bytearray(data)
    for _ in range(flips):
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def sfir_case(rng: random.Random, w: World, work: Path) -> tuple[list[str], bool]:
    path = work / "g.sfir"
    text = w.model.read_text()
    if rng.random() < 0.15:
        path.write_bytes(_flip(rng, text.encode(), rng.randint(1, 4)))
    else:
        path.write_text(_mutate_lines(rng, text), encoding="utf-8")
    if rng.random() < 0.2:
        return ["build", str(path), "-o", str(work / "b")], False
    return ["show", str(path)], False


def _contradict(rng: random.Random, model: onnx.ModelProto) -> None:
    node = rng.choice(list(model.graph.node))
    key = rng.choice(["kernel_shape", "strides", "pads", "group", "signed", "narrow", "axis"])
    value = rng.choice([[rng.randint(-2, 5)] * rng.randint(1, 4), rng.randint(-3, 9), "x"])
    del_ = [a for a in node.attribute if a.name == key]
    for a in del_:
        node.attribute.remove(a)
    node.attribute.append(onnx.helper.make_attribute(key, value))
    if rng.random() < 0.3 and model.graph.initializer:
        init = rng.choice(list(model.graph.initializer))
        init.dims[:] = [rng.randint(0, 4) for _ in range(rng.randint(0, 3))]


def onnx_case(rng: random.Random, w: World, work: Path) -> tuple[list[str], bool]:
    path = work / "m.onnx"
    how = rng.randrange(3)
    if how == 0:
        path.write_bytes(w.onnx[: rng.randrange(len(w.onnx))])
    elif how == 1:
        path.write_bytes(_flip(rng, w.onnx, rng.randint(1, 16)))
    else:
        model = onnx.load_from_string(w.onnx)
        _contradict(rng, model)
        path.write_bytes(model.SerializeToString())
    if rng.random() < 0.2:
        return ["build", str(path), "-o", str(work / "b")], False
    return ["show", str(path)], False


def _num(rng: random.Random) -> str:
    return rng.choice(NUMBERS)


def option_case(rng: random.Random, w: World, work: Path) -> tuple[list[str], bool]:
    """Random options of one command; (argv, whether it must fail)."""
    (work / "file").write_text("x")
    paths = [
        str(work / "new.json"),
        str(work / "missing" / "p.json"),
        str(work / "file" / "p.json"),
        str(work),
        str(work / "file"),
    ]
    command = rng.choice(["sim", "estimate", "explore", "build", "show", "demo", "synth"])
    opts: list[str] = []

    def maybe(p: float, *items: str) -> None:
        if rng.random() < p:
            opts.extend(items)

    if command == "sim":
        rtl = rng.random() < 0.2
        stall = rng.choice(["1.0", "nan", "-0.1", "inf", "1", "abc"]) if rtl else _num(rng)
        opts = ["sim", str(w.build), "-q"] + (["--rtl", "--stall", stall] if rtl else [])
        maybe(0.4, "--frames", _num(rng))
        maybe(0.3, "--stall", stall)
        maybe(0.4, "--seed", _num(rng))
        maybe(0.4, "--input", str(rng.choice(list(w.npy.values()))))
        return opts, rtl
    if command == "estimate":
        opts = ["estimate", str(w.build)]
        maybe(0.5, "--device", rng.choice(DEVICES))
        maybe(0.6, "--clock-mhz", _num(rng))
        maybe(0.5, "--json")
        return opts, False
    if command == "explore":
        opts = ["explore", str(w.model)]
        maybe(0.3, "--device", rng.choice(DEVICES))
        maybe(0.4, "--goal", rng.choice(["max-fps", "min-resources", "pareto", "fast"]))
        maybe(0.4, "--fps", _num(rng))
        maybe(0.4, "--clock-mhz", _num(rng))
        maybe(0.4, "--lut-cap", _num(rng))
        maybe(0.3, "-o", rng.choice(paths))
        maybe(0.1, "--plot", str(work / "file" / "plots"))
        return opts, False
    if command == "build":
        model = rng.choice([str(w.model), str(w.npy["ok"]), str(work / "nope.sfir"), str(work)])
        opts = ["build", model, "-o", rng.choice([str(work / "b"), *paths[2:], str(w.build / "x")])]
        folding = rng.choice(["folded", "balanced", "fast", "cycles=" + _num(rng), paths[0], ""])
        maybe(0.5, "--folding", folding)
        maybe(0.3, "--mem-style", rng.choice(["block", "registers", "bram", ""]))
        maybe(0.4, "--clock-mhz", _num(rng))
        return opts, False
    if command == "show":
        graph = rng.choice(
            [str(w.model), str(w.build), str(w.npy["ok"]), "builtin:nope", str(work / "file")]
        )
        return ["show", graph] + (["--values"] if rng.random() < 0.3 else []), False
    if command == "demo":  # an invalid --epochs always: the demo must never train here
        bad = rng.choice(["-3", "0", "10001", "x", "1.5", "", "nan"])
        opts = ["demo", "--epochs", bad, "-q", "--no-rtl", "-o", rng.choice(paths)]
        maybe(0.5, "--seed", _num(rng))
        return opts, True
    target = rng.choice(["nope", "", "xc7z020 --bitstream", "lfe5u-85f --frobnicate"])
    return ["synth", str(w.build), "--target", *target.split(" ")], True


def _damage(rng: random.Random, build: Path) -> bool:
    """Damage a copy of a build at random; True when the damage touches what the build is
    (a listed file or the manifest), False when it only adds a file."""
    files = sorted(p for p in build.rglob("*") if p.is_file())
    victim = rng.choice(files)
    how = rng.randrange(7)
    if how == 0:
        victim.unlink()
    elif how == 1:
        data = victim.read_bytes()
        victim.write_bytes(data[: rng.randrange(max(len(data), 1))])
    elif how == 2:
        victim.write_bytes(_flip(rng, victim.read_bytes(), rng.randint(1, 3)))
    elif how == 3:
        victim.unlink()
        victim.mkdir()
    elif how == 4:
        p = build / rng.choice(["manifest.json", "design_point.json"])
        try:
            data = json.loads(p.read_text())
            key = rng.choice(sorted(data))
        except (OSError, ValueError, TypeError, IndexError):
            return True  # already damaged by an earlier step
        data[key] = rng.choice([None, 0, -1, "x", [], {}, 1e308])
        p.write_text(json.dumps(data))  # other whitespace: the text differs even if the value
        # was unchanged
    elif how == 5:
        shutil.rmtree(build / "rtl", ignore_errors=True)
    else:
        (build / rng.choice(["notes.txt", "synth"])).mkdir(exist_ok=True)
        return False
    return True


def build_dir_case(rng: random.Random, w: World, work: Path) -> tuple[list[str], bool]:
    build = work / "dmg"
    shutil.copytree(w.build, build)
    damaged = any([_damage(rng, build) for _ in range(rng.randint(1, 3))])
    reader = rng.choice(
        [["sim", str(build), "-q"], ["estimate", str(build)], ["show", str(build)]]
        + [["sim", str(build), "--rtl", "-q"], ["synth", str(build), "--target", "xc7z020"]]
        * damaged  # these two run tools on a good build: only ever given a damaged one
    )
    return reader, damaged


GENERATORS: dict[str, Callable[[random.Random, World, Path], tuple[list[str], bool]]] = {
    "sfir": sfir_case,
    "onnx": onnx_case,
    "option": option_case,
    "build_dir": build_dir_case,
}


def _reference(argv: list[str]) -> str | None:
    """The library's own output for a valid ``show`` or ``estimate`` (the CLI must match it)."""
    from streamfold.cli import build_parser
    from streamfold.cost.design_cost import estimate_build, estimate_table
    from streamfold.flow import load_graph
    from streamfold.ir import print_graph as pg

    args = build_parser().parse_args(argv)
    if args.command == "show":
        return pg(load_graph(args.graph), values=args.values)
    if args.command == "estimate":
        est = estimate_build(Path(args.build_dir), args.device, args.clock_mhz)
        if args.json:
            return json.dumps(est.to_json(), indent=2, allow_nan=False) + "\n"
        return estimate_table(est) + "\n"
    return None


def fuzz(kind: str, cases: int, seed: int, w: World, tmp: Path) -> Counter[str]:
    rng = random.Random(f"{kind}-{seed}")
    tally: Counter[str] = Counter()
    for k in range(cases):
        work = tmp / f"c{k}"
        work.mkdir()
        argv, must_fail = GENERATORS[kind](rng, w, work)
        result = run_cli(argv)
        check(argv, result, must_fail=must_fail)
        if result.code == 0 and (expected := _reference(argv)) is not None:
            assert result.out == expected, argv
        tally[f"exit {result.code}"] += 1
        shutil.rmtree(work, ignore_errors=True)
    return tally


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)  # nothing the fuzz writes can land in the repository
    yield tmp_path


@pytest.mark.parametrize("kind", KINDS)
def test_fuzz_cli(kind: str, world: World, in_tmp: Path) -> None:
    tally = fuzz(kind, DEFAULT_CASES, 0, world, in_tmp)
    print(f"fuzz {kind}: {DEFAULT_CASES} cases, {dict(sorted(tally.items()))}")
    assert sum(tally.values()) == DEFAULT_CASES


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_fuzz_cli_many(kind: str, world: World, in_tmp: Path) -> None:
    tally = fuzz(kind, SLOW_CASES, 1, world, in_tmp)
    print(f"fuzz {kind}: {SLOW_CASES} cases, {dict(sorted(tally.items()))}")
    assert sum(tally.values()) == SLOW_CASES
