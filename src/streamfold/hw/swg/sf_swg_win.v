// sf_swg_win: sliding windows, 1-D and 2-D, MMV whole windows per output word (multi-pixel
// streams).
//
// Streams (streamfold.hw.block: element i of a word at bits [i*ELEM_BITS +: ELEM_BITS]; the
// block only moves bits, so every IntType is the same to it):
//   Input: a [C, H, W] map (1-D: H = 1), already padded, channels-last: IN_PIX whole pixels
//     (C channels each) per word, row-major; IN_PIX divides H * W, so a word never crosses a
//     frame (it may cross a row). H * W / IN_PIX words per frame.
//   Output: OH * OW windows per frame (OW = (W - K_W) / S_W + 1, OH likewise), MMV consecutive
//     windows of a row per word (MMV divides OW): element ((m * K_H + ky) * K_W + kx) * C + c of
//     word (oy, g) is channel c of pixel (oy * S_H + ky, (g * MMV + m) * S_W + kx). That is the
//     plain stream order of the SlidingWindow's output (windows channels-last, (ky, kx, c)
//     order), only MMV windows wide: OH * OW / MMV words per frame.
//
// Buffer. Pixels queue in a shift buffer of BUF pixels (oldest at pixel 0), count of them
// valid; pixel 0 is always the first pixel of the next word's first window, so window pixel
// (ky, m * S_W + kx) is buffer pixel ky * W + m * S_W + kx. A word leaves when count reaches
// its need and the output register is free or being read, and then drops the pixels no later
// window reads: STEP = MMV * S_W within a row; at a row's last word the rest of the S_H input
// rows; at the frame's last word every pixel left of the frame, so a frame starts at pixel 0.
// A word needs NEED = (K_H - 1) * W + (MMV - 1) * S_W + K_W pixels, or its drop if more. An
// input word is taken when count + IN_PIX <= BUF. streamfold.hw.swg.window sets BUF so both
// sides move every cycle in steady state: a frame takes max(in words, out words) cycles.
//
// Pipeline: an output word is registered (tdata, tvalid) the cycle after its pixels are in the
// buffer. s_axis_tready and m_axis_tvalid come from registers through comparisons only.
// Registers, not RAM: meant for short rows at high rates (the line buffer is (K_H - 1) * W
// pixels of flip-flops). Every parameter is set by streamfold.hw.swg.rtl.
`default_nettype none

module sf_swg_win #(
    parameter integer ELEM_BITS = 4,
    parameter integer C = 1,            // channels
    parameter integer H = 1,            // rows (1 for a 1-D signal), padding included
    parameter integer W = 16,           // columns (a 1-D signal's length), padding included
    parameter integer K_H = 1,
    parameter integer K_W = 3,
    parameter integer S_H = 1,
    parameter integer S_W = 1,
    parameter integer MMV = 2,          // windows per output word; divides OW
    parameter integer IN_PIX = 2,       // pixels per input word; divides H * W
    parameter integer BUF = 16          // buffer pixels (streamfold.hw.swg.window)
) (
    input wire clk,
    input wire rst_n,
    input wire [IN_PIX*C*ELEM_BITS-1:0] s_axis_tdata,
    input wire s_axis_tvalid,
    output wire s_axis_tready,
    output wire [MMV*K_H*K_W*C*ELEM_BITS-1:0] m_axis_tdata,
    output wire m_axis_tvalid,
    input wire m_axis_tready
);
    localparam integer PB = C * ELEM_BITS;  // bits per pixel
    localparam integer KK = K_H * K_W;
    localparam integer OH = (H - K_H) / S_H + 1;
    localparam integer OW = (W - K_W) / S_W + 1;
    localparam integer OG = OW / MMV;  // output words per row
    localparam integer NEED = (K_H - 1) * W + (MMV - 1) * S_W + K_W;
    localparam integer STEP = MMV * S_W;
    localparam integer ROW_DROP = S_H * W - (OG - 1) * STEP;
    localparam integer FRAME_DROP = H * W - (OH - 1) * S_H * W - (OG - 1) * STEP;
    localparam integer NEED_STEP = (NEED > STEP) ? NEED : STEP;
    localparam integer NEED_ROW = (NEED > ROW_DROP) ? NEED : ROW_DROP;
    localparam integer CB = $clog2(BUF + 1);
    localparam integer GB = (OG > 1) ? $clog2(OG) : 1;
    localparam integer YB = (OH > 1) ? $clog2(OH) : 1;
    localparam integer ROOM = BUF - IN_PIX;
    localparam integer OG_LAST_I = OG - 1;
    localparam integer OH_LAST_I = OH - 1;
    localparam [CB-1:0] NEED_STEP_C = NEED_STEP[CB-1:0];
    localparam [CB-1:0] NEED_ROW_C = NEED_ROW[CB-1:0];
    localparam [CB-1:0] NEED_FRAME_C = FRAME_DROP[CB-1:0];
    localparam [CB-1:0] STEP_C = STEP[CB-1:0];
    localparam [CB-1:0] ROW_DROP_C = ROW_DROP[CB-1:0];
    localparam [CB-1:0] FRAME_DROP_C = FRAME_DROP[CB-1:0];
    localparam [CB-1:0] IN_C = IN_PIX[CB-1:0];
    localparam [CB-1:0] ROOM_C = ROOM[CB-1:0];
    localparam [GB-1:0] OG_LAST = OG_LAST_I[GB-1:0];
    localparam [YB-1:0] OH_LAST = OH_LAST_I[YB-1:0];

    reg [BUF*PB-1:0] pixels;
    reg [CB-1:0] count;
    reg [GB-1:0] group;
    reg [YB-1:0] row;
    reg [MMV*KK*PB-1:0] out_data;
    reg out_valid;

    wire last_group = (group == OG_LAST);
    wire last_row = (row == OH_LAST);
    wire [CB-1:0] need = !last_group ? NEED_STEP_C : (last_row ? NEED_FRAME_C : NEED_ROW_C);
    wire [CB-1:0] drop = !last_group ? STEP_C : (last_row ? FRAME_DROP_C : ROW_DROP_C);
    wire fire_out = (count >= need) && (!out_valid || m_axis_tready);
    assign s_axis_tready = (count <= ROOM_C);
    wire fire_in = s_axis_tvalid && s_axis_tready;
    wire [CB-1:0] base = fire_out ? count - drop : count;  // first free pixel after the drop

    // The window pixels of the next output word: buffer pixel ky * W + m * S_W + kx.
    reg [MMV*KK*PB-1:0] windows;
    integer m, ky, kx;
    always @(*) begin
        windows = {MMV*KK*PB{1'b0}};
        for (m = 0; m < MMV; m = m + 1)
            for (ky = 0; ky < K_H; ky = ky + 1)
                for (kx = 0; kx < K_W; kx = kx + 1)
                    windows[((m*K_H + ky)*K_W + kx)*PB +: PB] =
                        pixels[(ky*W + m*S_W + kx)*PB +: PB];
    end

    // The buffer after this cycle's drop (need pixels when a word leaves) and append.
    reg [BUF*PB-1:0] next_pixels;
    integer j;
    always @(*) begin
        next_pixels = pixels;
        if (fire_out)
            next_pixels = !last_group ? (pixels >> (STEP*PB))
                        : (last_row ? (pixels >> (FRAME_DROP*PB)) : (pixels >> (ROW_DROP*PB)));
        if (fire_in)
            for (j = 0; j < IN_PIX; j = j + 1)
                next_pixels[({{(32-CB){1'b0}}, base} + j)*PB +: PB] = s_axis_tdata[j*PB +: PB];
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            count <= {CB{1'b0}};
            group <= {GB{1'b0}};
            row <= {YB{1'b0}};
            out_valid <= 1'b0;
        end else begin
            count <= base + (fire_in ? IN_C : {CB{1'b0}});
            if (fire_out) group <= last_group ? {GB{1'b0}} : group + 1'b1;
            if (fire_out && last_group) row <= last_row ? {YB{1'b0}} : row + 1'b1;
            if (fire_out) out_valid <= 1'b1;
            else if (m_axis_tready) out_valid <= 1'b0;
        end
    end

    always @(posedge clk) begin
        pixels <= next_pixels;
        if (fire_out) out_data <= windows;
    end

    assign m_axis_tdata = out_data;
    assign m_axis_tvalid = out_valid;
endmodule

`default_nettype wire
