// sf_swg_win: 1-D sliding windows, MMV whole windows per output word (multi-sample streams).
//
// Streams (streamfold.hw.block: element i of a word at bits [i*ELEM_BITS +: ELEM_BITS]; the
// block only moves bits, so every IntType is the same to it):
//   Input: a [C, W] signal, already padded, channels-last: IN_PIX whole pixels (C channels
//     each) per word; IN_PIX divides W, so a word never crosses a frame. W / IN_PIX words.
//   Output: OW = (W - K) / S + 1 windows per frame, MMV per word (MMV divides OW): element
//     (m * K + k) * C + c of word g is channel c of pixel (g * MMV + m) * S + k. That is the
//     plain stream order of the SlidingWindow's output (windows channels-last, (k, c) order),
//     only MMV windows wide: OW / MMV words per frame.
//
// Buffer. Pixels queue in a shift buffer of BUF pixels (oldest at pixel 0), count of them
// valid. Output word g needs NEED = (MMV - 1) * S + K pixels and then drops STEP = MMV * S of
// them; the frame's last word needs and drops every remaining pixel of its frame (LAST =
// W - (OW / MMV - 1) * STEP >= NEED), so the next frame starts at pixel 0. An input word is
// taken when count + IN_PIX <= BUF, an output word leaves when count >= its need and the
// output register is free or being read; BUF = LAST + 2 * IN_PIX lets both move every cycle,
// so a frame takes max(W / IN_PIX, OW / MMV) cycles (streamfold.hw.swg.cost).
//
// Pipeline: an output word is registered (tdata, tvalid) the cycle after its pixels are in the
// buffer. s_axis_tready and m_axis_tvalid come from registers through comparisons only.
// Every parameter is set by streamfold.hw.swg.rtl.
`default_nettype none

module sf_swg_win #(
    parameter integer ELEM_BITS = 4,
    parameter integer C = 1,            // channels
    parameter integer W = 16,           // signal length (padding included)
    parameter integer K = 3,            // kernel size
    parameter integer S = 1,            // stride; at most K
    parameter integer MMV = 2,          // windows per output word; divides OW
    parameter integer IN_PIX = 2,       // pixels per input word; divides W
    parameter integer BUF = 16          // buffer pixels: LAST + 2 * IN_PIX
) (
    input wire clk,
    input wire rst_n,
    input wire [IN_PIX*C*ELEM_BITS-1:0] s_axis_tdata,
    input wire s_axis_tvalid,
    output wire s_axis_tready,
    output wire [MMV*K*C*ELEM_BITS-1:0] m_axis_tdata,
    output wire m_axis_tvalid,
    input wire m_axis_tready
);
    localparam integer PB = C * ELEM_BITS;  // bits per pixel
    localparam integer OW = (W - K) / S + 1;
    localparam integer OG = OW / MMV;  // output words per frame
    localparam integer NEED = (MMV - 1) * S + K;
    localparam integer STEP = MMV * S;
    localparam integer LAST = W - (OG - 1) * STEP;
    localparam integer CB = $clog2(BUF + 1);
    localparam integer GB = (OG > 1) ? $clog2(OG) : 1;
    localparam integer ROOM = BUF - IN_PIX;
    localparam integer OG_LAST_I = OG - 1;
    localparam [CB-1:0] NEED_C = NEED[CB-1:0];
    localparam [CB-1:0] STEP_C = STEP[CB-1:0];
    localparam [CB-1:0] LAST_C = LAST[CB-1:0];
    localparam [CB-1:0] IN_C = IN_PIX[CB-1:0];
    localparam [CB-1:0] ROOM_C = ROOM[CB-1:0];
    localparam [GB-1:0] OG_LAST = OG_LAST_I[GB-1:0];

    reg [BUF*PB-1:0] pixels;
    reg [CB-1:0] count;
    reg [GB-1:0] group;
    reg [MMV*K*PB-1:0] out_data;
    reg out_valid;

    wire last_group = (group == OG_LAST);
    wire [CB-1:0] need = last_group ? LAST_C : NEED_C;
    wire fire_out = (count >= need) && (!out_valid || m_axis_tready);
    assign s_axis_tready = (count <= ROOM_C);
    wire fire_in = s_axis_tvalid && s_axis_tready;
    wire [CB-1:0] drop = last_group ? LAST_C : STEP_C;
    wire [CB-1:0] base = fire_out ? count - drop : count;  // first free pixel after the drop

    // The window pixels of the next output word: pixel (m * S + k) of the buffer.
    reg [MMV*K*PB-1:0] windows;
    integer m, k;
    always @(*) begin
        windows = {MMV*K*PB{1'b0}};
        for (m = 0; m < MMV; m = m + 1)
            for (k = 0; k < K; k = k + 1)
                windows[(m*K + k)*PB +: PB] = pixels[(m*S + k)*PB +: PB];
    end

    // The buffer after this cycle's drop (need pixels when a word leaves) and append.
    reg [BUF*PB-1:0] next_pixels;
    integer j;
    always @(*) begin
        next_pixels = pixels;
        if (fire_out) next_pixels = last_group ? (pixels >> (LAST*PB)) : (pixels >> (STEP*PB));
        if (fire_in)
            for (j = 0; j < IN_PIX; j = j + 1)
                next_pixels[({{(32-CB){1'b0}}, base} + j)*PB +: PB] = s_axis_tdata[j*PB +: PB];
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            count <= {CB{1'b0}};
            group <= {GB{1'b0}};
            out_valid <= 1'b0;
        end else begin
            count <= base + (fire_in ? IN_C : {CB{1'b0}});
            if (fire_out) group <= last_group ? {GB{1'b0}} : group + 1'b1;
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
