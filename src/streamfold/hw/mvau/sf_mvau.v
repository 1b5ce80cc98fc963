// sf_mvau: matrix-vector-activation unit (FINN-R's MVAU), folded PE x SIMD.
//
// Per frame: y = W x for an MW-element input vector x and an MH x MW weight matrix W, optionally
// followed by multi-thresholding: y[r] = level value of count_k(acc[r] >= T[r][k]).
//
// Schedule. NF = MH / PE neuron folds, SF = MW / SIMD synapse folds. One (nf, sf) step per
// cycle, nf outer, sf inner: PE p of neuron fold nf computes row r = nf * PE + p, and step
// (nf, sf) adds SIMD products of columns sf * SIMD .. sf * SIMD + SIMD - 1. Input word sf is
// read from the stream during fold nf = 0 and written to an input buffer that folds 1 .. NF-1
// replay, so a frame takes exactly NF * SF cycles and the next frame follows without a gap.
//
// Streams (streamfold.hw.block): element i of a word sits at bits [i*bits +: bits]; input words
// carry SIMD elements of IN_BITS, output words PE elements of OUT_BITS (rows nf*PE .. +PE-1).
// Bipolar elements are one bit, 1 = +1 and 0 = -1.
//
// Memory images ($readmemh, one word per line, element 0 in the least significant bits):
//   WEIGHT_FILE: NF * SF words of PE * SIMD * W_BITS bits; word nf * SF + sf holds at element
//                p * SIMD + s the weight W[nf * PE + p][sf * SIMD + s] (two's complement bits;
//                bipolar: 1 = +1, 0 = -1).
//   THRESH_FILE: NF words of PE * N_THRESH * T_BITS bits; word nf holds at element
//                p * N_THRESH + k threshold k of row nf * PE + p (signed T_BITS bits).
// MEM_STYLE "block": block RAM with a registered read, then an output register (OPR = 1: the
// block's clock-to-output ends at a flip-flop instead of running on into the product and the
// first adder, the critical path of every block-RAM design on ECP5, 72-98 MHz; the input
// operand after its replay mux and the threshold and multiply-shift words take the same
// register); "distributed": LUTs with a registered read; "registers": constants the
// synthesiser can fold into the datapath, read combinationally through a registered address
// (a one-word memory is plain constants).
// W_BANKS > 1 (block only; streamfold.hw.mvau.params.weight_banks chooses it for a weight
// memory deeper than one block RAM): the NF * SF words are cut into W_BANKS banks of
// 2**W_BANK_AB words, packed side by side into one memory of 2**W_BANK_AB rows (bank b in
// bits [b*WW +: WW] of a row), so a read is one row of block RAMs side by side, never blocks
// stacked in depth behind a select mux. The row is registered whole (on ECP5 in the blocks'
// output registers, synth.bram_outreg), then the step's bank is selected into the operand
// register: OPR = 2 (the input operand takes two registers too: the replay buffer's read and
// the input word apart, then the replay mux). More than BANK_GROUP banks are selected in two
// registered steps, each bank's group of BANK_GROUP first, near its blocks, then the group:
// OPR = 3 (the input operand takes a third register). A one-step select over 36 banks (CNV's
// widest layer) spread its mux over every block RAM column of the LFE5U-85F: 94 MHz.
//   WEIGHT_FILE then holds the packed rows: row r, bank b = word b * 2**W_BANK_AB + r (0
//   past the last word).
//
// Pipeline (cycles after a step issues): 1 memory/input register, 2 .. 1 + OPR operand
// registers (block only), 2 + OPR products, 2 + OPR + l adder-tree level l (l = 1 .. D, D =
// clog2(SIMD)), 3 + OPR + D accumulator, 4 + OPR + D output register (thresholds compared
// here), then the output FIFO: the first output word is offered SF + 4 + OPR + D cycles after
// the first input word was taken. The pipeline never stalls: a step that completes an
// output word issues only when the FIFO has a free slot reserved for it (credits), so any
// valid/ready pattern on either side is tolerated and nothing is dropped.
//
// Every parameter is set by streamfold.hw.mvau.rtl; the default image names are placeholders,
// so elaborate only instantiated parameterisations (Yosys: read_verilog -defer).
`default_nettype none

module sf_mvau #(
    parameter integer MW = 16,            // in_features
    parameter integer MH = 8,             // out_features
    parameter integer PE = 1,             // rows in parallel; divides MH
    parameter integer SIMD = 1,           // columns in parallel; divides MW
    parameter integer IN_BITS = 4,
    parameter integer IN_SIGNED = 0,
    parameter integer IN_BIPOLAR = 0,
    parameter integer W_BITS = 4,
    parameter integer W_SIGNED = 1,
    parameter integer W_BIPOLAR = 0,
    parameter integer ACC_BITS = 16,      // holds every exact dot product
    parameter integer ACC_SIGNED = 1,
    parameter integer N_THRESH = 0,       // thresholds per row; 0 = output the accumulator
    parameter integer T_BITS = 17,        // signed threshold width
    parameter integer OUT_BITS = 16,
    parameter integer OUT_MIN = 0,        // value of level 0 (thresholded, not bipolar)
    parameter integer OUT_BIPOLAR = 0,    // thresholded bipolar output: level 1 = +1 = bit 1
    parameter [8*16-1:0] MEM_STYLE = "distributed",
    parameter WEIGHT_FILE = "weights.hex",
    parameter integer W_BANKS = 1,        // weight banks packed side by side (block only)
    parameter integer W_BANK_AB = 1,      // log2(words per bank), with W_BANKS > 1
    // 1: the input replay buffer is read a step ahead, into its read register and again
    // (needs SF >= 3; streamfold.hw.mvau.params.input_prefetch sets it where the buffer
    // becomes block RAM, so the block's read ends at a flip-flop)
    parameter integer IBUF_PREFETCH = 0,
    parameter THRESH_FILE = "thresholds.hex",
    // Multiply-shift output stage (MS = 1, N_THRESH = 0): y = clamp(round_half_even((acc * M +
    // B) / 2**MS_SHIFT), MS_MIN, MS_MAX) per row, or bipolar (OUT_BIPOLAR) +1 where acc * M + B
    // >= 0; MS_FILE: NF words of PE * (MS_M_BITS + MS_B_BITS) bits, element p of word nf row
    // nf * PE + p, M (signed) in its low bits and B (signed) above (sf_mulshift.v's image).
    parameter integer MS = 0,
    parameter integer MS_M_BITS = 2,
    parameter integer MS_B_BITS = 2,
    parameter integer MS_SHIFT = 0,
    parameter integer MS_MIN = 0,
    parameter integer MS_MAX = 1,
    parameter MS_FILE = "requant.hex"
) (
    input wire clk,
    input wire rst_n,
    input wire [SIMD*IN_BITS-1:0] s_axis_tdata,
    input wire s_axis_tvalid,
    output wire s_axis_tready,
    output wire [PE*OUT_BITS-1:0] m_axis_tdata,
    output wire m_axis_tvalid,
    input wire m_axis_tready
);
    localparam [8*16-1:0] STYLE_BLOCK = "block";
    localparam [8*16-1:0] STYLE_DISTRIBUTED = "distributed";

    localparam integer NF = MH / PE;
    localparam integer SF = MW / SIMD;
    localparam integer XNOR = (IN_BIPOLAR != 0 && W_BIPOLAR != 0) ? 1 : 0;
    // A product as a signed number: XNOR 0/1, else wide enough for any two operands.
    localparam integer PB = (XNOR != 0) ? 2 : IN_BITS + W_BITS + 2;
    localparam integer LB = (PB < ACC_BITS) ? PB : ACC_BITS;  // tree leaf width
    localparam integer D = $clog2(SIMD);  // adder-tree levels
    localparam integer BANKED = (MEM_STYLE == STYLE_BLOCK && W_BANKS > 1) ? 1 : 0;
    localparam integer BANK_GROUP = 8;  // banks one select step reads (a 3-bit LUT mux)
    // bank select steps: 1, or 2 (each group, then the group) past BANK_GROUP banks
    localparam integer BANK_STEPS = (BANKED != 0 && W_BANKS > BANK_GROUP) ? 2 : BANKED;
    // operand register stages: block 1, banked block 1 + BANK_STEPS (the packed row, then
    // each select step)
    localparam integer OPR = (MEM_STYLE == STYLE_BLOCK) ? 1 + BANK_STEPS : 0;
    // registers after the threshold and multiply-shift memories' read register (block: 1)
    localparam integer KPR = (OPR > 0) ? 1 : 0;

    // The adder tree's root width (sf_mvau_tree: one bit more per level, capped at ACC_BITS).
    localparam integer RW = (LB + D < ACC_BITS) ? LB + D : ACC_BITS;
    localparam integer CP = 2 + OPR + D;  // stage of the tree root: the last control stage
    localparam integer XW = SIMD * IN_BITS;
    localparam integer WW = PE * SIMD * W_BITS;
    localparam integer OW = PE * OUT_BITS;
    localparam integer NFB = (NF > 1) ? $clog2(NF) : 1;
    localparam integer SFB = (SF > 1) ? $clog2(SF) : 1;
    localparam integer WAB = (NF * SF > 1) ? $clog2(NF * SF) : 1;
    // Output FIFO: a result issued at cycle t is taken at t + PIPE at the earliest and its
    // credit is seen at t + PIPE + 1; at most ceil(PIPE / SF) results issue in that window,
    // so one slot more than that keeps the pipeline at one step per cycle.
    localparam integer MS_STAGES = (MS != 0) ? 2 : 0;  // product and sum before the output
    localparam integer PIPE = 5 + OPR + D + MS_STAGES;
    localparam integer DEPTH = (PIPE + SF - 1) / SF + 1;
    localparam integer QB = $clog2(DEPTH + 1);
    localparam integer FPB = $clog2(DEPTH);

    // Multiply-shift output stage widths (MS = 1), as sf_mulshift.v derives them.
    localparam integer MS_KB = MS_M_BITS + MS_B_BITS;  // constants of one row
    localparam integer MS_KW = PE * MS_KB;
    localparam integer MS_XB = ACC_BITS + 1;  // the accumulator as a signed number
    localparam integer MS_PW = MS_XB + MS_M_BITS;  // product
    localparam integer MS_SW = ((MS_PW > MS_B_BITS) ? MS_PW : MS_B_BITS) + 1;
    localparam integer MS_EW = (MS_SW > MS_SHIFT + 2) ? MS_SW : MS_SHIFT + 2;  // sum
    localparam integer MS_QW = MS_EW - MS_SHIFT;  // quotient
    localparam integer MS_CW = ((MS_QW > OUT_BITS) ? MS_QW : OUT_BITS) + 2;  // clamp compare
    // A 32-bit integer parameter sign-extended or truncated to MS_CW bits.
    function [MS_CW-1:0] ms_cw(input [31:0] v);
        integer j;
        begin
            for (j = 0; j < MS_CW; j = j + 1) ms_cw[j] = v[(j < 32) ? j : 31];
        end
    endfunction
    localparam [MS_CW-1:0] MS_LO = ms_cw(MS_MIN);
    localparam [MS_CW-1:0] MS_HI = ms_cw(MS_MAX);

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
    reg [WAB-1:0] waddr;  // nf * SF + sf
    reg [QB-1:0] pending;  // results issued and not yet taken from m_axis
    wire take = m_axis_tvalid && m_axis_tready;
    wire need_in = (nf == {NFB{1'b0}});
    wire step_last = (sf == SF_LAST);
    wire can_step = rst_n && (!step_last || pending != DEPTH_Q);
    wire fire = can_step && (!need_in || s_axis_tvalid);
    wire issue_result = fire && step_last;
    assign s_axis_tready = can_step && need_in;

    always @(posedge clk) begin
        if (!rst_n) begin
            nf <= {NFB{1'b0}};
            sf <= {SFB{1'b0}};
            waddr <= {WAB{1'b0}};
            pending <= {QB{1'b0}};
        end else begin
            if (fire) begin
                sf <= step_last ? {SFB{1'b0}} : sf + 1'b1;
                waddr <= (waddr == WA_LAST) ? {WAB{1'b0}} : waddr + 1'b1;
                if (step_last) nf <= (nf == NF_LAST) ? {NFB{1'b0}} : nf + 1'b1;
            end
            if (issue_result && !take) pending <= pending + 1'b1;
            else if (take && !issue_result) pending <= pending - 1'b1;
        end
    end

    // Control travels beside the data: bit k-1 of each vector is stage k (k = 1 .. CP).
    reg [CP-1:0] valid_p;
    reg [CP-1:0] first_p;
    reg [CP-1:0] last_p;
    always @(posedge clk) begin
        if (!rst_n) valid_p <= {CP{1'b0}};
        else valid_p <= {valid_p[CP-2:0], fire};
        first_p <= {first_p[CP-2:0], sf == {SFB{1'b0}}};
        last_p <= {last_p[CP-2:0], step_last};
    end

    // ---------------------------------------------------------------- stage 1: operands
    reg [XW-1:0] in_q;
    // x1: the step's input word; xbuf / xrep: the replay buffer's read and whether x1 is it
    // (OPR = 2 registers them apart and muxes after)
    /* verilator lint_off UNUSEDSIGNAL */
    wire [XW-1:0] x1;
    wire [XW-1:0] xbuf;
    wire xrep;
    /* verilator lint_on UNUSEDSIGNAL */
    // in_q is read only in stage 1, by the step that fired the cycle before: it can take
    // the stream's data every cycle, with no enable (at 16 pixels per word the enable,
    // fire, fanned out to every input flip-flop of the 16 units of a 16-pixel word, 640 in
    // the detector's first layer, and set its clock on ECP5)
    always @(posedge clk) in_q <= s_axis_tdata;

    generate
        if (NF > 1) begin : g_ibuf
            // no_rw_check: no read that is used meets a write of its word in the same cycle
            // (fold 0's words come from the stream; fold 1 on reads a word SF - 1 or more steps
            // after its late write below), so Yosys builds no read-write collision logic (on a
            // block RAM with its ports apart: a flip-flop per bit and a mux, on the read path)
            (* no_rw_check *) reg [XW-1:0] ibuf[0:SF-1];
            reg [XW-1:0] ibuf_q;
            reg replay_q;
            // The buffer's write: with SF > 1, a cycle late from registers (in_q holds the
            // word; fold 1 reads word sf SF >= 2 cycles after fold 0 took it, so one cycle
            // later still lands first). Straight from the stream, fire's handshake logic ran on
            // into the write enable of every LUT-RAM bit of the buffer: CNV's critical path on
            // ECP5 (quantconv2d8, 32-bit words, 7.3 ns of its 9.4 in routing).
            wire ib_we;
            wire [SFB-1:0] ib_wa;
            wire [XW-1:0] ib_wd;
            if (SF > 1) begin : g_late
                reg we_q;
                reg [SFB-1:0] wa_q;
                always @(posedge clk) begin
                    we_q <= fire && need_in;
                    wa_q <= sf;
                end
                assign ib_we = we_q;
                assign ib_wa = wa_q;
                assign ib_wd = in_q;
            end else begin : g_now
                assign ib_we = fire && need_in;
                assign ib_wa = sf;
                assign ib_wd = s_axis_tdata;
            end
            // The read: ibuf_q holds the word of the step that fired last cycle. With
            // IBUF_PREFETCH, the buffer's own read register (a block RAM's) takes it a step
            // earlier: each fire reads the word of the step after it, at sf_ahead = (sf + 1)
            // mod SF, a register, with fire as the read's enable; ibuf_q is a plain register
            // after it (on ECP5 the block's output register, synth.bram_outreg), so neither
            // the block's clock-to-output nor the next address's logic runs on into the replay
            // mux. The late write of word sf lands by the end of the cycle after its step; the
            // fire SF - 1 >= 2 steps later reads it ahead.
            wire ib_re;
            wire [SFB-1:0] ib_ra;
            reg [XW-1:0] ib_rd;
            if (IBUF_PREFETCH != 0) begin : g_prefetch
                localparam [SFB-1:0] SF_ONE = 1;
                reg [SFB-1:0] sf_ahead;
                always @(posedge clk) begin
                    if (!rst_n) sf_ahead <= SF_ONE;
                    else if (fire) sf_ahead <= (sf_ahead == SF_LAST) ? {SFB{1'b0}} : sf_ahead + 1'b1;
                    ibuf_q <= ib_rd;
                end
                assign ib_re = fire;
                assign ib_ra = sf_ahead;
            end else begin : g_read
                assign ib_re = 1'b1;
                assign ib_ra = sf;
                always @(*) ibuf_q = ib_rd;
            end
            always @(posedge clk) begin
                if (ib_we) ibuf[ib_wa] <= ib_wd;
                if (ib_re) ib_rd <= ibuf[ib_ra];
                replay_q <= !need_in;
            end
            assign x1 = replay_q ? ibuf_q : in_q;
            assign xbuf = ibuf_q;
            assign xrep = replay_q;
        end else begin : g_no_ibuf
            assign x1 = in_q;
            assign xbuf = in_q;
            assign xrep = 1'b0;
        end
    endgenerate

    // Weights of the step in stage 0, valid in stage 1 (banked: stage 2). ECP5 has no LUT ROM
    // primitive: Yosys, which reads ram_style before rom_style, builds a "distributed" ROM from
    // LUTs; Vivado follows rom_style. "registers" registers the address and reads the constants
    // directly.
    wire [WW-1:0] w1;
    generate
        if (BANKED != 0) begin : g_wmem_banked
            localparam integer BB = WAB - W_BANK_AB;  // bank index bits
            (* ram_style = "block", rom_style = "block" *)
            reg [W_BANKS*WW-1:0] wmem[0:(1 << W_BANK_AB)-1];
            reg [W_BANKS*WW-1:0] w_q;  // the row: the block RAMs' read register
            reg [W_BANKS*WW-1:0] w_b;  // the row registered again (ECP5: output registers)
            reg [BB-1:0] bank_q;
            reg [BB-1:0] bank_b;
            initial $readmemh(WEIGHT_FILE, wmem);
            always @(posedge clk) begin
                w_q <= wmem[waddr[W_BANK_AB-1:0]];
                w_b <= w_q;
                bank_q <= waddr[WAB-1:W_BANK_AB];
                bank_b <= bank_q;
            end
            if (BANK_STEPS == 1) begin : g_select
                assign w1 = w_b[bank_b*WW +: WW];
            end else begin : g_select2
                // each group's bank (the index's low 3 bits), registered, then the group
                localparam integer GB = $clog2(BANK_GROUP);
                localparam integer GROUPS = (W_BANKS + BANK_GROUP - 1) / BANK_GROUP;
                localparam integer PAD = GROUPS * BANK_GROUP - W_BANKS;  // banks past the last
                wire [GROUPS*BANK_GROUP*WW-1:0] row;
                if (PAD > 0) begin : g_pad
                    assign row = {{(PAD * WW){1'b0}}, w_b};
                end else begin : g_nopad
                    assign row = w_b;
                end
                reg [GROUPS*WW-1:0] w_g;
                reg [BB-GB-1:0] group_g;
                wire [31:0] member = {{(32 - GB){1'b0}}, bank_b[GB-1:0]};
                integer g;
                always @(posedge clk) begin
                    for (g = 0; g < GROUPS; g = g + 1)
                        w_g[g*WW +: WW] <= row[(g * BANK_GROUP + member) * WW +: WW];
                    group_g <= bank_b[BB-1:GB];
                end
                assign w1 = w_g[group_g*WW +: WW];
            end
        end else if (MEM_STYLE == STYLE_BLOCK) begin : g_wmem_block
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

    // ---------------------------------------------------------------- stage 2: operand register
    wire [XW-1:0] xo;  // the products' operands
    wire [WW-1:0] wo;
    generate
        if (OPR != 0) begin : g_opr
            reg [XW-1:0] x_r;
            reg [WW-1:0] w_r;  // banked: w1 is a stage later, selected from the row register
            always @(posedge clk) w_r <= w1;
            if (OPR > 1) begin : g_x2
                // the replay buffer's block-RAM read and the input word registered apart, the
                // replay mux after them
                reg [XW-1:0] xbuf_b;
                reg [XW-1:0] in_b;
                reg xrep_b;
                always @(posedge clk) begin
                    xbuf_b <= xbuf;
                    in_b <= in_q;
                    xrep_b <= xrep;
                end
                if (OPR > 2) begin : g_x3  // one more stage, beside the weights' group select
                    reg [XW-1:0] x_m;
                    always @(posedge clk) begin
                        x_m <= xrep_b ? xbuf_b : in_b;
                        x_r <= x_m;
                    end
                end else begin : g_x2_mux
                    always @(posedge clk) x_r <= xrep_b ? xbuf_b : in_b;
                end
            end else begin : g_x1
                always @(posedge clk) x_r <= x1;
            end
            assign xo = x_r;
            assign wo = w_r;
        end else begin : g_no_opr
            assign xo = x1;
            assign wo = w1;
        end
    endgenerate

    // ---------------------------------------------------------------- stages 2 + OPR .. CP
    // Products (tree level 0) and a registered adder tree over the SIMD lanes: one
    // sf_mvau_tree per PE, a module Yosys elaborates once for all PEs (a generate loop over
    // the PEs' trees made its front end quadratic in PE: 28 s at PE 8 x SIMD 48, 67 s at
    // PE 16, over half an hour for CNV's max-fps layers).
    wire [PE*RW-1:0] root;
    genvar p, i;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            sf_mvau_tree #(
                .SIMD(SIMD), .IN_BITS(IN_BITS), .IN_SIGNED(IN_SIGNED), .IN_BIPOLAR(IN_BIPOLAR),
                .W_BITS(W_BITS), .W_SIGNED(W_SIGNED), .W_BIPOLAR(W_BIPOLAR), .ACC_BITS(ACC_BITS)
            ) u_tree (
                .clk(clk),
                .x(xo),
                .w(wo[p*SIMD*W_BITS +: SIMD*W_BITS]),
                .root(root[p*RW +: RW])
            );
        end
    endgenerate

    // ---------------------------------------------------------------- stage CP+1: accumulate
    reg [PE*ACC_BITS-1:0] acc;
    reg done_q;  // acc holds a finished row group
    always @(posedge clk) begin
        if (!rst_n) done_q <= 1'b0;
        else done_q <= valid_p[CP-1] && last_p[CP-1];
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
            always @(posedge clk) begin
                if (valid_p[CP-1]) begin
                    acc[p*ACC_BITS +: ACC_BITS] <=
                        first_p[CP-1] ? contrib : acc[p*ACC_BITS +: ACC_BITS] + contrib;
                end
            end
        end
    endgenerate

    // ---------------------------------------------------------------- stage CP+2: output word
    reg [OW-1:0] out_q;
    reg out_valid;
    wire out_next;  // out_q is written this cycle
    always @(posedge clk) begin
        if (!rst_n) out_valid <= 1'b0;
        else out_valid <= out_next;
    end

    generate
        if (MS != 0) begin : g_ms
            // Multiply-shift: constants of the row group read as it accumulates (as the
            // thresholds below), then 1 product, 2 sum, 3 round and clamp into out_q.
            wire [MS_KW-1:0] kw;
            if (MEM_STYLE != STYLE_BLOCK && MEM_STYLE != STYLE_DISTRIBUTED && NF == 1)
            begin : g_kmem_const
                (* ram_style = "registers" *) reg [MS_KW-1:0] krom[0:0];
                initial $readmemh(MS_FILE, krom);
                assign kw = krom[0];
            end else begin : g_kmem
                // nf of the steps in stages 1 .. CP - KPR (block: read a stage earlier, then
                // its output register)
                reg [(CP-KPR)*NFB-1:0] nf_p;
                always @(posedge clk) nf_p <= {nf_p[(CP-KPR-1)*NFB-1:0], nf};
                wire [NFB-1:0] kaddr = nf_p[(CP-KPR-1)*NFB +: NFB];
                if (MEM_STYLE == STYLE_BLOCK) begin : g_block
                    (* ram_style = "block", rom_style = "block" *) reg [MS_KW-1:0] kmem[0:NF-1];
                    reg [MS_KW-1:0] k_q;
                    reg [MS_KW-1:0] k_r;
                    initial $readmemh(MS_FILE, kmem);
                    always @(posedge clk) begin
                        k_q <= kmem[kaddr];
                        k_r <= k_q;
                    end
                    assign kw = k_r;
                end else if (MEM_STYLE == STYLE_DISTRIBUTED) begin : g_distributed
                    (* ram_style = "logic", rom_style = "distributed" *) reg [MS_KW-1:0] kmem[0:NF-1];
                    reg [MS_KW-1:0] k_q;
                    initial $readmemh(MS_FILE, kmem);
                    always @(posedge clk) k_q <= kmem[kaddr];
                    assign kw = k_q;
                end else begin : g_registers
                    (* ram_style = "registers" *) reg [MS_KW-1:0] krom[0:NF-1];
                    reg [NFB-1:0] kaddr_q;
                    initial $readmemh(MS_FILE, krom);
                    always @(posedge clk) kaddr_q <= kaddr;
                    assign kw = krom[kaddr_q];
                end
            end

            reg [1:0] ms_valid;  // product, sum
            always @(posedge clk) begin
                if (!rst_n) ms_valid <= 2'b00;
                else ms_valid <= {ms_valid[0], done_q};
            end
            assign out_next = ms_valid[1];

            for (p = 0; p < PE; p = p + 1) begin : g_out
                wire [ACC_BITS-1:0] a = acc[p*ACC_BITS +: ACC_BITS];
                wire a_sign = (ACC_SIGNED != 0) ? a[ACC_BITS-1] : 1'b0;
                wire [MS_M_BITS-1:0] me = kw[p*MS_KB +: MS_M_BITS];
                wire [MS_B_BITS-1:0] be = kw[p*MS_KB + MS_M_BITS +: MS_B_BITS];
                wire [MS_PW-1:0] xp = {{(MS_PW - ACC_BITS) {a_sign}}, a};
                wire [MS_PW-1:0] mp = {{(MS_PW - MS_M_BITS) {me[MS_M_BITS-1]}}, me};
                reg [MS_PW-1:0] prod_q;
                reg [MS_B_BITS-1:0] bias_q;
                always @(posedge clk) begin
                    prod_q <= xp * mp;
                    bias_q <= be;
                end
                wire [MS_EW-1:0] px = {{(MS_EW - MS_PW) {prod_q[MS_PW-1]}}, prod_q};
                wire [MS_EW-1:0] bx = {{(MS_EW - MS_B_BITS) {bias_q[MS_B_BITS-1]}}, bias_q};
                /* verilator lint_off UNUSEDSIGNAL */
                reg [MS_EW-1:0] sum_q;  // a bipolar output reads its sign only
                /* verilator lint_on UNUSEDSIGNAL */
                always @(posedge clk) sum_q <= px + bx;
                if (OUT_BIPOLAR != 0) begin : g_bipolar
                    always @(posedge clk) out_q[p*OUT_BITS +: OUT_BITS] <= ~sum_q[MS_EW-1];
                end else begin : g_levels
                    wire [MS_QW-1:0] q = sum_q[MS_EW-1:MS_SHIFT];
                    wire up;
                    if (MS_SHIFT == 0) begin : g_exact
                        assign up = 1'b0;
                    end else if (MS_SHIFT == 1) begin : g_half
                        assign up = sum_q[0] && q[0];
                    end else begin : g_round
                        // above half, or exactly half and the quotient odd
                        assign up = sum_q[MS_SHIFT-1] && (|sum_q[MS_SHIFT-2:0] || q[0]);
                    end
                    wire [MS_CW-1:0] y = {{(MS_CW - MS_QW) {q[MS_QW-1]}}, q} + {{(MS_CW - 1) {1'b0}}, up};
                    /* verilator lint_off UNUSEDSIGNAL */
                    wire [MS_CW-1:0] yc =
                        ($signed(y) < $signed(MS_LO)) ? MS_LO : ($signed(y) > $signed(MS_HI)) ? MS_HI : y;
                    /* verilator lint_on UNUSEDSIGNAL */
                    always @(posedge clk) out_q[p*OUT_BITS +: OUT_BITS] <= yc[OUT_BITS-1:0];
                end
            end
        end else if (N_THRESH == 0) begin : g_no_thresh
            assign out_next = done_q;
            for (p = 0; p < PE; p = p + 1) begin : g_out
                wire [ACC_BITS-1:0] a = acc[p*ACC_BITS +: ACC_BITS];
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
            assign out_next = done_q;
            localparam integer CB = (ACC_BITS + 1 > T_BITS) ? ACC_BITS + 1 : T_BITS;
            localparam integer CNT_BITS = $clog2(N_THRESH + 1);
            localparam [OUT_BITS-1:0] OUT_MIN_B = OUT_MIN[OUT_BITS-1:0];

            // The threshold word of the row group at the tree root, read as it accumulates.
            wire [TW-1:0] thr;
            if (MEM_STYLE != STYLE_BLOCK && MEM_STYLE != STYLE_DISTRIBUTED && NF == 1)
            begin : g_tmem_const
                (* ram_style = "registers" *) reg [TW-1:0] trom[0:0];
                initial $readmemh(THRESH_FILE, trom);
                assign thr = trom[0];
            end else begin : g_tmem
                // nf of the steps in stages 1 .. CP - KPR (block: read a stage earlier, then
                // its output register)
                reg [(CP-KPR)*NFB-1:0] nf_p;
                always @(posedge clk) nf_p <= {nf_p[(CP-KPR-1)*NFB-1:0], nf};
                wire [NFB-1:0] taddr = nf_p[(CP-KPR-1)*NFB +: NFB];
                if (MEM_STYLE == STYLE_BLOCK) begin : g_block
                    (* ram_style = "block", rom_style = "block" *) reg [TW-1:0] tmem[0:NF-1];
                    reg [TW-1:0] thr_q;
                    reg [TW-1:0] thr_r;
                    initial $readmemh(THRESH_FILE, tmem);
                    always @(posedge clk) begin
                        thr_q <= tmem[taddr];
                        thr_r <= thr_q;
                    end
                    assign thr = thr_r;
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
                wire [ACC_BITS-1:0] a = acc[p*ACC_BITS +: ACC_BITS];
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
