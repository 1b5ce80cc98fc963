"""``streamfold deploy``: one folder with everything a board needs for a build.

Every board gets ``build/`` (a verified copy of the build directory: the host runtime reads
its manifest), ``board.json`` (the backend and how to reach the board) and ``run_on_board.py``
(the driver: ``streamfold.runtime.Accelerator``). Zynq boards (``pynq-z2``, ``zcu104``) get
``ip/`` (``component.xml`` + the RTL) and ``<board>.tcl`` (the block design; Vivado, not run
here, makes ``sf_accel.bit`` / ``.hwh`` from it). The ULX3S gets ``ulx3s.lpf`` and, with the
open tools, ``sf_accel_ulx3s.bit`` with its Fmax.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from streamfold.codegen.build_dir import MANIFEST, read_manifest
from streamfold.hw.board import ulx3s
from streamfold.packaging.ecp5 import BoardBuild, build_ulx3s
from streamfold.packaging.ipxact import component_xml
from streamfold.packaging.vivado import BOARDS, PackagingError, block_design_tcl, board

DEPLOY_BOARDS = (*sorted(BOARDS), "ulx3s")
MARKER = "board.json"


@dataclass(frozen=True)
class Deployment:
    out_dir: Path
    board: str
    files: tuple[str, ...]
    ecp5: BoardBuild | None  # the ULX3S bitstream's result, when built


def deploy(
    build_dir: Path,
    board_name: str,
    out_dir: Path,
    *,
    clock_mhz: float = 100.0,
    bitstream: bool = True,
) -> Deployment:
    if board_name not in DEPLOY_BOARDS:
        raise PackagingError(
            f"deploy: board must be one of {', '.join(DEPLOY_BOARDS)}, not {board_name!r}"
        )
    build_dir, out_dir = Path(build_dir), Path(out_dir)
    manifest = read_manifest(build_dir)
    _check_target(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = _copy_build(build_dir, manifest, out_dir / "build")
    ecp5 = None
    if board_name == "ulx3s":
        (out_dir / "ulx3s.lpf").write_text(ulx3s.lpf())
        files.append("ulx3s.lpf")
        if bitstream:
            ecp5 = build_ulx3s(build_dir, manifest, out_dir / "ecp5")
            shutil.copyfile(ecp5.bitstream, out_dir / "sf_accel_ulx3s.bit")
            files.append("sf_accel_ulx3s.bit")
        info = {"board": "ulx3s", "backend": "ulx3s", "clock_mhz": ulx3s.CLOCK_MHZ,
                "baud": ulx3s.BAUD, "port": "/dev/ttyUSB0",
                "fmax_mhz": None if ecp5 is None else round(ecp5.fmax_mhz, 2)}  # fmt: skip
        call = 'Accelerator("build", backend="ulx3s", port="/dev/ttyUSB0", clock_mhz=25.0)'
    else:
        zynq = board(board_name)
        rtl = [*manifest["sources"], *manifest["memories"]]
        for rel in rtl:
            dest = out_dir / "ip" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(build_dir / rel, dest)
        (out_dir / "ip" / "component.xml").write_bytes(component_xml(rtl))
        (out_dir / f"{board_name}.tcl").write_text(block_design_tcl(zynq, clock_mhz=clock_mhz))
        files += [f"ip/{r}" for r in rtl] + ["ip/component.xml", f"{board_name}.tcl"]
        info = {"board": board_name, "backend": "pynq", "clock_mhz": clock_mhz,
                "shell_base": zynq.shell_base, "bitfile": "sf_accel.bit"}  # fmt: skip
        call = (
            f'Accelerator("build", backend="pynq", bitfile="sf_accel.bit", clock_mhz={clock_mhz:g})'
        )
    (out_dir / MARKER).write_text(json.dumps(info, indent=2) + "\n")
    (out_dir / "run_on_board.py").write_text(_driver(call))
    files += [MARKER, "run_on_board.py"]
    return Deployment(out_dir, board_name, tuple(sorted(files)), ecp5)


def _check_target(out_dir: Path) -> None:
    if out_dir.exists() and (
        not out_dir.is_dir() or (any(out_dir.iterdir()) and not (out_dir / MARKER).is_file())
    ):
        raise PackagingError(
            f"deploy: -o {out_dir} must be a new or empty directory or an earlier deployment, "
            "and is not"
        )


def _copy_build(build_dir: Path, manifest: dict[str, object], dest: Path) -> list[str]:
    listed = [*manifest["files"], MANIFEST]  # type: ignore[misc]
    for rel in listed:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(build_dir / rel, dest / rel)
    return [f"build/{rel}" for rel in sorted(listed)]


def _driver(call: str) -> str:
    return f'''"""Run the accelerator on the board (written by `streamfold deploy`).

Needs streamfold on the host (and pynq on a PYNQ board, pyserial for a serial link).
Inputs are integer codes of shape (frames, *input_shape), as `streamfold sim` takes them.
"""

import sys

import numpy as np

from streamfold.runtime import Accelerator

acc = {call}
x = np.load(sys.argv[1]) if len(sys.argv) > 1 else None
if x is None:
    sys.exit("usage: python run_on_board.py inputs.npy")
y = acc.run(x)
np.save("outputs.npy", y)
t = acc.throughput()
print(f"{{len(x)}} frames: {{t.frames_per_s:,.0f}} frames/s at {{t.clock_mhz:g}} MHz")
print(f"bare pipeline: {{t.pipeline_frames_per_s:,.0f}} frames/s")
'''
