// sf_vvau: vector-vector-activation unit (FINN's VVAU), a depthwise convolution per pixel,
// folded PE (channels) x SIMD (kernel positions).
//
// Per output pixel: y[c] = sum_k W[c][k] * x[k][c] for its K-position window x of C channels and
// a C x K weight matrix W, optionally followed by multi-thresholding: y[c] = level value of
// count_j(acc[c] >= T[c][j]).
//
// Input order (streamfold.hw.vvau.params): the window in (k, c) order, channels fastest, as
// sf_swg streams it. An input word is PE * SIMD consecutive elements of that order: element
// s * PE + p is channel nf * PE + p at kernel position sf * SIMD + s, word sf * NF + nf of the
// pixel (NF = C / PE channel folds, SF = K / SIMD kernel folds). Hence SIMD > 1 needs PE = C
// (checked in Python): otherwise the SIMD positions of a word would not be consecutive.
//
// Schedule. One input word per step, one step per cycle, in stream order: sf outer, nf inner.
// Step (sf, nf) adds, for each PE lane p, the SIMD products of channel nf * PE + p into that
// channel's accumulator, kept in an NF-word accumulator memory (read and written at address nf
// in the accumulate stage; the same address comes back NF steps later, so no hazard). The steps
// of kernel fold SF - 1 complete the NF output words of the pixel, in channel order. A pixel
// takes exactly NF * SF cycles and the next pixel follows without a gap.
//
// Streams (streamfold.hw.block): element i of a word sits at bits [i*bits +: bits]; output
// words carry PE elements of OUT_BITS (channels nf*PE .. +PE-1). Bipolar elements are one bit,
// 1 = +1 and 0 = -1.
//
// Memory images ($readmemh, one word per line, element 0 in the least significant bits):
//   WEIGHT_FILE: SF * NF words of PE * SIMD * W_BITS bits; word sf * NF + nf holds at element
//                p * SIMD + s the weight W[nf * PE + p][sf * SIMD + s] (two's complement bits;
//                bipolar: 1 = +1, 0 = -1).
//   THRESH_FILE: NF words of PE * N_THRESH * T_BITS bits; word nf holds at element
//                p * N_THRESH + j threshold j of channel nf * PE + p (signed T_BITS bits).
// MEM_STYLE "block": block RAM with a registered read; "distributed": LUTs with a registered
// read; "registers": constants the synthesiser can fold into the datapath, read combinationally
// through a registered address (a one-word memory is plain constants).
//
// Pipeline (cycles after a step issues): 1 memory/input register, 2 products, 2 + l adder-tree
// level l (l = 1 .. D, D = clog2(SIMD)), 3 + D accumulator, 4 + D output register (thresholds
// compared here), then the output FIFO: the first output word is offered (SF - 1) * NF + 5 + D
// cycles after the first input word was taken. The pipeline never stalls: a step that
// completes an output word issues only when the FIFO has a free slot reserved for it (credits),
// so any valid/ready pattern on either side is tolerated and nothing is dropped.
//
// Every parameter is set by streamfold.hw.vvau.rtl; the default image names are placeholders,
// so elaborate only instantiated parameterisations (Yosys: read_verilog -defer).
`default_nettype none

module sf_vvau #(
    parameter integer C = 4,              // channels
    parameter integer K = 9,              // kernel positions k_h * k_w
    parameter integer PE = 1,             // channels in parallel; divides C
    parameter integer SIMD = 1,           // kernel positions in parallel; divides K
    parameter integer IN_BITS = 4,
    parameter integer IN_SIGNED = 0,
    parameter integer IN_BIPOLAR = 0,
    parameter integer W_BITS = 4,
    parameter integer W_SIGNED = 1,
    parameter integer W_BIPOLAR = 0,
    parameter integer ACC_BITS = 16,      // holds every exact dot product
    parameter integer ACC_SIGNED = 1,
    parameter integer N_THRESH = 0,       // thresholds per channel; 0 = output the accumulator
    parameter integer T_BITS = 17,        // signed threshold width
    parameter integer OUT_BITS = 16,
    parameter integer OUT_MIN = 0,        // value of level 0 (thresholded, not bipolar)
    parameter integer OUT_BIPOLAR = 0,    // thresholded bipolar output: level 1 = +1 = bit 1
    parameter [8*16-1:0] MEM_STYLE = "distributed",
    parameter WEIGHT_FILE = "weights.hex",
    parameter THRESH_FILE = "thresholds.hex"
) (
    input wire clk,
    input wire rst_n,
    input wire [PE*SIMD*IN_BITS-1:0] s_axis_tdata,
    input wire s_axis_tvalid,
    output wire s_axis_tready,
    output wire [PE*OUT_BITS-1:0] m_axis_tdata,
    output wire m_axis_tvalid,
    input wire m_axis_tready
);
    localparam [8*16-1:0] STYLE_BLOCK = "block";
    localparam [8*16-1:0] STYLE_DISTRIBUTED = "distributed";

    localparam integer NF = C / PE;
    localparam integer SF = K / SIMD;
    localparam integer XNOR = (IN_BIPOLAR != 0 && W_BIPOLAR != 0) ? 1 : 0;
    // A product as a signed number: XNOR 0/1, else wide enough for any two operands.
    localparam integer PB = (XNOR != 0) ? 2 : IN_BITS + W_BITS + 2;
    localparam integer LB = (PB < ACC_BITS) ? PB : ACC_BITS;  // tree leaf width
    localparam integer D = $clog2(SIMD);  // adder-tree levels

    // The adder tree's root width (sf_mvau_tree: one bit more per level, capped at ACC_BITS).
    localparam integer RW = (LB + D < ACC_BITS) ? LB + D : ACC_BITS;
    localparam integer CP = 2 + D;  // stage of the tree root: the last control stage
    localparam integer XW = PE * SIMD * IN_BITS;
    localparam integer WW = PE * SIMD * W_BITS;
    localparam integer OW = PE * OUT_BITS;
    localparam integer AW = PE * ACC_BITS;
    localparam integer NFB = (NF > 1) ? $clog2(NF) : 1;
    localparam integer SFB = (SF > 1) ? $clog2(SF) : 1;
    localparam integer WAB = (NF * SF > 1) ? $clog2(NF * SF) : 1;
    // Output FIFO: a result issued at cycle t is taken at t + 5 + D at the earliest and its
    // credit is seen at t + 6 + D. Results issue in bursts of NF (the last kernel fold) every
    // NF * SF steps, so at most (PIPE / (NF*SF)) * NF + min(PIPE % (NF*SF), NF) issue in a
    // window of PIPE cycles; one slot more than that keeps the pipeline at one step per cycle.
    localparam integer PIPE = 5 + D;
    localparam integer PERIOD = NF * SF;
    localparam integer TAIL = (PIPE % PERIOD < NF) ? PIPE % PERIOD : NF;
    localparam integer DEPTH = (PIPE / PERIOD) * NF + TAIL + 1;
    localparam integer QB = $clog2(DEPTH + 1);
    localparam integer FPB = $clog2(DEPTH);

    localparam integer NF_M1 = NF - 1;
    localparam integer SF_M1 = SF - 1;
    localparam integer WA_M1 = NF * SF - 1;
    localparam integer DEPTH_M1 = DEPTH - 1;
    localparam [NFB-1:0] NF_LAST = NF_M1[NFB-1:0];
    localparam [SFB-1:0] SF_LAST = SF_M1[SFB-1:0];
    localparam [WAB-1:0] WA_LAST = WA_M1[WAB-1:0];
    localparam [QB-1:0] DEPTH_Q = DEPTH[QB-1:0];
    localparam [FPB-1:0] FP_LAST = DEPTH_M1[FPB-1:0];

    // ---------------------------------------------------------------- issue: one step per cycle
    reg [NFB-1:0] nf;
    reg [SFB-1:0] sf;
    reg [WAB-1:0] waddr;  // sf * NF + nf
    reg [QB-1:0] pending;  // results issued and not yet taken from m_axis
    wire take = m_axis_tvalid && m_axis_tready;
    wire step_last = (sf == SF_LAST);
    wire can_step = rst_n && (!step_last || pending != DEPTH_Q);
    wire fire = can_step && s_axis_tvalid;
    wire issue_result = fire && step_last;
    assign s_axis_tready = can_step;

    always @(posedge clk) begin
        if (!rst_n) begin
            nf <= {NFB{1'b0}};
            sf <= {SFB{1'b0}};
            waddr <= {WAB{1'b0}};
            pending <= {QB{1'b0}};
        end else begin
            if (fire) begin
                nf <= (nf == NF_LAST) ? {NFB{1'b0}} : nf + 1'b1;
                waddr <= (waddr == WA_LAST) ? {WAB{1'b0}} : waddr + 1'b1;
                if (nf == NF_LAST) sf <= step_last ? {SFB{1'b0}} : sf + 1'b1;
            end
            if (issue_result && !take) pending <= pending + 1'b1;
            else if (take && !issue_result) pending <= pending - 1'b1;
        end
    end

    // Control travels beside the data: bit k-1 of each vector is stage k (k = 1 .. CP); nf_p
    // holds the channel fold of stage k at bits (k-1)*NFB +: NFB.
    reg [CP-1:0] valid_p;
    reg [CP-1:0] first_p;
    reg [CP-1:0] last_p;
    reg [CP*NFB-1:0] nf_p;
    always @(posedge clk) begin
        if (!rst_n) valid_p <= {CP{1'b0}};
        else valid_p <= {valid_p[CP-2:0], fire};
        first_p <= {first_p[CP-2:0], sf == {SFB{1'b0}}};
        last_p <= {last_p[CP-2:0], step_last};
        nf_p <= {nf_p[(CP-1)*NFB-1:0], nf};
    end
    wire [NFB-1:0] nf_cp = nf_p[(CP-1)*NFB +: NFB];  // channel fold at the tree root

    // ---------------------------------------------------------------- stage 1: operands
    reg [XW-1:0] x1;
    always @(posedge clk) if (fire) x1 <= s_axis_tdata;

    // Weights of the step in stage 0, valid in stage 1. ECP5 has no LUT ROM primitive: Yosys,
    // which reads ram_style before rom_style, builds a "distributed" ROM from LUTs; Vivado
    // follows rom_style. "registers" registers the address and reads the constants directly.
    wire [WW-1:0] w1;
    generate
        if (MEM_STYLE == STYLE_BLOCK) begin : g_wmem_block
            (* ram_style = "block", rom_style = "block" *) reg [WW-1:0] wmem[0:NF*SF-1];
            reg [WW-1:0] w_q;
            initial $readmemh(WEIGHT_FILE, wmem);
            always @(posedge clk) w_q <= wmem[waddr];
            assign w1 = w_q;
        end else if (MEM_STYLE == STYLE_DISTRIBUTED) begin : g_wmem_distributed
            (* ram_style = "logic", rom_style = "distributed" *) reg [WW-1:0] wmem[0:NF*SF-1];
            reg [WW-1:0] w_q;
            initial $readmemh(WEIGHT_FILE, wmem);
            always @(posedge clk) w_q <= wmem[waddr];
            assign w1 = w_q;
        end else begin : g_wmem_registers
            (* ram_style = "registers" *) reg [WW-1:0] wrom[0:NF*SF-1];
            initial $readmemh(WEIGHT_FILE, wrom);
            if (NF * SF == 1) begin : g_const
                assign w1 = wrom[0];
            end else begin : g_table
                reg [WAB-1:0] waddr_q;
                always @(posedge clk) waddr_q <= waddr;
                assign w1 = wrom[waddr_q];
            end
        end
    endgenerate

    // ---------------------------------------------------------------- stages 2 .. CP: per PE
    // Products (tree level 0) and a registered adder tree over the SIMD kernel positions: one
    // sf_mvau_tree (hw/mvau) per PE, on that channel's SIMD inputs (elements i * PE + p); a
    // generate loop over the PEs' trees made Yosys's front end quadratic in PE (PE 32: 61 s).
    wire [PE*RW-1:0] root;
    genvar p, i;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire [SIMD*IN_BITS-1:0] xrow;
            for (i = 0; i < SIMD; i = i + 1) begin : g_x
                assign xrow[i*IN_BITS +: IN_BITS] = x1[(i*PE + p)*IN_BITS +: IN_BITS];
            end
            sf_mvau_tree #(
                .SIMD(SIMD), .IN_BITS(IN_BITS), .IN_SIGNED(IN_SIGNED), .IN_BIPOLAR(IN_BIPOLAR),
                .W_BITS(W_BITS), .W_SIGNED(W_SIGNED), .W_BIPOLAR(W_BIPOLAR), .ACC_BITS(ACC_BITS)
            ) u_tree (
                .clk(clk),
                .x(xrow),
                .w(w1[p*SIMD*W_BITS +: SIMD*W_BITS]),
                .root(root[p*RW +: RW])
            );
        end
    endgenerate

    // ---------------------------------------------------------------- stage CP+1: accumulate
    // The accumulators of channel fold nf_cp: read combinationally, written back at the clock
    // edge; res_q takes the finished sums of the last kernel fold.
    wire [AW-1:0] sum;
    reg [AW-1:0] accm[0:NF-1];
    reg [AW-1:0] res_q;
    reg done_q;  // res_q holds a finished channel group
    wire [AW-1:0] acc_old = accm[nf_cp];
    always @(posedge clk) begin
        if (!rst_n) done_q <= 1'b0;
        else done_q <= valid_p[CP-1] && last_p[CP-1];
        if (valid_p[CP-1]) accm[nf_cp] <= sum;
        if (valid_p[CP-1] && last_p[CP-1]) res_q <= sum;
    end
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_acc
            wire [RW-1:0] r = root[p*RW +: RW];
            wire [ACC_BITS-1:0] rx;
            wire [ACC_BITS-1:0] contrib;
            if (ACC_BITS > RW) begin : g_ext
                assign rx = {{(ACC_BITS - RW) {r[RW-1]}}, r};
            end else begin : g_keep
                assign rx = r;
            end
            if (XNOR != 0) begin : g_popcount
                // sum of SIMD products +-1 = 2 * popcount(xnor) - SIMD
                localparam [ACC_BITS-1:0] SIMD_A = SIMD[ACC_BITS-1:0];
                assign contrib = rx + rx - SIMD_A;
            end else begin : g_sum
                assign contrib = rx;
            end
            assign sum[p*ACC_BITS +: ACC_BITS] =
                first_p[CP-1] ? contrib : acc_old[p*ACC_BITS +: ACC_BITS] + contrib;
        end
    endgenerate

    // ---------------------------------------------------------------- stage CP+2: output word
    reg [OW-1:0] out_q;
    reg out_valid;
    always @(posedge clk) begin
        if (!rst_n) out_valid <= 1'b0;
        else out_valid <= done_q;
    end

    generate
        if (N_THRESH == 0) begin : g_no_thresh
            for (p = 0; p < PE; p = p + 1) begin : g_out
                wire [ACC_BITS-1:0] a = res_q[p*ACC_BITS +: ACC_BITS];
                if (OUT_BITS > ACC_BITS) begin : g_ext
                    wire sign = (ACC_SIGNED != 0) ? a[ACC_BITS-1] : 1'b0;
                    always @(posedge clk) out_q[p*OUT_BITS +: OUT_BITS] <=
                        {{(OUT_BITS - ACC_BITS) {sign}}, a};
                end else begin : g_keep
                    always @(posedge clk) out_q[p*OUT_BITS +: OUT_BITS] <= a[OUT_BITS-1:0];
                end
            end
        end else begin : g_thresh
            localparam integer TW = PE * N_THRESH * T_BITS;
            localparam integer CB = (ACC_BITS + 1 > T_BITS) ? ACC_BITS + 1 : T_BITS;
            localparam integer CNT_BITS = $clog2(N_THRESH + 1);
            localparam [OUT_BITS-1:0] OUT_MIN_B = OUT_MIN[OUT_BITS-1:0];

            // The threshold word of the channel group at the tree root, read as it accumulates.
            wire [TW-1:0] thr;
            if (MEM_STYLE != STYLE_BLOCK && MEM_STYLE != STYLE_DISTRIBUTED && NF == 1)
            begin : g_tmem_const
                (* ram_style = "registers" *) reg [TW-1:0] trom[0:0];
                initial $readmemh(THRESH_FILE, trom);
                assign thr = trom[0];
            end else begin : g_tmem
                wire [NFB-1:0] taddr = nf_cp;
                if (MEM_STYLE == STYLE_BLOCK) begin : g_block
                    (* ram_style = "block", rom_style = "block" *) reg [TW-1:0] tmem[0:NF-1];
                    reg [TW-1:0] thr_q;
                    initial $readmemh(THRESH_FILE, tmem);
                    always @(posedge clk) thr_q <= tmem[taddr];
                    assign thr = thr_q;
                end else if (MEM_STYLE == STYLE_DISTRIBUTED) begin : g_distributed
                    (* ram_style = "logic", rom_style = "distributed" *) reg [TW-1:0] tmem[0:NF-1];
                    reg [TW-1:0] thr_q;
                    initial $readmemh(THRESH_FILE, tmem);
                    always @(posedge clk) thr_q <= tmem[taddr];
                    assign thr = thr_q;
                end else begin : g_registers
                    (* ram_style = "registers" *) reg [TW-1:0] trom[0:NF-1];
                    reg [NFB-1:0] taddr_q;
                    initial $readmemh(THRESH_FILE, trom);
                    always @(posedge clk) taddr_q <= taddr;
                    assign thr = trom[taddr_q];
                end
            end

            for (p = 0; p < PE; p = p + 1) begin : g_out
                wire [ACC_BITS-1:0] a = res_q[p*ACC_BITS +: ACC_BITS];
                wire a_sign = (ACC_SIGNED != 0) ? a[ACC_BITS-1] : 1'b0;
                wire [CB-1:0] ax = {{(CB - ACC_BITS) {a_sign}}, a};
                wire [N_THRESH-1:0] ge;
                for (i = 0; i < N_THRESH; i = i + 1) begin : g_cmp
                    wire [T_BITS-1:0] t = thr[(p*N_THRESH + i)*T_BITS +: T_BITS];
                    wire [CB-1:0] tx;
                    if (CB > T_BITS) begin : g_ext
                        assign tx = {{(CB - T_BITS) {t[T_BITS-1]}}, t};
                    end else begin : g_keep
                        assign tx = t;
                    end
                    assign ge[i] = $signed(ax) >= $signed(tx);
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
