"""The Verilog builder: deterministic text, checked identifiers."""

from __future__ import annotations

import pytest

from streamfold.codegen.verilog import Direction, Instance, Module, Port, Wire, emit
from streamfold.errors import IRError

EXPECTED = """\
// a test
`default_nettype none
module sf_top (
    input wire clk,
    input wire [7:0] s_axis_tdata,
    output wire m_axis_tvalid
);
  wire [3:0] mid;

  sf_block #(
    .WIDTH(8),
    .OUT_MIN(-2),
    .WEIGHT_FILE("fc1_weights.hex")
  ) u_fc1 (
    .clk(clk),
    .s_axis_tdata(s_axis_tdata),
    .m_axis_tdata(mid)
  );

  assign m_axis_tvalid = clk;
endmodule
`default_nettype wire
"""


def _module(name: str = "sf_top") -> Module:
    from streamfold.codegen.verilog import Assign

    return Module(
        name,
        (
            Port("clk", Direction.INPUT),
            Port("s_axis_tdata", Direction.INPUT, 8),
            Port("m_axis_tvalid", Direction.OUTPUT),
        ),
        (Wire("mid", 4),),
        (
            Instance(
                "sf_block",
                "u_fc1",
                (("WIDTH", 8), ("OUT_MIN", -2), ("WEIGHT_FILE", "fc1_weights.hex")),
                (("clk", "clk"), ("s_axis_tdata", "s_axis_tdata"), ("m_axis_tdata", "mid")),
            ),
        ),
        (Assign("m_axis_tvalid", "clk"),),
        header=("a test",),
    )


def test_emit_golden_text() -> None:
    assert emit(_module()) == EXPECTED


def test_emit_is_deterministic() -> None:
    assert emit(_module()) == emit(_module())


@pytest.mark.parametrize("bad", ["1abc", "a-b", "", "x y"])
def test_identifiers_are_checked(bad: str) -> None:
    with pytest.raises(IRError, match=r"^verilog: identifier must match"):
        emit(_module(bad))


def test_string_parameters_cannot_break_out() -> None:
    m = Module("m", (), instances=(Instance("b", "u", (("F", 'x"); $finish; ("'),), ()),))
    with pytest.raises(IRError, match=r"^verilog: string parameter must not contain quotes"):
        emit(m)
