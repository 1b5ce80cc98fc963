// sf_mvau_mmv: MMV pixels per word through MMV lock-stepped sf_mvau units (multi-pixel words).
//
// Streams (streamfold.hw.block): an input word carries MMV * SIMD elements, element
// m * SIMD + s being lane s of pixel m's current synapse fold; an output word carries MMV * PE
// elements, element m * PE + p being row nf * PE + p of pixel m. A frame's element order is
// [groups, SF, MMV, SIMD] in and [groups, NF, MMV, PE] out (groups of MMV consecutive pixels):
// the order sf_swg emits with the same SIMD and MMV, and, with PE = MH, plain channels-last
// pixels out (streamfold.hw.mvau.params requires PE = MH for MMV > 1).
//
// Unit m computes pixel m of each word. The units share every parameter and memory image (the
// same weights and thresholds; with MEM_STYLE "registers" and NF * SF = 1 they are constants
// the synthesiser folds into each unit's multipliers) and their control depends only on the
// handshakes, never on data: all see the same s_axis_tvalid and m_axis_tready, so they stay in
// the same state every cycle, and unit 0's tready/tvalid stand for all. Timing is sf_mvau's.
//
// Every parameter is set by streamfold.hw.mvau.rtl (MMV and sf_mvau's, forwarded unchanged).
`default_nettype none

module sf_mvau_mmv #(
    parameter integer MMV = 2,            // pixels per word

    parameter integer MW = 16,            // in_features
    parameter integer MH = 8,             // out_features
    parameter integer PE = 1,             // rows in parallel; divides MH
    parameter integer SIMD = 1,           // columns in parallel; divides MW
    parameter integer IN_BITS = 4,
    parameter integer IN_SIGNED = 0,
    parameter integer IN_BIPOLAR = 0,
    parameter integer W_BITS = 4,
    parameter integer W_SIGNED = 1,
    parameter integer W_BIPOLAR = 0,
    parameter integer ACC_BITS = 16,      // holds every exact dot product
    parameter integer ACC_SIGNED = 1,
    parameter integer N_THRESH = 0,       // thresholds per row; 0 = output the accumulator
    parameter integer T_BITS = 17,        // signed threshold width
    parameter integer OUT_BITS = 16,
    parameter integer OUT_MIN = 0,        // value of level 0 (thresholded, not bipolar)
    parameter integer OUT_BIPOLAR = 0,    // thresholded bipolar output: level 1 = +1 = bit 1
    parameter [8*16-1:0] MEM_STYLE = "distributed",
    parameter WEIGHT_FILE = "weights.hex",
    parameter THRESH_FILE = "thresholds.hex",
    parameter integer IBUF_PREFETCH = 0,
    // Multiply-shift output stage (MS = 1, N_THRESH = 0): y = clamp(round_half_even((acc * M +
    // B) / 2**MS_SHIFT), MS_MIN, MS_MAX) per row, or bipolar (OUT_BIPOLAR) +1 where acc * M + B
    // >= 0; MS_FILE: NF words of PE * (MS_M_BITS + MS_B_BITS) bits, element p of word nf row
    // nf * PE + p, M (signed) in its low bits and B (signed) above (sf_mulshift.v's image).
    parameter integer MS = 0,
    parameter integer MS_M_BITS = 2,
    parameter integer MS_B_BITS = 2,
    parameter integer MS_SHIFT = 0,
    parameter integer MS_MIN = 0,
    parameter integer MS_MAX = 1,
    parameter MS_FILE = "requant.hex"
) (
    input wire clk,
    input wire rst_n,
    input wire [MMV*SIMD*IN_BITS-1:0] s_axis_tdata,
    input wire s_axis_tvalid,
    output wire s_axis_tready,
    output wire [MMV*PE*OUT_BITS-1:0] m_axis_tdata,
    output wire m_axis_tvalid,
    input wire m_axis_tready
);
    // Units 1 .. MMV-1 repeat unit 0's handshake outputs (lock step): only unit 0's are used.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [MMV-1:0] ready;
    wire [MMV-1:0] valid;
    /* verilator lint_on UNUSEDSIGNAL */
    assign s_axis_tready = ready[0];
    assign m_axis_tvalid = valid[0];

    genvar m;
    generate
        for (m = 0; m < MMV; m = m + 1) begin : g_unit
            sf_mvau #(
                .MW(MW),
                .MH(MH),
                .PE(PE),
                .SIMD(SIMD),
                .IN_BITS(IN_BITS),
                .IN_SIGNED(IN_SIGNED),
                .IN_BIPOLAR(IN_BIPOLAR),
                .W_BITS(W_BITS),
                .W_SIGNED(W_SIGNED),
                .W_BIPOLAR(W_BIPOLAR),
                .ACC_BITS(ACC_BITS),
                .ACC_SIGNED(ACC_SIGNED),
                .N_THRESH(N_THRESH),
                .T_BITS(T_BITS),
                .OUT_BITS(OUT_BITS),
                .OUT_MIN(OUT_MIN),
                .OUT_BIPOLAR(OUT_BIPOLAR),
                .MEM_STYLE(MEM_STYLE),
                .WEIGHT_FILE(WEIGHT_FILE),
                .THRESH_FILE(THRESH_FILE),
                .IBUF_PREFETCH(IBUF_PREFETCH),
                .MS(MS),
                .MS_M_BITS(MS_M_BITS),
                .MS_B_BITS(MS_B_BITS),
                .MS_SHIFT(MS_SHIFT),
                .MS_MIN(MS_MIN),
                .MS_MAX(MS_MAX),
                .MS_FILE(MS_FILE)
            ) u_mvau (
                .clk(clk),
                .rst_n(rst_n),
                .s_axis_tdata(s_axis_tdata[m*SIMD*IN_BITS +: SIMD*IN_BITS]),
                .s_axis_tvalid(s_axis_tvalid),
                .s_axis_tready(ready[m]),
                .m_axis_tdata(m_axis_tdata[m*PE*OUT_BITS +: PE*OUT_BITS]),
                .m_axis_tvalid(valid[m]),
                .m_axis_tready(m_axis_tready)
            );
        end
    endgenerate
endmodule

`default_nettype wire
