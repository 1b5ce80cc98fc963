// sf_maxpool: streaming max-pooling of a channels-last map, 1-D and 2-D (FINN's SWG + Pool).
//
// Streams (streamfold.hw.block: element i of a word at bits [i*ELEM_BITS +: ELEM_BITS]):
//   Input: a [C, H, W] map (1-D: H = 1, W = L) streamed channels-last: pixels in row-major
//     order, channels fastest; word j of a pixel carries channels j*SIMD .. j*SIMD + SIMD - 1.
//   Output: the [C, OH, OW] map of window maxima, OH = (H - K_H) / S_H + 1 and
//     OW = (W - K_W) / S_W + 1, in the same order and layout.
//   Elements compare as two's complement when SIGNED, else unsigned; bipolar (1 bit, 1 = +1)
//     is unsigned: the max of two bipolar bits is their OR.
//
// An sf_swg (hw/swg/sf_swg.v; DEPTH and MEM_STYLE are its buffer's) turns the input into each
// output pixel's window in (ky, kx, cf) order, cf fastest. Here acc[cf] keeps SIMD running
// maxima per channel fold: kernel position 0 starts them, the last one completes them into a
// 2-word sf_fifo (hw/fifo/sf_fifo.v). One window word per cycle; the SWG's ready comes from
// registers only (the position counter, the FIFO's) and m_axis_* are the FIFO's flip-flops, so
// any valid/ready pattern is tolerated. Every parameter is set by streamfold.hw.maxpool.rtl.
`default_nettype none

module sf_maxpool #(
    parameter integer ELEM_BITS = 4,
    parameter integer SIGNED = 0,       // elements are two's complement
    parameter integer C = 4,            // channels
    parameter integer SIMD = 1,         // channels per word; divides C
    parameter integer H = 4,            // input rows (1 for a 1-D signal)
    parameter integer W = 4,            // input columns (the length of a 1-D signal)
    parameter integer K_H = 2,
    parameter integer K_W = 2,
    parameter integer S_H = 2,
    parameter integer S_W = 2,
    parameter integer DEPTH = 16,       // SWG buffer words (hw.swg.cost.buffer_words)
    parameter [8*16-1:0] MEM_STYLE = "distributed"
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
    localparam integer K = K_H * K_W;
    localparam integer XW = SIMD * ELEM_BITS;

    function integer bits_for(input integer n);  // a counter over 0 .. n-1
        bits_for = (n > 1) ? $clog2(n) : 1;
    endfunction
    localparam integer CFB = bits_for(CF);
    localparam integer KB = bits_for(K);
    localparam integer CF_M1 = CF - 1;
    localparam integer K_M1 = K - 1;
    localparam [CFB-1:0] CF_LAST = CF_M1[CFB-1:0];
    localparam [KB-1:0] K_LAST = K_M1[KB-1:0];

    // ---------------------------------------------------------------- windows
    wire [XW-1:0] w_data;
    wire w_valid;
    wire w_ready;
    sf_swg #(
        .ELEM_BITS(ELEM_BITS),
        .C(C),
        .SIMD(SIMD),
        .H(H),
        .W(W),
        .K_H(K_H),
        .K_W(K_W),
        .S_H(S_H),
        .S_W(S_W),
        .MMV(1),
        .DEPTH(DEPTH),
        .MEM_STYLE(MEM_STYLE)
    ) u_swg (
        .clk(clk),
        .rst_n(rst_n),
        .s_axis_tdata(s_axis_tdata),
        .s_axis_tvalid(s_axis_tvalid),
        .s_axis_tready(s_axis_tready),
        .m_axis_tdata(w_data),
        .m_axis_tvalid(w_valid),
        .m_axis_tready(w_ready)
    );

    // ---------------------------------------------------------------- running maxima
    reg [CFB-1:0] cf;
    reg [KB-1:0] kpos;
    reg [XW-1:0] acc[0:CF-1];
    wire first_k = (kpos == {KB{1'b0}});
    wire last_k = (kpos == K_LAST);
    wire last_cf = (cf == CF_LAST);

    wire space;  // the output FIFO takes a word: a function of its registers only
    assign w_ready = rst_n && (space || !last_k);
    wire fire = w_valid && w_ready;
    wire emit = fire && last_k;
    wire [XW-1:0] mx;
    sf_fifo #(
        .WIDTH(XW),
        .DEPTH(2)
    ) u_out (
        .clk(clk),
        .rst_n(rst_n),
        .s_axis_tdata(mx),
        .s_axis_tvalid(emit),
        .s_axis_tready(space),
        .m_axis_tdata(m_axis_tdata),
        .m_axis_tvalid(m_axis_tvalid),
        .m_axis_tready(m_axis_tready)
    );

    wire [XW-1:0] prev = acc[cf];
    genvar s;
    generate
        for (s = 0; s < SIMD; s = s + 1) begin : g_lane
            wire [ELEM_BITS-1:0] a = prev[s*ELEM_BITS +: ELEM_BITS];
            wire [ELEM_BITS-1:0] b = w_data[s*ELEM_BITS +: ELEM_BITS];
            wire greater;  // the new element beats the running max
            if (SIGNED != 0) begin : g_signed
                assign greater = $signed(b) > $signed(a);
            end else begin : g_unsigned
                assign greater = b > a;
            end
            assign mx[s*ELEM_BITS +: ELEM_BITS] = (first_k || greater) ? b : a;
        end
    endgenerate

    always @(posedge clk) begin
        if (fire && !last_k) acc[cf] <= mx;
        if (!rst_n) begin
            cf <= {CFB{1'b0}};
            kpos <= {KB{1'b0}};
        end else begin
            if (fire) begin
                cf <= last_cf ? {CFB{1'b0}} : cf + 1'b1;
                if (last_cf) kpos <= last_k ? {KB{1'b0}} : kpos + 1'b1;
            end
        end
    end
endmodule

`default_nettype wire
