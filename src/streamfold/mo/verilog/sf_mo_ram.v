// One 64-bit simple dual-port RAM with a registered read: block RAM when deeper than
// LUTRAM_MAX words, else distributed (LUT) RAM (streamfold.mo.resources counts both).
module sf_mo_ram #(
    parameter integer DEPTH = 64,
    parameter integer LUTRAM_MAX = 64
) (
    input wire clk,
    input wire we,
    /* verilator lint_off UNUSEDSIGNAL */  // addresses are 32-bit; AW bits are used
    input wire [31:0] waddr,
    input wire [63:0] wdata,
    input wire [31:0] raddr,
    /* verilator lint_on UNUSEDSIGNAL */
    output reg [63:0] rdata
);
  localparam integer AW = DEPTH > 1 ? $clog2(DEPTH) : 1;
  generate
    if (DEPTH > LUTRAM_MAX) begin : g_block
      (* ram_style = "block" *) reg [63:0] ram[0:DEPTH-1];
      always @(posedge clk) begin
        if (we) ram[waddr[AW-1:0]] <= wdata;
        rdata <= ram[raddr[AW-1:0]];
      end
    end else begin : g_lut
      (* ram_style = "distributed" *) reg [63:0] ram[0:DEPTH-1];
      always @(posedge clk) begin
        if (we) ram[waddr[AW-1:0]] <= wdata;
        rdata <= ram[raddr[AW-1:0]];
      end
    end
  endgenerate
endmodule
