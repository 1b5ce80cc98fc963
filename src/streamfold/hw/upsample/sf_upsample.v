// sf_upsample: nearest-neighbour upsampling by integer factors of a channels-last map, 1-D and 2-D.
//
// Streams (streamfold.hw.block: element i of a word at bits [i*ELEM_BITS +: ELEM_BITS]; the
// block only moves words, so every IntType is the same to it):
//   Input: a [C, H, W] map (1-D: H = 1, W = L) streamed channels-last: pixels in row-major
//     order, channels fastest; word j of a pixel carries channels j*SIMD .. j*SIMD + SIMD - 1,
//     CF = C / SIMD words per pixel, D = W * CF words per row.
//   Output: the [C, H * F_H, W * F_W] map in the same order and layout: each input row F_H
//     times ("replays"), within a replay each pixel's CF words F_W times.
//
// Buffer: one input row, D words, word (x, cf) at slot x * CF + cf. The reader walks
// (ry, x, rx, cf), cf fastest, reading slot rslot = base + cf (base = x * CF). The writer fills the slots
// of the next row in order; `ahead` says it is one row ahead of the reader. When not ahead it
// writes the row being read (the slots from wcnt on hold a row the reader has left) and the
// reader reads a slot only below wcnt; when ahead, the reader has the whole row and the writer
// may overwrite a slot only once its last read has issued: in the last replay, slots below
// done = base (+ cf once rx is the last repeat). A slot is never read and written in the same
// cycle. Rows are independent, so frames need no counter (H is not a parameter).
//
// Pipeline (as sf_swg): a read issued at cycle t is registered at t + 1 and written to a 4-word
// output FIFO, offered from t + 2. A read issues only when the FIFO has a slot reserved for it
// (credits), so any valid/ready pattern on either side is tolerated. s_axis_tready and
// m_axis_tvalid come from registers only. MEM_STYLE "block" / "distributed" / "registers" sets
// ram_style on the buffer (registered read). Every parameter is set by streamfold.hw.upsample.rtl.
`default_nettype none

module sf_upsample #(
    parameter integer ELEM_BITS = 4,
    parameter integer C = 4,            // channels
    parameter integer SIMD = 1,         // channels per word; divides C
    parameter integer W = 4,            // input columns (the length of a 1-D signal)
    parameter integer F_H = 2,          // row factor (1 for a 1-D signal)
    parameter integer F_W = 2,          // column factor
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
    localparam [8*16-1:0] STYLE_BLOCK = "block";
    localparam [8*16-1:0] STYLE_DISTRIBUTED = "distributed";

    localparam integer CF = C / SIMD;
    localparam integer D = W * CF;
    localparam integer XW = SIMD * ELEM_BITS;

    function integer bits_for(input integer n);  // a counter over 0 .. n-1
        bits_for = (n > 1) ? $clog2(n) : 1;
    endfunction
    localparam integer SB = bits_for(D);
    localparam integer CFB = bits_for(CF);
    localparam integer WB = bits_for(W);
    localparam integer FHB = bits_for(F_H);
    localparam integer FWB = bits_for(F_W);

    localparam integer D_M1 = D - 1;
    localparam integer CF_M1 = CF - 1;
    localparam integer W_M1 = W - 1;
    localparam integer FH_M1 = F_H - 1;
    localparam integer FW_M1 = F_W - 1;
    localparam [SB-1:0] D_LAST = D_M1[SB-1:0];
    localparam [SB-1:0] CF_STEP = CF[SB-1:0];
    localparam [CFB-1:0] CF_LAST = CF_M1[CFB-1:0];
    localparam [WB-1:0] W_LAST = W_M1[WB-1:0];
    localparam [FHB-1:0] FH_LAST = FH_M1[FHB-1:0];
    localparam [FWB-1:0] FW_LAST = FW_M1[FWB-1:0];

    localparam integer FD = 4;  // output FIFO words (credits), as in sf_swg
    localparam [2:0] FD_Q = 3'd4;

    // ---------------------------------------------------------------- reader
    reg [CFB-1:0] cf;
    reg [FWB-1:0] rx;
    reg [WB-1:0] x;
    reg [FHB-1:0] ry;
    reg [SB-1:0] base;  // x * CF
    reg [SB-1:0] rslot;  // base + cf
    reg ahead;  // the writer is filling the row after the reader's
    reg [SB-1:0] wcnt;  // the writer's next slot
    reg [2:0] pending;  // reads issued and not yet taken from m_axis
    wire take = m_axis_tvalid && m_axis_tready;
    wire last_cf = (cf == CF_LAST);
    wire last_rx = (rx == FW_LAST);
    wire last_x = last_cf && last_rx && (x == W_LAST);
    wire last_ry = (ry == FH_LAST);
    wire row_end = last_x && last_ry;
    wire issue = rst_n && (pending != FD_Q) && (ahead || (rslot < wcnt));

    // ---------------------------------------------------------------- writer
    wire [SB-1:0] done = last_rx ? rslot : base;  // slots whose last read has issued
    assign s_axis_tready = rst_n && (!ahead || (last_ry && (wcnt < done)));
    wire wfire = s_axis_tvalid && s_axis_tready;
    wire wlast = (wcnt == D_LAST);

    always @(posedge clk) begin
        if (!rst_n) begin
            cf <= {CFB{1'b0}};
            rx <= {FWB{1'b0}};
            x <= {WB{1'b0}};
            ry <= {FHB{1'b0}};
            base <= {SB{1'b0}};
            rslot <= {SB{1'b0}};
            ahead <= 1'b0;
            wcnt <= {SB{1'b0}};
            pending <= 3'd0;
        end else begin
            if (wfire) wcnt <= wlast ? {SB{1'b0}} : wcnt + 1'b1;
            if (wfire && wlast) ahead <= 1'b1;
            else if (issue && row_end) ahead <= 1'b0;
            if (issue && !take) pending <= pending + 1'b1;
            else if (take && !issue) pending <= pending - 1'b1;
            if (issue) begin
                cf <= last_cf ? {CFB{1'b0}} : cf + 1'b1;
                if (last_cf) rx <= last_rx ? {FWB{1'b0}} : rx + 1'b1;
                if (!last_cf) rslot <= rslot + 1'b1;
                else if (!last_rx) rslot <= base;
                else if (last_x) rslot <= {SB{1'b0}};
                else rslot <= base + CF_STEP;
                if (last_cf && last_rx) begin
                    x <= last_x ? {WB{1'b0}} : x + 1'b1;
                    base <= last_x ? {SB{1'b0}} : base + CF_STEP;
                end
                if (last_x) ry <= last_ry ? {FHB{1'b0}} : ry + 1'b1;
            end
        end
    end

    // ---------------------------------------------------------------- row buffer
    reg [XW-1:0] rdata;
    generate
        if (MEM_STYLE == STYLE_BLOCK) begin : g_block
            (* ram_style = "block" *) reg [XW-1:0] mem[0:D-1];
            always @(posedge clk) begin
                if (wfire) mem[wcnt] <= s_axis_tdata;
                rdata <= mem[rslot];
            end
        end else if (MEM_STYLE == STYLE_DISTRIBUTED) begin : g_distributed
            (* ram_style = "distributed" *) reg [XW-1:0] mem[0:D-1];
            always @(posedge clk) begin
                if (wfire) mem[wcnt] <= s_axis_tdata;
                rdata <= mem[rslot];
            end
        end else begin : g_registers
            (* ram_style = "registers" *) reg [XW-1:0] mem[0:D-1];
            always @(posedge clk) begin
                if (wfire) mem[wcnt] <= s_axis_tdata;
                rdata <= mem[rslot];
            end
        end
    endgenerate

    // ---------------------------------------------------------------- output FIFO
    reg rvalid;  // rdata holds the word issued last cycle
    reg [XW-1:0] fifo[0:FD-1];
    reg [1:0] fwp;
    reg [1:0] frp;
    reg [2:0] count;
    always @(posedge clk) begin
        if (rvalid) fifo[fwp] <= rdata;
        if (!rst_n) begin
            rvalid <= 1'b0;
            fwp <= 2'd0;
            frp <= 2'd0;
            count <= 3'd0;
        end else begin
            rvalid <= issue;
            if (rvalid) fwp <= fwp + 1'b1;
            if (take) frp <= frp + 1'b1;
            if (rvalid && !take) count <= count + 1'b1;
            else if (take && !rvalid) count <= count - 1'b1;
        end
    end
    assign m_axis_tvalid = (count != 3'd0);
    assign m_axis_tdata = fifo[frp];
endmodule

`default_nettype wire
