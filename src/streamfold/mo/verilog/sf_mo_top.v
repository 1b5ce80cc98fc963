// The MO engine with AXI-Lite control: sf_mo_engine behind the shell's register block
// (hw/axilite_regs/sf_axilite_regs.v, offsets in streamfold.runtime.regs). For the engine:
//   0x08 CTRL        wo  bit 0: run the image (pulse); bit 1: soft reset (engine and counters)
//   0x0C STATUS      ro  bit 0 busy, bit 1 done (since the last start), bit 3 (1: AXI4 masters)
//   0x10 SRC_ADDR    rw  byte address of the image (its header), 4 KiB aligned; latched at start
//   0x1C FRAMES_IN   ro  runs started since reset
//   0x20 FRAMES_OUT  ro  layers finished since reset
//   0x2C RUN_CYCLES  ro  cycles of the last run (counts while busy)
//   0x24/0x28 CYCLES, 0x00 ID, 0x04 VERSION as in the shell; 0x40 BUS_BYTES = 8
// DST_ADDR and FRAMES are plain registers the engine does not use (the image holds the
// input and output addresses). A host writes SRC_ADDR, writes CTRL = 1 and polls STATUS until
// bit 1 is set (no interrupt); `done` and `layer_done` are also pins, for an interrupt or a
// testbench.
module sf_mo_top #(
    parameter integer SIMD = 4,
    parameter integer PE = 4,
    parameter integer ABITS = 8,
    parameter integer WBITS = 8,
    parameter integer OBITS = 32,
    parameter integer IN_DEPTH = 64,
    parameter integer W_DEPTH = 64,
    parameter integer OUT_DEPTH = 64,
    parameter integer P_DEPTH = 16,
    parameter integer LP = 2,
    parameter integer MAX_LEVELS = 1,
    parameter integer MULSHIFT = 1,
    parameter integer ADDR_W = 12
) (
    input wire clk,
    input wire rst_n,
    output wire done,
    output wire layer_done,
    // AXI-Lite control
    input wire [ADDR_W-1:0] s_axil_awaddr,
    input wire s_axil_awvalid,
    output wire s_axil_awready,
    input wire [31:0] s_axil_wdata,
    input wire [3:0] s_axil_wstrb,
    input wire s_axil_wvalid,
    output wire s_axil_wready,
    output wire [1:0] s_axil_bresp,
    output wire s_axil_bvalid,
    input wire s_axil_bready,
    input wire [ADDR_W-1:0] s_axil_araddr,
    input wire s_axil_arvalid,
    output wire s_axil_arready,
    output wire [31:0] s_axil_rdata,
    output wire [1:0] s_axil_rresp,
    output wire s_axil_rvalid,
    input wire s_axil_rready,
    // AXI4 memory
    output wire m_axi_arvalid,
    input wire m_axi_arready,
    output wire [31:0] m_axi_araddr,
    output wire [7:0] m_axi_arlen,
    output wire [2:0] m_axi_arsize,
    output wire [1:0] m_axi_arburst,
    input wire m_axi_rvalid,
    output wire m_axi_rready,
    input wire [63:0] m_axi_rdata,
    input wire m_axi_rlast,
    output wire m_axi_awvalid,
    input wire m_axi_awready,
    output wire [31:0] m_axi_awaddr,
    output wire [7:0] m_axi_awlen,
    output wire [2:0] m_axi_awsize,
    output wire [1:0] m_axi_awburst,
    output wire m_axi_wvalid,
    input wire m_axi_wready,
    output wire [63:0] m_axi_wdata,
    output wire [7:0] m_axi_wstrb,
    output wire m_axi_wlast,
    input wire m_axi_bvalid,
    output wire m_axi_bready
);
  wire start, soft_reset, busy;
  wire [31:0] src_addr;
  // verilator lint_off UNUSEDSIGNAL
  wire [31:0] dst_addr, frames;
  // verilator lint_on UNUSEDSIGNAL

  sf_axilite_regs #(
      .ADDR_W(ADDR_W),
      .IN_FRAME_BYTES(0),
      .OUT_FRAME_BYTES(0),
      .IN_WORD_BYTES(8),
      .OUT_WORD_BYTES(8),
      .BUS_BYTES(8),
      .HAS_DMA(1)
  ) regs (
      .clk(clk),
      .rst_n(rst_n),
      .s_axil_awaddr(s_axil_awaddr),
      .s_axil_awvalid(s_axil_awvalid),
      .s_axil_awready(s_axil_awready),
      .s_axil_wdata(s_axil_wdata),
      .s_axil_wstrb(s_axil_wstrb),
      .s_axil_wvalid(s_axil_wvalid),
      .s_axil_wready(s_axil_wready),
      .s_axil_bresp(s_axil_bresp),
      .s_axil_bvalid(s_axil_bvalid),
      .s_axil_bready(s_axil_bready),
      .s_axil_araddr(s_axil_araddr),
      .s_axil_arvalid(s_axil_arvalid),
      .s_axil_arready(s_axil_arready),
      .s_axil_rdata(s_axil_rdata),
      .s_axil_rresp(s_axil_rresp),
      .s_axil_rvalid(s_axil_rvalid),
      .s_axil_rready(s_axil_rready),
      .start(start),
      .soft_reset(soft_reset),
      .src_addr(src_addr),
      .dst_addr(dst_addr),
      .frames(frames),
      .busy(busy),
      .frame_error(1'b0),
      .frame_in(start),
      .frame_out(layer_done)
  );

  sf_mo_engine #(
      .SIMD(SIMD),
      .PE(PE),
      .ABITS(ABITS),
      .WBITS(WBITS),
      .OBITS(OBITS),
      .IN_DEPTH(IN_DEPTH),
      .W_DEPTH(W_DEPTH),
      .OUT_DEPTH(OUT_DEPTH),
      .P_DEPTH(P_DEPTH),
      .LP(LP),
      .MAX_LEVELS(MAX_LEVELS),
      .MULSHIFT(MULSHIFT)
  ) engine (
      .clk(clk),
      .rst_n(rst_n && !soft_reset),
      .start(start),
      .base(src_addr),
      .busy(busy),
      .done(done),
      .layer_done(layer_done),
      .m_axi_arvalid(m_axi_arvalid),
      .m_axi_arready(m_axi_arready),
      .m_axi_araddr(m_axi_araddr),
      .m_axi_arlen(m_axi_arlen),
      .m_axi_arsize(m_axi_arsize),
      .m_axi_arburst(m_axi_arburst),
      .m_axi_rvalid(m_axi_rvalid),
      .m_axi_rready(m_axi_rready),
      .m_axi_rdata(m_axi_rdata),
      .m_axi_rlast(m_axi_rlast),
      .m_axi_awvalid(m_axi_awvalid),
      .m_axi_awready(m_axi_awready),
      .m_axi_awaddr(m_axi_awaddr),
      .m_axi_awlen(m_axi_awlen),
      .m_axi_awsize(m_axi_awsize),
      .m_axi_awburst(m_axi_awburst),
      .m_axi_wvalid(m_axi_wvalid),
      .m_axi_wready(m_axi_wready),
      .m_axi_wdata(m_axi_wdata),
      .m_axi_wstrb(m_axi_wstrb),
      .m_axi_wlast(m_axi_wlast),
      .m_axi_bvalid(m_axi_bvalid),
      .m_axi_bready(m_axi_bready)
  );
endmodule
