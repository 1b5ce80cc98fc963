// Test-only: splits each input word {hi, lo} into two streams (lo: W0 bits, hi: W1 bits), each
// output with its own valid, so a two-input block under test sees independent streams.
`default_nettype none

module sf_test_unzip #(
    parameter integer W0 = 4,
    parameter integer W1 = 4
) (
    input wire clk,
    input wire rst_n,
    input wire [W0+W1-1:0] s_axis_tdata,
    input wire s_axis_tvalid,
    output wire s_axis_tready,
    output reg [W0-1:0] m0_axis_tdata,
    output reg m0_axis_tvalid,
    input wire m0_axis_tready,
    output reg [W1-1:0] m1_axis_tdata,
    output reg m1_axis_tvalid,
    input wire m1_axis_tready
);
    wire free0 = !m0_axis_tvalid || m0_axis_tready;
    wire free1 = !m1_axis_tvalid || m1_axis_tready;
    assign s_axis_tready = rst_n && free0 && free1;
    wire fire = s_axis_tvalid && s_axis_tready;

    always @(posedge clk) begin
        if (fire) begin
            m0_axis_tdata <= s_axis_tdata[W0-1:0];
            m1_axis_tdata <= s_axis_tdata[W0+W1-1:W0];
        end
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
