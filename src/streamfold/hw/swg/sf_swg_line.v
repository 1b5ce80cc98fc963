// sf_swg_line: "same"-padded 1-D sliding windows, MMV whole windows per word, the padding
// inserted here (no Pad stage in front): MMV samples per cycle in and out.
//
// Streams (streamfold.hw.block: element i of a word at bits [i*ELEM_BITS +: ELEM_BITS]; the
// block only moves bits, so every IntType is the same to it; PAD_CODE is a border element):
//   Input: a [C, L] signal, unpadded, channels-last: MMV whole samples (C channels each) per
//     word, sample j of word w is sample w * MMV + j. G = L / MMV words per frame.
//   Output: L windows of K samples (stride 1) over the signal padded by PAD_L samples of
//     PAD_CODE on the left and PAD_R = K - 1 - PAD_L on the right; MMV windows per word: element
//     (m * K + kx) * C + c of word g is channel c of padded sample g * MMV + m + kx, i.e. of
//     sample g * MMV + m + kx - PAD_L, PAD_CODE outside 0 .. L - 1. G words per frame: the plain
//     stream order of the SlidingWindow's output, MMV windows wide (as sf_swg_win's).
//
// Word g reads input words g - BL .. g + BR (BL = ceil(PAD_L / MMV), BR = ceil(PAD_R / MMV)),
// those outside the frame replaced by padding. The input words queue in a shift register of D
// words (word 0 the newest; a word moves up one place per input handshake, so no pixel is
// written at a variable place); c counts the queued words from word g to the newest. Word g
// leaves (is registered into the output register) when c reaches 1 + min(BR, G - 1 - g) (its
// last input word is in); the span of BL + 1 + BR words starting c - 1 + BL places up the queue
// is then a shift of the queue by c words, and the words outside the frame (from g, by
// constant comparisons) are masked to padding. c goes up by one per input word and down by
// one per output word, at every frame boundary too: the queue holds the last frame's words
// while the next frame's arrive, so both sides move one word per cycle in steady state (c
// stays at BR + 1 < CMAX) and a frame takes G cycles. s_axis_tready and m_axis_tvalid come
// from registers through comparisons only. Every parameter is set by streamfold.hw.swg.line.
`default_nettype none

module sf_swg_line #(
    parameter integer ELEM_BITS = 4,
    parameter integer C = 1,            // channels
    parameter integer L = 16,           // samples per frame (unpadded); MMV divides it
    parameter integer K = 5,            // kernel (stride 1)
    parameter integer PAD_L = 2,        // left padding; the right is K - 1 - PAD_L
    parameter integer MMV = 4,          // samples (windows) per word
    parameter integer PAD_CODE = 0      // border element bits (ELEM_BITS <= 31)
) (
    input wire clk,
    input wire rst_n,
    input wire [MMV*C*ELEM_BITS-1:0] s_axis_tdata,
    input wire s_axis_tvalid,
    output wire s_axis_tready,
    output wire [MMV*K*C*ELEM_BITS-1:0] m_axis_tdata,
    output wire m_axis_tvalid,
    input wire m_axis_tready
);
    localparam integer PB = C * ELEM_BITS;  // bits per sample
    localparam integer WB = MMV * PB;       // bits per word
    localparam integer G = L / MMV;         // words per frame
    localparam integer PAD_R = K - 1 - PAD_L;
    localparam integer BL = (PAD_L + MMV - 1) / MMV;
    localparam integer BR = (PAD_R + MMV - 1) / MMV;
    localparam integer SPAN = BL + 1 + BR;  // words an output word reads
    localparam integer CMAX = BR + 2;       // queued words from word g on, at most
    localparam integer D = BL + CMAX;       // queue words
    localparam integer QX = D + BR + 1;     // the queue below BR + 1 unused words
    localparam integer CB = $clog2(CMAX + 1);
    localparam integer GB = (G > 1) ? $clog2(G) : 1;
    localparam integer G_LAST_I = G - 1;
    localparam [GB-1:0] G_LAST = G_LAST_I[GB-1:0];
    localparam [CB-1:0] CMAX_C = CMAX[CB-1:0];
    localparam integer NEED_I = BR + 1;
    localparam [CB-1:0] NEED_C = NEED_I[CB-1:0];
    localparam [ELEM_BITS-1:0] PAD_ELEM = PAD_CODE[ELEM_BITS-1:0];
    localparam [WB-1:0] PAD_WORD = {(MMV*C){PAD_ELEM}};

    reg [D*WB-1:0] queue;
    reg [CB-1:0] c;
    reg [GB-1:0] g;
    reg [MMV*K*PB-1:0] out_data;
    reg out_valid;

    // Word g waits for input word min(g + BR, G - 1): c >= BR + 1, or c >= G - g at the tail.
    wire [31:0] c_plus_g = {{(32-CB){1'b0}}, c} + {{(32-GB){1'b0}}, g};
    wire tail = ({{(32-GB){1'b0}}, g} + BR >= G);
    wire ready_word = tail ? (c_plus_g >= G) : (c >= NEED_C);
    wire fire_out = ready_word && (!out_valid || m_axis_tready);
    assign s_axis_tready = (c < CMAX_C);
    wire fire_in = s_axis_tvalid && s_axis_tready;

    // The span: word s (0 the oldest, input word g - BL + s) is queue word c - 1 + BL - s, i.e.
    // word BL + BR - s of the extended queue shifted down by c words.
    wire [QX*WB-1:0] extended = {queue, {((BR + 1)*WB){1'b0}}};
    wire [QX*WB-1:0] shifted = extended >> (c * WB);
    reg [SPAN*WB-1:0] span;
    reg [MMV*K*PB-1:0] windows;
    integer s, m, kx;
    always @(*) begin
        for (s = 0; s < SPAN; s = s + 1)
            // input word g - BL + s inside the frame: g + s >= BL and g + s < G + BL
            if ({{(32-GB){1'b0}}, g} + s >= BL && {{(32-GB){1'b0}}, g} + s < G + BL)
                span[s*WB +: WB] = shifted[(BL + BR - s)*WB +: WB];
            else
                span[s*WB +: WB] = PAD_WORD;
        for (m = 0; m < MMV; m = m + 1)
            for (kx = 0; kx < K; kx = kx + 1)
                windows[(m*K + kx)*PB +: PB] = span[(BL*MMV + m + kx - PAD_L)*PB +: PB];
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            c <= {CB{1'b0}};
            g <= {GB{1'b0}};
            out_valid <= 1'b0;
        end else begin
            c <= c + {{(CB-1){1'b0}}, fire_in} - {{(CB-1){1'b0}}, fire_out};
            if (fire_out) g <= (g == G_LAST) ? {GB{1'b0}} : g + 1'b1;
            if (fire_out) out_valid <= 1'b1;
            else if (m_axis_tready) out_valid <= 1'b0;
        end
    end

    always @(posedge clk)
        if (fire_in) queue <= {queue[(D-1)*WB-1:0], s_axis_tdata};  // D >= 2

    always @(posedge clk)
        if (fire_out) out_data <= windows;

    assign m_axis_tdata = out_data;
    assign m_axis_tvalid = out_valid;
endmodule

`default_nettype wire
