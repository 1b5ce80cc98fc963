"""The peak-picking block alone on ECP5: Yosys synth_ecp5 cells and nextpnr-ecp5 Fmax.

    PYTHONPATH=src nice -n 10 .venv/bin/python bench/peakpick_fmax.py --out build/pick-fmax

sf_peakpick (128 x u8 scores, distance 4, threshold 3, 4 records: the detector's shape) at
``--samples`` per word, between a serial-in shift register (its input word) and an XOR of its
output word into one register, so that its ports fit the LFE5U-85F's pins and every bit stays
live; timing-driven placement, target ``--mhz``. Prints the block's own cells
(``synthesize_instance``, no wrapper), then the wrapped design's Fmax and critical path.
"""

from __future__ import annotations

import argparse
import platform
from datetime import UTC, datetime
from pathlib import Path

from streamfold.cost.devices import Family, device
from streamfold.hw.block import NodeFolding
from streamfold.hw.peakpick.params import PeakPickParams
from streamfold.hw.peakpick.rtl import SOURCE, instance
from streamfold.ir.dtypes import IntType
from streamfold.synth.nextpnr import place_and_route
from streamfold.synth.yosys import synthesize, synthesize_instance


def wrapper(in_bits: int, out_bits: int, parameters: tuple[tuple[str, int | str], ...]) -> str:
    """A top ``wrap``: ``din`` shifted into the block's input word, its output XOR-reduced."""
    ps = ", ".join(f".{k}({v})" for k, v in parameters)
    return f"""`default_nettype none
module wrap(input wire clk, input wire rst_n, input wire din, input wire iv, input wire ordy,
            output reg dout, output wire irdy, output wire ov);
    reg [{in_bits - 1}:0] sh;
    reg v, r;
    wire [{out_bits - 1}:0] od;
    always @(posedge clk) begin
        sh <= {{sh[{in_bits - 2}:0], din}};
        v <= iv;
        r <= ordy;
        dout <= ^od;
    end
    sf_peakpick #({ps}) u_pick(.clk(clk), .rst_n(rst_n), .s_axis_tdata(sh), .s_axis_tvalid(v),
        .s_axis_tready(irdy), .m_axis_tdata(od), .m_axis_tvalid(ov), .m_axis_tready(r));
endmodule
`default_nettype wire
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=Path("build/pick-fmax"))
    p.add_argument("--samples", type=int, default=32, help="samples per word P")
    p.add_argument("--mhz", type=float, default=150.0, help="nextpnr's target clock")
    args = p.parse_args()
    root = args.out.resolve()
    params = PeakPickParams(128, IntType(8, False), 3, 4, 4)
    inst = instance(params, NodeFolding(simd=args.samples), "pick")
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}")
    alone = synthesize_instance(inst, Family.ECP5, root / "block")
    print(f"sf_peakpick P = {args.samples}, Yosys synth_ecp5: {dict(alone.cells)}", flush=True)
    (root / "wrap").mkdir(parents=True, exist_ok=True)
    top = root / "wrap" / "wrap.v"
    out_bits = params.out_vector * params.out_dtype.bits
    top.write_text(wrapper(args.samples * params.dtype.bits, out_bits, inst.parameters))
    syn = synthesize("wrap", [top, SOURCE], family=Family.ECP5, workdir=root / "wrap", netlist=True)
    assert syn.netlist is not None
    pnr = place_and_route(syn.netlist, device("lfe5u-85f"), target_mhz=args.mhz)
    path = pnr.critical_path
    logic = 0 if path is None else sum(s.kind == "logic" for s in path.steps)
    where = "-" if path is None else f"{path.start} -> {path.end}"
    total = 0.0 if path is None else sum(s.delay_ns for s in path.steps)
    print(
        f"nextpnr-ecp5 (timing-driven, target {args.mhz:g} MHz): {pnr.fmax_mhz:.1f} MHz; "
        f"critical path {where}, {logic} logic levels, {total:.1f} ns ({pnr.seconds:.0f} s)",
        flush=True,
    )


if __name__ == "__main__":
    main()
