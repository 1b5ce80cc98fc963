// sf_globalpool: global sum pooling (FINN's GlobalAccPool) of a channels-last map.
//
// Streams (streamfold.hw.block: element i of a word at bits [i*BITS +: BITS]):
//   Input: PIXELS pixels (any spatial shape, row-major), channels fastest; word j of a pixel
//     carries channels j*SIMD .. j*SIMD + SIMD - 1 (ELEM_BITS each: two's complement when
//     SIGNED; BIPOLAR one bit, 1 = +1 and 0 = -1).
//   Output: per frame the C per-channel sums over all pixels, ACC_BITS each (two's complement
//     when the input may be negative), CF = C / SIMD words of SIMD sums. ACC_BITS is chosen by
//     streamfold.hw.globalpool.params so that no sum overflows.
//
// A counter walks the frame (pix, cf); acc[cf] holds SIMD running sums. The first pixel's word
// starts them, the last pixel's word completes them into a 2-word sf_fifo (hw/fifo/sf_fifo.v;
// one sum word per input word, so a frame takes PIXELS * CF cycles). s_axis_tready comes from
// registers only (the counter, the FIFO's) and m_axis_* are the FIFO's flip-flops, so any
// valid/ready pattern is tolerated. Every parameter is set by streamfold.hw.globalpool.rtl.
`default_nettype none

module sf_globalpool #(
    parameter integer ELEM_BITS = 4,
    parameter integer SIGNED = 0,       // elements are two's complement
    parameter integer BIPOLAR = 0,      // elements are bipolar (ELEM_BITS = 1)
    parameter integer ACC_BITS = 8,     // bits of a sum: >= ELEM_BITS (2 for bipolar)
    parameter integer C = 4,            // channels
    parameter integer SIMD = 1,         // channels per word; divides C
    parameter integer PIXELS = 4        // pixels per frame
) (
    input wire clk,
    input wire rst_n,
    input wire [SIMD*ELEM_BITS-1:0] s_axis_tdata,
    input wire s_axis_tvalid,
    output wire s_axis_tready,
    output wire [SIMD*ACC_BITS-1:0] m_axis_tdata,
    output wire m_axis_tvalid,
    input wire m_axis_tready
);
    localparam integer CF = C / SIMD;
    localparam integer AW = SIMD * ACC_BITS;

    function integer bits_for(input integer n);  // a counter over 0 .. n-1
        bits_for = (n > 1) ? $clog2(n) : 1;
    endfunction
    localparam integer CFB = bits_for(CF);
    localparam integer PB = bits_for(PIXELS);
    localparam integer CF_M1 = CF - 1;
    localparam integer P_M1 = PIXELS - 1;
    localparam [CFB-1:0] CF_LAST = CF_M1[CFB-1:0];
    localparam [PB-1:0] PIX_LAST = P_M1[PB-1:0];

    reg [CFB-1:0] cf;
    reg [PB-1:0] pix;
    reg [AW-1:0] acc[0:CF-1];
    wire first_pix = (pix == {PB{1'b0}});
    wire last_pix = (pix == PIX_LAST);
    wire last_cf = (cf == CF_LAST);

    // ---------------------------------------------------------------- output FIFO (2 words)
    wire space;  // the FIFO takes a word: a function of its registers only
    assign s_axis_tready = rst_n && (space || !last_pix);
    wire fire = s_axis_tvalid && s_axis_tready;
    wire emit = fire && last_pix;
    wire [AW-1:0] sum;
    sf_fifo #(
        .WIDTH(AW),
        .DEPTH(2)
    ) u_out (
        .clk(clk),
        .rst_n(rst_n),
        .s_axis_tdata(sum),
        .s_axis_tvalid(emit),
        .s_axis_tready(space),
        .m_axis_tdata(m_axis_tdata),
        .m_axis_tvalid(m_axis_tvalid),
        .m_axis_tready(m_axis_tready)
    );

    // ---------------------------------------------------------------- SIMD adders
    wire [AW-1:0] prev = first_pix ? {AW{1'b0}} : acc[cf];
    genvar s;
    generate
        for (s = 0; s < SIMD; s = s + 1) begin : g_lane
            wire [ELEM_BITS-1:0] e = s_axis_tdata[s*ELEM_BITS +: ELEM_BITS];
            wire [ACC_BITS-1:0] ext;
            if (BIPOLAR != 0) begin : g_bipolar
                assign ext = e[0] ? {{(ACC_BITS - 1) {1'b0}}, 1'b1} : {ACC_BITS{1'b1}};
            end else if (ACC_BITS == ELEM_BITS) begin : g_same
                assign ext = e;
            end else if (SIGNED != 0) begin : g_signed
                assign ext = {{(ACC_BITS - ELEM_BITS) {e[ELEM_BITS-1]}}, e};
            end else begin : g_unsigned
                assign ext = {{(ACC_BITS - ELEM_BITS) {1'b0}}, e};
            end
            assign sum[s*ACC_BITS +: ACC_BITS] = prev[s*ACC_BITS +: ACC_BITS] + ext;
        end
    endgenerate

    always @(posedge clk) begin
        if (fire && !last_pix) acc[cf] <= sum;
        if (!rst_n) begin
            cf <= {CFB{1'b0}};
            pix <= {PB{1'b0}};
        end else begin
            if (fire) begin
                cf <= last_cf ? {CFB{1'b0}} : cf + 1'b1;
                if (last_cf) pix <= last_pix ? {PB{1'b0}} : pix + 1'b1;
            end
        end
    end
endmodule

`default_nettype wire
