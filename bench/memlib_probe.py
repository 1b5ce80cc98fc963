"""One memory alone through Yosys, against ``cost.memlib``'s prediction of its primitives.

    PYTHONPATH=src .venv/bin/python bench/memlib_probe.py PATTERN FAMILY[,FAMILY] DxW [DxW ...]

PATTERN is one of the port patterns streamfold's RTL uses (``PATTERNS``): ``ibuf`` (sf_mvau's
input replay buffer), ``rfifo`` (the blocks' output FIFOs, read at a registered pointer),
``afifo`` (the same read at an input address), ``racc`` (a running accumulator read and
written at a registered fold counter), ``dfifo`` (sf_fifo's ram_style "distributed" buffer),
``brom`` (a ram_style "block" ROM of random words). Each line prints Yosys' RAM cells, its
LUTRAM and BRAM as streamfold counts them, and memlib's prediction, with "ok" when both agree.
Work directories go to build/memlib_probe/.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from streamfold.cost import memlib
from streamfold.cost.devices import Family
from streamfold.synth.yosys import synthesize

_HEAD = "module t #(parameter D = 4, W = 1, AB = 2)"
PATTERNS: dict[str, tuple[str, dict[str, bool]]] = {
    "ibuf": (
        _HEAD
        + """(input clk, input we, input [AB-1:0] a, input [W-1:0] d,
    output reg [W-1:0] q);
  reg [W-1:0] m[0:D-1];
  always @(posedge clk) begin if (we) m[a] <= d; q <= m[a]; end
endmodule""",
        {"sync_read": True, "shared_address": True},
    ),
    "afifo": (
        _HEAD
        + """(input clk, input we, input [AB-1:0] wa, input [AB-1:0] ra,
    input [W-1:0] d, output [W-1:0] q);
  reg [W-1:0] m[0:D-1];
  always @(posedge clk) if (we) m[wa] <= d;
  assign q = m[ra];
endmodule""",
        {},
    ),
    "rfifo": (
        _HEAD
        + """(input clk, input rst_n, input we, input take, input [W-1:0] d,
    output [W-1:0] q);
  localparam [AB-1:0] LAST = D - 1;
  reg [W-1:0] m[0:D-1];
  reg [AB-1:0] wp, rp;
  always @(posedge clk) begin
    if (we) m[wp] <= d;
    if (!rst_n) begin wp <= 0; rp <= 0; end else begin
      if (we) wp <= (wp == LAST) ? 0 : wp + 1'b1;
      if (take) rp <= (rp == LAST) ? 0 : rp + 1'b1;
    end
  end
  assign q = m[rp];
endmodule""",
        {"transparent": True},
    ),
    "racc": (
        _HEAD
        + """(input clk, input rst_n, input fire, input [W-1:0] d,
    output [W-1:0] q);
  localparam [AB-1:0] LAST = D - 1;
  reg [W-1:0] m[0:D-1];
  reg [AB-1:0] cf;
  wire [W-1:0] prev = m[cf];
  always @(posedge clk) begin
    if (!rst_n) cf <= 0; else if (fire) cf <= (cf == LAST) ? 0 : cf + 1'b1;
    if (fire) m[cf] <= (prev > d) ? prev : d;
  end
  assign q = prev;
endmodule""",
        {"transparent": True},
    ),
    "dfifo": (
        _HEAD
        + """(input clk, input we, input re, input by, input [AB-1:0] wa,
    input [AB-1:0] ra, input [W-1:0] d, output reg [W-1:0] q);
  (* ram_style = "distributed" *) reg [W-1:0] m[0:D-1];
  always @(posedge clk) begin
    if (we) m[wa] <= d;
    if (re) q <= m[ra]; else if (by) q <= d;
  end
endmodule""",
        {"style": "distributed", "sync_read": True},  # type: ignore[dict-item]
    ),
    "brom": (
        _HEAD
        + """(input clk, input [AB-1:0] a, output reg [W-1:0] q);
  (* ram_style = "block", rom_style = "block" *) reg [W-1:0] m[0:D-1];
  initial $readmemh("rom.hex", m);
  always @(posedge clk) q <= m[a];
endmodule""",
        {"style": "block", "sync_read": True, "rom": True},  # type: ignore[dict-item]
    ),
}
_IGNORED = ("LUT", "$", "MUX", "PFU", "L6", "CARRY", "CCU", "INV", "FD", "TRELLIS_FF")


def probe(pattern: str, family: Family, depth: int, width: int) -> bool:
    """Synthesise one memory and print it against memlib; True when they agree."""
    source, options = PATTERNS[pattern]
    work = Path("build/memlib_probe") / f"{pattern}_{depth}x{width}_{family.value}"
    work.mkdir(parents=True, exist_ok=True)
    (work / "t.v").write_text(source + "\n")
    rnd = random.Random(depth * 1000 + width)
    words = "\n".join(format(rnd.getrandbits(width), "x") for _ in range(depth))
    ab = max(1, (depth - 1).bit_length())
    got = synthesize(
        "t", [work / "t.v"], family=family, workdir=work,
        parameters=[("D", depth), ("W", width), ("AB", ab)],
        memories=[("rom.hex", words + "\n")] if pattern == "brom" else [],
    )  # fmt: skip
    cells = {c: n for c, n in got.cells if not c.startswith(_IGNORED)}
    kw = {"style": "auto", **options}
    want = memlib.choose(family, depth, width, **kw)  # type: ignore[arg-type]
    ok = (want.luts, want.brams) == (got.resources.lutram, got.resources.bram)
    name = want.option.name if want.option else "flip-flops"
    print(
        f"{pattern} {depth}x{width} {family.value}: Yosys {cells or 'flip-flops'} LUTRAM "
        f"{got.resources.lutram} BRAM {got.resources.bram}; memlib {name} LUTRAM {want.luts} "
        f"BRAM {want.brams} {'ok' if ok else 'DIFFERS'}",
        flush=True,
    )
    return ok


def main() -> None:
    pattern, families = sys.argv[1], [Family(f) for f in sys.argv[2].split(",")]
    shapes = [tuple(int(v) for v in s.split("x")) for s in sys.argv[3:]]
    results = [probe(pattern, f, d, w) for d, w in shapes for f in families]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
