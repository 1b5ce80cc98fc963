"""ECP5 block RAM output registers: move the flip-flops after a DP16KD's read into the block.

An ECP5 block RAM (``DP16KD``, ``PDPW16KD``) read without its output register
(``REGMODE = "NOREG"``) has a clock-to-output of 5.8 ns in nextpnr-ecp5's timing model, so
the route to the next flip-flop has 2.2 ns at 125 MHz: CNV's widest weight row (36 blocks) lost
3.8 ns there and placed at 104 MHz. With the output register on (``"OUTREG"``) the data
leaves the block from a register, one cycle later. Yosys' ``memory_libmap`` has no such option
for ECP5 (``brams_16kd.txt``), so the RTL registers every block-RAM read in the fabric (the
matrix units' operand register, ``OPR``) and this pass, run on ``synth_ecp5``'s JSON netlist
before nextpnr, moves those flip-flops into the block: the same cycle, the same values.

A read port's data bits move only when every bit that drives anything drives exactly one
``TRELLIS_FF``, by its data input, and the flip-flops share the port's clock and clock enable
(a constant 1, or one net that becomes the output-register enable ``OCE``), with no set or
reset and no global set/reset; the port's own reset must be constant 0 (with the output
register on it would reset the register instead of the read). Any other port is left as it
is. Yosys' ``stat`` counts are taken before the pass: resource estimates are compared with
them, and nextpnr's utilisation shows the flip-flops gone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamfold.errors import ToolError

__all__ = ["ReadPort", "absorb_in_module", "absorb_output_registers", "read_ports"]


@dataclass(frozen=True)
class ReadPort:
    """A block RAM read port's names: its data bits, clock, output enable and resets."""

    regmodes: tuple[str, ...]  # the parameters that set its output register
    data: tuple[str, ...]  # output port names
    clock: str
    output_enables: tuple[str, ...]
    resets: tuple[str, ...]


def _dp16kd_port(side: str) -> ReadPort:
    data = tuple(f"DO{side}{i}" for i in range(18))
    return ReadPort((f"REGMODE_{side}",), data, f"CLK{side}", (f"OCE{side}",), (f"RST{side}",))


# A DP16KD with DATA_WIDTH_A = 36 is a 36-bit pseudo-dual-port RAM (Yosys maps its PDPW16KD
# so; nextpnr converts a PDPW16KD to it): one read port on CLKB, OCEB and both resets, its
# data on DOB (bits 0-17) and DOA (18-35), both REGMODEs set alike. nextpnr gives that mode
# OCEB only (a PDPW16KD's OCER); OCEA, tied off by Yosys, is given the same enable too.
_PDP_DP16KD = ReadPort(
    ("REGMODE_A", "REGMODE_B"),
    tuple(f"DOB{i}" for i in range(18)) + tuple(f"DOA{i}" for i in range(18)),
    "CLKB",
    ("OCEB", "OCEA"),
    ("RSTA", "RSTB"),
)
_PDPW16KD = ReadPort(("REGMODE",), tuple(f"DO{i}" for i in range(36)), "CLKR", ("OCER",), ("RST",))


def read_ports(cell: dict[str, Any]) -> tuple[ReadPort, ...]:
    """The read ports of a block RAM cell (none for any other cell)."""
    if cell["type"] == "PDPW16KD":
        return (_PDPW16KD,)
    if cell["type"] != "DP16KD":
        return ()
    if _int_param(cell["parameters"].get("DATA_WIDTH_A", 18)) == 36:
        return (_PDP_DP16KD,)
    return (_dp16kd_port("A"), _dp16kd_port("B"))


def _int_param(value: object) -> int:
    """A Yosys JSON integer parameter: a number, or a string of binary digits."""
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text, 2) if text and set(text) <= {"0", "1"} else int(text)


Bit = int | str  # a net number, or a constant "0", "1", "x", "z"


def _one(conn: dict[str, list[Bit]], port: str) -> Bit | None:
    bits = conn.get(port)
    return bits[0] if bits else None


def _sinks(module: dict[str, Any]) -> dict[int, list[tuple[str, str]]]:
    """Each net's readers: (cell, input port); a module output reads as ("", port name)."""
    sinks: dict[int, list[tuple[str, str]]] = {}
    for name, cell in module["cells"].items():
        dirs = cell.get("port_directions", {})
        for port, bits in cell["connections"].items():
            if dirs.get(port, "input") == "output":
                continue
            for b in bits:
                if isinstance(b, int):
                    sinks.setdefault(b, []).append((name, port))
    for pname, port in module.get("ports", {}).items():
        if port.get("direction") != "input":
            for b in port["bits"]:
                if isinstance(b, int):
                    sinks.setdefault(b, []).append(("", pname))
    return sinks


def _plain_ff(cell: dict[str, Any], clock: Bit) -> Bit | None:
    """The flip-flop's clock enable (a net, or "1") when it is a plain D flip-flop on
    ``clock`` that the output register can replace; None otherwise."""
    if cell["type"] != "TRELLIS_FF":
        return None
    p = {k: str(v).strip() for k, v in cell["parameters"].items()}  # Yosys pads strings
    c = cell["connections"]
    if p.get("GSR", "ENABLED") != "DISABLED" or p.get("CLKMUX", "CLK") != "CLK":
        return None
    if _one(c, "CLK") != clock:
        return None
    lsr = _one(c, "LSR")
    lsr_off = p.get("LSRMUX", "LSR") == "LSR" and lsr in (None, "0")
    lsr_off |= p.get("LSRMUX") == "INV" and lsr == "1"
    if not lsr_off:
        return None
    cemux = p.get("CEMUX", "CE")
    ce = _one(c, "CE")
    if cemux == "1" or (cemux == "CE" and ce in (None, "1")):
        return "1"
    if cemux == "CE" and isinstance(ce, int):
        return ce
    return None


def _registered_bits(
    port: ReadPort,
    conn: dict[str, list[Bit]],
    clock: int,
    sinks: dict[int, list[tuple[str, str]]],
    cells: dict[str, dict[str, Any]],
) -> list[tuple[str, str, Bit]] | None:
    """(data port, flip-flop, its clock enable) for each used data bit of ``port``, or None
    when a used bit drives anything but one plain flip-flop on ``clock``."""
    moves: list[tuple[str, str, Bit]] = []
    for dport in port.data:
        bit = _one(conn, dport)
        if not isinstance(bit, int) or bit not in sinks:
            continue  # unused data bit
        readers = sinks[bit]
        if len(readers) != 1 or readers[0][1] != "DI" or not readers[0][0]:
            return None
        ff = readers[0][0]
        enable = _plain_ff(cells[ff], clock)
        if enable is None:
            return None
        moves.append((dport, ff, enable))
    return moves


def absorb_in_module(module: dict[str, Any]) -> int:
    """Turn on the output register of every block RAM read port whose data is registered by
    plain flip-flops (module docstring), removing them; returns the flip-flops removed."""
    cells: dict[str, dict[str, Any]] = module["cells"]
    sinks = _sinks(module)
    removed: list[str] = []
    for cell in cells.values():
        for port in read_ports(cell):
            params, conn = cell["parameters"], cell["connections"]
            if any(str(params.get(r, "NOREG")).strip() != "NOREG" for r in port.regmodes):
                continue
            if any(_one(conn, r) not in (None, "0") for r in port.resets):
                continue
            clock = _one(conn, port.clock)
            if not isinstance(clock, int):
                continue
            moves = _registered_bits(port, conn, clock, sinks, cells)
            if moves is None:
                continue
            enables = {enable for _, _, enable in moves}
            if not moves or len(enables) != 1:
                continue
            for dport, ff, _ in moves:
                conn[dport] = list(cells[ff]["connections"]["Q"])
                removed.append(ff)
            for regmode in port.regmodes:
                params[regmode] = "OUTREG"
            enable = enables.pop()
            for oce in port.output_enables:
                conn[oce] = [enable]
    for ff in removed:
        del cells[ff]
    return len(removed)


def absorb_output_registers(netlist: Path) -> int:
    """Rewrite a ``synth_ecp5`` JSON netlist in place with its block RAMs' output registers
    absorbed (module docstring); returns the flip-flops moved into block RAMs. Running it
    again changes nothing."""
    try:
        design = json.loads(Path(netlist).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ToolError(f"ECP5 netlist {netlist}: must be Yosys JSON ({e})") from e
    tops = [m for m in design.get("modules", {}).values() if _is_top(m)]
    if len(tops) != 1:
        raise ToolError(f"ECP5 netlist {netlist}: expected one top module, found {len(tops)}")
    moved = absorb_in_module(tops[0])
    if moved:
        Path(netlist).write_text(json.dumps(design))
    return moved


def _is_top(module: dict[str, Any]) -> bool:
    top = module.get("attributes", {}).get("top", 0)
    return str(top) not in ("0", "00000000000000000000000000000000", "")
