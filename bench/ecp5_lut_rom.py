"""How Yosys synth_ecp5 builds a LUT ROM: LUT4s and the longest path in cells, per shape.

    PYTHONPATH=src nice -n 10 .venv/bin/python bench/ecp5_lut_rom.py 512x16 2048x4 8192x1

The ROM is read as ``sf_mvau`` reads its distributed weights: a wrapping address counter with
an enable, ``(* ram_style = "logic" *)`` memory, ``w_q <= wmem[waddr]``; random contents (seed
from the shape). The longest path counts the LUT4, PFUMX, L6MUX21 and CCU2C cells between two
flip-flops in the JSON netlist. This is the evidence for ``cost.fmax``'s ``lut_rom`` feature
(the logic depth grows with log2 of the depth whatever the width; the LUTs with depth x width).
"""

from __future__ import annotations

import argparse
import functools
import json
import random
from collections import Counter
from pathlib import Path

from streamfold.synth.yosys import NETLIST, synthesize

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "build" / "ecp5_lut_rom"
COMB = {"LUT4", "PFUMX", "L6MUX21", "CCU2C"}


def rom_verilog(top: str, depth: int, width: int) -> str:
    ab = max(1, (depth - 1).bit_length())
    return f"""module {top} (input clk, input rst_n, input fire, output [{width - 1}:0] q);
    reg [{ab - 1}:0] waddr;
    always @(posedge clk)
        if (!rst_n) waddr <= {ab}'d0;
        else if (fire) waddr <= (waddr == {ab}'d{depth - 1}) ? {ab}'d0 : waddr + 1'b1;
    (* ram_style = "logic", rom_style = "distributed" *) reg [{width - 1}:0] wmem[0:{depth - 1}];
    reg [{width - 1}:0] w_q;
    initial $readmemh("{top}.hex", wmem);
    always @(posedge clk) w_q <= wmem[waddr];
    assign q = w_q;
endmodule
"""


def longest_path(netlist: dict[str, object], top: str) -> int:
    """Cells of COMB on the longest path into a flip-flop."""
    module = netlist["modules"][top]  # type: ignore[index]
    cells: dict[str, dict[str, dict[str, object]]] = module["cells"]
    driver: dict[int, str] = {}
    for name, cell in cells.items():
        for port, bits in cell["connections"].items():
            if cell["port_directions"][port] == "output":
                driver.update({b: name for b in bits if isinstance(b, int)})  # type: ignore[attr-defined]

    def fanin(name: str) -> set[str]:
        cell = cells[name]
        return {
            driver[b]
            for port, bits in cell["connections"].items()
            if cell["port_directions"][port] == "input"
            for b in bits  # type: ignore[attr-defined]
            if isinstance(b, int) and b in driver
        }

    @functools.cache
    def depth(name: str) -> int:
        if cells[name]["type"] not in COMB:
            return 0
        return 1 + max((depth(m) for m in fanin(name)), default=0)

    ffs = [n for n, c in cells.items() if c["type"] == "TRELLIS_FF"]
    return max(depth(m) for ff in ffs for m in fanin(ff))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("shapes", nargs="+", help="DEPTHxWIDTH, e.g. 8192x1")
    args = p.parse_args()
    print("| ROM (words x bits) | LUT4 | PFUMX | L6MUX21 | CCU2C | longest path (cells) |")
    print("|---|---|---|---|---|---|")
    for shape in args.shapes:
        depth, width = (int(v) for v in shape.split("x"))
        top = f"rom_{depth}x{width}"
        rng = random.Random(depth * 7 + width)
        image = "".join(f"{rng.getrandbits(width):x}\n" for _ in range(depth))
        work = WORK / top
        work.mkdir(parents=True, exist_ok=True)
        (work / f"{top}.v").write_text(rom_verilog(top, depth, width))
        synthesize(
            top,
            [work / f"{top}.v"],
            family="ecp5",
            workdir=work,
            memories=[(f"{top}.hex", image)],
            netlist=True,
        )
        netlist = json.loads((work / NETLIST).read_text())
        cells = Counter(c["type"] for c in netlist["modules"][top]["cells"].values())
        print(
            f"| {depth:,} x {width} | {cells['LUT4']:,} | {cells['PFUMX']:,} | "
            f"{cells['L6MUX21']:,} | {cells['CCU2C']} | {longest_path(netlist, top)} |"
        )


if __name__ == "__main__":
    main()
