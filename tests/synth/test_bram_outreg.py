"""ECP5 block RAM output registers (``synth.bram_outreg``): which flip-flops move into a
DP16KD's output register, on hand-made netlists for every rule, and on a real matrix unit
through Yosys synth_ecp5 (and, slow, nextpnr-ecp5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from streamfold.cost.devices import device
from streamfold.synth.bram_outreg import absorb_in_module, absorb_output_registers, read_ports
from streamfold.synth.nextpnr import place_and_route

CLK, OTHER_CLK, CE = 2, 3, 4


def _ff(d: int, q: int, clk: int = CLK, **params: str) -> dict[str, Any]:
    conn: dict[str, list[Any]] = {"CLK": [clk], "DI": [d], "LSR": ["0"], "Q": [q]}
    for port in ("CE", "LSR"):
        if port in params:
            conn[port] = [int(params.pop(port))]
    base = {"CEMUX": "1 ", "CLKMUX": "CLK", "GSR": "DISABLED", "LSRMUX": "LSR", "REGSET": "RESET"}
    dirs = {"CLK": "input", "DI": "input", "LSR": "input", "CE": "input", "Q": "output"}
    return {"type": "TRELLIS_FF", "parameters": {**base, **params}, "connections": conn,
            "port_directions": dirs}  # fmt: skip


def _ram(width_a: int = 18, **conn: list[Any]) -> dict[str, Any]:
    ports = {f"DO{s}{i}": "output" for s in "AB" for i in range(18)}
    ports |= {p: "input" for p in ("CLKA", "CLKB", "OCEA", "OCEB", "RSTA", "RSTB")}
    connections: dict[str, list[Any]] = {"CLKA": [CLK], "CLKB": [CLK], "OCEA": ["1"],
                                         "OCEB": ["1"], "RSTA": ["0"], "RSTB": ["0"]}  # fmt: skip
    connections |= conn
    params = {"REGMODE_A": "NOREG", "REGMODE_B": "NOREG", "DATA_WIDTH_A": f"{width_a:032b}"}
    return {"type": "DP16KD", "parameters": params, "connections": connections,
            "port_directions": ports}  # fmt: skip


def _module(ram: dict[str, Any], ffs: dict[str, dict[str, Any]], **extra: Any) -> dict[str, Any]:
    reader = {"type": "LUT4", "parameters": {}, "port_directions": {"A": "input", "Z": "output"},
              "connections": {"A": [ff["connections"]["Q"][0] for ff in ffs.values()][:1],
                              "Z": [999]}}  # fmt: skip
    return {"attributes": {"top": "00000000000000000000000000000001"},
            "ports": extra.get("ports", {}),
            "cells": {"ram": ram, **ffs, "reader": reader, **extra.get("cells", {})}}  # fmt: skip


def _four_bits(port: str = "A", first_net: int = 100, **ff_params: str) -> tuple[dict, dict]:
    conn = {f"DO{port}{i}": [first_net + i] for i in range(4)}
    ffs = {f"ff{i}": _ff(first_net + i, first_net + 50 + i, **ff_params) for i in range(4)}
    return conn, ffs


def test_plain_flip_flops_move_into_the_output_register() -> None:
    conn, ffs = _four_bits()
    m = _module(_ram(**conn), ffs)
    assert absorb_in_module(m) == 4
    ram = m["cells"]["ram"]
    assert ram["parameters"]["REGMODE_A"] == "OUTREG"
    assert ram["parameters"]["REGMODE_B"] == "NOREG"  # port B reads nothing
    assert [ram["connections"][f"DOA{i}"] for i in range(4)] == [[150], [151], [152], [153]]
    assert ram["connections"]["OCEA"] == ["1"]
    assert not any(name.startswith("ff") for name in m["cells"])
    assert absorb_in_module(m) == 0  # again: nothing left to move


def test_a_shared_clock_enable_becomes_the_output_enable() -> None:
    conn, ffs = _four_bits("B", CEMUX="CE", CE=str(CE))
    m = _module(_ram(**conn), ffs)
    assert absorb_in_module(m) == 4
    ram = m["cells"]["ram"]
    assert ram["parameters"]["REGMODE_B"] == "OUTREG" and ram["connections"]["OCEB"] == [CE]


@pytest.mark.parametrize(
    "change",
    ["two enables", "reset net", "global reset", "other clock", "second reader", "port reset",
     "module output", "lut between"],
)  # fmt: skip
def test_a_port_moves_only_when_every_used_bit_meets_every_rule(change: str) -> None:
    conn, ffs = _four_bits()
    extra: dict[str, Any] = {}
    ram = _ram(**conn)
    if change == "two enables":
        ffs["ff3"] = _ff(103, 153, CEMUX="CE", CE=str(CE))
    elif change == "reset net":
        ffs["ff1"] = _ff(101, 151, LSR="7")
    elif change == "global reset":
        ffs["ff2"] = _ff(102, 152, GSR="ENABLED")
    elif change == "other clock":
        ffs["ff0"] = _ff(100, 150, clk=OTHER_CLK)
    elif change == "second reader":
        extra["cells"] = {"tap": {"type": "LUT4", "parameters": {},
                                  "port_directions": {"B": "input", "Z": "output"},
                                  "connections": {"B": [102], "Z": [998]}}}  # fmt: skip
    elif change == "port reset":
        ram["connections"]["RSTA"] = [9]
    elif change == "module output":
        extra["ports"] = {"dout": {"direction": "output", "bits": [101]}}
    else:  # a LUT reads the bit and the flip-flop reads the LUT
        lut = {"type": "LUT4", "parameters": {}, "port_directions": {"A": "input", "Z": "output"},
               "connections": {"A": [103], "Z": [120]}}  # fmt: skip
        extra["cells"] = {"lut": lut}
        ffs["ff3"] = _ff(120, 153)
    m = _module(ram, ffs, **extra)
    assert absorb_in_module(m) == 0
    assert m["cells"]["ram"]["parameters"]["REGMODE_A"] == "NOREG"
    assert sum(name.startswith("ff") for name in m["cells"]) == 4


def test_a_36_bit_pseudo_dual_port_ram_is_one_read_port_on_clock_b() -> None:
    conn = {f"DOB{i}": [200 + i] for i in range(18)} | {"DOA0": [218], "DOA1": [219]}
    ffs = {f"ff{i}": _ff(200 + i, 300 + i) for i in range(20)}
    ram = _ram(36, **conn, CLKA=["0"], OCEA=["0"])  # a ROM: the write side is tied off
    (port,) = read_ports(ram)
    assert port.clock == "CLKB" and port.regmodes == ("REGMODE_A", "REGMODE_B")
    m = _module(ram, ffs)
    assert absorb_in_module(m) == 20
    params = m["cells"]["ram"]["parameters"]
    assert (params["REGMODE_A"], params["REGMODE_B"]) == ("OUTREG", "OUTREG")
    assert m["cells"]["ram"]["connections"]["DOA1"] == [319]
    assert m["cells"]["ram"]["connections"]["OCEA"] == m["cells"]["ram"]["connections"]["OCEB"]


@pytest.mark.synth
def test_synth_ecp5_weight_reads_move_into_their_output_registers(
    block_mvau_netlist: tuple[Path, int],
) -> None:
    netlist, width = block_mvau_netlist
    assert absorb_output_registers(netlist) >= width  # every weight bit's operand register
    rams = [c for m in json.loads(netlist.read_text())["modules"].values()
            for c in m.get("cells", {}).values() if c["type"] == "DP16KD"]  # fmt: skip
    assert len(rams) == 4
    for ram in rams:
        (used,) = [p for p in read_ports(ram)
                   if any(isinstance(ram["connections"][d][0], int) for d in p.data)]  # fmt: skip
        assert {ram["parameters"][r] for r in used.regmodes} == {"OUTREG"}
    assert absorb_output_registers(netlist) == 0


@pytest.mark.synth
def test_absorbed_design_places_with_registered_block_ram_outputs(
    block_mvau_netlist: tuple[Path, int],
) -> None:
    """nextpnr-ecp5 times a DP16KD by its REGMODE. Without the pass this design's critical
    path is a weight read, DOB5 -> the operand register, 5.83 ns of unregistered
    clock-to-output, 140.8 MHz on LFE5U-25F; with it, 169.1 MHz, the adder tree's root into
    the threshold compare (2026-12-05)."""
    netlist, width = block_mvau_netlist
    pnr = place_and_route(netlist, device("lfe5u-25f"), timeout_s=1800)
    assert pnr.bram_output_ffs >= width
    path = pnr.critical_path
    assert path is not None
    first = path.steps[0]
    assert not (".DO" in f"{first.cell}.{first.port}" and first.delay_ns > 5.0), path.summary()
