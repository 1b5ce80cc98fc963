// sf_iodma_wr: the DMA's write half. On `start` it writes the next FRAMES frames of its
// WORD_BYTES-byte input stream to `dst_addr` over an AXI4 master write channel.
//
// Memory layout as sf_iodma_rd's: frame k at dst_addr + k * STRIDE (FRAME_BYTES rounded up to
// whole bus words); the last bus word of a frame is written with WSTRB covering the frame's
// bytes only. Bursts as the read side's (INCR, at most MAX_BURST beats, no 4 KiB crossing, at
// most MAX_OUTSTANDING without a response); the data of a burst follows its address. The W side
// recomputes each burst's length from its own copy of the address, so no length queue is needed.
// The burst lengths come from sf_iodma_burst. WDATA is masked to the bytes WSTRB covers, so it stays stable while WVALID waits for WREADY.
module sf_iodma_wr #(
    parameter integer ADDR_W = 32,
    parameter integer BUS_BYTES = 4,
    parameter integer WORD_BYTES = 1,
    parameter integer FRAME_BYTES = 1,
    parameter integer MAX_BURST = 16,
    parameter integer MAX_OUTSTANDING = 4
) (
    input  wire                    clk,
    input  wire                    rst_n,
    input  wire                    start,
    input  wire [ADDR_W-1:0]       dst_addr,
    input  wire [31:0]             frames,
    output wire                    busy,
    input  wire [WORD_BYTES*8-1:0] s_axis_tdata,
    input  wire                    s_axis_tvalid,
    output wire                    s_axis_tready,
    output wire [ADDR_W-1:0]       m_axi_awaddr,
    output wire [7:0]              m_axi_awlen,
    output wire [2:0]              m_axi_awsize,
    output wire [1:0]              m_axi_awburst,
    output wire                    m_axi_awvalid,
    input  wire                    m_axi_awready,
    output wire [BUS_BYTES*8-1:0]  m_axi_wdata,
    output wire [BUS_BYTES-1:0]    m_axi_wstrb,
    output wire                    m_axi_wlast,
    output wire                    m_axi_wvalid,
    input  wire                    m_axi_wready,
    // verilator lint_off UNUSEDSIGNAL
    input  wire [1:0]              m_axi_bresp,
    // verilator lint_on UNUSEDSIGNAL
    input  wire                    m_axi_bvalid,
    output wire                    m_axi_bready
);
    localparam integer BUS_W = BUS_BYTES * 8;
    localparam integer CAP = WORD_BYTES + BUS_BYTES;
    localparam integer CAP_W = CAP * 8;
    localparam integer CNT_W = $clog2(CAP + 1);
    localparam integer BPF = (FRAME_BYTES + BUS_BYTES - 1) / BUS_BYTES;
    localparam integer LAST_BYTES = FRAME_BYTES - (BPF - 1) * BUS_BYTES;
    localparam integer BEAT_W = 48;
    localparam integer IDX_W = $clog2(BPF + 1);
    localparam integer OUT_W = $clog2(MAX_OUTSTANDING + 1);
    localparam integer SHIFT = $clog2(BUS_BYTES);
    localparam [31:0] BPF_32 = BPF;
    localparam [31:0] LASTB_32 = LAST_BYTES;
    localparam [31:0] BUSB_32 = BUS_BYTES;
    localparam [31:0] WORDB_32 = WORD_BYTES;
    localparam [31:0] OUTS_32 = MAX_OUTSTANDING;
    localparam [BEAT_W-1:0] BPF_B = {16'd0, BPF_32};
    localparam [IDX_W-1:0] LAST_BEAT = BPF_32[IDX_W-1:0] - 1'b1;
    localparam [CNT_W-1:0] LAST_N = LASTB_32[CNT_W-1:0];
    localparam [CNT_W-1:0] BUS_N = BUSB_32[CNT_W-1:0];
    localparam [CNT_W-1:0] WORD_N = WORDB_32[CNT_W-1:0];
    localparam [OUT_W-1:0] OUTS_MAX = OUTS_32[OUT_W-1:0];

    reg [ADDR_W-1:0] aw_addr;
    reg [BEAT_W-1:0] aw_left;      // beats not yet addressed
    reg [ADDR_W-1:0] w_addr;       // the W side's copy, for burst lengths
    reg [BEAT_W-1:0] w_left;       // beats in bursts not yet begun on W
    reg [12:0]       w_burst_left; // beats left of the burst W is in (0: between bursts)
    reg [OUT_W-1:0]  w_pending;    // addressed bursts W has not begun
    reg [OUT_W-1:0]  outstanding;  // addressed bursts without a response
    reg [IDX_W-1:0]  beat_idx;
    reg [CAP_W-1:0]  buffer;
    reg [CNT_W-1:0]  count;


    // address channel
    wire [12:0] aw_len, w_next_len;
    sf_iodma_burst #(.BUS_BYTES(BUS_BYTES), .MAX_BURST(MAX_BURST), .BEAT_W(BEAT_W)) u_aw_len (
        .offset(aw_addr[11:0]), .left(aw_left), .len(aw_len)
    );
    sf_iodma_burst #(.BUS_BYTES(BUS_BYTES), .MAX_BURST(MAX_BURST), .BEAT_W(BEAT_W)) u_w_len (
        .offset(w_addr[11:0]), .left(w_left), .len(w_next_len)
    );
    // verilator lint_off UNUSEDSIGNAL
    wire [12:0] aw_len_m1 = aw_len - 13'd1;  // at most 255: MAX_BURST <= 256
    // verilator lint_on UNUSEDSIGNAL
    assign m_axi_awaddr = aw_addr;
    assign m_axi_awlen = aw_len_m1[7:0];
    assign m_axi_awsize = SHIFT[2:0];
    assign m_axi_awburst = 2'b01;  // INCR
    assign m_axi_awvalid = (aw_left != {BEAT_W{1'b0}}) && (outstanding < OUTS_MAX);
    wire aw_fire = m_axi_awvalid && m_axi_awready;
    wire [ADDR_W-1:0] aw_bytes = {{(ADDR_W - 13){1'b0}}, aw_len} << SHIFT;

    // data channel out of the gearbox
    wire last_beat = beat_idx == LAST_BEAT;
    wire [CNT_W-1:0] need = last_beat ? LAST_N : BUS_N;
    wire [BUS_W-1:0] keep_mask = ~({BUS_W{1'b1}} << {need, 3'b000});
    wire [BUS_BYTES-1:0] strb = ~({BUS_BYTES{1'b1}} << need);
    wire in_burst = w_burst_left != 13'd0;
    wire [12:0] w_len = in_burst ? w_burst_left : w_next_len;
    assign m_axi_wvalid = (count >= need) && (in_burst || w_pending != {OUT_W{1'b0}});
    assign m_axi_wdata = buffer[BUS_W-1:0] & keep_mask;
    assign m_axi_wstrb = strb;
    assign m_axi_wlast = w_len == 13'd1;
    wire w_fire = m_axi_wvalid && m_axi_wready;
    wire [ADDR_W-1:0] w_bytes = {{(ADDR_W - 13){1'b0}}, w_len} << SHIFT;

    assign m_axi_bready = 1'b1;
    wire b_fire = m_axi_bvalid;

    // stream into the gearbox
    assign s_axis_tready = count <= BUS_N;
    wire push = s_axis_tvalid && s_axis_tready;
    wire [CNT_W-1:0] kept = w_fire ? count - need : count;
    wire [CAP_W-1:0] shifted = w_fire ? (buffer >> {need, 3'b000}) : buffer;
    wire [CAP_W-1:0] incoming = {{(CAP_W - WORD_BYTES * 8){1'b0}}, s_axis_tdata} << {kept, 3'b000};

    assign busy = (aw_left != {BEAT_W{1'b0}}) || (w_left != {BEAT_W{1'b0}}) || in_burst
        || (outstanding != {OUT_W{1'b0}});

    always @(posedge clk) begin
        if (!rst_n) begin
            aw_addr <= {ADDR_W{1'b0}};
            aw_left <= {BEAT_W{1'b0}};
            w_addr <= {ADDR_W{1'b0}};
            w_left <= {BEAT_W{1'b0}};
            w_burst_left <= 13'd0;
            w_pending <= {OUT_W{1'b0}};
            outstanding <= {OUT_W{1'b0}};
            beat_idx <= {IDX_W{1'b0}};
            buffer <= {CAP_W{1'b0}};
            count <= {CNT_W{1'b0}};
        end else begin
            if (start && !busy) begin
                aw_addr <= dst_addr;
                aw_left <= {16'd0, frames} * BPF_B;
                w_addr <= dst_addr;
                w_left <= {16'd0, frames} * BPF_B;
                beat_idx <= {IDX_W{1'b0}};
            end else begin
                if (aw_fire) begin
                    aw_addr <= aw_addr + aw_bytes;
                    aw_left <= aw_left - {35'd0, aw_len};
                end
                if (w_fire) begin
                    w_burst_left <= w_len - 13'd1;
                    beat_idx <= last_beat ? {IDX_W{1'b0}} : beat_idx + 1'b1;
                    if (!in_burst) begin
                        w_addr <= w_addr + w_bytes;
                        w_left <= w_left - {35'd0, w_len};
                    end
                end
            end
            if (aw_fire && !(w_fire && !in_burst)) w_pending <= w_pending + 1'b1;
            else if (!aw_fire && w_fire && !in_burst) w_pending <= w_pending - 1'b1;
            if (aw_fire && !b_fire) outstanding <= outstanding + 1'b1;
            else if (!aw_fire && b_fire) outstanding <= outstanding - 1'b1;
            buffer <= shifted | (push ? incoming : {CAP_W{1'b0}});
            count <= kept + (push ? WORD_N : {CNT_W{1'b0}});
        end
    end
endmodule
