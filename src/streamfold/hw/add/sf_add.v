// sf_add: elementwise y = x0 * K0 + x1 * K1 of two AXI-Streams of equal shape.
//
// Streams (streamfold.hw.block: element i of a word at bits [i*BITS +: BITS]): both inputs and
// the output carry SIMD elements per word, in the same (channels-last) order. An input's
// elements are unsigned, two's complement (KINDn = 1) or bipolar (KINDn = 2: 1 = +1, 0 = -1).
// The output elements are OUT_BITS wide (the graph's output type, which holds every exact sum:
// streamfold.hw.add.params checks it); each lane computes in WI > every input's bits, modulo
// 2**WI, so the low OUT_BITS bits are exact. A word of each input makes one output word: the pair is taken when both
// are valid and the output register is free; latency one cycle, one word per cycle.
`default_nettype none

module sf_add #(
    parameter integer SIMD = 1,
    parameter integer IN0_BITS = 4,
    parameter integer IN0_KIND = 0,  // 0 unsigned, 1 two's complement, 2 bipolar
    parameter integer K0 = 1,
    parameter integer IN1_BITS = 4,
    parameter integer IN1_KIND = 0,
    parameter integer K1 = 1,
    parameter integer OUT_BITS = 5
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
    localparam integer WI_IN = (IN0_BITS > IN1_BITS) ? IN0_BITS : IN1_BITS;
    localparam integer WI = ((WI_IN > OUT_BITS) ? WI_IN : OUT_BITS) + 1;
    localparam [WI-1:0] KW0 = K0[WI-1:0];
    localparam [WI-1:0] KW1 = K1[WI-1:0];

    wire free = !m_axis_tvalid || m_axis_tready;
    assign s0_axis_tready = rst_n && free && s1_axis_tvalid;
    assign s1_axis_tready = rst_n && free && s0_axis_tvalid;
    wire fire = s0_axis_tvalid && s1_axis_tvalid && rst_n && free;

    wire [SIMD*W-1:0] sum;
    genvar i;
    generate
        for (i = 0; i < SIMD; i = i + 1) begin : g_lane
            wire [IN0_BITS-1:0] x0 = s0_axis_tdata[i*IN0_BITS +: IN0_BITS];
            wire [IN1_BITS-1:0] x1 = s1_axis_tdata[i*IN1_BITS +: IN1_BITS];
            wire [WI-1:0] a;
            wire [WI-1:0] b;
            // each element as a WI-bit two's complement value
            if (IN0_KIND == 2) begin : g_a_bipolar
                assign a = x0[0] ? {{(WI - 1) {1'b0}}, 1'b1} : {WI{1'b1}};
            end else if (IN0_KIND == 1) begin : g_a_signed
                assign a = {{(WI - IN0_BITS) {x0[IN0_BITS-1]}}, x0};
            end else begin : g_a_unsigned
                assign a = {{(WI - IN0_BITS) {1'b0}}, x0};
            end
            if (IN1_KIND == 2) begin : g_b_bipolar
                assign b = x1[0] ? {{(WI - 1) {1'b0}}, 1'b1} : {WI{1'b1}};
            end else if (IN1_KIND == 1) begin : g_b_signed
                assign b = {{(WI - IN1_BITS) {x1[IN1_BITS-1]}}, x1};
            end else begin : g_b_unsigned
                assign b = {{(WI - IN1_BITS) {1'b0}}, x1};
            end
            wire [WI-1:0] pa = a * KW0;  // modulo 2**WI
            wire [WI-1:0] pb = b * KW1;
            wire [WI-1:0] total = pa + pb;
            assign sum[i*W +: W] = total[W-1:0];
            /* verilator lint_off UNUSEDSIGNAL */
            wire unused_high = |total[WI-1:W];  // above the output type: no sum reaches it
            /* verilator lint_on UNUSEDSIGNAL */
        end
    endgenerate

    always @(posedge clk) begin
        if (fire) m_axis_tdata <= sum;
    end

    always @(posedge clk) begin
        if (!rst_n) m_axis_tvalid <= 1'b0;
        else if (free) m_axis_tvalid <= fire;
    end
endmodule

`default_nettype wire
