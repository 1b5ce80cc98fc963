// sf_pad: streaming padding (FINN's FMPadding) of a channels-last map, 1-D and 2-D.
//
// Streams (streamfold.hw.block: element i of a word at bits [i*ELEM_BITS +: ELEM_BITS]; the block
// only moves bits, so every IntType is the same to it; PAD_CODE is the border element's bits):
//   Input: a [C, H, W] map (1-D: H = 1, W = L) streamed channels-last: pixels in row-major
//     order, channels fastest; word j of a pixel carries channels j*SIMD .. j*SIMD + SIMD - 1.
//   Output: the [C, PAD_TOP + H + PAD_BOTTOM, PAD_LEFT + W + PAD_RIGHT] map, same order and
//     layout; border pixels hold PAD_CODE in every element.
//
// A counter walks the output frame (oy, ox, cf); registered flags say whether (oy, ox) is inside
// the input map. Each cycle the output FIFO has room the block emits a word: a border word from
// nothing, an inside word when its input word is there (the handshake is that emission), into
// a 2-word sf_fifo (hw/fifo/sf_fifo.v: one word per cycle, outputs from flip-flops, a word
// entering it empty is offered the next cycle). s_axis_tready comes from registers only (the
// FIFO's, the inside flags), so any valid/ready pattern is tolerated. Every parameter is set by
// streamfold.hw.pad.rtl.
`default_nettype none

module sf_pad #(
    parameter integer ELEM_BITS = 4,
    parameter integer C = 4,            // channels
    parameter integer SIMD = 1,         // channels per word; divides C
    parameter integer H = 4,            // input rows (1 for a 1-D signal)
    parameter integer W = 4,            // input columns (the length of a 1-D signal)
    parameter integer PAD_TOP = 1,
    parameter integer PAD_BOTTOM = 1,
    parameter integer PAD_LEFT = 1,
    parameter integer PAD_RIGHT = 1,
    parameter integer PAD_CODE = 0      // border element bits (ELEM_BITS <= 31)
) (
    input wire clk,
    input wire rst_n,
    input wire [SIMD*ELEM_BITS-1:0] s_axis_tdata,
    input wire s_axis_tvalid,
    output wire s_axis_tready,
    output wire [SIMD*ELEM_BITS-1:0] m_axis_tdata,
    output wire m_axis_tvalid,
    input wire m_axis_tready
);
    localparam integer CF = C / SIMD;
    localparam integer OH = PAD_TOP + H + PAD_BOTTOM;
    localparam integer OW = PAD_LEFT + W + PAD_RIGHT;
    localparam integer XW = SIMD * ELEM_BITS;

    function integer bits_for(input integer n);  // a counter over 0 .. n-1
        bits_for = (n > 1) ? $clog2(n) : 1;
    endfunction
    localparam integer CFB = bits_for(CF);
    localparam integer XB = bits_for(OW);
    localparam integer YB = bits_for(OH);

    localparam integer CF_M1 = CF - 1;
    localparam integer OW_M1 = OW - 1;
    localparam integer OH_M1 = OH - 1;
    localparam [CFB-1:0] CF_LAST = CF_M1[CFB-1:0];
    localparam [XB-1:0] OX_LAST = OW_M1[XB-1:0];
    localparam [YB-1:0] OY_LAST = OH_M1[YB-1:0];
    // Flag changes: in_map from column PAD_LEFT (row PAD_TOP) on, outside after the last input
    // column (row). A zero border has no "enter" step: the flag starts set.
    localparam integer ENTER_X_I = (PAD_LEFT > 0) ? PAD_LEFT - 1 : 0;
    localparam integer LEAVE_X_I = PAD_LEFT + W - 1;
    localparam integer ENTER_Y_I = (PAD_TOP > 0) ? PAD_TOP - 1 : 0;
    localparam integer LEAVE_Y_I = PAD_TOP + H - 1;
    localparam [XB-1:0] ENTER_X = ENTER_X_I[XB-1:0];
    localparam [XB-1:0] LEAVE_X = LEAVE_X_I[XB-1:0];
    localparam [YB-1:0] ENTER_Y = ENTER_Y_I[YB-1:0];
    localparam [YB-1:0] LEAVE_Y = LEAVE_Y_I[YB-1:0];
    localparam HAS_LEFT = (PAD_LEFT > 0);
    localparam HAS_TOP = (PAD_TOP > 0);
    localparam [ELEM_BITS-1:0] PAD_ELEM = PAD_CODE[ELEM_BITS-1:0];
    localparam [XW-1:0] PAD_WORD = {SIMD{PAD_ELEM}};

    reg [CFB-1:0] cf;
    reg [XB-1:0] ox;
    reg [YB-1:0] oy;
    reg col_in;
    reg row_in;
    wire in_map = col_in && row_in;

    // ---------------------------------------------------------------- output FIFO (2 words)
    wire space;  // the FIFO takes a word: a function of its registers only
    assign s_axis_tready = rst_n && space && in_map;
    wire emit = rst_n && space && (!in_map || s_axis_tvalid);
    wire [XW-1:0] word = in_map ? s_axis_tdata : PAD_WORD;
    sf_fifo #(
        .WIDTH(XW),
        .DEPTH(2)
    ) u_out (
        .clk(clk),
        .rst_n(rst_n),
        .s_axis_tdata(word),
        .s_axis_tvalid(emit),
        .s_axis_tready(space),
        .m_axis_tdata(m_axis_tdata),
        .m_axis_tvalid(m_axis_tvalid),
        .m_axis_tready(m_axis_tready)
    );

    wire last_cf = (cf == CF_LAST);
    wire last_ox = last_cf && (ox == OX_LAST);
    wire frame_end = last_ox && (oy == OY_LAST);

    always @(posedge clk) begin
        if (!rst_n) begin
            cf <= {CFB{1'b0}};
            ox <= {XB{1'b0}};
            oy <= {YB{1'b0}};
            col_in <= !HAS_LEFT;
            row_in <= !HAS_TOP;
        end else begin
            if (emit) begin
                cf <= last_cf ? {CFB{1'b0}} : cf + 1'b1;
                if (last_cf) begin
                    ox <= last_ox ? {XB{1'b0}} : ox + 1'b1;
                    if (last_ox) col_in <= !HAS_LEFT;
                    else if (HAS_LEFT && ox == ENTER_X) col_in <= 1'b1;
                    else if (ox == LEAVE_X) col_in <= 1'b0;
                end
                if (last_ox) begin
                    oy <= frame_end ? {YB{1'b0}} : oy + 1'b1;
                    if (frame_end) row_in <= !HAS_TOP;
                    else if (HAS_TOP && oy == ENTER_Y) row_in <= 1'b1;
                    else if (oy == LEAVE_Y) row_in <= 1'b0;
                end
            end
        end
    end
endmodule

`default_nettype wire
