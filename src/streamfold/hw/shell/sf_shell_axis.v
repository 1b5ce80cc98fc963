// sf_shell_axis: the stream accelerator: byte-aligned AXI-Stream in and out (one pipeline word
// per beat, zero-padded to whole bytes, TLAST on each frame's last beat, TKEEP all ones) and the
// AXI4-Lite register block, around the generated pipeline `sf_top`, unchanged. For an AXI DMA
// (Xilinx AXI DMA, or any MM2S/S2MM engine): a frame is IN_WORDS beats of IN_BYTES bytes in,
// OUT_WORDS beats of OUT_BYTES bytes out. STATUS.error is set when an input TLAST does not sit
// on a frame's last beat; soft reset (CTRL bit 1) resets the pipeline and the counters.
module sf_shell_axis #(
    parameter integer IN_WIDTH = 8,
    parameter integer IN_BYTES = 1,
    parameter integer IN_WORDS = 1,
    parameter integer OUT_WIDTH = 8,
    parameter integer OUT_BYTES = 1,
    parameter integer OUT_WORDS = 1
) (
    input  wire                   clk,
    input  wire                   rst_n,
    input  wire [11:0]            s_axil_awaddr,
    input  wire                   s_axil_awvalid,
    output wire                   s_axil_awready,
    input  wire [31:0]            s_axil_wdata,
    input  wire [3:0]             s_axil_wstrb,
    input  wire                   s_axil_wvalid,
    output wire                   s_axil_wready,
    output wire [1:0]             s_axil_bresp,
    output wire                   s_axil_bvalid,
    input  wire                   s_axil_bready,
    input  wire [11:0]            s_axil_araddr,
    input  wire                   s_axil_arvalid,
    output wire                   s_axil_arready,
    output wire [31:0]            s_axil_rdata,
    output wire [1:0]             s_axil_rresp,
    output wire                   s_axil_rvalid,
    input  wire                   s_axil_rready,
    input  wire [IN_BYTES*8-1:0]  s_axis_tdata,
    input  wire [IN_BYTES-1:0]    s_axis_tkeep,
    input  wire                   s_axis_tlast,
    input  wire                   s_axis_tvalid,
    output wire                   s_axis_tready,
    output wire [OUT_BYTES*8-1:0] m_axis_tdata,
    output wire [OUT_BYTES-1:0]   m_axis_tkeep,
    output wire                   m_axis_tlast,
    output wire                   m_axis_tvalid,
    input  wire                   m_axis_tready
);
    localparam [31:0] IN_FRAME = IN_BYTES * IN_WORDS;
    localparam [31:0] OUT_FRAME = OUT_BYTES * OUT_WORDS;
    localparam [31:0] IN_B = IN_BYTES;
    localparam [31:0] OUT_B = OUT_BYTES;

    wire soft_reset, frame_in, frame_out, frame_error;
    // verilator lint_off UNUSEDSIGNAL
    wire start;
    wire [31:0] src_addr, dst_addr, frames;
    // verilator lint_on UNUSEDSIGNAL
    reg core_rst_n;
    always @(posedge clk) core_rst_n <= rst_n && !soft_reset;

    sf_axilite_regs #(
        .ADDR_W(12),
        .IN_FRAME_BYTES(IN_FRAME), .OUT_FRAME_BYTES(OUT_FRAME), .IN_WORD_BYTES(IN_B),
        .OUT_WORD_BYTES(OUT_B), .BUS_BYTES(32'd0), .HAS_DMA(0)
    ) u_regs (
        .clk(clk), .rst_n(rst_n),
        .s_axil_awaddr(s_axil_awaddr), .s_axil_awvalid(s_axil_awvalid),
        .s_axil_awready(s_axil_awready), .s_axil_wdata(s_axil_wdata),
        .s_axil_wstrb(s_axil_wstrb), .s_axil_wvalid(s_axil_wvalid),
        .s_axil_wready(s_axil_wready), .s_axil_bresp(s_axil_bresp),
        .s_axil_bvalid(s_axil_bvalid), .s_axil_bready(s_axil_bready),
        .s_axil_araddr(s_axil_araddr), .s_axil_arvalid(s_axil_arvalid),
        .s_axil_arready(s_axil_arready), .s_axil_rdata(s_axil_rdata),
        .s_axil_rresp(s_axil_rresp), .s_axil_rvalid(s_axil_rvalid),
        .s_axil_rready(s_axil_rready),
        .start(start), .soft_reset(soft_reset), .src_addr(src_addr), .dst_addr(dst_addr),
        .frames(frames), .busy(1'b0), .frame_error(frame_error),
        .frame_in(frame_in), .frame_out(frame_out)
    );

    wire [IN_WIDTH-1:0] in_tdata;
    wire in_tvalid, in_tready;
    sf_axis_unpad #(.WIDTH(IN_WIDTH), .BYTES(IN_BYTES), .WORDS(IN_WORDS)) u_unpad (
        .clk(clk), .rst_n(core_rst_n),
        .s_axis_tdata(s_axis_tdata), .s_axis_tkeep(s_axis_tkeep), .s_axis_tlast(s_axis_tlast),
        .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
        .m_axis_tdata(in_tdata), .m_axis_tvalid(in_tvalid), .m_axis_tready(in_tready),
        .frame_in(frame_in), .frame_error(frame_error)
    );

    wire [OUT_WIDTH-1:0] out_tdata;
    wire out_tvalid, out_tready;
    sf_top u_pipeline (
        .clk(clk), .rst_n(core_rst_n),
        .s_axis_tdata(in_tdata), .s_axis_tvalid(in_tvalid), .s_axis_tready(in_tready),
        .m_axis_tdata(out_tdata), .m_axis_tvalid(out_tvalid), .m_axis_tready(out_tready)
    );

    sf_axis_pad #(.WIDTH(OUT_WIDTH), .BYTES(OUT_BYTES), .WORDS(OUT_WORDS)) u_pad (
        .clk(clk), .rst_n(core_rst_n),
        .s_axis_tdata(out_tdata), .s_axis_tvalid(out_tvalid), .s_axis_tready(out_tready),
        .m_axis_tdata(m_axis_tdata), .m_axis_tkeep(m_axis_tkeep), .m_axis_tlast(m_axis_tlast),
        .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready), .frame_out(frame_out)
    );
endmodule
