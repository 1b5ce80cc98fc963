// sf_thresholding: standalone multi-thresholding (FINN-R's MultiThreshold), PE channels per word.
//
// y[c] = level value of count_k(x[c] >= T[c][k]): OUT_MIN + count, or for a bipolar output
// (one threshold) bit 1 = +1 when x >= T and bit 0 = -1 otherwise.
//
// Streams (streamfold.hw.block): a frame of CHANNELS elements is CF = CHANNELS / PE words of PE
// elements (element i of a word at bits [i*bits +: bits]); input word cf carries channels
// cf * PE .. cf * PE + PE - 1 and produces the output word with the same channels.
//
// Memory image THRESH_FILE ($readmemh, one word per line): CF words of PE * N_THRESH * T_BITS
// bits; word cf holds at element p * N_THRESH + k threshold k of channel cf * PE + p (signed
// T_BITS bits). MEM_STYLE "block": block RAM, registered read; "distributed": LUTs, registered
// read; "registers": constants read through a registered address (see sf_mvau.v).
//
// Pipeline: 1 input and threshold registers, 2 output register, then the output FIFO; the first
// output word is offered 3 cycles after the first input word was taken, and one word is taken
// per cycle in the steady state. An input word is taken only when the FIFO has a slot reserved
// for its result (credits), so any valid/ready pattern on either side is tolerated.
//
// Every parameter is set by streamfold.hw.thresholding.rtl; the default image name is a
// placeholder, so elaborate only instantiated parameterisations (Yosys: read_verilog -defer).
`default_nettype none

module sf_thresholding #(
    parameter integer CHANNELS = 8,
    parameter integer PE = 1,             // channels per word; divides CHANNELS
    parameter integer IN_BITS = 8,
    parameter integer IN_SIGNED = 1,
    parameter integer IN_BIPOLAR = 0,
    parameter integer N_THRESH = 3,       // thresholds per channel
    parameter integer T_BITS = 9,         // signed threshold width
    parameter integer OUT_BITS = 2,
    parameter integer OUT_MIN = 0,        // value of level 0 (not bipolar)
    parameter integer OUT_BIPOLAR = 0,
    parameter [8*16-1:0] MEM_STYLE = "distributed",
    parameter THRESH_FILE = "thresholds.hex"
) (
    input wire clk,
    input wire rst_n,
    input wire [PE*IN_BITS-1:0] s_axis_tdata,
    input wire s_axis_tvalid,
    output wire s_axis_tready,
    output wire [PE*OUT_BITS-1:0] m_axis_tdata,
    output wire m_axis_tvalid,
    input wire m_axis_tready
);
    localparam [8*16-1:0] STYLE_BLOCK = "block";
    localparam [8*16-1:0] STYLE_DISTRIBUTED = "distributed";

    localparam integer CF = CHANNELS / PE;
    localparam integer CFB = (CF > 1) ? $clog2(CF) : 1;
    localparam integer XW = PE * IN_BITS;
    localparam integer TW = PE * N_THRESH * T_BITS;
    localparam integer OW = PE * OUT_BITS;
    localparam integer XB = IN_BITS + 1;  // an input element as a signed number
    localparam integer CB = (XB > T_BITS) ? XB : T_BITS;  // comparison width
    localparam integer CNT_BITS = $clog2(N_THRESH + 1);
    // Output FIFO: a word taken at cycle t leaves at t + 3 at the earliest, its credit is seen
    // at t + 4, so 3 words in flight plus one slot keep one word per cycle.
    localparam integer DEPTH = 4;
    localparam integer QB = $clog2(DEPTH + 1);
    localparam integer FPB = $clog2(DEPTH);

    localparam integer CF_M1 = CF - 1;
    localparam integer DEPTH_M1 = DEPTH - 1;
    localparam [CFB-1:0] CF_LAST = CF_M1[CFB-1:0];
    localparam [QB-1:0] DEPTH_Q = DEPTH[QB-1:0];
    localparam [FPB-1:0] FP_LAST = DEPTH_M1[FPB-1:0];
    localparam [OUT_BITS-1:0] OUT_MIN_B = OUT_MIN[OUT_BITS-1:0];

    // ---------------------------------------------------------------- stage 0: accept
    reg [CFB-1:0] cf;
    reg [QB-1:0] pending;  // words accepted and not yet taken from m_axis
    wire take = m_axis_tvalid && m_axis_tready;
    assign s_axis_tready = rst_n && pending != DEPTH_Q;
    wire fire = s_axis_tready && s_axis_tvalid;

    always @(posedge clk) begin
        if (!rst_n) begin
            cf <= {CFB{1'b0}};
            pending <= {QB{1'b0}};
        end else begin
            if (fire) cf <= (cf == CF_LAST) ? {CFB{1'b0}} : cf + 1'b1;
            if (fire && !take) pending <= pending + 1'b1;
            else if (take && !fire) pending <= pending - 1'b1;
        end
    end

    // ---------------------------------------------------------------- stage 1: operands
    reg [XW-1:0] in_q;
    reg valid1;
    always @(posedge clk) begin
        if (fire) in_q <= s_axis_tdata;
        if (!rst_n) valid1 <= 1'b0;
        else valid1 <= fire;
    end

    // Thresholds of channel fold cf, valid in stage 1 (memory styles as in sf_mvau.v).
    wire [TW-1:0] thr;
    generate
        if (MEM_STYLE == STYLE_BLOCK) begin : g_tmem_block
            (* ram_style = "block", rom_style = "block" *) reg [TW-1:0] tmem[0:CF-1];
            reg [TW-1:0] thr_q;
            initial $readmemh(THRESH_FILE, tmem);
            always @(posedge clk) thr_q <= tmem[cf];
            assign thr = thr_q;
        end else if (MEM_STYLE == STYLE_DISTRIBUTED) begin : g_tmem_distributed
            (* ram_style = "logic", rom_style = "distributed" *) reg [TW-1:0] tmem[0:CF-1];
            reg [TW-1:0] thr_q;
            initial $readmemh(THRESH_FILE, tmem);
            always @(posedge clk) thr_q <= tmem[cf];
            assign thr = thr_q;
        end else begin : g_tmem_registers
            (* ram_style = "registers" *) reg [TW-1:0] trom[0:CF-1];
            initial $readmemh(THRESH_FILE, trom);
            if (CF == 1) begin : g_const
                assign thr = trom[0];
            end else begin : g_table
                reg [CFB-1:0] cf_q;
                always @(posedge clk) cf_q <= cf;
                assign thr = trom[cf_q];
            end
        end
    endgenerate

    // ---------------------------------------------------------------- stage 2: compare, count
    reg [OW-1:0] out_q;
    reg out_valid;
    always @(posedge clk) begin
        if (!rst_n) out_valid <= 1'b0;
        else out_valid <= valid1;
    end

    genvar p, i;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire [IN_BITS-1:0] xe = in_q[p*IN_BITS +: IN_BITS];
            wire [XB-1:0] xs;  // bipolar b: 2b - 1
            if (IN_BIPOLAR != 0) begin : g_xb
                assign xs = {~xe, 1'b1};
            end else if (IN_SIGNED != 0) begin : g_xs
                assign xs = {xe[IN_BITS-1], xe};
            end else begin : g_xu
                assign xs = {1'b0, xe};
            end
            wire [CB-1:0] xc;
            if (CB > XB) begin : g_ext
                assign xc = {{(CB - XB) {xs[XB-1]}}, xs};
            end else begin : g_keep
                assign xc = xs;
            end
            wire [N_THRESH-1:0] ge;
            for (i = 0; i < N_THRESH; i = i + 1) begin : g_cmp
                wire [T_BITS-1:0] t = thr[(p*N_THRESH + i)*T_BITS +: T_BITS];
                wire [CB-1:0] tc;
                if (CB > T_BITS) begin : g_ext
                    assign tc = {{(CB - T_BITS) {t[T_BITS-1]}}, t};
                end else begin : g_keep
                    assign tc = t;
                end
                assign ge[i] = $signed(xc) >= $signed(tc);
            end
            reg [CNT_BITS-1:0] count;
            integer k;
            always @* begin
                count = {CNT_BITS{1'b0}};
                for (k = 0; k < N_THRESH; k = k + 1) count = count + ge[k];
            end
            if (OUT_BIPOLAR != 0) begin : g_bipolar
                always @(posedge clk) out_q[p*OUT_BITS +: OUT_BITS] <= count[0];
            end else if (OUT_BITS > CNT_BITS) begin : g_level_ext
                always @(posedge clk) out_q[p*OUT_BITS +: OUT_BITS] <=
                    OUT_MIN_B + {{(OUT_BITS - CNT_BITS) {1'b0}}, count};
            end else begin : g_level
                always @(posedge clk) out_q[p*OUT_BITS +: OUT_BITS] <= OUT_MIN_B + count;
            end
        end
    endgenerate

    // ---------------------------------------------------------------- output FIFO
    reg [OW-1:0] fifo[0:DEPTH-1];
    reg [FPB-1:0] wptr;
    reg [FPB-1:0] rptr;
    reg [QB-1:0] count_q;
    always @(posedge clk) begin
        if (out_valid) fifo[wptr] <= out_q;
        if (!rst_n) begin
            wptr <= {FPB{1'b0}};
            rptr <= {FPB{1'b0}};
            count_q <= {QB{1'b0}};
        end else begin
            if (out_valid) wptr <= (wptr == FP_LAST) ? {FPB{1'b0}} : wptr + 1'b1;
            if (take) rptr <= (rptr == FP_LAST) ? {FPB{1'b0}} : rptr + 1'b1;
            if (out_valid && !take) count_q <= count_q + 1'b1;
            else if (take && !out_valid) count_q <= count_q - 1'b1;
        end
    end
    assign m_axis_tvalid = (count_q != {QB{1'b0}});
    assign m_axis_tdata = fifo[rptr];
endmodule

`default_nettype wire
