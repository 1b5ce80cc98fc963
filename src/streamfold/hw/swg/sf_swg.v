// sf_swg: sliding-window generator (FINN's ConvolutionInputGenerator), 1-D and 2-D, no padding.
//
// Streams (streamfold.hw.block: element i of a word at bits [i*ELEM_BITS +: ELEM_BITS]; bipolar
// elements are one bit, 1 = +1; the block only moves bits, so every IntType is the same to it):
//   Input: a [C, H, W] feature map (1-D: H = 1, W = L), already padded, streamed channels-last:
//     pixels in row-major order, channels fastest. Word j of pixel (y, x) carries the SIMD
//     channels j*SIMD .. j*SIMD + SIMD - 1: CF = C / SIMD words per pixel, H * W * CF per frame.
//   Output: for each group of MMV consecutive output pixels (oy, ox .. ox + MMV - 1) in
//     row-major order (MMV divides OW, so a group never crosses a row), the window in
//     (ky, kx, cf) order, cf fastest: one word per kernel position and channel fold. Element
//     m * SIMD + s of that word is channel cf * SIMD + s of input pixel
//     (oy * S_H + ky, (ox + m) * S_W + kx). OH * (OW / MMV) * K_H * K_W * CF words per frame.
//     With MMV = 1 this is the input-vector order of an MVAU with SIMD lanes and weights laid
//     out [out_channels, k_h, k_w, in_channels].
//
// Buffer. Input words go to a circular buffer of DEPTH words (a power of two, so addresses wrap
// by truncation), replicated MMV times so the MMV pixels of an output word are read in the same
// cycle. Positions are counted in input words from the start of the frame the reader is in:
//   ahead: words written (above H*W*CF once the writer is into the next frame; never below 0,
//          as the reader leaves a frame only after all of its words are written);
//   low:   the first word of the current window (pixel (oy*S_H, ox*S_W)); nothing below it is
//          read again this frame (kept as limit = low + DEPTH);
//   pos:   the word the reader's next read needs last: low + off + (MMV-1)*S_W*CF, off being
//          the read's offset in the window.
// The reader issues a word when pos is below ahead (all the group's words are then written),
// and the frame's last word only once the whole input frame is written (its unread tail
// included); the writer takes a word when ahead is below limit (the slot it overwrites holds a
// word below low). pos and limit are counted as they move, not added up in front of the
// compares, and ahead's next values are computed beside the compares and selected after them
// (the reader's and writer's conditions were 17-21 logic levels on ECP5, 92-106 MHz). Progress needs DEPTH >= the
// window span ((K_H-1)*W + (MMV-1)*S_W + K_W) * CF and >= the words from the last window to
// the frame's end; streamfold.hw.swg.cost chooses a DEPTH that also lets the writer run ahead
// across row and frame changes, so the busier side moves one word per cycle.
//
// Pipeline: a read issued at cycle t is registered at t + 1 (block: and again at t + 2, ORG =
// 1, so the block RAM's clock-to-output ends at a flip-flop, not at the FIFO's write;
// distributed: its address is registered at t + 1 and the read at t + 2, ARG = 1, so the
// address add does not run on into the LUT RAM's read mux) and written to a 4-word output
// FIFO, offered from t + 2 + ORG + ARG. A read issues only when the FIFO has a slot reserved
// for it (credits: a read issued at t is taken at t + 2 + ORG + ARG at the earliest and its
// credit seen a cycle later, at most 4 reads in that window), so the reader never stalls
// mid-pipeline and any valid/ready pattern on either side is tolerated. A slot is
// overwritten only after the reader's limit has passed it, which is registered, then seen by
// the registered ready: the write lands two cycles after the last read's issue at the
// earliest, after that read (ARG: a cycle after its issue).
// s_axis_tready and m_axis_tvalid come from registers only (ready: the room left, see the writer).
//
// MEM_STYLE "block" / "distributed" / "registers" sets ram_style on the buffer (registered read).
// The buffer is no_rw_check: a read never meets the write of its slot in the same cycle (the
// reader reads words in [low, ahead), the writer writes word ahead < limit = low + DEPTH, and
// a slot freed by a read reaches the writer's registered ready two cycles after that read's
// issue), so Yosys adds no read-write collision logic (on ECP5 a block RAM's read otherwise
// went through a flip-flop per bit and a mux: 334 TRELLIS_FF against 68 FDRE in calibration).
// Every parameter is set by streamfold.hw.swg.rtl.
`default_nettype none

module sf_swg #(
    parameter integer ELEM_BITS = 4,
    parameter integer C = 4,            // channels
    parameter integer SIMD = 1,         // channels per word; divides C
    parameter integer H = 4,            // input rows (1 for a 1-D signal)
    parameter integer W = 4,            // input columns (the length of a 1-D signal)
    parameter integer K_H = 3,
    parameter integer K_W = 3,
    parameter integer S_H = 1,
    parameter integer S_W = 1,
    parameter integer MMV = 1,          // output pixels per word; divides OW
    parameter integer DEPTH = 64,       // buffer words: a power of two >= 2 and the window span
    parameter [8*16-1:0] MEM_STYLE = "distributed"
) (
    input wire clk,
    input wire rst_n,
    input wire [SIMD*ELEM_BITS-1:0] s_axis_tdata,
    input wire s_axis_tvalid,
    output wire s_axis_tready,
    output wire [MMV*SIMD*ELEM_BITS-1:0] m_axis_tdata,
    output wire m_axis_tvalid,
    input wire m_axis_tready
);
    localparam [8*16-1:0] STYLE_BLOCK = "block";
    localparam [8*16-1:0] STYLE_DISTRIBUTED = "distributed";

    localparam integer CF = C / SIMD;
    localparam integer OH = (H - K_H) / S_H + 1;
    localparam integer OW = (W - K_W) / S_W + 1;
    localparam integer OG = OW / MMV;  // pixel groups per output row
    localparam integer IN_WORDS = H * W * CF;
    localparam integer XW = SIMD * ELEM_BITS;
    localparam integer AB = $clog2(DEPTH);
    // Positions (unsigned): below IN_WORDS + DEPTH (ahead is at most limit = low + DEPTH).
    localparam integer CB = $clog2(IN_WORDS + DEPTH + 1);

    function integer bits_for(input integer n);  // a counter over 0 .. n-1
        bits_for = (n > 1) ? $clog2(n) : 1;
    endfunction
    localparam integer CFB = bits_for(CF);
    localparam integer KWB = bits_for(K_W);
    localparam integer KHB = bits_for(K_H);
    localparam integer OGB = bits_for(OG);
    localparam integer OHB = bits_for(OH);

    // a counter's value before its last (unused where it has one value: the flag stays 1)
    localparam integer CF_M2 = (CF > 1) ? CF - 2 : 0;
    localparam integer KW_M2 = (K_W > 1) ? K_W - 2 : 0;
    localparam integer KH_M2 = (K_H > 1) ? K_H - 2 : 0;
    localparam integer OG_M2 = (OG > 1) ? OG - 2 : 0;
    localparam integer OH_M2 = (OH > 1) ? OH - 2 : 0;
    localparam [CFB-1:0] CF_PEN = CF_M2[CFB-1:0];
    localparam [KWB-1:0] KW_PEN = KW_M2[KWB-1:0];
    localparam [KHB-1:0] KH_PEN = KH_M2[KHB-1:0];
    localparam [OGB-1:0] OG_PEN = OG_M2[OGB-1:0];
    localparam [OHB-1:0] OH_PEN = OH_M2[OHB-1:0];
    localparam CF_ONE = (CF == 1) ? 1'b1 : 1'b0;  // the counter has one value
    localparam KW_ONE = (K_W == 1) ? 1'b1 : 1'b0;
    localparam KH_ONE = (K_H == 1) ? 1'b1 : 1'b0;
    localparam OG_ONE = (OG == 1) ? 1'b1 : 1'b0;
    localparam OH_ONE = (OH == 1) ? 1'b1 : 1'b0;

    localparam integer KY_STEP_I = (W - K_W) * CF + 1;  // pos: last word of a kernel row -> next
    localparam integer OX_STEP_I = MMV * S_W * CF;  // low, limit: next pixel group
    localparam integer OY_STEP_I = S_H * W * CF;  // row_low: next output row
    localparam integer LAST_PIX_I = (MMV - 1) * S_W * CF;  // last pixel of a group, from the first
    localparam [CB-1:0] KY_STEP = KY_STEP_I[CB-1:0];
    localparam [CB-1:0] OX_STEP = OX_STEP_I[CB-1:0];
    localparam [CB-1:0] OY_STEP = OY_STEP_I[CB-1:0];
    localparam [CB-1:0] LAST_PIX = LAST_PIX_I[CB-1:0];
    localparam [CB-1:0] FRAME = IN_WORDS[CB-1:0];
    localparam integer FRAME_M1 = IN_WORDS - 1;
    localparam [CB-1:0] FRAME_LAST = FRAME_M1[CB-1:0];
    localparam [CB-1:0] DEPTH_C = DEPTH[CB-1:0];
    localparam integer FRAME_MOD_I = IN_WORDS % DEPTH;
    localparam [AB-1:0] FRAME_MOD = FRAME_MOD_I[AB-1:0];
    // Constant sums, modulo 2**CB (pos and limit from low, row_low and limit)
    localparam integer ONE_M_FRAME_I = 1 - IN_WORDS;  // ahead: a word in, the frame out
    localparam integer OY_LAST_PIX_I = OY_STEP_I + LAST_PIX_I;  // pos of a new row's first group
    localparam integer OY_DEPTH_I = OY_STEP_I + DEPTH;  // limit of it
    localparam integer OX_LAST_PIX_I = OX_STEP_I + LAST_PIX_I - DEPTH;  // pos of the next group
    localparam [CB-1:0] ONE_M_FRAME = ONE_M_FRAME_I[CB-1:0];
    localparam [CB-1:0] OY_LAST_PIX = OY_LAST_PIX_I[CB-1:0];
    localparam [CB-1:0] OY_DEPTH = OY_DEPTH_I[CB-1:0];
    localparam integer OY_DEPTH_M1_I = OY_DEPTH_I - 1;  // limit_m1 of a new row
    localparam [CB-1:0] OY_DEPTH_M1 = OY_DEPTH_M1_I[CB-1:0];
    localparam integer DEPTH_M1_I = DEPTH - 1;
    localparam [CB-1:0] DEPTH_M1_C = DEPTH_M1_I[CB-1:0];
    localparam [CB-1:0] OX_LAST_PIX = OX_LAST_PIX_I[CB-1:0];
    localparam integer BASE_0_I = (DEPTH - LAST_PIX_I % DEPTH) % DEPTH;
    localparam [AB-1:0] BASE_0 = BASE_0_I[AB-1:0];  // -LAST_PIX modulo DEPTH

    // Output FIFO: a read issued at t is taken at t + 2 + ORG + ARG at the earliest and its
    // credit is seen at t + 3 + ORG + ARG, so 3 + ORG + ARG (at most 4: ORG and ARG are never
    // both 1) slots keep one read per cycle; 4 make the pointers wrap for free.
    localparam integer ORG = (MEM_STYLE == STYLE_BLOCK) ? 1 : 0;  // output register stages
    localparam integer ARG = (MEM_STYLE == STYLE_DISTRIBUTED) ? 1 : 0;  // address registers
    localparam integer FD = 4;
    localparam [2:0] FD_Q = 3'd4;

    // ---------------------------------------------------------------- writer
    reg [CB-1:0] ahead;
    reg [CB-1:0] limit;  // low + DEPTH
    reg [CB-1:0] limit_m1;  // limit - 1 (limit >= DEPTH >= 2: no wrap), kept beside it
    reg [AB-1:0] wptr;
    // The writer's ready is a register: the room after this cycle's write, from this cycle's
    // ahead and limit. limit - ahead shrinks only by a write (limit never falls within a frame,
    // and a frame's end moves both by FRAME at most: low < FRAME), so this never offers a slot
    // that is not free; it sees a risen limit a cycle late. (Combinational, the compare ran on
    // into the upstream block's ready logic: CNV's critical path on ECP5, 91 MHz.) After a
    // write the room is ahead + 1 < limit, compared as ahead < limit_m1: two compares of
    // registers and a mux (the add in front of the compare was 13 levels on ECP5, 110.9 MHz).
    reg room;
    assign s_axis_tready = room;
    wire wfire = s_axis_tvalid && room;

    // ---------------------------------------------------------------- reader
    reg [CFB-1:0] cf;
    reg [KWB-1:0] kx;
    reg [KHB-1:0] ky;
    reg [OGB-1:0] og;
    reg [OHB-1:0] oy;
    reg [CB-1:0] pos;  // low + (ky * W + kx) * CF + cf + LAST_PIX
    reg [CB-1:0] row_low;  // oy * S_H * W * CF
    reg [AB-1:0] base;  // buffer slot of the reader's frame's first word, less LAST_PIX
    reg [2:0] pending;  // reads issued and not yet taken from m_axis
    wire take = m_axis_tvalid && m_axis_tready;
    // Each counter's "at its last value" is a register, set as the counter moves (from its
    // value now, compared to the one before its last), so the issue condition below is an AND
    // of flags, not five compares (CNV's critical path on ECP5 with another placement).
    reg at_cf, at_kx, at_ky, at_og, at_oy;  // cf == CF - 1, kx == K_W - 1, ...
    wire last_cf = at_cf;
    wire last_kx = last_cf && at_kx;
    wire last_ky = last_kx && at_ky;
    wire last_og = last_ky && at_og;
    wire frame_end = last_og && at_oy;
    // The frame's last output word waits for its last input word, so that input no window
    // reads (an unread tail) is taken before the frame's output completes.
    wire pos_in = pos < ahead;
    wire frame_in = FRAME_LAST < ahead;
    wire issue = rst_n && (pending != FD_Q) && (frame_end ? frame_in : pos_in);
    // ahead's next value: + 1 for a word written, - FRAME when the reader leaves the frame.
    // drop is issue && frame_end written without pos_in, which frame_end deselects, so that
    // the pos < ahead compare stays out of ahead's next value (CNV on ECP5, another placement:
    // pos -> ahead, 19 levels, 121.8 MHz)
    wire drop = rst_n && (pending != FD_Q) && frame_end && frame_in;
    wire [CB-1:0] ahead_w = ahead + 1'b1;
    wire [CB-1:0] ahead_d = ahead - FRAME;
    wire [CB-1:0] ahead_wd = ahead + ONE_M_FRAME;

    always @(posedge clk) begin
        if (!rst_n) begin
            room <= 1'b0;
            ahead <= {CB{1'b0}};
            limit <= DEPTH_C;
            limit_m1 <= DEPTH_M1_C;
            wptr <= {AB{1'b0}};
            cf <= {CFB{1'b0}};
            kx <= {KWB{1'b0}};
            ky <= {KHB{1'b0}};
            og <= {OGB{1'b0}};
            oy <= {OHB{1'b0}};
            at_cf <= CF_ONE;
            at_kx <= KW_ONE;
            at_ky <= KH_ONE;
            at_og <= OG_ONE;
            at_oy <= OH_ONE;
            pos <= LAST_PIX;
            row_low <= {CB{1'b0}};
            base <= BASE_0;
            pending <= 3'd0;
        end else begin
            room <= wfire ? (ahead < limit_m1) : (ahead < limit);
            ahead <= wfire ? (drop ? ahead_wd : ahead_w) : (drop ? ahead_d : ahead);
            if (wfire) wptr <= wptr + 1'b1;
            if (issue && !take) pending <= pending + 1'b1;
            else if (take && !issue) pending <= pending - 1'b1;
            if (issue) begin
                cf <= last_cf ? {CFB{1'b0}} : cf + 1'b1;
                if (last_cf) kx <= last_kx ? {KWB{1'b0}} : kx + 1'b1;
                if (last_kx) ky <= last_ky ? {KHB{1'b0}} : ky + 1'b1;
                if (last_ky) og <= last_og ? {OGB{1'b0}} : og + 1'b1;
                if (last_og) oy <= frame_end ? {OHB{1'b0}} : oy + 1'b1;
                at_cf <= last_cf ? CF_ONE : (cf == CF_PEN);
                if (last_cf) at_kx <= last_kx ? KW_ONE : (kx == KW_PEN);
                if (last_kx) at_ky <= last_ky ? KH_ONE : (ky == KH_PEN);
                if (last_ky) at_og <= last_og ? OG_ONE : (og == OG_PEN);
                if (last_og) at_oy <= frame_end ? OH_ONE : (oy == OH_PEN);
                if (!last_kx) pos <= pos + 1'b1;
                else if (!last_ky) pos <= pos + KY_STEP;
                if (frame_end) begin
                    pos <= LAST_PIX;
                    limit <= DEPTH_C;
                    limit_m1 <= DEPTH_M1_C;
                    row_low <= {CB{1'b0}};
                    base <= base + FRAME_MOD;
                end else if (last_og) begin
                    pos <= row_low + OY_LAST_PIX;
                    limit <= row_low + OY_DEPTH;
                    limit_m1 <= row_low + OY_DEPTH_M1;
                    row_low <= row_low + OY_STEP;
                end else if (last_ky) begin
                    pos <= limit + OX_LAST_PIX;
                    limit <= limit + OX_STEP;
                    limit_m1 <= limit_m1 + OX_STEP;
                end
            end
        end
    end

    // ---------------------------------------------------------------- buffer: MMV replicas
    // The group's first pixel's word is frame-relative pos - LAST_PIX; its slot, modulo DEPTH
    // (base holds the frame's first slot less LAST_PIX):
    wire [AB-1:0] raddr = base + pos[AB-1:0];
    reg [MMV*XW-1:0] rdata;
    genvar m;
    generate
        for (m = 0; m < MMV; m = m + 1) begin : g_pix
            localparam integer PIX_I = (m * S_W * CF) % DEPTH;
            localparam [AB-1:0] PIX = PIX_I[AB-1:0];
            wire [AB-1:0] ra = raddr + PIX;
            if (MEM_STYLE == STYLE_BLOCK) begin : g_block
                (* ram_style = "block", no_rw_check *) reg [XW-1:0] mem[0:DEPTH-1];
                always @(posedge clk) begin
                    if (wfire) mem[wptr] <= s_axis_tdata;
                    rdata[m*XW +: XW] <= mem[ra];
                end
            end else if (MEM_STYLE == STYLE_DISTRIBUTED) begin : g_distributed
                // the read address registered first (ARG = 1): the add above ran on into the
                // LUT RAM's read mux (CNV's 256-word buffer on ECP5: 9.0-9.6 ns)
                (* ram_style = "distributed", no_rw_check *) reg [XW-1:0] mem[0:DEPTH-1];
                reg [AB-1:0] ra_q;
                always @(posedge clk) begin
                    if (wfire) mem[wptr] <= s_axis_tdata;
                    ra_q <= ra;
                    rdata[m*XW +: XW] <= mem[ra_q];
                end
            end else begin : g_registers
                (* ram_style = "registers", no_rw_check *) reg [XW-1:0] mem[0:DEPTH-1];
                always @(posedge clk) begin
                    if (wfire) mem[wptr] <= s_axis_tdata;
                    rdata[m*XW +: XW] <= mem[ra];
                end
            end
        end
    endgenerate

    // ---------------------------------------------------------------- output FIFO
    reg rvalid;  // rdata holds the word issued 1 + ARG cycles ago
    wire issued;  // a read reaches the buffer (its address registered, with ARG)
    generate
        if (ARG != 0) begin : g_areg
            reg issue_q;
            always @(posedge clk) begin
                if (!rst_n) issue_q <= 1'b0;
                else issue_q <= issue;
            end
            assign issued = issue_q;
        end else begin : g_no_areg
            assign issued = issue;
        end
    endgenerate
    wire [MMV*XW-1:0] fdata;  // the word the FIFO writes
    wire fvalid;
    generate
        if (ORG != 0) begin : g_oreg
            reg [MMV*XW-1:0] rdata_r;
            reg rvalid_r;
            always @(posedge clk) begin
                rdata_r <= rdata;
                if (!rst_n) rvalid_r <= 1'b0;
                else rvalid_r <= rvalid;
            end
            assign fdata = rdata_r;
            assign fvalid = rvalid_r;
        end else begin : g_no_oreg
            assign fdata = rdata;
            assign fvalid = rvalid;
        end
    endgenerate
    // LUT RAM by ram_style, not left to synthesis: the block downstream may register
    // m_axis_tdata straight away (sf_mvau's in_q), and Yosys, flattening, then moves that
    // register into this read port and chose LUT RAM where alone it chose flip-flops (CNN-W2A2
    // folded: 8 LUTs of LUT RAM more than its stages); the choice must not depend on the
    // neighbour.
    (* ram_style = "distributed" *) reg [MMV*XW-1:0] fifo[0:FD-1];
    reg [1:0] fw;
    reg [1:0] fr;
    reg [2:0] count;
    always @(posedge clk) begin
        if (fvalid) fifo[fw] <= fdata;
        if (!rst_n) begin
            rvalid <= 1'b0;
            fw <= 2'd0;
            fr <= 2'd0;
            count <= 3'd0;
        end else begin
            rvalid <= issued;
            if (fvalid) fw <= fw + 1'b1;
            if (take) fr <= fr + 1'b1;
            if (fvalid && !take) count <= count + 1'b1;
            else if (take && !fvalid) count <= count - 1'b1;
        end
    end
    assign m_axis_tvalid = (count != 3'd0);
    assign m_axis_tdata = fifo[fr];
endmodule

`default_nettype wire
