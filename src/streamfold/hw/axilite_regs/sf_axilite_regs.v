// sf_axilite_regs: the shell's AXI4-Lite register block (32-bit registers, byte addresses).
//
//   0x00 ID          ro  0x53464C44 ("SFLD")
//   0x04 VERSION     ro  VERSION parameter (major << 16 | minor)
//   0x08 CTRL        wo  bit 0: start a DMA run (pulse); bit 1: soft reset (pulse)
//   0x0C STATUS      ro  bit 0 busy, bit 1 done (since the last start), bit 2 framing error,
//                        bit 3 the shell has a DMA
//   0x10 SRC_ADDR    rw  input frames (DMA), bus-word aligned
//   0x14 DST_ADDR    rw  output frames (DMA), bus-word aligned
//   0x18 FRAMES      rw  frames per DMA run
//   0x1C FRAMES_IN   ro  frames accepted by the pipeline since reset
//   0x20 FRAMES_OUT  ro  frames delivered by the pipeline since reset
//   0x24 CYCLES_LO   ro  cycles since reset, low word; reading it latches CYCLES_HI
//   0x28 CYCLES_HI   ro  the high word latched by the last CYCLES_LO read
//   0x2C RUN_CYCLES  ro  cycles of the last DMA run (counts while busy)
//   0x30 IN_FRAME_BYTES, 0x34 OUT_FRAME_BYTES, 0x38 IN_WORD_BYTES, 0x3C OUT_WORD_BYTES,
//   0x40 BUS_BYTES   ro  the build's layout constants, for the driver to check
// The window is 2**ADDR_W bytes; unmapped addresses read 0 and ignore writes (OKAY responses). A write is taken when both
// its address and its data are valid (AWREADY and WREADY rise together); a read when RVALID is
// low. Soft reset clears the counters and the status, not SRC/DST/FRAMES.
module sf_axilite_regs #(
    parameter integer ADDR_W = 12,  // > 8: a window of 2**ADDR_W bytes
    parameter [31:0] VERSION = 32'h0001_0000,
    parameter [31:0] IN_FRAME_BYTES = 1,
    parameter [31:0] OUT_FRAME_BYTES = 1,
    parameter [31:0] IN_WORD_BYTES = 1,
    parameter [31:0] OUT_WORD_BYTES = 1,
    parameter [31:0] BUS_BYTES = 4,
    parameter integer HAS_DMA = 0
) (
    input  wire              clk,
    input  wire              rst_n,
    input  wire [ADDR_W-1:0] s_axil_awaddr,
    input  wire              s_axil_awvalid,
    output wire              s_axil_awready,
    input  wire [31:0]       s_axil_wdata,
    input  wire [3:0]        s_axil_wstrb,
    input  wire              s_axil_wvalid,
    output wire              s_axil_wready,
    output wire [1:0]        s_axil_bresp,
    output reg               s_axil_bvalid,
    input  wire              s_axil_bready,
    input  wire [ADDR_W-1:0] s_axil_araddr,
    input  wire              s_axil_arvalid,
    output wire              s_axil_arready,
    output reg  [31:0]       s_axil_rdata,
    output wire [1:0]        s_axil_rresp,
    output reg               s_axil_rvalid,
    input  wire              s_axil_rready,
    // to the shell
    output reg               start,
    output reg               soft_reset,
    output reg  [31:0]       src_addr,
    output reg  [31:0]       dst_addr,
    output reg  [31:0]       frames,
    // from the shell
    input  wire              busy,
    input  wire              frame_error,
    input  wire              frame_in,   // a frame entered the pipeline this cycle
    input  wire              frame_out   // a frame left the pipeline this cycle
);
    localparam [31:0] ID = 32'h5346_4C44;
    localparam [31:0] HAS_DMA_BIT = (HAS_DMA != 0) ? 32'd8 : 32'd0;

    reg [31:0] frames_in;
    reg [31:0] frames_out;
    reg [63:0] cycles;
    reg [31:0] cycles_hi;
    reg [31:0] run_cycles;
    reg        done;
    reg        error;

    wire wr_fire = s_axil_awvalid && s_axil_wvalid && !s_axil_bvalid;
    wire rd_fire = s_axil_arvalid && !s_axil_rvalid;
    // registers sit in the window's first 256 bytes; the rest reads 0 (6'h3F is unmapped)
    wire wr_hit = s_axil_awaddr[ADDR_W-1:8] == {(ADDR_W - 8){1'b0}};
    wire rd_hit = s_axil_araddr[ADDR_W-1:8] == {(ADDR_W - 8){1'b0}};
    wire [5:0] wr_reg = wr_hit ? s_axil_awaddr[7:2] : 6'h3F;
    wire [5:0] rd_reg = rd_hit ? s_axil_araddr[7:2] : 6'h3F;
    wire full_word = s_axil_wstrb == 4'hf;  // partial writes are ignored
    wire ctrl_write = wr_fire && full_word && wr_reg == 6'h02;
    wire clear = !rst_n || soft_reset;
    reg busy_q;

    assign s_axil_awready = wr_fire;
    assign s_axil_wready = wr_fire;
    assign s_axil_bresp = 2'b00;
    assign s_axil_arready = rd_fire;
    assign s_axil_rresp = 2'b00;

    // verilator lint_off UNUSEDSIGNAL
    wire [1:0] unused_addr = s_axil_awaddr[1:0] ^ s_axil_araddr[1:0];  // byte lanes: words only
    // verilator lint_on UNUSEDSIGNAL

    always @(posedge clk) begin
        if (!rst_n) begin
            s_axil_bvalid <= 1'b0;
            s_axil_rvalid <= 1'b0;
            s_axil_rdata <= 32'd0;
            start <= 1'b0;
            soft_reset <= 1'b0;
            src_addr <= 32'd0;
            dst_addr <= 32'd0;
            frames <= 32'd0;
        end else begin
            start <= ctrl_write && s_axil_wdata[0];
            soft_reset <= ctrl_write && s_axil_wdata[1];
            if (wr_fire) s_axil_bvalid <= 1'b1;
            else if (s_axil_bready) s_axil_bvalid <= 1'b0;
            if (wr_fire && full_word) begin
                case (wr_reg)
                    6'h04: src_addr <= s_axil_wdata;
                    6'h05: dst_addr <= s_axil_wdata;
                    6'h06: frames <= s_axil_wdata;
                    default: ;
                endcase
            end
            if (rd_fire) begin
                s_axil_rvalid <= 1'b1;
                s_axil_rdata <= read_mux(rd_reg);
            end else if (s_axil_rready) begin
                s_axil_rvalid <= 1'b0;
            end
        end
    end

    always @(posedge clk) begin
        if (clear) begin
            frames_in <= 32'd0;
            frames_out <= 32'd0;
            run_cycles <= 32'd0;
            done <= 1'b0;
            error <= 1'b0;
            busy_q <= 1'b0;
        end else begin
            busy_q <= busy;
            if (frame_in) frames_in <= frames_in + 32'd1;
            if (frame_out) frames_out <= frames_out + 32'd1;
            if (start) run_cycles <= 32'd0;
            else if (busy) run_cycles <= run_cycles + 32'd1;
            if (start) done <= 1'b0;
            else if (busy_q && !busy) done <= 1'b1;
            if (frame_error) error <= 1'b1;
        end
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            cycles <= 64'd0;
            cycles_hi <= 32'd0;
        end else begin
            cycles <= cycles + 64'd1;
            if (rd_fire && rd_reg == 6'h09) cycles_hi <= cycles[63:32];
        end
    end

    function [31:0] read_mux(input [5:0] r);
        case (r)
            6'h00: read_mux = ID;
            6'h01: read_mux = VERSION;
            6'h03: read_mux = {28'd0, 1'b0, error, done, busy} | HAS_DMA_BIT;
            6'h04: read_mux = src_addr;
            6'h05: read_mux = dst_addr;
            6'h06: read_mux = frames;
            6'h07: read_mux = frames_in;
            6'h08: read_mux = frames_out;
            6'h09: read_mux = cycles[31:0];
            6'h0A: read_mux = cycles_hi;
            6'h0B: read_mux = run_cycles;
            6'h0C: read_mux = IN_FRAME_BYTES;
            6'h0D: read_mux = OUT_FRAME_BYTES;
            6'h0E: read_mux = IN_WORD_BYTES;
            6'h0F: read_mux = OUT_WORD_BYTES;
            6'h10: read_mux = BUS_BYTES;
            default: read_mux = 32'd0;
        endcase
    endfunction
endmodule
