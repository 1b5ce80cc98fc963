// Multi-layer offload engine: runs the layer descriptors of a streamfold.mo memory image one
// after another (layout: streamfold/mo/compiler.py, meaning: streamfold/mo/model.py).
// Memory: AXI4 read and write masters, 64-bit data, INCR bursts of at most 256 beats that never
// cross a 4 KiB boundary; read bursts are issued back to back (several outstanding), any
// latency and rate is tolerated (rready and bready are always 1).
// Per layer: descriptor -> parameters -> input map into on-chip RAM -> compute (MVTU: one
// fold of SIMD window elements x PE outputs per cycle, the next weight tile prefetched into the
// other bank meanwhile; pools: SIMD channels of one window position per cycle) -> output map
// written back. Address generation by counters and multipliers only (no division).
module sf_mo_engine #(
    parameter integer SIMD = 4,
    parameter integer PE = 3,
    parameter integer IN_WORDS = 1024,  // on-chip input map (64-bit words)
    parameter integer OUT_WORDS = 1024,
    parameter integer W_WORDS = 256,  // one weight tile, per bank
    parameter integer P_ENTRIES = 1024,  // 32-bit thresholds / multiply-shift parameters
    parameter integer MAX_LEVELS = 255
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
    input wire m_axi_rlast,
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
  localparam [3:0] S_IDLE = 0, S_HEAD = 1, S_DESC = 2, S_PARAM = 3, S_IN = 4, S_W0 = 5,
                   S_MVTU = 6, S_WAITW = 7, S_POOL = 8, S_OUT = 9, S_NEXT = 10, S_DONE = 11,
                   S_BWAIT = 12;
  localparam [1:0] T_DESC = 0, T_PARAM = 1, T_IN = 2, T_W = 3;
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
  reg [31:0] desc [0:31];
  reg [63:0] in_ram [0:IN_WORDS-1];
  reg [63:0] out_ram [0:OUT_WORDS-1];
  reg [63:0] w_ram [0:2*W_WORDS-1];
  reg [31:0] p_ram [0:P_ENTRIES-1];
  reg [31:0] n_layers, layer;

  // descriptor fields (streamfold/mo/layer.py)
  wire [31:0] kind = desc[0], in_addr = desc[1], out_addr = desc[2], w_addr = desc[3];
  wire [31:0] w_tile_bytes = desc[4], p_addr = desc[5];
  wire [31:0] in_c = desc[6], in_h = desc[7], in_w = desc[8];
  wire [31:0] out_c = desc[9], out_h = desc[10], out_w = desc[11];
  wire [31:0] k_h = desc[12], k_w = desc[13], s_h = desc[14], s_w = desc[15];
  wire [31:0] pad_top = desc[16], pad_left = desc[17];
  wire signed [31:0] pad_value = desc[18];
  wire [31:0] in_type = desc[19], w_type = desc[20], out_type = desc[21];
  wire [31:0] act = desc[22], p_rows = desc[23], p_levels = desc[24];

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

  // element idx of a packed map: word idx >> (6 - lg), bit (idx mod per-word) << lg
  function automatic signed [31:0] element(input [63:0] word, input [31:0] idx, input [31:0] t);
    reg [2:0] lg;
    reg [63:0] v;
    reg [5:0] off;
    begin
      lg = store_log(t);
      off = 6'((idx & ((32'd64 >> lg) - 1)) << lg);
      v = (word >> off) & ((64'd1 << (64'd1 << lg)) - 1);
      if (t[10]) element = v[0] ? 32'sd1 : -32'sd1;  // bipolar
      else if (t[8] && v[(64'd1 << lg) - 1]) element = 32'(v) - 32'((64'd1 << (64'd1 << lg)));
      else element = 32'(v);
    end
  endfunction

  function automatic [31:0] word_of(input [31:0] idx, input [31:0] t);
    word_of = idx >> (6 - store_log(t));
  endfunction

  // ---------------- read DMA ----------------
  reg [1:0] target;
  reg [31:0] beats_left, beat;
  reg bank_fill;  // weight bank being filled
  reg dma_busy;
  reg [31:0] ar_left, ar_next;  // words still to request, and the next one's word address
  wire rd_req_valid = m_axi_arvalid || ar_left != 0;  // requests not yet all accepted
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
  wire [31:0] head_words = 32'd2;

  // ---------------- activation (output stage) ----------------
  function automatic signed [63:0] out_min(input [31:0] t);
    if (t[8]) out_min = -(64'sd1 <<< (t[7:0] - 1)) + 64'(t[9]);
    else out_min = 0;
  endfunction
  function automatic signed [63:0] out_max(input [31:0] t);
    if (t[8]) out_max = (64'sd1 <<< (t[7:0] - 1)) - 1;
    else out_max = (64'sd1 <<< t[7:0]) - 1;
  endfunction

  function automatic [31:0] activate(input signed [63:0] a, input [31:0] ch);
    reg [31:0] row, n, k;
    reg signed [63:0] y, m, b, lo, hi;
    reg [31:0] sh;
    begin
      row = (p_rows == 1) ? 0 : ch;
      y = a;
      if (act == 1) begin
        n = 0;
        for (k = 0; k < MAX_LEVELS; k = k + 1)
          if (k < p_levels && a >= 64'($signed(p_ram[row * p_levels + k]))) n = n + 1;
        y = out_type[10] ? 64'(n) : out_min(out_type) + 64'(n);
      end else if (act == 2) begin
        m = 64'($signed(p_ram[row * 3]));
        b = 64'($signed(p_ram[row * 3 + 1]));
        sh = p_ram[row * 3 + 2];
        y = a * m + b;
        if (out_type[10]) y = (y >= 0) ? 64'sd1 : 64'sd0;
        else begin
          if (sh > 0) y = (y + (64'sd1 <<< (sh - 1)) - 1 + ((y >>> sh) & 64'sd1)) >>> sh;
          lo = out_min(out_type);
          hi = out_max(out_type);
          if (y < lo) y = lo;
          if (y > hi) y = hi;
        end
      end else if (out_type[10]) y = (a > 0) ? 64'sd1 : 64'sd0;
      activate = 32'(y);  // the container truncates two's complement
    end
  endfunction

  // ---------------- compute counters ----------------
  reg [31:0] tile, tiles, oy, ox, fold, folds, ky, kx, grp, groups;
  reg signed [31:0] by, bx;  // top-left input position of the current output pixel
  reg [31:0] pix;  // output pixel index
  reg [31:0] lane_c0, lane_kx0, lane_ky0, wbase;  // window position of lane 0 this fold
  reg bank;  // weight bank computed from
  reg w_ready_next;  // next tile's weights are in the other bank
  reg signed [63:0] acc [0:PE-1];
  reg signed [63:0] pool [0:SIMD-1];

  // lane window positions this fold (a chain of counter increments)
  reg [31:0] lc [0:SIMD], lkx [0:SIMD], lky [0:SIMD];
  reg signed [31:0] xval [0:SIMD-1];
  reg signed [63:0] dot [0:PE-1];
  integer s, p;
  reg signed [31:0] yy, xx;
  reg [31:0] idx, widx;
  always @* begin
    lc[0] = lane_c0;
    lkx[0] = lane_kx0;
    lky[0] = lane_ky0;
    for (s = 0; s < SIMD; s = s + 1) begin
      lc[s+1] = lc[s] + 1;
      lkx[s+1] = lkx[s];
      lky[s+1] = lky[s];
      if (lc[s+1] == in_c) begin
        lc[s+1] = 0;
        lkx[s+1] = lkx[s] + 1;
        if (lkx[s+1] == k_w) begin
          lkx[s+1] = 0;
          lky[s+1] = lky[s] + 1;
        end
      end
      yy = by + $signed(lky[s]);
      xx = bx + $signed(lkx[s]);
      idx = (32'(yy) * in_w + 32'(xx)) * in_c + lc[s];
      if (lky[s] >= k_h) xval[s] = 0;  // beyond the window: padding lanes of the last fold
      else if (yy < 0 || xx < 0 || yy >= $signed(in_h) || xx >= $signed(in_w)) xval[s] = pad_value;
      else xval[s] = element(in_ram[word_of(idx, in_type)], idx, in_type);
    end
    for (p = 0; p < PE; p = p + 1) begin
      dot[p] = 0;
      for (s = 0; s < SIMD; s = s + 1) begin
        widx = wbase + 32'(p * SIMD + s);
        dot[p] = dot[p] + 64'(xval[s]) * 64'(element(
            w_ram[32'(bank) * W_WORDS + word_of(widx, w_type)], widx, w_type));
      end
    end
  end

  // pool lanes: channel grp * SIMD + s at input (by + ky, bx + kx)
  reg signed [31:0] pval [0:SIMD-1];
  reg [31:0] pidx;
  always @* begin
    for (s = 0; s < SIMD; s = s + 1) begin
      pidx = (32'(by + $signed(ky)) * in_w + 32'(bx + $signed(kx))) * in_c + grp * SIMD + 32'(s);
      pval[s] = element(in_ram[word_of(pidx, in_type)], pidx, in_type);
    end
  end

  // output element writes: (value, element index) into out_ram, blocking so several land in
  // one word in one cycle
  task automatic put(input [31:0] value, input [31:0] oidx);
    reg [2:0] lg;
    reg [5:0] off;
    reg [63:0] mask;
    reg [31:0] w;
    begin
      lg = store_log(out_type);
      w = word_of(oidx, out_type);
      off = 6'((oidx & ((32'd64 >> lg) - 1)) << lg);
      mask = ((64'd1 << (64'd1 << lg)) - 1) << off;
      out_ram[w] = (out_ram[w] & ~mask) | ((64'(value) << off) & mask);
    end
  endtask

  wire last_fold = fold + 1 == folds;
  wire last_pixel = ox + 1 == out_w && oy + 1 == out_h;
  wire last_kernel = kx + 1 == k_w && ky + 1 == k_h;
  wire last_group = grp + 1 == groups;
  wire [31:0] in_words = (in_c * in_h * in_w + (32'd64 >> store_log(in_type)) - 1)
                         >> (6 - store_log(in_type));
  wire [31:0] out_words = (out_c * out_h * out_w + (32'd64 >> store_log(out_type)) - 1)
                          >> (6 - store_log(out_type));
  wire [31:0] p_words = (p_rows * p_levels + 1) >> 1;
  wire [31:0] tile_words = w_tile_bytes >> 3;
  reg [31:0] out_i, w_left, b_out;
  integer q;
  wire aw_issue = state == S_OUT && w_left == 0 && !m_axi_awvalid && out_i < out_words;
  assign m_axi_wvalid = state == S_OUT && w_left != 0;
  assign m_axi_wdata = out_ram[out_i];
  assign m_axi_wlast = w_left == 1;

  always @(posedge clk) begin
    layer_done <= 1'b0;
    if (!rst_n) begin
      state <= S_IDLE;
      done <= 1'b0;
      m_axi_arvalid <= 1'b0;
      m_axi_awvalid <= 1'b0;
      ar_left <= 0;
      w_left <= 0;
      b_out <= 0;
      dma_busy <= 1'b0;
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
      // write bursts: an address, then its beats; responses counted until all are back
      if (m_axi_awvalid && m_axi_awready) m_axi_awvalid <= 1'b0;
      if (m_axi_wvalid && m_axi_wready) begin
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
      if (dma_busy && m_axi_rvalid) begin
        case (target)
          T_DESC: begin
            desc[2*beat] <= m_axi_rdata[31:0];
            desc[2*beat+1] <= m_axi_rdata[63:32];
          end
          T_PARAM: begin
            p_ram[2*beat] <= m_axi_rdata[31:0];
            p_ram[2*beat+1] <= m_axi_rdata[63:32];
          end
          T_IN: in_ram[beat] <= m_axi_rdata;
          default: w_ram[32'(bank_fill) * W_WORDS + beat] <= m_axi_rdata;
        endcase
        beat <= beat + 1;
        beats_left <= beats_left - 1;
        if (beats_left == 1) dma_busy <= 1'b0;
      end
      case (state)
        S_IDLE:
          if (start) begin
            done <= 1'b0;
            image <= base;
            layer <= 0;
            start_read(0, head_words, T_DESC);  // header: count, input, output (words 0-3)
            state <= S_HEAD;
          end
        S_HEAD:
          if (!dma_busy && !rd_req_valid) begin
            n_layers <= desc[0];
            if (desc[0] == 0) state <= S_DONE;
            else begin
              start_read(32'd2 + layer * 16, 16, T_DESC);
              state <= S_DESC;
            end
          end
        S_DESC:
          if (!dma_busy && !rd_req_valid) begin
            if (p_rows * p_levels != 0) start_read(p_addr >> 3, p_words, T_PARAM);
            state <= S_PARAM;
          end
        S_PARAM:
          if (!dma_busy && !rd_req_valid) begin
            start_read(in_addr >> 3, in_words, T_IN);
            state <= S_IN;
          end
        S_IN:
          if (!dma_busy && !rd_req_valid) begin
            oy <= 0; ox <= 0; pix <= 0; ky <= 0; kx <= 0; grp <= 0;
            by <= -$signed(pad_top);
            bx <= -$signed(pad_left);
            groups <= (in_c + SIMD - 1) / SIMD;  // constant divisor: SIMD is a parameter
            if (kind == 0) begin
              tile <= 0;
              tiles <= (out_c + PE - 1) / PE;
              folds <= (k_h * k_w * in_c + SIMD - 1) / SIMD;
              fold <= 0; lane_c0 <= 0; lane_kx0 <= 0; lane_ky0 <= 0; wbase <= 0;
              bank <= 1'b0;
              bank_fill <= 1'b0;
              start_read(w_addr >> 3, tile_words, T_W);
              state <= S_W0;
            end else state <= S_POOL;
          end
        S_W0:
          if (!dma_busy && !rd_req_valid) begin
            w_ready_next <= 1'b0;
            if (tiles > 1) begin  // prefetch tile 1 into bank 1 while tile 0 computes
              bank_fill <= 1'b1;
              start_read((w_addr + w_tile_bytes) >> 3, tile_words, T_W);
            end
            state <= S_MVTU;
          end
        S_MVTU: begin
          for (q = 0; q < PE; q = q + 1) acc[q] <= (fold == 0 ? 0 : acc[q]) + dot[q];
          wbase <= wbase + PE * SIMD;
          lane_c0 <= lc[SIMD];
          lane_kx0 <= lkx[SIMD];
          lane_ky0 <= lky[SIMD];
          fold <= fold + 1;
          if (last_fold) begin
            for (q = 0; q < PE; q = q + 1)
              if (tile * PE + q < out_c)
                put(activate((fold == 0 ? 0 : acc[q]) + dot[q], tile * PE + q),
                    pix * out_c + tile * PE + q);
            fold <= 0; lane_c0 <= 0; lane_kx0 <= 0; lane_ky0 <= 0; wbase <= 0;
            pix <= pix + 1;
            ox <= ox + 1;
            bx <= bx + $signed(s_w);
            if (ox + 1 == out_w) begin
              ox <= 0;
              bx <= -$signed(pad_left);
              oy <= oy + 1;
              by <= by + $signed(s_h);
            end
            if (last_pixel) begin
              oy <= 0; pix <= 0;
              by <= -$signed(pad_top);
              tile <= tile + 1;
              if (tile + 1 == tiles) begin
                out_i <= 0;
                state <= S_OUT;
              end else state <= S_WAITW;
            end
          end
        end
        S_WAITW:
          if (!dma_busy && !rd_req_valid) begin  // tile `tile` is in bank !bank
            bank <= ~bank;
            if (tile + 1 < tiles) begin
              bank_fill <= bank;
              start_read((w_addr + (tile + 1) * w_tile_bytes) >> 3, tile_words, T_W);
            end
            state <= S_MVTU;
          end
        S_POOL: begin
          for (q = 0; q < SIMD; q = q + 1)
            if (kind == 1) pool[q] <= (ky == 0 && kx == 0 || pval[q] > pool[q]) ? 64'(pval[q]) : pool[q];
            else pool[q] <= (ky == 0 && kx == 0 ? 0 : pool[q]) + 64'(pval[q]);
          kx <= kx + 1;
          if (kx + 1 == k_w) begin
            kx <= 0;
            ky <= ky + 1;
          end
          if (last_kernel) begin
            ky <= 0;
            for (q = 0; q < SIMD; q = q + 1)
              if (grp * SIMD + q < out_c)
                put(activate(kind == 1 ? ((pval[q] > pool[q] || (ky == 0 && kx == 0)) ? 64'(pval[q]) : pool[q])
                                       : (ky == 0 && kx == 0 ? 0 : pool[q]) + 64'(pval[q]),
                             grp * SIMD + q), pix * out_c + grp * SIMD + q);
            grp <= grp + 1;
            if (last_group) begin
              grp <= 0;
              pix <= pix + 1;
              ox <= ox + 1;
              bx <= bx + $signed(s_w);
              if (ox + 1 == out_w) begin
                ox <= 0;
                bx <= 0;
                oy <= oy + 1;
                by <= by + $signed(s_h);
              end
              if (last_pixel) begin
                out_i <= 0;
                state <= S_OUT;
              end
            end
          end
        end
        S_OUT: if (out_i == out_words && w_left == 0) state <= S_BWAIT;
        S_BWAIT: if (b_out == 0 && !m_axi_awvalid) state <= S_NEXT;
        S_NEXT: begin
          layer_done <= 1'b1;
          layer <= layer + 1;
          if (layer + 1 == n_layers) state <= S_DONE;
          else begin
            start_read(32'd2 + (layer + 1) * 16, 16, T_DESC);
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
endmodule
