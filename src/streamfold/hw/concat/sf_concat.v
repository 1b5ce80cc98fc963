// sf_concat: channel concatenation of two channels-last AXI-Streams of equal spatial size.
//
// Streams (streamfold.hw.block: element i of a word at bits [i*BITS +: BITS]): every word
// carries SIMD channels of one pixel. Per pixel, the output takes WORDS0 words (C0 / SIMD) from
// input 0, then WORDS1 words from input 1, each element converted to OUT_BITS: zero-extended
// (KINDn = 0), sign-extended (1) or a bipolar bit made +1 / -1 (2). One word per cycle, latency
// one cycle; an input is ready only in its phase (and when the output register is free).
`default_nettype none

module sf_concat #(
    parameter integer SIMD = 1,
    parameter integer IN0_BITS = 4,
    parameter integer IN0_KIND = 0,  // 0 unsigned, 1 two's complement, 2 bipolar
    parameter integer WORDS0 = 1,
    parameter integer IN1_BITS = 4,
    parameter integer IN1_KIND = 0,
    parameter integer WORDS1 = 1,
    parameter integer OUT_BITS = 4
) (
    input wire clk,
    input wire rst_n,
    input wire [SIMD*IN0_BITS-1:0] s0_axis_tdata,
    input wire s0_axis_tvalid,
    output wire s0_axis_tready,
    input wire [SIMD*IN1_BITS-1:0] s1_axis_tdata,
    input wire s1_axis_tvalid,
    output wire s1_axis_tready,
    output reg [SIMD*OUT_BITS-1:0] m_axis_tdata,
    output reg m_axis_tvalid,
    input wire m_axis_tready
);
    localparam integer W = OUT_BITS;
    localparam integer N = WORDS0 + WORDS1;
    localparam integer CB = (N > 1) ? $clog2(N) : 1;
    localparam integer N_M1 = N - 1;
    localparam integer W0 = WORDS0;
    localparam [CB-1:0] LAST = N_M1[CB-1:0];
    localparam [CB-1:0] FIRST1 = W0[CB-1:0];
    localparam [CB-1:0] ONE = 1;

    reg [CB-1:0] count;  // word of the current pixel: < WORDS0 from input 0, else input 1
    wire phase1 = (count >= FIRST1);
    wire free = !m_axis_tvalid || m_axis_tready;
    assign s0_axis_tready = rst_n && free && !phase1;
    assign s1_axis_tready = rst_n && free && phase1;
    wire fire = phase1 ? (s1_axis_tvalid && s1_axis_tready) : (s0_axis_tvalid && s0_axis_tready);

    wire [SIMD*W-1:0] word0;
    wire [SIMD*W-1:0] word1;
    genvar i;
    generate
        for (i = 0; i < SIMD; i = i + 1) begin : g_lane
            wire [IN0_BITS-1:0] x0 = s0_axis_tdata[i*IN0_BITS +: IN0_BITS];
            wire [IN1_BITS-1:0] x1 = s1_axis_tdata[i*IN1_BITS +: IN1_BITS];
            if (W == IN0_BITS) begin : g_a_same  // the output type is this input's
                assign word0[i*W +: W] = x0;
            end else if (IN0_KIND == 2) begin : g_a_bipolar
                assign word0[i*W +: W] = x0[0] ? {{(W - 1) {1'b0}}, 1'b1} : {W{1'b1}};
            end else if (IN0_KIND == 1) begin : g_a_signed
                assign word0[i*W +: W] = {{(W - IN0_BITS) {x0[IN0_BITS-1]}}, x0};
            end else begin : g_a_unsigned
                assign word0[i*W +: W] = {{(W - IN0_BITS) {1'b0}}, x0};
            end
            if (W == IN1_BITS) begin : g_b_same  // the output type is this input's
                assign word1[i*W +: W] = x1;
            end else if (IN1_KIND == 2) begin : g_b_bipolar
                assign word1[i*W +: W] = x1[0] ? {{(W - 1) {1'b0}}, 1'b1} : {W{1'b1}};
            end else if (IN1_KIND == 1) begin : g_b_signed
                assign word1[i*W +: W] = {{(W - IN1_BITS) {x1[IN1_BITS-1]}}, x1};
            end else begin : g_b_unsigned
                assign word1[i*W +: W] = {{(W - IN1_BITS) {1'b0}}, x1};
            end
        end
    endgenerate

    always @(posedge clk) begin
        if (fire) m_axis_tdata <= phase1 ? word1 : word0;
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            count <= {CB{1'b0}};
            m_axis_tvalid <= 1'b0;
        end else begin
            if (fire) count <= (count == LAST) ? {CB{1'b0}} : count + ONE;
            if (free) m_axis_tvalid <= fire;
        end
    end
endmodule

`default_nettype wire
