// sf_peakpick: peak picking on a stream of 1-D profiles (streamfold.hw.peakpick).
//
// Streams (streamfold.hw.block: element i of a word at bits [i*BITS +: BITS]):
//   Input: L samples per frame, P per word (sample w*P + i in element i of word w); BITS
//     each, two's complement when SIGNED.
//   Output: one word per frame of MAXP records of four OB-bit two's complement elements,
//     record j in elements 4j .. 4j+3: position, score, num, den. The kept peaks fill the
//     records in ascending position (the first MAXP); the others are all zero.
//
// Rule: sample i (1 <= i <= L-2) is a candidate if s[i-1] < s[i] >= s[i+1] and s[i] >= THRESH;
// a candidate is kept unless a candidate j with 0 < |i-j| < D is stronger (s[j] > s[i], or
// s[j] == s[i] and j < i). num = s[i+1] - s[i-1] and den = 2 (2 s[i] - s[i-1] - s[i+1]): the
// vertex of the parabola through the three scores is at i + num / den.
//
// A window of 2E+1 words (E = ceil(D / P)) shifts by one word per step; after each step the
// centre word's P samples are decided at once (each sees D samples on either side) and the
// kept ones are appended to the frame's record list, through five registered stages with
// short logic (no chain over the lanes):
//   1. from the window: each lane's keep bit (candidate compares, suppression), the word's
//      scores with one neighbour on each side, its first sample;
//   2. kept peaks are at least D apart (and candidates 2), so each group of
//      G = min(max(D, 2), P) lanes holds at most one: its lane by a one-hot AND-OR select;
//      per group the number of groups before it holding one, a saturating (at
//      S = min(groups, MAXP)) prefix count in a log-depth tree (thermometer codes);
//   3. the word's kept lanes into S local slots (slot i: the group holding one with i
//      before it, a one-hot AND-OR select); the list's count (cnt3, saturating at MAXP)
//      gives each slot its list slot (slot i goes to list slot cnt3 + i);
//   4. the local slots' records (num, den, position);
//   5. the append (list slot j takes its local slot, one-hot); the frame's last decision
//      moves the list to the output register and clears it.
// A frame takes L/P input steps and E flush steps (zeros, masked by the sample index); its
// last step waits until the output register is free and no other frame's last decision is
// in the stages, so the output register is free when that decision arrives. Cycles per
// frame max(L/P + E, 7), latency L/P + E + 5 (streamfold.hw.peakpick.cost). s_axis_tready
// and the m_axis_* signals come from registers only, so any valid/ready pattern is
// tolerated. Parameters are set by streamfold.hw.peakpick.rtl.
`default_nettype none

module sf_peakpick #(
    parameter integer BITS = 8,      // bits of a score
    parameter integer SIGNED = 0,    // scores are two's complement
    parameter integer L = 16,        // samples per frame
    parameter integer P = 1,         // samples per word; divides L
    parameter integer D = 2,         // min_distance >= 1
    parameter integer THRESH = 0,    // threshold, within [min, max + 1] of the scores
    parameter integer MAXP = 2,      // records per frame
    parameter integer OB = 11        // bits of a record element (> BITS + 2)
) (
    input wire clk,
    input wire rst_n,
    input wire [P*BITS-1:0] s_axis_tdata,
    input wire s_axis_tvalid,
    output wire s_axis_tready,
    output wire [MAXP*4*OB-1:0] m_axis_tdata,
    output wire m_axis_tvalid,
    input wire m_axis_tready
);
    function integer bits_for(input integer n);  // a counter over 0 .. n-1
        bits_for = (n > 1) ? $clog2(n) : 1;
    endfunction
    localparam integer W = L / P;            // input words per frame
    localparam integer E = (D + P - 1) / P;  // words of context on either side
    localparam integer EP = E * P;
    localparam integer NW = (2 * E + 1) * P;  // samples in the window
    localparam integer XB = BITS + 2;        // a score (or THRESH) as a signed number
    localparam integer AB = OB;              // record arithmetic (modulo 2**OB: every field fits)
    localparam integer RB = 4 * OB;          // a record
    localparam integer STEPS = W + E;
    localparam integer TB = bits_for(STEPS);
    localparam integer CB = bits_for(L);
    // Kept peaks are at least D apart (two closer ones: one suppresses the other) and
    // candidates at least 2, so each group of G consecutive lanes holds at most one.
    localparam integer G0 = (D > 2) ? D : 2;
    localparam integer G = (G0 < P) ? G0 : P;  // lanes per group
    localparam integer NG = (P + G - 1) / G;   // groups per word
    localparam integer S = (NG < MAXP) ? NG : MAXP;  // local slots: records one word can add
    localparam integer LG = (NG > 1) ? $clog2(NG) : 0;  // levels of the prefix count
    localparam integer QB = bits_for(P);     // a lane
    localparam integer DB = 3 * BITS + QB;   // a lane's scores s[i-1], s[i], s[i+1] and lane
    localparam integer LAST_I = STEPS - 1;
    localparam [TB-1:0] LAST = LAST_I[TB-1:0];
    localparam [TB-1:0] T_W = W[TB-1:0];
    localparam [TB-1:0] T_E = E[TB-1:0];
    localparam [CB-1:0] C_P = P[CB-1:0];
    localparam signed [XB-1:0] TH = THRESH[XB-1:0];

    reg [NW*BITS-1:0] win;
    reg [TB-1:0] t;          // the next step of the frame
    reg [CB-1:0] cbase;      // first sample of the centre word
    reg dec, dec_last;       // the centre word is undecided; it is the frame's last
    reg [MAXP*RB-1:0] recs, out_data;
    reg out_valid;
    // stage registers: valid, frame's last, first sample of the word
    reg v1, v2, v3, v4, l1, l2, l3, l4;
    reg [CB-1:0] b1, b2, b3;
    reg [P-1:0] k1;                      // keep bits
    reg [(P+2)*BITS-1:0] sc1;            // the word's scores and one neighbour on each side
    reg [NG-1:0] k2;                     // a group holds a kept lane
    reg [NG*DB-1:0] gd2;                 // its lane's data
    reg [NG*S-1:0] pre2;                 // per group: groups before it with one (thermometer)
    reg [S-1:0] n2;                      // the word's kept lanes (thermometer, <= S)
    reg [S*DB-1:0] loc3;                 // the local slots (stage 3)
    reg [MAXP-1:0] cnt3;                 // records in the list before stage 3's word
    reg [MAXP*S-1:0] take3, take4;       // list slot j takes local slot i at [j*S + i]
    reg [S*RB-1:0] rec4;                 // the local slots' records (stage 4)

    wire in_phase = (t < T_W);
    assign s_axis_tready = rst_n && in_phase;
    // the frame's last step waits until the output register is free and no other frame's
    // last decision is in the pipeline, so the output register is free when it arrives
    wire last_busy = out_valid || (dec && dec_last) || (v1 && l1) || (v2 && l2) || (v3 && l3)
        || (v4 && l4);
    wire flush = !in_phase && (t != LAST || !last_busy);
    wire step = rst_n && ((in_phase && s_axis_tvalid) || flush);
    wire [P*BITS-1:0] in_word = in_phase ? s_axis_tdata : {(P * BITS) {1'b0}};
    assign m_axis_tdata = out_data;
    assign m_axis_tvalid = out_valid;

    // ------------------------------------------- stage 1 (window -> k1): candidates, keep
    wire [NW*XB-1:0] sv;  // the window's scores, signed
    wire [NW-1:0] cand;
    genvar k, p, d, i, b;
    generate
        for (k = 0; k < NW; k = k + 1) begin : g_slot
            wire [BITS-1:0] raw = win[k*BITS +: BITS];
            if (SIGNED != 0) begin : g_s
                assign sv[k*XB +: XB] = {{2{raw[BITS-1]}}, raw};
            end else begin : g_u
                assign sv[k*XB +: XB] = {2'b00, raw};
            end
        end
        assign cand[0] = 1'b0;
        assign cand[NW-1] = 1'b0;
        for (k = 1; k < NW - 1; k = k + 1) begin : g_cand
            // sample index cbase + k - EP must lie in 1 .. L-2 (cbase is in 0 .. L-P)
            localparam integer LO = 1 + EP - k;
            localparam integer HI = L - 2 + EP - k;
            wire lo_ok, hi_ok;
            if (LO <= 0) begin : g_lo1
                assign lo_ok = 1'b1;
            end else if (LO > L - P) begin : g_lo0
                assign lo_ok = 1'b0;
            end else begin : g_lo
                assign lo_ok = (cbase >= LO[CB-1:0]);
            end
            if (HI >= L - P) begin : g_hi1
                assign hi_ok = 1'b1;
            end else if (HI < 0) begin : g_hi0
                assign hi_ok = 1'b0;
            end else begin : g_hi
                assign hi_ok = (cbase <= HI[CB-1:0]);
            end
            wire signed [XB-1:0] l = sv[(k-1)*XB +: XB];
            wire signed [XB-1:0] m = sv[k*XB +: XB];
            wire signed [XB-1:0] r = sv[(k+1)*XB +: XB];
            assign cand[k] = lo_ok && hi_ok && (l < m) && (m >= r) && (m >= TH);
        end
    endgenerate

    wire [P-1:0] keep;
    generate
        for (p = 0; p < P; p = p + 1) begin : g_lane
            localparam integer K = EP + p;
            wire [2*D-1:0] sup;  // suppressed by a stronger candidate on the left / right
            assign sup[1:0] = 2'b00;
            for (d = 1; d < D; d = d + 1) begin : g_near
                assign sup[2*d] = cand[K-d] && ($signed(sv[(K-d)*XB +: XB]) >= $signed(
                    sv[K*XB +: XB]));
                assign sup[2*d+1] = cand[K+d] && ($signed(sv[(K+d)*XB +: XB]) > $signed(
                    sv[K*XB +: XB]));
            end
            assign keep[p] = cand[K] && !(|sup);
        end
    endgenerate

    // ------------------------- stage 2 (k1, sc1 -> k2, gd2, pre2, n2): groups, prefix count
    // Each group's kept lane (one-hot AND-OR over G lanes) with its data {lane, s[i+1], s[i],
    // s[i-1]}; a saturating count (0 .. S) of the groups with one before each group, as
    // thermometer codes (bit j-1: count >= j) added in a Sklansky prefix tree of LG levels:
    // pf level v, group g at [(v*NG + g)*S +: S].
    function [S-1:0] sat_add(input [S-1:0] x, input [S-1:0] y);
        integer u, z;
        begin
            sat_add = x | y;
            for (u = 1; u < S; u = u + 1)
                for (z = 1; u + z <= S; z = z + 1)
                    if (x[u-1] && y[z-1]) sat_add[u+z-1] = 1'b1;
        end
    endfunction
    wire [P*DB-1:0] ldata;
    wire [NG-1:0] gk;
    wire [NG*DB-1:0] gd;
    wire [(LG+1)*NG*S-1:0] pf;
    generate
        for (p = 0; p < P; p = p + 1) begin : g_ldata
            localparam [QB-1:0] LANE = p[QB-1:0];
            assign ldata[p*DB +: DB] = {LANE, sc1[p*BITS +: 3*BITS]};
        end
        for (k = 0; k < NG; k = k + 1) begin : g_grp
            localparam integer N = (P - k * G < G) ? P - k * G : G;  // lanes in the group
            assign gk[k] = |k1[k*G +: N];
            for (b = 0; b < DB; b = b + 1) begin : g_bit
                wire [N-1:0] col;
                for (p = 0; p < N; p = p + 1) begin : g_col
                    assign col[p] = k1[k*G+p] && ldata[(k*G+p)*DB+b];
                end
                assign gd[k*DB+b] = |col;
            end
            if (S > 1) begin : g_wide
                assign pf[k*S +: S] = {{(S - 1) {1'b0}}, gk[k]};
            end else begin : g_one
                assign pf[k*S +: S] = gk[k];
            end
        end
        for (k = 1; k <= LG; k = k + 1) begin : g_pf
            for (p = 0; p < NG; p = p + 1) begin : g_q
                localparam integer H = 1 << (k - 1);  // blocks of H groups join in pairs
                localparam integer SRC = (p / H) * H - 1;  // the last group of the left half
                if ((p / H) % 2 == 1) begin : g_add
                    assign pf[(k*NG+p)*S +: S] = sat_add(pf[((k-1)*NG+p)*S +: S],
                                                         pf[((k-1)*NG+SRC)*S +: S]);
                end else begin : g_pass
                    assign pf[(k*NG+p)*S +: S] = pf[((k-1)*NG+p)*S +: S];
                end
            end
        end
    endgenerate
    wire [NG*S-1:0] pre;  // exclusive: groups 0 .. g-1
    generate
        if (NG > 1) begin : g_pre
            assign pre = {pf[LG*NG*S +: (NG-1)*S], {S{1'b0}}};
        end else begin : g_pre1
            assign pre = {S{1'b0}};
        end
    endgenerate

    // ---------------------------- stage 3 (k2, gd2, pre2 -> loc3, n3): compact into S slots
    // slot i takes the group g with k2[g] and pre2[g] == i (at most one): an AND-OR select
    wire [S*DB-1:0] loc;
    generate
        for (i = 0; i < S; i = i + 1) begin : g_loc
            wire [NG-1:0] sel;
            for (p = 0; p < NG; p = p + 1) begin : g_sel
                wire ge = (i == 0) ? 1'b1 : pre2[p*S+(i == 0 ? 0 : i-1)];
                assign sel[p] = k2[p] && ge && !pre2[p*S+i];
            end
            for (b = 0; b < DB; b = b + 1) begin : g_bit
                wire [NG-1:0] col;
                for (p = 0; p < NG; p = p + 1) begin : g_col
                    assign col[p] = sel[p] && gd2[p*DB+b];
                end
                assign loc[i*DB+b] = |col;
            end
        end
    endgenerate
    // The list's count (thermometer, saturating at MAXP) runs at stage 3: each word's slots
    // are given their list slots here, one cycle before the append (constant indices).
    function [MAXP-1:0] cnt_add(input [MAXP-1:0] x, input [S-1:0] y);
        integer u, z;
        begin
            cnt_add = x;
            for (z = 1; z <= S; z = z + 1)
                if (y[z-1]) cnt_add[z-1] = 1'b1;
            for (u = 1; u < MAXP; u = u + 1)
                for (z = 1; z <= S && u + z <= MAXP; z = z + 1)
                    if (x[u-1] && y[z-1]) cnt_add[u+z-1] = 1'b1;
        end
    endfunction
    wire [MAXP-1:0] cnt_is;  // cnt3 == v
    wire [MAXP*S-1:0] take;
    generate
        for (k = 0; k < MAXP; k = k + 1) begin : g_cnt
            if (k == 0) begin : g_0
                assign cnt_is[k] = !cnt3[0];
            end else begin : g_k
                assign cnt_is[k] = cnt3[k-1] && !cnt3[k];
            end
            for (i = 0; i < S; i = i + 1) begin : g_take  // slot i + cnt3, if i < the count
                if (i <= k) begin : g_can
                    assign take[k*S+i] = cnt_is[k-i] && n2[i];
                end else begin : g_none
                    assign take[k*S+i] = 1'b0;
                end
            end
        end
    endgenerate

    // ------------------------------------ stage 4 (loc3 -> rec4): the records' arithmetic
    wire [S*RB-1:0] lrec;
    generate
        for (i = 0; i < S; i = i + 1) begin : g_rec
            wire [DB-1:0] x = loc3[i*DB +: DB];
            wire [BITS-1:0] rl = x[0 +: BITS];
            wire [BITS-1:0] rm = x[BITS +: BITS];
            wire [BITS-1:0] rr = x[2*BITS +: BITS];
            wire [QB-1:0] lane = x[3*BITS +: QB];
            wire [AB-BITS-1:0] el, em, er;  // sign (or zero) extension
            if (SIGNED != 0) begin : g_s
                assign el = {(AB - BITS) {rl[BITS-1]}};
                assign em = {(AB - BITS) {rm[BITS-1]}};
                assign er = {(AB - BITS) {rr[BITS-1]}};
            end else begin : g_u
                assign el = {(AB - BITS) {1'b0}};
                assign em = {(AB - BITS) {1'b0}};
                assign er = {(AB - BITS) {1'b0}};
            end
            wire signed [AB-1:0] l = {el, rl};
            wire signed [AB-1:0] m = {em, rm};
            wire signed [AB-1:0] r = {er, rr};
            wire signed [AB-1:0] num = r - l;
            wire signed [AB-1:0] den = ((m <<< 1) - l - r) <<< 1;
            wire [OB-1:0] pos = {{(OB - CB) {1'b0}}, b3} + {{(OB - QB) {1'b0}}, lane};
            assign lrec[i*RB +: RB] = {den, num, m, pos};
        end
    endgenerate

    // ------------------------ stage 5 (rec4, take4 -> recs): append, the frame's list out
    reg [MAXP*RB-1:0] nrecs;
    integer jj, ii;
    always @* begin
        nrecs = recs;
        for (jj = 0; jj < MAXP; jj = jj + 1)
            for (ii = 0; ii < S; ii = ii + 1)
                if (take4[jj*S+ii]) nrecs[jj*RB +: RB] = rec4[ii*RB +: RB];
    end

    always @(posedge clk) begin
        if (step) begin
            win <= {in_word, win[NW*BITS-1:P*BITS]};
            if (t == T_E) cbase <= {CB{1'b0}};
            else if (t > T_E) cbase <= cbase + C_P;
        end
        k1 <= keep;
        sc1 <= win[(EP-1)*BITS +: (P+2)*BITS];
        b1 <= cbase;
        k2 <= gk;
        gd2 <= gd;
        b2 <= b1;
        pre2 <= pre;
        n2 <= pf[(LG*NG+NG-1)*S +: S];
        loc3 <= loc;
        take3 <= take;
        b3 <= b2;
        rec4 <= lrec;
        take4 <= take3;
        if (!rst_n) begin
            t <= {TB{1'b0}};
            dec <= 1'b0;
            dec_last <= 1'b0;
            {v1, v2, v3, v4, l1, l2, l3, l4} <= 8'b0;
            cnt3 <= {MAXP{1'b0}};
            recs <= {(MAXP * RB) {1'b0}};
            out_valid <= 1'b0;
        end else begin
            dec <= step && (t >= T_E);
            if (step) begin
                t <= (t == LAST) ? {TB{1'b0}} : t + 1'b1;
                dec_last <= (t == LAST);
            end
            {v1, l1} <= {dec, dec && dec_last};
            {v2, l2} <= {v1, l1};
            {v3, l3} <= {v2, l2};
            {v4, l4} <= {v3, l3};
            if (v2) cnt3 <= l2 ? {MAXP{1'b0}} : cnt_add(cnt3, n2);
            if (out_valid && m_axis_tready) out_valid <= 1'b0;
            if (v4 && l4) begin
                out_data <= nrecs;
                out_valid <= 1'b1;
                recs <= {(MAXP * RB) {1'b0}};
            end else if (v4) begin
                recs <= nrecs;
            end
        end
    end
endmodule

`default_nettype wire
