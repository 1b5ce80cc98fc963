// sf_shell_mm: the memory-mapped accelerator: one AXI4-Lite slave (sf_axilite_regs) and one
// AXI4 master (sf_iodma_rd + sf_iodma_wr) around the generated pipeline `sf_top`, unchanged:
//
//   memory -> sf_iodma_rd -> sf_axis_unpad -> sf_top -> sf_axis_pad -> sf_iodma_wr -> memory
//
// A run: write SRC_ADDR, DST_ADDR, FRAMES, then CTRL = 1; STATUS.busy falls (and STATUS.done
// rises) when the last output burst is acknowledged. Soft reset (CTRL bit 1) resets the
// pipeline, the DMA and the counters; issue it only while STATUS.busy is 0 (an AXI master must
// not abandon bursts in flight).
module sf_shell_mm #(
    parameter integer IN_WIDTH = 8,
    parameter integer IN_BYTES = 1,
    parameter integer IN_WORDS = 1,
    parameter integer OUT_WIDTH = 8,
    parameter integer OUT_BYTES = 1,
    parameter integer OUT_WORDS = 1,
    parameter integer ADDR_W = 32,
    parameter integer BUS_BYTES = 4,
    parameter integer MAX_BURST = 16,
    parameter integer MAX_OUTSTANDING = 4
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
    output wire [ADDR_W-1:0]      m_axi_araddr,
    output wire [7:0]             m_axi_arlen,
    output wire [2:0]             m_axi_arsize,
    output wire [1:0]             m_axi_arburst,
    output wire                   m_axi_arvalid,
    input  wire                   m_axi_arready,
    input  wire [BUS_BYTES*8-1:0] m_axi_rdata,
    input  wire [1:0]             m_axi_rresp,
    input  wire                   m_axi_rlast,
    input  wire                   m_axi_rvalid,
    output wire                   m_axi_rready,
    output wire [ADDR_W-1:0]      m_axi_awaddr,
    output wire [7:0]             m_axi_awlen,
    output wire [2:0]             m_axi_awsize,
    output wire [1:0]             m_axi_awburst,
    output wire                   m_axi_awvalid,
    input  wire                   m_axi_awready,
    output wire [BUS_BYTES*8-1:0] m_axi_wdata,
    output wire [BUS_BYTES-1:0]   m_axi_wstrb,
    output wire                   m_axi_wlast,
    output wire                   m_axi_wvalid,
    input  wire                   m_axi_wready,
    input  wire [1:0]             m_axi_bresp,
    input  wire                   m_axi_bvalid,
    output wire                   m_axi_bready
);
    localparam [31:0] IN_FRAME = IN_BYTES * IN_WORDS;
    localparam [31:0] OUT_FRAME = OUT_BYTES * OUT_WORDS;
    localparam [31:0] IN_B = IN_BYTES;
    localparam [31:0] OUT_B = OUT_BYTES;
    localparam [31:0] BUS_B = BUS_BYTES;

    wire start, soft_reset, rd_busy, wr_busy, frame_in, frame_out, frame_error;
    wire [31:0] src_addr, dst_addr, frames;
    reg core_rst_n;
    always @(posedge clk) core_rst_n <= rst_n && !soft_reset;

    // verilator lint_off UNUSEDSIGNAL
    wire [31:0] src_full = src_addr;
    wire [31:0] dst_full = dst_addr;
    // verilator lint_on UNUSEDSIGNAL

    sf_axilite_regs #(
        .ADDR_W(12),
        .IN_FRAME_BYTES(IN_FRAME), .OUT_FRAME_BYTES(OUT_FRAME), .IN_WORD_BYTES(IN_B),
        .OUT_WORD_BYTES(OUT_B), .BUS_BYTES(BUS_B), .HAS_DMA(1)
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
        .frames(frames), .busy(rd_busy || wr_busy), .frame_error(frame_error),
        .frame_in(frame_in), .frame_out(frame_out)
    );

    wire [IN_BYTES*8-1:0] rd_tdata;
    wire rd_tlast, rd_tvalid, rd_tready;
    sf_iodma_rd #(
        .ADDR_W(ADDR_W), .BUS_BYTES(BUS_BYTES), .WORD_BYTES(IN_BYTES),
        .FRAME_BYTES(IN_BYTES * IN_WORDS), .MAX_BURST(MAX_BURST),
        .MAX_OUTSTANDING(MAX_OUTSTANDING)
    ) u_rd (
        .clk(clk), .rst_n(core_rst_n), .start(start), .src_addr(src_addr[ADDR_W-1:0]),
        .frames(frames), .busy(rd_busy),
        .m_axi_araddr(m_axi_araddr), .m_axi_arlen(m_axi_arlen), .m_axi_arsize(m_axi_arsize),
        .m_axi_arburst(m_axi_arburst), .m_axi_arvalid(m_axi_arvalid),
        .m_axi_arready(m_axi_arready), .m_axi_rdata(m_axi_rdata), .m_axi_rresp(m_axi_rresp),
        .m_axi_rlast(m_axi_rlast), .m_axi_rvalid(m_axi_rvalid), .m_axi_rready(m_axi_rready),
        .m_axis_tdata(rd_tdata), .m_axis_tlast(rd_tlast), .m_axis_tvalid(rd_tvalid),
        .m_axis_tready(rd_tready)
    );

    wire [IN_WIDTH-1:0] in_tdata;
    wire in_tvalid, in_tready;
    sf_axis_unpad #(.WIDTH(IN_WIDTH), .BYTES(IN_BYTES), .WORDS(IN_WORDS)) u_unpad (
        .clk(clk), .rst_n(core_rst_n),
        .s_axis_tdata(rd_tdata), .s_axis_tkeep({IN_BYTES{1'b1}}), .s_axis_tlast(rd_tlast),
        .s_axis_tvalid(rd_tvalid), .s_axis_tready(rd_tready),
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

    wire [OUT_BYTES*8-1:0] wr_tdata;
    wire wr_tvalid, wr_tready;
    // verilator lint_off UNUSEDSIGNAL
    wire [OUT_BYTES-1:0] wr_tkeep;
    wire wr_tlast;
    // verilator lint_on UNUSEDSIGNAL
    sf_axis_pad #(.WIDTH(OUT_WIDTH), .BYTES(OUT_BYTES), .WORDS(OUT_WORDS)) u_pad (
        .clk(clk), .rst_n(core_rst_n),
        .s_axis_tdata(out_tdata), .s_axis_tvalid(out_tvalid), .s_axis_tready(out_tready),
        .m_axis_tdata(wr_tdata), .m_axis_tkeep(wr_tkeep), .m_axis_tlast(wr_tlast),
        .m_axis_tvalid(wr_tvalid), .m_axis_tready(wr_tready), .frame_out(frame_out)
    );

    sf_iodma_wr #(
        .ADDR_W(ADDR_W), .BUS_BYTES(BUS_BYTES), .WORD_BYTES(OUT_BYTES),
        .FRAME_BYTES(OUT_BYTES * OUT_WORDS), .MAX_BURST(MAX_BURST),
        .MAX_OUTSTANDING(MAX_OUTSTANDING)
    ) u_wr (
        .clk(clk), .rst_n(core_rst_n), .start(start), .dst_addr(dst_addr[ADDR_W-1:0]),
        .frames(frames), .busy(wr_busy),
        .s_axis_tdata(wr_tdata), .s_axis_tvalid(wr_tvalid), .s_axis_tready(wr_tready),
        .m_axi_awaddr(m_axi_awaddr), .m_axi_awlen(m_axi_awlen), .m_axi_awsize(m_axi_awsize),
        .m_axi_awburst(m_axi_awburst), .m_axi_awvalid(m_axi_awvalid),
        .m_axi_awready(m_axi_awready), .m_axi_wdata(m_axi_wdata), .m_axi_wstrb(m_axi_wstrb),
        .m_axi_wlast(m_axi_wlast), .m_axi_wvalid(m_axi_wvalid), .m_axi_wready(m_axi_wready),
        .m_axi_bresp(m_axi_bresp), .m_axi_bvalid(m_axi_bvalid), .m_axi_bready(m_axi_bready)
    );
endmodule
