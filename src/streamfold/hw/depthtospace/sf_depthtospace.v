// sf_depthtospace: DepthToSpace (ONNX; PixelShuffle is CRD mode) of a channels-last map.
//
// Streams (streamfold.hw.block: element i of a word at bits [i*ELEM_BITS +: ELEM_BITS]; the
// block only moves words, so every IntType is the same to it):
//   Input: a [C * B * B, H, W] map streamed channels-last: pixels in row-major order, channels
//     fastest; word j of a pixel carries channels j*SIMD .. j*SIMD + SIMD - 1, N = W * B * B * CF
//     words per input row (CF = C / SIMD).
//   Output: the [C, H * B, W * B] map in the same order and layout: input row h becomes output
//     rows h * B + i, i < B; output pixel (h * B + i, w * B + j) holds input pixel (h, w)'s
//     channels k = (i * B + j) * C + c (DCR, CRD = 0) or k = c * B * B + i * B + j (CRD = 1,
//     where SIMD must be 1: an output word's channels are not adjacent input channels).
//
// Buffer: two input rows (ping-pong banks of N words, one word per slot in input order). The
// reader walks (i, w, j, cf), cf fastest, reading slot roff = pbase + cf * CSTEP of its bank,
// pbase = w * WSTEP + i * ISTEP + j * JSTEP (strides per mode, below). `lead` counts the rows
// the writer is ahead of the reader (0, 1 or 2): at 0 both are on the same row and the reader
// reads a slot only below the writer's count; at 2 the writer waits for the reader's bank. Rows
// are independent, so frames need no counter (H is not a parameter).
//
// Pipeline (as sf_swg): a read issued at cycle t is registered at t + 1 and written to a 4-word
// output FIFO, offered from t + 2. A read issues only when the FIFO has a slot reserved for it
// (credits), so any valid/ready pattern on either side is tolerated. s_axis_tready and
// m_axis_tvalid come from registers only. MEM_STYLE "block" / "distributed" / "registers" sets
// ram_style on the buffer (registered read). Every parameter is set by
// streamfold.hw.depthtospace.rtl.
`default_nettype none

module sf_depthtospace #(
    parameter integer ELEM_BITS = 4,
    parameter integer C = 4,            // output channels
    parameter integer SIMD = 1,         // channels per word; divides C (1 when CRD)
    parameter integer W = 4,            // input columns
    parameter integer B = 2,            // block size
    parameter integer CRD = 0,          // 1: CRD channel order, 0: DCR
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
    localparam integer BB = B * B;
    localparam integer N = W * BB * CF;  // words per input row, per bank
    localparam integer XW = SIMD * ELEM_BITS;

    function integer bits_for(input integer n);  // a counter over 0 .. n-1
        bits_for = (n > 1) ? $clog2(n) : 1;
    endfunction
    localparam integer AB = bits_for(2 * N);  // buffer addresses and row slots
    localparam integer CFB = bits_for(CF);
    localparam integer WB = bits_for(W);
    localparam integer BLB = bits_for(B);

    // Slot strides: the next channel fold, j, w and i (the input channel order of the mode).
    localparam integer CSTEP_I = (CRD != 0) ? BB : 1;
    localparam integer JSTEP_I = (CRD != 0) ? 1 : CF;
    localparam integer WJUMP_I = BB * CF - (B - 1) * JSTEP_I;  // last j of pixel w -> w + 1
    localparam integer ISTEP_I = (CRD != 0) ? B : B * CF;
    localparam [AB-1:0] CSTEP = CSTEP_I[AB-1:0];
    localparam [AB-1:0] JSTEP = JSTEP_I[AB-1:0];
    localparam [AB-1:0] WJUMP = WJUMP_I[AB-1:0];
    localparam [AB-1:0] ISTEP = ISTEP_I[AB-1:0];
    localparam [AB-1:0] BANK = N[AB-1:0];

    localparam integer N_M1 = N - 1;
    localparam integer N2_M1 = 2 * N - 1;
    localparam integer CF_M1 = CF - 1;
    localparam integer W_M1 = W - 1;
    localparam integer B_M1 = B - 1;
    localparam [AB-1:0] N_LAST = N_M1[AB-1:0];
    localparam [AB-1:0] N2_LAST = N2_M1[AB-1:0];
    localparam [CFB-1:0] CF_LAST = CF_M1[CFB-1:0];
    localparam [WB-1:0] W_LAST = W_M1[WB-1:0];
    localparam [BLB-1:0] B_LAST = B_M1[BLB-1:0];

    localparam integer FD = 4;  // output FIFO words (credits), as in sf_swg
    localparam [2:0] FD_Q = 3'd4;

    // ---------------------------------------------------------------- writer
    reg [AB-1:0] wptr;  // buffer address, both banks in turn
    reg [AB-1:0] wcnt;  // slot in the writer's row
    reg [1:0] lead;  // rows the writer is ahead of the reader
    assign s_axis_tready = rst_n && (lead != 2'd2);
    wire wfire = s_axis_tvalid && s_axis_tready;
    wire wlast = (wcnt == N_LAST);

    // ---------------------------------------------------------------- reader
    reg [CFB-1:0] cf;
    reg [BLB-1:0] j;
    reg [WB-1:0] w;
    reg [BLB-1:0] i;
    reg [AB-1:0] roff;  // slot of the next read
    reg [AB-1:0] pbase;  // slot of cf = 0 at (i, w, j)
    reg [AB-1:0] ibase;  // slot of w = j = cf = 0 at i
    reg rbank;
    reg [2:0] pending;  // reads issued and not yet taken from m_axis
    wire take = m_axis_tvalid && m_axis_tready;
    wire last_cf = (cf == CF_LAST);
    wire last_j = last_cf && (j == B_LAST);
    wire last_w = last_j && (w == W_LAST);
    wire row_end = last_w && (i == B_LAST);
    wire issue = rst_n && (pending != FD_Q) && ((lead != 2'd0) || (roff < wcnt));
    reg [AB-1:0] next;  // roff after a pixel's last channel fold
    always @(*) begin
        if (row_end) next = {AB{1'b0}};
        else if (last_w) next = ibase + ISTEP;
        else if (last_j) next = pbase + WJUMP;
        else next = pbase + JSTEP;
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            wptr <= {AB{1'b0}};
            wcnt <= {AB{1'b0}};
            lead <= 2'd0;
            cf <= {CFB{1'b0}};
            j <= {BLB{1'b0}};
            w <= {WB{1'b0}};
            i <= {BLB{1'b0}};
            roff <= {AB{1'b0}};
            pbase <= {AB{1'b0}};
            ibase <= {AB{1'b0}};
            rbank <= 1'b0;
            pending <= 3'd0;
        end else begin
            if (wfire) begin
                wptr <= (wptr == N2_LAST) ? {AB{1'b0}} : wptr + 1'b1;
                wcnt <= wlast ? {AB{1'b0}} : wcnt + 1'b1;
            end
            if ((wfire && wlast) && !(issue && row_end)) lead <= lead + 2'd1;
            else if (!(wfire && wlast) && (issue && row_end)) lead <= lead - 2'd1;
            if (issue && !take) pending <= pending + 1'b1;
            else if (take && !issue) pending <= pending - 1'b1;
            if (issue) begin
                cf <= last_cf ? {CFB{1'b0}} : cf + 1'b1;
                if (last_cf) j <= last_j ? {BLB{1'b0}} : j + 1'b1;
                if (last_j) w <= last_w ? {WB{1'b0}} : w + 1'b1;
                if (last_w) i <= row_end ? {BLB{1'b0}} : i + 1'b1;
                if (last_w) ibase <= row_end ? {AB{1'b0}} : ibase + ISTEP;
                if (row_end) rbank <= !rbank;
                if (last_cf) begin
                    roff <= next;
                    pbase <= next;
                end else begin
                    roff <= roff + CSTEP;
                end
            end
        end
    end

    // ---------------------------------------------------------------- row buffers
    wire [AB-1:0] raddr = rbank ? roff + BANK : roff;
    reg [XW-1:0] rdata;
    generate
        if (MEM_STYLE == STYLE_BLOCK) begin : g_block
            (* ram_style = "block" *) reg [XW-1:0] mem[0:2*N-1];
            always @(posedge clk) begin
                if (wfire) mem[wptr] <= s_axis_tdata;
                rdata <= mem[raddr];
            end
        end else if (MEM_STYLE == STYLE_DISTRIBUTED) begin : g_distributed
            (* ram_style = "distributed" *) reg [XW-1:0] mem[0:2*N-1];
            always @(posedge clk) begin
                if (wfire) mem[wptr] <= s_axis_tdata;
                rdata <= mem[raddr];
            end
        end else begin : g_registers
            (* ram_style = "registers" *) reg [XW-1:0] mem[0:2*N-1];
            always @(posedge clk) begin
                if (wfire) mem[wptr] <= s_axis_tdata;
                rdata <= mem[raddr];
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
