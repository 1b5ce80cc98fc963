// Test-only: sf_top_axis as the stream harness sees it. The input word's top bit is TLAST (so
// a test can misplace it); each output word is {STATUS.frame_error, TLAST, TKEEP, TDATA}, the
// status read over AXI4-Lite again and again.
module sf_test_axis_frames #(
    parameter integer IN_BYTES = 1,
    parameter integer OUT_BYTES = 1
) (
    input  wire                       clk,
    input  wire                       rst_n,
    input  wire [IN_BYTES*8:0]        s_axis_tdata,
    input  wire                       s_axis_tvalid,
    output wire                       s_axis_tready,
    output wire [OUT_BYTES*9+1:0]     m_axis_tdata,
    output wire                       m_axis_tvalid,
    input  wire                       m_axis_tready
);
    wire [OUT_BYTES*8-1:0] data;
    wire [OUT_BYTES-1:0] keep;
    wire last, arready, rvalid;
    // verilator lint_off UNUSEDSIGNAL
    wire awready, wready, bvalid;
    wire [1:0] bresp, rresp;
    wire [31:0] rdata;
    // verilator lint_on UNUSEDSIGNAL
    reg error;
    always @(posedge clk) begin
        if (!rst_n) error <= 1'b0;
        else if (rvalid) error <= rdata[2];
    end
    sf_top_axis u_dut (
        .clk(clk), .rst_n(rst_n),
        .s_axil_awaddr(12'd0), .s_axil_awvalid(1'b0), .s_axil_awready(awready),
        .s_axil_wdata(32'd0), .s_axil_wstrb(4'd0), .s_axil_wvalid(1'b0), .s_axil_wready(wready),
        .s_axil_bresp(bresp), .s_axil_bvalid(bvalid), .s_axil_bready(1'b1),
        .s_axil_araddr(12'h00C), .s_axil_arvalid(1'b1), .s_axil_arready(arready),
        .s_axil_rdata(rdata), .s_axil_rresp(rresp), .s_axil_rvalid(rvalid), .s_axil_rready(1'b1),
        .s_axis_tdata(s_axis_tdata[IN_BYTES*8-1:0]), .s_axis_tkeep({IN_BYTES{1'b1}}),
        .s_axis_tlast(s_axis_tdata[IN_BYTES*8]), .s_axis_tvalid(s_axis_tvalid),
        .s_axis_tready(s_axis_tready),
        .m_axis_tdata(data), .m_axis_tkeep(keep), .m_axis_tlast(last),
        .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready)
    );
    assign m_axis_tdata = {error, last, keep, data};
endmodule
