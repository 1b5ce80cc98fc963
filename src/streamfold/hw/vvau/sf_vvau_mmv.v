// sf_vvau_mmv: MMV pixels per word through MMV lock-stepped sf_vvau units (multi-pixel words).
//
// Streams (streamfold.hw.block): with PE = C and SIMD = K (streamfold.hw.vvau.params requires
// them for MMV > 1) an sf_vvau word is a whole window in (k, c) order and its output a whole
// pixel; here an input word carries MMV such windows (element m * K * C + k * C + c) and an
// output word MMV pixels (element m * C + c): the plain channels-last stream order.
//
// Unit m computes pixel m of each word. The units share every parameter and memory image and
// their control depends only on the handshakes, never on data: all see the same s_axis_tvalid
// and m_axis_tready, so they stay in the same state every cycle, and unit 0's tready/tvalid
// stand for all. Timing is sf_vvau's. Every parameter is set by streamfold.hw.vvau.rtl.
`default_nettype none

module sf_vvau_mmv #(
    parameter integer MMV = 2,            // pixels per word

    parameter integer C = 4,              // channels
    parameter integer K = 9,              // kernel positions k_h * k_w
    parameter integer PE = 1,             // channels in parallel; divides C
    parameter integer SIMD = 1,           // kernel positions in parallel; divides K
    parameter integer IN_BITS = 4,
    parameter integer IN_SIGNED = 0,
    parameter integer IN_BIPOLAR = 0,
    parameter integer W_BITS = 4,
    parameter integer W_SIGNED = 1,
    parameter integer W_BIPOLAR = 0,
    parameter integer ACC_BITS = 16,      // holds every exact dot product
    parameter integer ACC_SIGNED = 1,
    parameter integer N_THRESH = 0,       // thresholds per channel; 0 = output the accumulator
    parameter integer T_BITS = 17,        // signed threshold width
    parameter integer OUT_BITS = 16,
    parameter integer OUT_MIN = 0,        // value of level 0 (thresholded, not bipolar)
    parameter integer OUT_BIPOLAR = 0,    // thresholded bipolar output: level 1 = +1 = bit 1
    parameter [8*16-1:0] MEM_STYLE = "distributed",
    parameter WEIGHT_FILE = "weights.hex",
    parameter THRESH_FILE = "thresholds.hex"
) (
    input wire clk,
    input wire rst_n,
    input wire [MMV*PE*SIMD*IN_BITS-1:0] s_axis_tdata,
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
            sf_vvau #(
                .C(C),
                .K(K),
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
                .THRESH_FILE(THRESH_FILE)
            ) u_vvau (
                .clk(clk),
                .rst_n(rst_n),
                .s_axis_tdata(s_axis_tdata[m*PE*SIMD*IN_BITS +: PE*SIMD*IN_BITS]),
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
