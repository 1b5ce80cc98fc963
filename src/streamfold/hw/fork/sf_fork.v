// sf_fork: one AXI-Stream to two, each output with its own valid (independent ready).
//
// A word is taken when both outputs are free (empty, or handing their copy over this cycle);
// each output then holds it until its own consumer takes it, so one branch may run ahead of
// the other by one word here and by its FIFO's depth after it. One word per cycle when both
// consumers keep up; latency one cycle (m*_axis_* come from flip-flops).
`default_nettype none

module sf_fork #(
    parameter integer WIDTH = 8
) (
    input wire clk,
    input wire rst_n,
    input wire [WIDTH-1:0] s_axis_tdata,
    input wire s_axis_tvalid,
    output wire s_axis_tready,
    output wire [WIDTH-1:0] m0_axis_tdata,
    output reg m0_axis_tvalid,
    input wire m0_axis_tready,
    output wire [WIDTH-1:0] m1_axis_tdata,
    output reg m1_axis_tvalid,
    input wire m1_axis_tready
);
    reg [WIDTH-1:0] data;
    wire free0 = !m0_axis_tvalid || m0_axis_tready;
    wire free1 = !m1_axis_tvalid || m1_axis_tready;
    assign s_axis_tready = rst_n && free0 && free1;
    wire fire = s_axis_tvalid && s_axis_tready;
    assign m0_axis_tdata = data;
    assign m1_axis_tdata = data;

    always @(posedge clk) begin
        if (fire) data <= s_axis_tdata;
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            m0_axis_tvalid <= 1'b0;
            m1_axis_tvalid <= 1'b0;
        end else if (fire) begin
            m0_axis_tvalid <= 1'b1;
            m1_axis_tvalid <= 1'b1;
        end else begin
            if (m0_axis_tready) m0_axis_tvalid <= 1'b0;
            if (m1_axis_tready) m1_axis_tvalid <= 1'b0;
        end
    end
endmodule

`default_nettype wire
