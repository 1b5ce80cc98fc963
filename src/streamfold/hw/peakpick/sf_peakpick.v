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
// kept ones are appended to the frame's record list. A frame takes L/P input steps and E
// flush steps (zeros, masked by the sample index), so L/P + E cycles; the last decision
// moves the list to the output register. s_axis_tready and the m_axis_* signals come from
// registers only, so any valid/ready pattern is tolerated. Parameters are set by
// streamfold.hw.peakpick.rtl.
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
    localparam integer NB = bits_for(MAXP + 1);
    localparam integer LAST_I = STEPS - 1;
    localparam [TB-1:0] LAST = LAST_I[TB-1:0];
    localparam [TB-1:0] T_W = W[TB-1:0];
    localparam [TB-1:0] T_E = E[TB-1:0];
    localparam [CB-1:0] C_P = P[CB-1:0];
    localparam [NB-1:0] N_MAX = MAXP[NB-1:0];
    localparam signed [XB-1:0] TH = THRESH[XB-1:0];

    reg [NW*BITS-1:0] win;
    reg [TB-1:0] t;          // the next step of the frame
    reg [CB-1:0] cbase;      // first sample of the centre word
    reg dec, dec_last;       // the centre word is undecided; it is the frame's last
    reg [MAXP*RB-1:0] recs, out_data;
    reg [NB-1:0] cnt;
    reg out_valid;

    wire in_phase = (t < T_W);
    assign s_axis_tready = rst_n && in_phase;
    wire flush = !in_phase && (t != LAST || !out_valid);
    wire step = rst_n && ((in_phase && s_axis_tvalid) || flush);
    wire [P*BITS-1:0] in_word = in_phase ? s_axis_tdata : {(P * BITS) {1'b0}};
    assign m_axis_tdata = out_data;
    assign m_axis_tvalid = out_valid;

    // ---------------------------------------------------------------- candidates
    wire [NW*XB-1:0] sv;  // the window's scores, signed
    wire [NW-1:0] cand;
    genvar k, p, d;
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
            // sample index cbase + k - EP must lie in 1 .. L-2
            localparam integer LO = 1 + EP - k;
            localparam integer HI = L - 2 + EP - k;
            wire signed [31:0] base = {{(32 - CB) {1'b0}}, cbase};
            wire in_frame = (base >= LO) && (base <= HI);
            wire signed [XB-1:0] l = sv[(k-1)*XB +: XB];
            wire signed [XB-1:0] m = sv[k*XB +: XB];
            wire signed [XB-1:0] r = sv[(k+1)*XB +: XB];
            assign cand[k] = in_frame && (l < m) && (m >= r) && (m >= TH);
        end
    endgenerate

    // ---------------------------------------------------------------- the centre word
    wire [P-1:0] keep;
    wire [P*RB-1:0] recw;
    generate
        for (p = 0; p < P; p = p + 1) begin : g_lane
            localparam integer K = EP + p;
            localparam [OB-1:0] LANE = p[OB-1:0];
            wire [2*D-1:0] sup;  // suppressed by a stronger candidate on the left / right
            assign sup[1:0] = 2'b00;
            for (d = 1; d < D; d = d + 1) begin : g_near
                assign sup[2*d] = cand[K-d] && ($signed(sv[(K-d)*XB +: XB]) >= $signed(
                    sv[K*XB +: XB]));
                assign sup[2*d+1] = cand[K+d] && ($signed(sv[(K+d)*XB +: XB]) > $signed(
                    sv[K*XB +: XB]));
            end
            assign keep[p] = cand[K] && !(|sup);
            wire signed [AB-1:0] l = {{(AB - XB) {sv[(K-1)*XB+XB-1]}}, sv[(K-1)*XB +: XB]};
            wire signed [AB-1:0] m = {{(AB - XB) {sv[K*XB+XB-1]}}, sv[K*XB +: XB]};
            wire signed [AB-1:0] r = {{(AB - XB) {sv[(K+1)*XB+XB-1]}}, sv[(K+1)*XB +: XB]};
            wire signed [AB-1:0] num = r - l;
            wire signed [AB-1:0] den = ((m <<< 1) - l - r) <<< 1;
            wire [OB-1:0] pos = {{(OB - CB) {1'b0}}, cbase} + LANE;
            assign recw[p*RB +: RB] = {den, num, m, pos};
        end
    endgenerate

    // ---------------------------------------------------------------- append to the list
    reg [MAXP*RB-1:0] nrecs;
    reg [NB-1:0] ncnt;
    integer q;
    always @* begin
        nrecs = recs;
        ncnt = cnt;
        for (q = 0; q < P; q = q + 1) begin
            if (keep[q] && ncnt < N_MAX) begin
                nrecs[ncnt*RB +: RB] = recw[q*RB +: RB];
                ncnt = ncnt + 1'b1;
            end
        end
    end

    always @(posedge clk) begin
        if (step) begin
            win <= {in_word, win[NW*BITS-1:P*BITS]};
            if (t == T_E) cbase <= {CB{1'b0}};
            else if (t > T_E) cbase <= cbase + C_P;
        end
        if (!rst_n) begin
            t <= {TB{1'b0}};
            dec <= 1'b0;
            dec_last <= 1'b0;
            cnt <= {NB{1'b0}};
            recs <= {(MAXP * RB) {1'b0}};
            out_valid <= 1'b0;
        end else begin
            dec <= step && (t >= T_E);
            if (step) begin
                t <= (t == LAST) ? {TB{1'b0}} : t + 1'b1;
                dec_last <= (t == LAST);
            end
            if (out_valid && m_axis_tready) out_valid <= 1'b0;
            if (dec && dec_last) begin
                out_data <= nrecs;
                out_valid <= 1'b1;
                recs <= {(MAXP * RB) {1'b0}};
                cnt <= {NB{1'b0}};
            end else if (dec) begin
                recs <= nrecs;
                cnt <= ncnt;
            end
        end
    end
endmodule

`default_nettype wire
