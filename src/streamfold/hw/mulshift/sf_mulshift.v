// sf_mulshift: standalone Requantizer, integer multiply, add, shift, clamp, PE channels per word.
//
// y[c] = clamp(round_half_even((x[c] * M[c] + B[c]) / 2**SHIFT), OUT_MIN, OUT_MAX), or for a
// bipolar output bit 1 = +1 when x[c] * M[c] + B[c] >= 0 and bit 0 = -1 otherwise. One SHIFT
// for every channel: streamfold.hw.mulshift.params.hw_constants scales each channel's M and B
// to it, which leaves every result as the IR's MulShift defines it.
//
// Streams (streamfold.hw.block): a frame of CHANNELS elements is CF = CHANNELS / PE words of PE
// elements (element i of a word at bits [i*bits +: bits]); input word cf carries channels
// cf * PE .. cf * PE + PE - 1 and produces the output word with the same channels.
//
// Memory image CONST_FILE ($readmemh, one word per line): CF words of PE * (M_BITS + B_BITS)
// bits; element p of word cf holds channel cf * PE + p: M (signed M_BITS) in its low bits,
// B (signed B_BITS) above. MEM_STYLE "block": block RAM, registered read; "distributed": LUTs,
// registered read; "registers": constants read through a registered address (see sf_mvau.v).
//
// Pipeline: 1 input and constant registers, 2 products (registered, DSP-friendly), 3 sum,
// 4 round and clamp into the output register, then the output FIFO; the first output word is
// offered 5 cycles after the first input word was taken, and one word is taken per cycle in
// the steady state. An input word is taken only when the FIFO has a slot reserved for its
// result (credits), so any valid/ready pattern on either side is tolerated.
//
// Every parameter is set by streamfold.hw.mulshift.rtl; the default image name is a
// placeholder, so elaborate only instantiated parameterisations (Yosys: read_verilog -defer).
`default_nettype none

module sf_mulshift #(
    parameter integer CHANNELS = 8,
    parameter integer PE = 1,             // channels per word; divides CHANNELS
    parameter integer IN_BITS = 16,
    parameter integer IN_SIGNED = 1,
    parameter integer IN_BIPOLAR = 0,
    parameter integer M_BITS = 8,         // signed multiplier width
    parameter integer B_BITS = 16,        // signed bias width
    parameter integer SHIFT = 8,
    parameter integer OUT_BITS = 8,
    parameter integer OUT_MIN = 0,        // clamp bounds (not bipolar)
    parameter integer OUT_MAX = 255,
    parameter integer OUT_BIPOLAR = 0,
    parameter [8*16-1:0] MEM_STYLE = "distributed",
    parameter CONST_FILE = "constants.hex"
) (
    input wire clk,
    input wire rst_n,
    input wire [PE*IN_BITS-1:0] s_axis_tdata,
    input wire s_axis_tvalid,
    output wire s_axis_tready,
    output wire [PE*OUT_BITS-1:0] m_axis_tdata,
    output wire m_axis_tvalid,
    input wire m_axis_tready
);
    localparam [8*16-1:0] STYLE_BLOCK = "block";
    localparam [8*16-1:0] STYLE_DISTRIBUTED = "distributed";

    localparam integer CF = CHANNELS / PE;
    localparam integer CFB = (CF > 1) ? $clog2(CF) : 1;
    localparam integer XW = PE * IN_BITS;
    localparam integer KB = M_BITS + B_BITS;  // constants of one channel
    localparam integer KW = PE * KB;
    localparam integer OW = PE * OUT_BITS;
    localparam integer XB = IN_BITS + 1;  // an input element as a signed number
    localparam integer PW = XB + M_BITS;  // product
    localparam integer SW = ((PW > B_BITS) ? PW : B_BITS) + 1;  // product + bias
    localparam integer EW = (SW > SHIFT + 2) ? SW : SHIFT + 2;  // sum, at least 2 bits kept
    localparam integer QW = EW - SHIFT;  // quotient
    localparam integer CW = ((QW > OUT_BITS) ? QW : OUT_BITS) + 2;  // rounded, clamp compare
    // Output FIFO: a word taken at cycle t leaves at t + 5 at the earliest, its credit is seen
    // at t + 6, so 5 words in flight plus one slot keep one word per cycle.
    localparam integer DEPTH = 6;
    localparam integer QB = $clog2(DEPTH + 1);
    localparam integer FPB = $clog2(DEPTH);

    localparam integer CF_M1 = CF - 1;
    localparam integer DEPTH_M1 = DEPTH - 1;
    localparam [CFB-1:0] CF_LAST = CF_M1[CFB-1:0];
    localparam [QB-1:0] DEPTH_Q = DEPTH[QB-1:0];
    localparam [FPB-1:0] FP_LAST = DEPTH_M1[FPB-1:0];
    // A 32-bit integer parameter sign-extended or truncated to CW bits (it fits in CW bits).
    function [CW-1:0] to_cw(input [31:0] v);
        integer j;
        begin
            for (j = 0; j < CW; j = j + 1) to_cw[j] = v[(j < 32) ? j : 31];
        end
    endfunction
    localparam [CW-1:0] LO = to_cw(OUT_MIN);
    localparam [CW-1:0] HI = to_cw(OUT_MAX);

    // ---------------------------------------------------------------- stage 0: accept
    reg [CFB-1:0] cf;
    reg [QB-1:0] pending;  // words accepted and not yet taken from m_axis
    wire take = m_axis_tvalid && m_axis_tready;
    assign s_axis_tready = rst_n && pending != DEPTH_Q;
    wire fire = s_axis_tready && s_axis_tvalid;

    always @(posedge clk) begin
        if (!rst_n) begin
            cf <= {CFB{1'b0}};
            pending <= {QB{1'b0}};
        end else begin
            if (fire) cf <= (cf == CF_LAST) ? {CFB{1'b0}} : cf + 1'b1;
            if (fire && !take) pending <= pending + 1'b1;
            else if (take && !fire) pending <= pending - 1'b1;
        end
    end

    // ---------------------------------------------------------------- stage 1: operands
    reg [XW-1:0] in_q;
    reg [2:0] valid_p;  // stages 1 .. 3
    always @(posedge clk) begin
        if (fire) in_q <= s_axis_tdata;
        if (!rst_n) valid_p <= 3'b000;
        else valid_p <= {valid_p[1:0], fire};
    end

    // Constants of channel fold cf, valid in stage 1 (memory styles as in sf_mvau.v).
    wire [KW-1:0] k1;
    generate
        if (MEM_STYLE == STYLE_BLOCK) begin : g_kmem_block
            (* ram_style = "block", rom_style = "block" *) reg [KW-1:0] kmem[0:CF-1];
            reg [KW-1:0] k_q;
            initial $readmemh(CONST_FILE, kmem);
            always @(posedge clk) k_q <= kmem[cf];
            assign k1 = k_q;
        end else if (MEM_STYLE == STYLE_DISTRIBUTED) begin : g_kmem_distributed
            (* ram_style = "logic", rom_style = "distributed" *) reg [KW-1:0] kmem[0:CF-1];
            reg [KW-1:0] k_q;
            initial $readmemh(CONST_FILE, kmem);
            always @(posedge clk) k_q <= kmem[cf];
            assign k1 = k_q;
        end else begin : g_kmem_registers
            (* ram_style = "registers" *) reg [KW-1:0] krom[0:CF-1];
            initial $readmemh(CONST_FILE, krom);
            if (CF == 1) begin : g_const
                assign k1 = krom[0];
            end else begin : g_table
                reg [CFB-1:0] cf_q;
                always @(posedge clk) cf_q <= cf;
                assign k1 = krom[cf_q];
            end
        end
    endgenerate

    // ---------------------------------------------------------------- stages 2 .. 4: per PE
    reg [OW-1:0] out_q;
    reg out_valid;
    always @(posedge clk) begin
        if (!rst_n) out_valid <= 1'b0;
        else out_valid <= valid_p[2];
    end

    genvar p;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire [IN_BITS-1:0] xe = in_q[p*IN_BITS +: IN_BITS];
            wire [M_BITS-1:0] me = k1[p*KB +: M_BITS];
            wire [B_BITS-1:0] be = k1[p*KB + M_BITS +: B_BITS];
            wire [XB-1:0] xs;  // bipolar b: 2b - 1
            if (IN_BIPOLAR != 0) begin : g_xb
                assign xs = {~xe, 1'b1};
            end else if (IN_SIGNED != 0) begin : g_xs
                assign xs = {xe[IN_BITS-1], xe};
            end else begin : g_xu
                assign xs = {1'b0, xe};
            end
            // stage 2: the product, both operands sign-extended to its width; the bias beside it
            wire [PW-1:0] xp = {{(PW - XB) {xs[XB-1]}}, xs};
            wire [PW-1:0] mp = {{(PW - M_BITS) {me[M_BITS-1]}}, me};
            reg [PW-1:0] prod_q;
            reg [B_BITS-1:0] bias_q;
            always @(posedge clk) begin
                prod_q <= xp * mp;
                bias_q <= be;
            end
            // stage 3: the sum
            wire [EW-1:0] px = {{(EW - PW) {prod_q[PW-1]}}, prod_q};
            wire [EW-1:0] bx = {{(EW - B_BITS) {bias_q[B_BITS-1]}}, bias_q};
            /* verilator lint_off UNUSEDSIGNAL */
            reg [EW-1:0] sum_q;  // a bipolar output reads its sign only
            /* verilator lint_on UNUSEDSIGNAL */
            always @(posedge clk) sum_q <= px + bx;
            // stage 4: round half to even, clamp
            if (OUT_BIPOLAR != 0) begin : g_bipolar
                always @(posedge clk) out_q[p*OUT_BITS +: OUT_BITS] <= ~sum_q[EW-1];
            end else begin : g_levels
                wire [QW-1:0] q = sum_q[EW-1:SHIFT];
                wire up;
                if (SHIFT == 0) begin : g_exact
                    assign up = 1'b0;
                end else if (SHIFT == 1) begin : g_half
                    assign up = sum_q[0] && q[0];
                end else begin : g_round
                    // above half, or exactly half and the quotient odd
                    assign up = sum_q[SHIFT-1] && (|sum_q[SHIFT-2:0] || q[0]);
                end
                wire [CW-1:0] y = {{(CW - QW) {q[QW-1]}}, q} + {{(CW - 1) {1'b0}}, up};
                /* verilator lint_off UNUSEDSIGNAL */
                wire [CW-1:0] yc = ($signed(y) < $signed(LO)) ? LO : ($signed(y) > $signed(HI)) ? HI : y;
                /* verilator lint_on UNUSEDSIGNAL */
                always @(posedge clk) out_q[p*OUT_BITS +: OUT_BITS] <= yc[OUT_BITS-1:0];
            end
        end
    endgenerate

    // ---------------------------------------------------------------- output FIFO
    reg [OW-1:0] fifo[0:DEPTH-1];
    reg [FPB-1:0] wptr;
    reg [FPB-1:0] rptr;
    reg [QB-1:0] count_q;
    always @(posedge clk) begin
        if (out_valid) fifo[wptr] <= out_q;
        if (!rst_n) begin
            wptr <= {FPB{1'b0}};
            rptr <= {FPB{1'b0}};
            count_q <= {QB{1'b0}};
        end else begin
            if (out_valid) wptr <= (wptr == FP_LAST) ? {FPB{1'b0}} : wptr + 1'b1;
            if (take) rptr <= (rptr == FP_LAST) ? {FPB{1'b0}} : rptr + 1'b1;
            if (out_valid && !take) count_q <= count_q + 1'b1;
            else if (take && !out_valid) count_q <= count_q - 1'b1;
        end
    end
    assign m_axis_tvalid = (count_q != {QB{1'b0}});
    assign m_axis_tdata = fifo[rptr];
endmodule

`default_nettype wire
