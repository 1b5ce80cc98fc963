// Test-only: a deliberately broken design. A FIFO feeds the internal stream `mid`, whose
// consumer never asserts tready, so the top accepts DEPTH words and then stalls forever.
module sf_test_stuck (
    input  wire       clk,
    input  wire       rst_n,
    input  wire [7:0] s_axis_tdata,
    input  wire       s_axis_tvalid,
    output wire       s_axis_tready,
    output wire [7:0] m_axis_tdata,
    output wire       m_axis_tvalid,
    input  wire       m_axis_tready
);
    wire [7:0] mid_tdata;
    wire       mid_tvalid;
    wire       mid_tready = 1'b0;

    sf_fifo #(.WIDTH(8), .DEPTH(3)) u_fifo (
        .clk(clk), .rst_n(rst_n),
        .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
        .m_axis_tdata(mid_tdata), .m_axis_tvalid(mid_tvalid), .m_axis_tready(mid_tready)
    );
    assign m_axis_tdata = mid_tdata;
    assign m_axis_tvalid = 1'b0;
    wire unused = &{1'b0, m_axis_tready, mid_tvalid};
endmodule
