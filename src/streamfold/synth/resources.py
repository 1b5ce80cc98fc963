"""Resources: what a synthesised netlist uses, parsed from Yosys ``stat -json``.

Counting rules (one table per family, every cell type Yosys' mappers emit):
- ``lut``: every LUT site in use, logic and memory alike (comparable with the device's LUT
  count). Xilinx: LUT1..LUT6 and INV one each (Vivado folds most INVs into neighbours: an upper
  bound), each LUTRAM/SRL cell its LUTs (RAM32M = 4, RAM64X1D = 2, SRLC32E = 1, ...).
  ECP5: LUT4 one each, CCU2C two (a carry cell occupies both LUT4s of a slice),
  TRELLIS_DPR16X4 four (two slices in RAM mode).
- ``lutram``: the LUTs of ``lut`` used as memory or shift registers.
- ``ff``: flip-flops and latches (FDRE/FDSE/FDCE/FDPE/LDCE/LDPE, TRELLIS_FF).
- ``bram``: the family's native unit: RAMB18 equivalents for Xilinx (RAMB36 = 2, FIFO36 = 2),
  DP16KD for ECP5.
- ``dsp``: DSP48E1/DSP48E2 slices, ECP5 MULT18X18D multipliers (ALU54B counted as 0).
- ``carry``: CARRY4/CARRY8 (Xilinx; these use no LUTs) and CCU2C (ECP5; also counted in lut).
Wide-function muxes (MUXF7/8/9, PFUMX, L6MUX21), I/O and clock buffers and constants use no
LUT/FF/BRAM/DSP and are not counted. Any other cell type is an error: a miscount is worse.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from streamfold.cost.devices import Device, Family
from streamfold.errors import ResourceError, ToolError


@dataclass(frozen=True)
class Resources:
    lut: int = 0
    ff: int = 0
    lutram: int = 0
    bram: int = 0  # RAMB18 equivalents (Xilinx) or DP16KD (ECP5)
    dsp: int = 0
    carry: int = 0

    def __add__(self, other: Resources) -> Resources:
        return Resources(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def to_json(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# cell type -> (lut, ff, lutram, bram, dsp, carry) per cell
_Counts = tuple[int, int, int, int, int, int]
_NONE: _Counts = (0, 0, 0, 0, 0, 0)
_LUT: _Counts = (1, 0, 0, 0, 0, 0)
_FF: _Counts = (0, 1, 0, 0, 0, 0)


def _ram(luts: int) -> _Counts:
    return (luts, 0, luts, 0, 0, 0)


_XILINX: dict[str, _Counts] = {
    **{f"LUT{k}": _LUT for k in range(1, 7)},
    "INV": _LUT,
    **{ff: _FF for ff in ("FDRE", "FDSE", "FDCE", "FDPE", "FDRE_1", "LDCE", "LDPE")},
    **{srl: _ram(1) for srl in ("SRL16E", "SRLC16E", "SRLC32E")},
    "RAM16X1S": _ram(1),
    "RAM32X1S": _ram(1),
    "RAM64X1S": _ram(1),
    "RAM16X1D": _ram(2),
    "RAM32X1D": _ram(2),
    "RAM64X1D": _ram(2),
    "RAM128X1S": _ram(2),
    "RAM128X1D": _ram(4),
    "RAM256X1S": _ram(4),
    "RAM256X1D": _ram(8),
    "RAM512X1S": _ram(8),
    "RAM32M": _ram(4),
    "RAM64M": _ram(4),
    "RAM32M16": _ram(8),
    "RAM64M8": _ram(8),
    "RAM32X16DR8": _ram(8),
    "RAM64X8SW": _ram(8),
    **{b: (0, 0, 0, 1, 0, 0) for b in ("RAMB18E1", "RAMB18E2", "FIFO18E1", "FIFO18E2")},
    **{b: (0, 0, 0, 2, 0, 0) for b in ("RAMB36E1", "RAMB36E2", "FIFO36E1", "FIFO36E2")},
    "DSP48E1": (0, 0, 0, 0, 1, 0),
    "DSP48E2": (0, 0, 0, 0, 1, 0),
    "CARRY4": (0, 0, 0, 0, 0, 1),
    "CARRY8": (0, 0, 0, 0, 0, 1),
    **{c: _NONE for c in ("MUXF7", "MUXF8", "MUXF9", "GND", "VCC", "IBUF", "OBUF", "BUFG")},
    "$scopeinfo": _NONE,
}

_ECP5: dict[str, _Counts] = {
    "LUT4": _LUT,
    "TRELLIS_FF": _FF,
    "CCU2C": (2, 0, 0, 0, 0, 1),
    "TRELLIS_DPR16X4": _ram(4),
    "DP16KD": (0, 0, 0, 1, 0, 0),
    "MULT18X18D": (0, 0, 0, 0, 1, 0),
    **{c: _NONE for c in ("PFUMX", "L6MUX21", "ALU54B", "TRELLIS_IO", "$scopeinfo")},
}

CELL_COUNTS: dict[Family, dict[str, _Counts]] = {
    Family.XILINX7: _XILINX,
    Family.XILINX_USP: _XILINX,
    Family.ECP5: _ECP5,
}


def count_cells(cells: Mapping[str, int], family: Family) -> Resources:
    """Resources of a netlist with ``cells`` (type -> count) mapped for ``family``."""
    table = CELL_COUNTS[family]
    unknown = sorted(set(cells) - set(table))
    if unknown:
        raise ToolError(
            f"yosys stat: cell types must be {family.value} primitives streamfold counts, "
            f"not {', '.join(unknown)} (is the design fully mapped?)"
        )
    totals = [0] * 6
    for cell, n in cells.items():
        for k, per in enumerate(table[cell]):
            totals[k] += per * n
    return Resources(*totals)


def stat_cells(stat: Mapping[str, Any], top: str | None = None) -> dict[str, int]:
    """Cell counts by type from a parsed ``stat -json`` report: the whole design's when given,
    else the ``top`` module's (or the only module's)."""
    if "design" in stat:
        return dict(stat["design"]["num_cells_by_type"])
    modules: Mapping[str, Any] = stat.get("modules", {})
    key = f"\\{top}" if top is not None else ""
    if key in modules:
        return dict(modules[key]["num_cells_by_type"])
    if len(modules) == 1:
        return dict(next(iter(modules.values()))["num_cells_by_type"])
    raise ToolError(f"yosys stat: the report must name module {top!r}, not {sorted(modules)}")


def parse_stat(
    text: str, family: Family, top: str | None = None
) -> tuple[Resources, dict[str, int]]:
    """Resources and cell counts from the text of a ``stat -json`` report."""
    try:
        stat = json.loads(text)
    except json.JSONDecodeError as e:
        raise ToolError(f"yosys stat: the report must be JSON, not ({e})") from e
    cells = stat_cells(stat, top)
    return count_cells(cells, family), cells


def instance_resources(
    stat_text: str, top_json_text: str, family: Family, top: str
) -> tuple[tuple[str, Resources], ...]:
    """Resources of each instance of ``top`` in a hierarchical netlist: from the ``stat -json``
    of every module and the ``write_json`` of ``top`` (instance -> module), each module's cells
    with its submodules' expanded; ``""`` for ``top``'s own cells (glue), when it has any."""
    # stat names public modules \\name, write_json name: compare without the backslash
    modules = {
        _public(name): {_public(c): n for c, n in m["num_cells_by_type"].items()}
        for name, m in _json(stat_text, "stat")["modules"].items()
    }
    try:
        cells = _json(top_json_text, "netlist")["modules"][top]["cells"]
    except (KeyError, TypeError):
        raise ToolError(f"yosys netlist: the top module {top} must be in it, and is not") from None

    def flat_cells(module: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for cell, n in modules[module].items():
            inner = flat_cells(cell) if cell in modules else {cell: 1}
            for k, v in inner.items():
                out[k] = out.get(k, 0) + n * v
        return out

    rows = [
        (_public(name), count_cells(flat_cells(_public(cell["type"])), family))
        for name, cell in sorted(cells.items())
        if _public(cell["type"]) in modules
    ]
    glue = count_cells({c: n for c, n in modules[top].items() if c not in modules}, family)
    if glue != Resources():
        rows.append(("", glue))
    return tuple(rows)


def _public(name: str) -> str:
    return name.removeprefix("\\")


def _json(text: str, what: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(text)
    except json.JSONDecodeError as e:
        raise ToolError(f"yosys {what}: the report must be JSON, not ({e})") from e
    return data


@dataclass(frozen=True)
class Utilisation:
    """One resource of a design against a device."""

    resource: str
    used: int
    available: int

    @property
    def percent(self) -> float:
        return 100.0 * self.used / self.available if self.available else float("inf")


def utilisation(res: Resources, dev: Device) -> tuple[Utilisation, ...]:
    return (
        Utilisation("LUT", res.lut, dev.luts),
        Utilisation("FF", res.ff, dev.ffs),
        Utilisation("LUTRAM", res.lutram, dev.lutram),
        Utilisation(dev.family.bram_unit, res.bram, dev.bram),
        Utilisation(dev.family.dsp_unit, res.dsp, dev.dsps),
    )


def check_fits(res: Resources, dev: Device, what: str = "design") -> None:
    """ResourceError naming the scarcest resource (highest utilisation) when over 100 %."""
    scarcest = max(utilisation(res, dev), key=lambda u: u.percent)
    if scarcest.used > scarcest.available:
        over = scarcest.used - scarcest.available
        raise ResourceError(
            f"{what}: {scarcest.resource} must be <= {scarcest.available} on {dev.name}, "
            f"not {scarcest.used} ({over} over, {scarcest.percent:.0f} % of the device)"
        )
