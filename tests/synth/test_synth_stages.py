"""Per-stage synthesis: a second, hierarchical Yosys run, each top-level instance's cells
(submodules expanded) counted; the flat run's total is left as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from streamfold.cost.devices import Family, device
from streamfold.errors import ToolError
from streamfold.synth.resources import Resources, count_cells, instance_resources
from streamfold.synth.yosys import synth_script

DATA = Path(__file__).parent / "data"


def test_per_stage_script_reruns_from_scratch_keeping_the_stages() -> None:
    flat = synth_script("t", ["a.v", "t.v"], family=Family.XILINX7, parameters=(("N", 3),))
    both = synth_script(
        "t", ["a.v", "t.v"], family=Family.XILINX7, parameters=(("N", 3),), per_stage=True
    )
    assert both[: len(flat)] == flat  # the flat run is the same commands, first
    assert both[len(flat) :] == (
        "design -reset",
        "read_verilog -defer a.v",
        "read_verilog -defer t.v",
        "chparam -set N 3 t",
        "hierarchy -check -top t",
        # the top's instances keep their modules; their own submodules flatten into them
        "setattr -mod -set keep_hierarchy 1 t/c:* %M",
        "synth_xilinx -family xc7 -flatten -noiopad -noclkbuf -nodsp",
        "tee -q -o stat_stages.json stat -json",
        "select -module t",
        "write_json -selected top_cells.json",
    )
    ecp5 = synth_script("t", ["t.v"], family=Family.ECP5, per_stage=True)
    assert ecp5.count("setattr -mod -set keep_hierarchy 1 t/c:* %M") == 1


def _stat(modules: dict[str, dict[str, int]]) -> str:
    return json.dumps({"modules": {k: {"num_cells_by_type": v} for k, v in modules.items()}})


def _top(top: str, cells: dict[str, str]) -> str:
    return json.dumps({"modules": {top: {"cells": {k: {"type": t} for k, t in cells.items()}}}})


def test_nested_modules_are_expanded_and_glue_counted() -> None:
    stat = _stat(
        {
            "\\top": {"$paramod$1\\a": 1, "\\b": 1, "LUT2": 3, "FDRE": 1},
            "$paramod$1\\a": {"\\b": 2, "LUT6": 1, "CARRY4": 1},
            "\\b": {"FDRE": 4, "RAM32M": 1},
        }
    )
    top = _top("top", {"u_a": "$paramod$1\\a", "u_b": "b", "lut_x": "LUT2"})
    rows = dict(instance_resources(stat, top, Family.XILINX7, "top"))
    assert rows == {
        # one LUT6 + two b's (4 FFs and a RAM32M = 4 LUTs of LUT RAM each), one CARRY4
        "u_a": Resources(lut=1 + 2 * 4, ff=2 * 4, lutram=2 * 4, carry=1),
        "u_b": Resources(lut=4, ff=4, lutram=4),
        "": Resources(lut=3, ff=1),
    }


def test_recorded_yosys_run_instances_add_up_to_its_design_total() -> None:
    """A real hierarchical run (the 36-24-6 MLP, balanced, xc7): the instances and the glue
    sum to the total Yosys itself gives for the whole design."""
    stat = (DATA / "mlp_balanced_xc7.stat_stages.json").read_text()
    top = (DATA / "mlp_balanced_xc7.top_cells.json").read_text()
    rows = instance_resources(stat, top, Family.XILINX7, "sf_top")
    names = [name for name, _ in rows]
    assert names == [
        "u_quantlinear1",
        "u_quantlinear1_fifo",
        "u_quantlinear4",
        "u_quantlinear4_fifo",
    ]
    whole = json.loads(stat)["design"]["num_cells_by_type"]
    primitives = {c: n for c, n in whole.items() if not c.startswith("$paramod")}
    total = Resources()
    for _, r in rows:
        total = total + r
    assert total == count_cells(primitives, Family.XILINX7)


def test_missing_top_module_is_a_tool_error() -> None:
    with pytest.raises(ToolError, match=r"^yosys netlist: the top module sf_top must be in it"):
        instance_resources(_stat({"\\x": {}}), _top("x", {}), Family.XILINX7, "sf_top")


@pytest.mark.synth
@pytest.mark.slow
def test_synth_build_per_stage_keeps_the_flat_total(tmp_path: Path) -> None:
    from streamfold.cli import main
    from streamfold.frontend.torch import export
    from streamfold.ir import print_graph
    from streamfold.models import mlp
    from streamfold.synth.implement import RESULT, implement_build

    torch.manual_seed(0)
    model = mlp(16, (8,), 4, weight_bits=2, act_bits=2, input_bits=4).train()
    with torch.no_grad():
        model(torch.rand(64, 16))
    (tmp_path / "m.sfir").write_text(print_graph(export(model.eval(), (16,))))
    out = tmp_path / "hw"
    assert main(["build", str(tmp_path / "m.sfir"), "-o", str(out), "-q"]) == 0
    dev = device("xc7z020")
    flat = implement_build(out, dev, per_stage=False, workdir=tmp_path / "flat")
    both = implement_build(out, dev)
    assert both.synth.resources == flat.synth.resources  # the flat total is unchanged
    assert [n for n, _ in both.synth.instances if n] == [
        "u_quantlinear1", "u_quantlinear1_fifo", "u_quantlinear4", "u_quantlinear4_fifo"
    ]  # fmt: skip
    recorded = json.loads((both.synth.log_path.parent / RESULT).read_text())
    assert recorded["resources"] == flat.synth.resources.to_json()
    assert recorded["instances"] == {n: r.to_json() for n, r in both.synth.instances}
