// Multi-layer offload engine: runs the layer descriptors of a streamfold.mo memory image one
// after another (layout: streamfold/mo/compiler.py, meaning: streamfold/mo/model.py).
// Memory: AXI4 read and write masters, 64-bit data, INCR bursts of at most 256 beats that never
// cross a 4 KiB boundary; read bursts are issued back to back (several outstanding), any
// latency and rate is tolerated (rready and bready are always 1).
// Per layer: descriptor -> parameters -> input map into on-chip RAM -> compute -> output map
// written back. Activation maps are channel-blocked (blocks of B = max(SIMD, PE) channels,
// each block pixel-major), so a fold is one group of SIMD channels of one window position (one
// aligned row of the input map) and output chunks (PE channels of one pixel, or SIMD channels
// for pools) are appended in order. Every on-chip memory is a set of 64-bit-wide RAMs written
// one bus word at a time and read with a registered read (block RAM); products, adder tree,
// accumulators and the output stage are pipelined registers. Address generation by counters.
module sf_mo_engine #(
    parameter integer SIMD = 4,  // powers of two
    parameter integer PE = 4,
    parameter integer ABITS = 8,  // input element container, bits (power of two <= 16)
    parameter integer WBITS = 8,  // weight container (power of two <= 8)
    parameter integer OBITS = 32,  // output element container (power of two <= 32)
    parameter integer IN_DEPTH = 64,  // input map words of max(64, SIMD * ABITS) bits
    parameter integer W_DEPTH = 64,  // one weight bank: words of max(64, PE * SIMD * WBITS) bits
    parameter integer OUT_DEPTH = 64,  // output map words of max(64, max(SIMD, PE) * OBITS) bits
    parameter integer P_DEPTH = 16,  // parameter rows per lane
    parameter integer LP = 2,  // 32-bit parameters per row (power of two >= 2)
    parameter integer MAX_LEVELS = 1,  // threshold comparators per lane (<= LP)
    parameter integer MULSHIFT = 1  // 1: the multiply-shift output stage is built
) (
    input wire clk,
    input wire rst_n,
    input wire start,
    input wire [31:0] base,
    output wire busy,
    output reg done,
    output reg layer_done,
    output reg m_axi_arvalid,
    input wire m_axi_arready,
    output reg [31:0] m_axi_araddr,
    output reg [7:0] m_axi_arlen,
    output wire [2:0] m_axi_arsize,
    output wire [1:0] m_axi_arburst,
    input wire m_axi_rvalid,
    output wire m_axi_rready,
    input wire [63:0] m_axi_rdata,
    /* verilator lint_off UNUSEDSIGNAL */
    input wire m_axi_rlast,  // beats are counted
    /* verilator lint_on UNUSEDSIGNAL */
    output reg m_axi_awvalid,
    input wire m_axi_awready,
    output reg [31:0] m_axi_awaddr,
    output reg [7:0] m_axi_awlen,
    output wire [2:0] m_axi_awsize,
    output wire [1:0] m_axi_awburst,
    output wire m_axi_wvalid,
    input wire m_axi_wready,
    output wire [63:0] m_axi_wdata,
    output wire [7:0] m_axi_wstrb,
    output wire m_axi_wlast,
    input wire m_axi_bvalid,
    output wire m_axi_bready
);
  localparam integer B = SIMD > PE ? SIMD : PE;  // channel block; output-stage lanes
  localparam integer LG_S = $clog2(SIMD), LG_P = $clog2(PE), LG_B = $clog2(B);
  localparam integer IW = SIMD * ABITS > 64 ? SIMD * ABITS : 64;  // input RAM word
  localparam integer NIS = IW / 64, LG_IW = $clog2(IW), LG_NIS = $clog2(NIS);
  localparam integer RW = PE * SIMD * WBITS;  // one weight row (a fold for PE outputs)
  localparam integer WW = RW > 64 ? RW : 64;
  localparam integer NWS = WW / 64, LG_WW = $clog2(WW), LG_RW = $clog2(RW), LG_NWS = $clog2(NWS);
  localparam integer OW = B * OBITS > 64 ? B * OBITS : 64;  // output RAM word
  localparam integer NOS = OW / 64, LG_NOS = $clog2(NOS);
  localparam integer NPS = LP / 2, LG_NPS = $clog2(NPS);
  localparam integer XW = ABITS + 1, WV = WBITS + 1;  // signed lane widths
  localparam integer TW = XW + WV + LG_S;  // adder tree width
  localparam integer ACC = 32;
  localparam [3:0] S_IDLE = 0, S_HEAD = 1, S_DESC = 2, S_PARAM = 3, S_IN = 4, S_W0 = 5,
                   S_MVTU = 6, S_WAITW = 7, S_POOL = 8, S_DRAIN = 9, S_OUT = 10, S_NEXT = 11,
                   S_DONE = 12, S_BWAIT = 13;
  localparam [1:0] T_DESC = 0, T_PARAM = 1, T_IN = 2, T_W = 3;
  localparam integer DRAIN = 8 + LG_S;  // cycles from the last issue to the last output write
  assign m_axi_rready = 1'b1;
  assign m_axi_bready = 1'b1;
  assign m_axi_arsize = 3'd3;  // 8 bytes
  assign m_axi_awsize = 3'd3;
  assign m_axi_arburst = 2'd1;  // INCR
  assign m_axi_awburst = 2'd1;
  assign m_axi_wstrb = 8'hFF;

  reg [3:0] state;
  assign busy = state != S_IDLE;
  reg [31:0] image;  // `base`, latched at start
  reg [1023:0] desc;
  reg [31:0] n_layers, layer;

  // descriptor fields (streamfold/mo/layer.py); not every bit of every field is used
  /* verilator lint_off UNUSEDSIGNAL */
  function automatic [31:0] field(input integer i);
    field = desc[32*i+:32];
  endfunction
  wire [31:0] kind = field(0), in_addr = field(1), out_addr = field(2), w_addr = field(3);
  wire [31:0] w_tile_bytes = field(4), p_addr = field(5);
  wire [31:0] in_c = field(6), in_h = field(7), in_w = field(8);
  wire [31:0] out_c = field(9), out_h = field(10), out_w = field(11);
  wire [31:0] k_h = field(12), k_w = field(13), s_h = field(14), s_w = field(15);
  wire [31:0] pad_top = field(16), pad_left = field(17);
  wire signed [31:0] pad_value = field(18);
  wire [31:0] in_type = field(19), w_type = field(20), out_type = field(21);
  wire [31:0] act = field(22), p_rows = field(23);
  wire [31:0] p_levels = field(24), in_words = field(25), out_words = field(26);
  wire [31:0] p_words = field(27), folds = field(28), blk_rows = field(29);
  wire signed [31:0] pix0 = field(30);  // row of input pixel (-pad_top, -pad_left)
  wire signed [31:0] row_step = field(31);  // s_h * in_w

  function automatic [2:0] store_log(input [31:0] t);  // log2 of the container width
    begin
      if (t[7:0] <= 1) store_log = 0;
      else if (t[7:0] <= 2) store_log = 1;
      else if (t[7:0] <= 4) store_log = 2;
      else if (t[7:0] <= 8) store_log = 3;
      else if (t[7:0] <= 16) store_log = 4;
      else store_log = 5;
    end
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */
  wire [2:0] lg_in = store_log(in_type), lg_out = store_log(out_type);

  // ---------------- read DMA ----------------
  reg [1:0] target;
  reg [31:0] beat;
  reg [31:0] beats_left;
  reg bank_fill;  // weight bank being filled
  reg dma_busy;
  reg [31:0] ar_left, ar_next;  // words still to request, and the next one's word address
  wire rd_req_valid = m_axi_arvalid || ar_left != 0;  // requests not yet all accepted
  wire dma_idle = !dma_busy && !rd_req_valid;
  // the longest burst from word address a with n words left: 256 beats, within 4 KiB
  function automatic [31:0] burst(input [31:0] a, input [31:0] n);
    reg [31:0] room;
    begin
      room = 32'd512 - (a & 32'd511);
      burst = n < 256 ? n : 256;
      if (room < burst) burst = room;
    end
  endfunction
  task automatic start_read(input [31:0] addr, input [31:0] len, input [1:0] tgt);
    begin
      ar_left <= len;
      ar_next <= addr;
      beats_left <= len;
      beat <= 0;
      target <= tgt;
      dma_busy <= 1'b1;
    end
  endtask
  wire beat_in = dma_busy && m_axi_rvalid;
  wire is_mvtu = kind == 0;
  // parameter rows go to lane (row mod n), row (row / n); n = PE (MVTU) or SIMD (pools)
  wire [31:0] p_row = beat >> LG_NPS;
  wire [31:0] p_lane = is_mvtu ? (p_row & (PE - 1)) : (p_row & (SIMD - 1));
  wire [31:0] p_at = is_mvtu ? (p_row >> LG_P) : (p_row >> LG_S);

  // ---------------- on-chip memories (64-bit RAMs, registered reads) ----------------
  reg [31:0] in_raddr, w_raddr, p_raddr, o_raddr;
  wire [IW-1:0] in_rd;
  wire [WW-1:0] w_rd;
  genvar gj, gl;
  generate
    for (gj = 0; gj < NIS; gj = gj + 1) begin : g_in
      sf_mo_ram #(.DEPTH(IN_DEPTH)) u_ram (
          .clk(clk),
          .we(beat_in && target == T_IN && (beat & (NIS - 1)) == gj),
          .waddr(beat >> LG_NIS),
          .wdata(m_axi_rdata),
          .raddr(in_raddr),
          .rdata(in_rd[gj*64+:64])
      );
    end
    for (gj = 0; gj < NWS; gj = gj + 1) begin : g_w
      sf_mo_ram #(.DEPTH(2 * W_DEPTH)) u_ram (
          .clk(clk),
          .we(beat_in && target == T_W && (beat & (NWS - 1)) == gj),
          .waddr((bank_fill ? W_DEPTH : 0) + (beat >> LG_NWS)),
          .wdata(m_axi_rdata),
          .raddr(w_raddr),
          .rdata(w_rd[gj*64+:64])
      );
    end
  endgenerate

  // ---------------- compute: issue counters ----------------
  reg [31:0] tile, tiles, oy, ox, ky, kx, g, jg, u, wrow, prow;
  reg signed [31:0] by, bx, pixbase, rowstart, kyoff, kboff, cleft, oleft;
  reg [31:0] wnext;  // the next weight tile's address
  reg bank;  // weight bank computed from
  reg issue;  // a fold is issued this cycle (combinational, from the state)
  wire signed [31:0] iy = by + $signed(ky), ix = bx + $signed(kx);
  wire inb = iy >= 0 && ix >= 0 && iy < $signed(in_h) && ix < $signed(in_w);
  wire [31:0] row = 32'(kboff + ((pixbase + kyoff + $signed(kx)) <<< (LG_B - LG_S))) + jg;
  wire [31:0] bitoff = row << (LG_S + 32'(lg_in));
  wire last_g = is_mvtu ? g + 1 == (in_c + SIMD - 1) >> LG_S : 1'b1;
  wire last_k = kx + 1 == k_w && ky + 1 == k_h;
  wire last_fold = last_g && last_k;
  wire first_fold = g == 0 && kx == 0 && ky == 0 || !is_mvtu && kx == 0 && ky == 0;
  wire last_pixel = ox + 1 == out_w && oy + 1 == out_h;
  wire last_sub = u + 1 == B / PE;
  wire last_jg = jg + 1 == B / SIMD;

  // stage 1 (RAM data out): tags
  reg s1_v, s1_first, s1_last, s1_inb;
  reg signed [31:0] s1_cleft, s1_oleft;
  reg [31:0] s1_off, s1_wsel, s1_prow;
  always @(posedge clk) begin
    s1_v <= issue;
    s1_first <= first_fold;
    s1_last <= last_fold;
    s1_inb <= inb;
    s1_cleft <= cleft;
    s1_oleft <= oleft;
    s1_off <= bitoff & (IW - 1);
    s1_wsel <= (wrow << LG_RW) & (WW - 1);
    s1_prow <= prow;
  end
  always @* begin
    in_raddr = inb ? bitoff >> LG_IW : 0;
    w_raddr = (bank ? W_DEPTH : 0) + ((wrow << LG_RW) >> LG_WW);
  end

  // stage 1 -> 2: input lanes (row select, unpack, channel mask, padding) and weight lanes
  wire [IW-1:0] in_row = in_rd >> s1_off;
  wire [WW-1:0] w_row = w_rd >> s1_wsel;
  reg [SIMD*XW-1:0] x_lanes;
  reg [PE*SIMD*WV-1:0] w_lanes;
  integer s, q;
  reg [15:0] code;
  reg signed [XW-1:0] xv;
  reg [7:0] wc;
  reg signed [WV-1:0] wv;
  always @* begin
    for (s = 0; s < SIMD; s = s + 1) begin
      case (lg_in)
        3'd0: code = 16'(in_row[s]);
        3'd1: code = 16'(in_row[(2*s)%IW+:2]);
        3'd2: code = 16'(in_row[(4*s)%IW+:4]);
        3'd3: code = 16'(in_row[(8*s)%IW+:8]);
        default: code = 16'(in_row[(16*s)%IW+:16]);
      endcase
      if (in_type[10]) xv = code[0] ? 1 : -1;  // bipolar
      else if (in_type[8] && code[(1<<lg_in)-1]) xv = XW'($signed(32'(code) - (32'd1 << (1 << lg_in))));
      else xv = XW'(code);
      if ($signed(s) >= s1_cleft) xv = 0;  // beyond the channels: padding lanes of the last group
      else if (!s1_inb) xv = XW'(pad_value);
      x_lanes[s*XW+:XW] = xv;
    end
    for (q = 0; q < PE * SIMD; q = q + 1) begin
      wc = 8'(w_row[q*WBITS+:WBITS]);
      if (w_type[10]) wv = wc[0] ? 1 : -1;
      else if (w_type[8] && wc[WBITS-1]) wv = WV'($signed(32'(wc) - (32'd1 << WBITS)));
      else wv = WV'(wc);
      w_lanes[q*WV+:WV] = wv;
    end
  end
  reg s2_v, s2_first, s2_last;
  reg signed [31:0] s2_oleft;
  reg [31:0] s2_prow;
  reg [SIMD*XW-1:0] s2_x;
  reg [PE*SIMD*WV-1:0] s2_w;
  always @(posedge clk) begin
    s2_v <= s1_v;
    s2_first <= s1_first;
    s2_last <= s1_last;
    s2_oleft <= s1_oleft;
    s2_prow <= s1_prow;
    s2_x <= x_lanes;
    s2_w <= w_lanes;
  end

  // stage 2 -> 3 + LG_S: products and a registered adder tree per PE (one level per cycle)
  wire [PE*TW-1:0] sums;
  genvar gq, gn;
  generate
    for (gq = 0; gq < PE; gq = gq + 1) begin : g_pe
      reg signed [TW-1:0] tree[0:2*SIMD-2];  // node n's children are 2n+1, 2n+2
      for (gn = 0; gn < SIMD; gn = gn + 1) begin : g_leaf
        wire signed [TW-1:0] xa = TW'($signed(s2_x[gn*XW+:XW]));
        wire signed [TW-1:0] wa = TW'($signed(s2_w[(gq*SIMD+gn)*WV+:WV]));
        always @(posedge clk) tree[SIMD-1+gn] <= xa * wa;
      end
      for (gn = 0; gn < SIMD - 1; gn = gn + 1) begin : g_node
        always @(posedge clk) tree[gn] <= tree[2*gn+1] + tree[2*gn+2];
      end
      assign sums[gq*TW+:TW] = tree[0];
    end
  endgenerate
  localparam integer TREE = 1 + LG_S;  // stage 2 -> the tree's root
  reg [TREE-1:0] t_v, t_first, t_last;
  reg signed [31:0] t_oleft[0:TREE-1];
  reg [31:0] t_prow[0:TREE-1];
  integer k;
  always @(posedge clk) begin
    t_v[0] <= s2_v && is_mvtu;
    t_first[0] <= s2_first;
    t_last[0] <= s2_last;
    t_oleft[0] <= s2_oleft;
    t_prow[0] <= s2_prow;
    for (k = 1; k < TREE; k = k + 1) begin
      t_v[k] <= t_v[k-1];
      t_first[k] <= t_first[k-1];
      t_last[k] <= t_last[k-1];
      t_oleft[k] <= t_oleft[k-1];
      t_prow[k] <= t_prow[k-1];
    end
  end

  // accumulators (MVTU) and pool lanes; a finished chunk goes to the output stage (f_*)
  reg signed [ACC-1:0] acc[0:PE-1];
  reg signed [ACC-1:0] pool[0:SIMD-1];
  reg signed [ACC-1:0] fin[0:B-1];
  reg f_v;
  reg signed [31:0] f_oleft;
  integer j, jn;
  reg signed [ACC-1:0] sum_n[0:PE-1];  // the accumulators and pool lanes after this cycle
  reg signed [ACC-1:0] pool_n[0:SIMD-1];
  reg signed [ACC-1:0] px;
  always @* begin
    for (jn = 0; jn < PE; jn = jn + 1)
      sum_n[jn] = ACC'($signed(sums[jn*TW+:TW])) + (t_first[TREE-1] ? 0 : acc[jn]);
    for (jn = 0; jn < SIMD; jn = jn + 1) begin
      px = ACC'($signed(s2_x[jn*XW+:XW]));
      if (s2_first) pool_n[jn] = px;
      else if (kind == 1) pool_n[jn] = px > pool[jn] ? px : pool[jn];
      else pool_n[jn] = pool[jn] + px;
    end
  end
  always @(posedge clk) begin
    f_v <= 1'b0;
    if (t_v[TREE-1]) begin
      for (j = 0; j < PE; j = j + 1) begin
        acc[j] <= sum_n[j];
        fin[j] <= sum_n[j];
      end
      f_v <= t_last[TREE-1];
      f_oleft <= t_oleft[TREE-1];
    end
    if (s2_v && !is_mvtu) begin
      for (j = 0; j < SIMD; j = j + 1) begin
        pool[j] <= pool_n[j];
        fin[j] <= pool_n[j];
      end
      f_v <= s2_last;
      f_oleft <= s2_oleft;
    end
  end
  always @* p_raddr = is_mvtu ? t_prow[TREE-1] : s2_prow;

  // ---------------- output stage: per lane, parameters, thresholds / multiply-shift -------
  /* verilator lint_off UNUSEDSIGNAL */  // type codes: bits, signed, narrow, bipolar
  function automatic signed [63:0] out_min(input [31:0] t);
    if (t[8]) out_min = -(64'sd1 <<< (t[7:0] - 1)) + 64'(t[9]);
    else out_min = 0;
  endfunction
  function automatic signed [63:0] out_max(input [31:0] t);
    if (t[8]) out_max = (64'sd1 <<< (t[7:0] - 1)) - 1;
    else out_max = (64'sd1 <<< t[7:0]) - 1;
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */
  wire [31:0] n_chunk = is_mvtu ? PE : SIMD;
  reg g_v, h_v;
  reg signed [31:0] g_oleft;
  wire [B*OBITS-1:0] y_lanes;
  generate
    for (gj = 0; gj < B; gj = gj + 1) begin : g_lane
      wire [LP*32-1:0] prm;
      for (gl = 0; gl < NPS; gl = gl + 1) begin : g_p
        sf_mo_ram #(.DEPTH(P_DEPTH)) u_ram (
            .clk(clk),
            .we(beat_in && target == T_PARAM && p_lane == gj && (beat & (NPS - 1)) == gl),
            .waddr(p_at),
            .wdata(m_axi_rdata),
            .raddr(p_raddr),
            .rdata(prm[gl*64+:64])
        );
      end
      // stage g: threshold count, or the product of multiply-shift
      reg signed [ACC-1:0] a;
      reg [31:0] cnt;
      reg signed [63:0] g_y, g_prod, g_bias;
      reg [31:0] g_sh;
      integer lv;
      always @* begin
        a = fin[gj];
        cnt = 0;
        for (lv = 0; lv < MAX_LEVELS; lv = lv + 1)
          if (lv < p_levels && a >= $signed(prm[32*lv+:32])) cnt = cnt + 1;
      end
      always @(posedge clk) begin
        if (act == 1) g_y <= out_type[10] ? 64'(cnt) : out_min(out_type) + 64'(cnt);
        else if (out_type[10]) g_y <= a > 0 ? 64'sd1 : 64'sd0;
        else g_y <= 64'(a);
        g_prod <= MULSHIFT != 0 ? 64'(a) * 64'($signed(prm[31:0])) : 64'sd0;
        g_bias <= 64'($signed(prm[63:32]));
        g_sh <= prm[32*(2%LP)+:32];
      end
      // stage h: rounding shift and clamp; channels beyond the layer's give 0
      reg signed [63:0] y, lo, hi;
      reg [OBITS-1:0] h_y;
      always @* begin
        y = g_prod + g_bias;
        lo = out_min(out_type);
        hi = out_max(out_type);
        if (out_type[10]) y = (y >= 0) ? 64'sd1 : 64'sd0;
        else begin
          if (g_sh > 0) y = (y + (64'sd1 <<< (g_sh - 1)) - 1 + ((y >>> g_sh) & 64'sd1)) >>> g_sh;
          if (y < lo) y = lo;
          if (y > hi) y = hi;
        end
        if (act != 2 || MULSHIFT == 0) y = g_y;
      end
      always @(posedge clk)
        h_y <= (gj < n_chunk && $signed(gj) < g_oleft) ? OBITS'(y) : {OBITS{1'b0}};
      assign y_lanes[gj*OBITS+:OBITS] = h_y;
    end
  endgenerate
  always @(posedge clk) begin
    g_v <= f_v;
    g_oleft <= f_oleft;
    h_v <= g_v;
  end

  // pack the chunk at the output width (lanes beyond the chunk are 0)
  reg [OW-1:0] chunk;
  integer e;
  always @* begin
    chunk = 0;
    for (e = 0; e < B; e = e + 1)
      case (lg_out)
        3'd0: chunk[e] = y_lanes[e*OBITS];
        3'd1: if (OBITS >= 2) chunk[(2*e)%OW+:2] = y_lanes[e*OBITS+:2];
        3'd2: if (OBITS >= 4) chunk[(4*e)%OW+:4] = y_lanes[e*OBITS+:4];
        3'd3: if (OBITS >= 8) chunk[(8*e)%OW+:8] = y_lanes[e*OBITS+:8];
        3'd4: if (OBITS >= 16) chunk[(16*e)%OW+:16] = y_lanes[e*OBITS+:16];
        default: if (OBITS >= 32) chunk[(32*e)%OW+:32] = y_lanes[e*OBITS+:32];
      endcase
  end

  // append the chunk (K = n * b bits) to the output RAM: whole 64-bit words from a chunk of
  // >= 64 bits, else gathered in obuf until a word is full (or the layer ends: flush)
  reg [31:0] optr;  // bits written so far this layer
  reg [63:0] obuf;
  reg flush;
  wire [31:0] lg_k = (is_mvtu ? LG_P : LG_S) + 32'(lg_out);
  wire [31:0] w0 = optr >> 6;
  wire [63:0] obuf_next = h_v ? obuf | (chunk[63:0] << optr[5:0]) : obuf;
  wire word_full = lg_k >= 6 || 32'(optr[5:0]) + (32'd1 << lg_k) == 64;
  wire [OW-1:0] o_wdata;
  wire [OW-1:0] o_rd_all;
  wire [NOS-1:0] o_we;
  generate
    for (gj = 0; gj < NOS; gj = gj + 1) begin : g_out
      wire [31:0] rel = 32'(gj) - (w0 & (NOS - 1));
      assign o_we[gj] = lg_k >= 6 ? h_v && rel < (32'd1 << (lg_k - 6)) :
                        (h_v && word_full || flush) && rel == 0;
      assign o_wdata[gj*64+:64] = lg_k >= 6 ? chunk[(rel*64)%OW+:64] : obuf_next;
      sf_mo_ram #(.DEPTH(OUT_DEPTH)) u_ram (
          .clk(clk),
          .we(o_we[gj]),
          .waddr(w0 >> LG_NOS),
          .wdata(o_wdata[gj*64+:64]),
          .raddr(o_raddr >> LG_NOS),
          .rdata(o_rd_all[gj*64+:64])
      );
    end
  endgenerate

  // ---------------- write-back: output RAM -> 2-word FIFO -> AXI W ----------------
  reg [31:0] out_i, w_left, b_out, o_next;  // words sent, beats left in burst, bursts open
  reg [63:0] fifo[0:1];
  reg [1:0] f_count;
  reg f_head, f_tail, o_pending;
  /* verilator lint_off UNUSEDSIGNAL */
  reg [31:0] o_sel;  // the word a pending read is for (its RAM: low bits, none if one)
  /* verilator lint_on UNUSEDSIGNAL */
  wire aw_issue = state == S_OUT && w_left == 0 && !m_axi_awvalid && out_i < out_words;
  assign m_axi_wvalid = state == S_OUT && w_left != 0 && f_count != 0;
  assign m_axi_wdata = fifo[f_head];
  assign m_axi_wlast = w_left == 1;
  wire w_fire = m_axi_wvalid && m_axi_wready;
  wire o_issue = state == S_OUT && o_next < out_words &&
                 32'(f_count) + 32'(o_pending) - 32'(w_fire) < 2;
  always @* o_raddr = o_next;

  // The next output pixel (S_MVTU and S_POOL): along the row, then to the next row; after
  // the last pixel back to the first, in the next tile (or channel block).
  task automatic next_pixel();
    begin
      ox <= ox + 1;
      bx <= bx + $signed(s_w);
      pixbase <= pixbase + $signed(s_w);
      if (ox + 1 == out_w) begin
        ox <= 0;
        bx <= -$signed(pad_left);
        oy <= oy + 1;
        by <= by + $signed(s_h);
        pixbase <= rowstart + row_step;
        rowstart <= rowstart + row_step;
      end
      if (last_pixel) begin
        oy <= 0;
        by <= -$signed(pad_top);
        pixbase <= pix0;
        rowstart <= pix0;
        tile <= tile + 1;
      end
    end
  endtask

  always @(posedge clk) begin
    layer_done <= 1'b0;
    flush <= 1'b0;
    if (!rst_n) begin
      state <= S_IDLE;
      done <= 1'b0;
      m_axi_arvalid <= 1'b0;
      m_axi_awvalid <= 1'b0;
      ar_left <= 0;
      w_left <= 0;
      b_out <= 0;
      dma_busy <= 1'b0;
      f_count <= 0;
      o_pending <= 1'b0;
    end else begin
      // read DMA: request handshake, then every beat into its target
      if (m_axi_arvalid && m_axi_arready) m_axi_arvalid <= 1'b0;
      if ((!m_axi_arvalid || m_axi_arready) && ar_left != 0) begin
        m_axi_arvalid <= 1'b1;
        m_axi_araddr <= image + (ar_next << 3);
        m_axi_arlen <= 8'(burst(ar_next, ar_left) - 1);
        ar_next <= ar_next + burst(ar_next, ar_left);
        ar_left <= ar_left - burst(ar_next, ar_left);
      end
      if (beat_in) begin
        if (target == T_DESC) desc[64*beat[3:0]+:64] <= m_axi_rdata;
        beat <= beat + 1;
        beats_left <= beats_left - 1;
        if (beats_left == 1) dma_busy <= 1'b0;
      end
      // output RAM writes (the chunk pipeline's end)
      if (h_v) begin
        optr <= optr + (32'd1 << lg_k);
        obuf <= word_full ? 64'd0 : obuf_next;
      end
      // write-back: RAM reads into the FIFO, bursts: an address, then its beats
      o_pending <= o_issue;
      if (o_issue) begin
        o_next <= o_next + 1;
        o_sel <= o_next;
      end
      if (o_pending) fifo[f_tail] <= o_rd_all[64*(o_sel&(NOS-1))+:64];
      if (o_pending) f_tail <= ~f_tail;
      if (w_fire) f_head <= ~f_head;
      f_count <= f_count + 2'(o_pending) - 2'(w_fire);
      if (m_axi_awvalid && m_axi_awready) m_axi_awvalid <= 1'b0;
      if (w_fire) begin
        out_i <= out_i + 1;
        w_left <= w_left - 1;
      end
      b_out <= b_out + (aw_issue ? 1 : 0) - (m_axi_bvalid ? 1 : 0);
      if (aw_issue) begin
        m_axi_awvalid <= 1'b1;
        m_axi_awaddr <= image + (((out_addr >> 3) + out_i) << 3);
        m_axi_awlen <= 8'(burst((out_addr >> 3) + out_i, out_words - out_i) - 1);
        w_left <= burst((out_addr >> 3) + out_i, out_words - out_i);
      end
      case (state)
        S_IDLE:
          if (start) begin
            done <= 1'b0;
            image <= base;
            layer <= 0;
            start_read(0, 2, T_DESC);  // header: count, input, output (words 0-3)
            state <= S_HEAD;
          end
        S_HEAD:
          if (dma_idle) begin
            n_layers <= field(0);
            if (field(0) == 0) state <= S_DONE;
            else begin
              start_read(32'd2 + (layer << 4), 16, T_DESC);
              state <= S_DESC;
            end
          end
        S_DESC:
          if (dma_idle) begin
            if (p_words != 0) start_read(p_addr >> 3, p_words, T_PARAM);
            state <= S_PARAM;
          end
        S_PARAM:
          if (dma_idle) begin
            start_read(in_addr >> 3, in_words, T_IN);
            state <= S_IN;
          end
        S_IN:
          if (dma_idle) begin
            oy <= 0; ox <= 0; ky <= 0; kx <= 0; g <= 0; jg <= 0; u <= 0; wrow <= 0;
            by <= -$signed(pad_top);
            bx <= -$signed(pad_left);
            pixbase <= pix0;
            rowstart <= pix0;
            kyoff <= 0; kboff <= 0;
            cleft <= $signed(in_c);
            oleft <= $signed(out_c);
            prow <= 0;
            optr <= 0; obuf <= 0;
            tile <= 0;
            if (is_mvtu) begin
              tiles <= (out_c + B - 1) >> LG_B;
              bank <= 1'b0;
              bank_fill <= 1'b0;
              start_read(w_addr >> 3, w_tile_bytes >> 3, T_W);
              wnext <= w_addr + w_tile_bytes;
              state <= S_W0;
            end else begin
              tiles <= (in_c + B - 1) >> LG_B;  // channel blocks
              state <= S_POOL;
            end
          end
        S_W0:
          if (dma_idle) begin
            if (tiles > 1) begin  // prefetch tile 1 into bank 1 while tile 0 computes
              bank_fill <= 1'b1;
              start_read(wnext >> 3, w_tile_bytes >> 3, T_W);
              wnext <= wnext + w_tile_bytes;
            end
            state <= S_MVTU;
          end
        S_MVTU: begin  // order: tile, pixel, sub-tile, (ky, kx, channel group)
          wrow <= wrow + 1;
          g <= g + 1; jg <= jg + 1; cleft <= cleft - SIMD;
          if (last_jg) begin jg <= 0; kboff <= kboff + $signed(blk_rows); end
          if (last_g) begin
            g <= 0; jg <= 0; kboff <= 0; cleft <= $signed(in_c);
            kx <= kx + 1;
            if (kx + 1 == k_w) begin
              kx <= 0;
              ky <= ky + 1;
              kyoff <= kyoff + $signed(in_w);
            end
            if (last_k) begin
              ky <= 0; kyoff <= 0;
              u <= u + 1;
              prow <= prow + 1;
              oleft <= oleft - PE;
              if (last_sub) begin
                u <= 0; wrow <= 0;
                prow <= tile * (B / PE);
                oleft <= $signed(out_c) - $signed(tile * B);
                next_pixel();
                if (last_pixel) begin
                  prow <= (tile + 1) * (B / PE);
                  oleft <= $signed(out_c) - $signed((tile + 1) * B);
                  if (tile + 1 == tiles) state <= S_DRAIN;
                  else state <= S_WAITW;
                end
              end
            end
          end
        end
        S_WAITW:
          if (dma_idle) begin  // tile `tile` is in bank !bank
            bank <= ~bank;
            if (tile + 1 < tiles) begin
              bank_fill <= bank;
              start_read(wnext >> 3, w_tile_bytes >> 3, T_W);
              wnext <= wnext + w_tile_bytes;
            end
            state <= S_MVTU;
          end
        S_POOL: begin  // order: channel block, pixel, group in the block, (ky, kx)
          kx <= kx + 1;
          if (kx + 1 == k_w) begin
            kx <= 0;
            ky <= ky + 1;
            kyoff <= kyoff + $signed(in_w);
          end
          if (last_k) begin
            ky <= 0; kyoff <= 0;
            jg <= jg + 1;
            cleft <= cleft - SIMD;
            oleft <= oleft - SIMD;
            prow <= prow + 1;
            if (last_jg) begin
              jg <= 0;
              cleft <= $signed(in_c) - $signed(tile * B);
              oleft <= $signed(out_c) - $signed(tile * B);
              prow <= tile * (B / SIMD);
              next_pixel();
              if (last_pixel) begin
                kboff <= kboff + $signed(blk_rows);
                cleft <= $signed(in_c) - $signed((tile + 1) * B);
                oleft <= $signed(out_c) - $signed((tile + 1) * B);
                prow <= (tile + 1) * (B / SIMD);
                if (tile + 1 == tiles) state <= S_DRAIN;
              end
            end
          end
        end
        S_DRAIN: begin  // the pipeline empties into the output RAM; then the last part word
          tile <= tile + 1;
          if (tile == tiles + DRAIN) flush <= optr[5:0] != 0;
          if (tile == tiles + DRAIN + 1) begin
            out_i <= 0;
            o_next <= 0;
            state <= S_OUT;
          end
        end
        S_OUT: if (out_i == out_words && w_left == 0) state <= S_BWAIT;
        S_BWAIT: if (b_out == 0 && !m_axi_awvalid) state <= S_NEXT;
        S_NEXT: begin
          layer_done <= 1'b1;
          layer <= layer + 1;
          if (layer + 1 == n_layers) state <= S_DONE;
          else begin
            start_read(32'd2 + ((layer + 1) << 4), 16, T_DESC);
            state <= S_DESC;
          end
        end
        S_DONE: begin
          done <= 1'b1;
          state <= S_IDLE;
        end
        default: state <= S_IDLE;
      endcase
    end
  end
  always @* issue = state == S_MVTU || state == S_POOL;
endmodule

