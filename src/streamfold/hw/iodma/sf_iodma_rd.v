// sf_iodma_rd: the DMA's read half. On `start` it reads FRAMES frames from `src_addr` over an
// AXI4 master read channel and streams them out as WORD_BYTES-byte words (TLAST on the last word
// of each frame).
//
// Memory layout: frame k at src_addr + k * STRIDE, STRIDE = FRAME_BYTES rounded up to whole bus
// words; the bytes past FRAME_BYTES in a frame's last bus word are ignored. src_addr must be
// bus-word aligned. Reads are INCR bursts of at most MAX_BURST beats, never crossing a 4 KiB
// boundary, at most MAX_OUTSTANDING in flight (all ID 0, so data returns in order).
// A gearbox of WORD_BYTES + BUS_BYTES bytes turns bus words into stream words; RREADY depends on
// its fill level only, so there is no combinational path from m_axis_tready to the bus.
module sf_iodma_rd #(
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
    input  wire [ADDR_W-1:0]       src_addr,
    input  wire [31:0]             frames,
    output wire                    busy,
    output wire [ADDR_W-1:0]       m_axi_araddr,
    output wire [7:0]              m_axi_arlen,
    output wire [2:0]              m_axi_arsize,
    output wire [1:0]              m_axi_arburst,
    output wire                    m_axi_arvalid,
    input  wire                    m_axi_arready,
    input  wire [BUS_BYTES*8-1:0]  m_axi_rdata,
    // verilator lint_off UNUSEDSIGNAL
    input  wire [1:0]              m_axi_rresp,
    input  wire                    m_axi_rlast,
    // verilator lint_on UNUSEDSIGNAL
    input  wire                    m_axi_rvalid,
    output wire                    m_axi_rready,
    output wire [WORD_BYTES*8-1:0] m_axis_tdata,
    output wire                    m_axis_tlast,
    output wire                    m_axis_tvalid,
    input  wire                    m_axis_tready
);
    localparam integer BUS_W = BUS_BYTES * 8;
    localparam integer WORD_W = WORD_BYTES * 8;
    localparam integer CAP = WORD_BYTES + BUS_BYTES;  // gearbox bytes
    localparam integer CAP_W = CAP * 8;
    localparam integer CNT_W = $clog2(CAP + 1);
    localparam integer BPF = (FRAME_BYTES + BUS_BYTES - 1) / BUS_BYTES;  // bus words per frame
    localparam integer LAST_BYTES = FRAME_BYTES - (BPF - 1) * BUS_BYTES;
    localparam integer WPF = FRAME_BYTES / WORD_BYTES;  // stream words per frame
    localparam integer BEAT_W = 48;
    localparam integer IDX_W = $clog2(BPF + 1);
    localparam integer WIDX_W = $clog2(WPF + 1);
    localparam integer OUT_W = $clog2(MAX_OUTSTANDING + 1);
    localparam integer SHIFT = $clog2(BUS_BYTES);
    localparam [31:0] BPF_32 = BPF;
    localparam [31:0] LASTB_32 = LAST_BYTES;
    localparam [31:0] BUSB_32 = BUS_BYTES;
    localparam [31:0] WORDB_32 = WORD_BYTES;
    localparam [31:0] OUTS_32 = MAX_OUTSTANDING;
    localparam [31:0] WPF_32 = WPF;
    localparam [BEAT_W-1:0] BPF_B = {16'd0, BPF_32};
    localparam [IDX_W-1:0] LAST_BEAT = BPF_32[IDX_W-1:0] - 1'b1;
    localparam [WIDX_W-1:0] LAST_WORD = WPF_32[WIDX_W-1:0] - 1'b1;
    localparam [CNT_W-1:0] LAST_N = LASTB_32[CNT_W-1:0];
    localparam [CNT_W-1:0] BUS_N = BUSB_32[CNT_W-1:0];
    localparam [CNT_W-1:0] WORD_N = WORDB_32[CNT_W-1:0];
    localparam [OUT_W-1:0] OUTS_MAX = OUTS_32[OUT_W-1:0];

    reg [ADDR_W-1:0] ar_addr;
    reg [BEAT_W-1:0] ar_left;  // beats not yet requested
    reg [BEAT_W-1:0] r_left;   // beats not yet received
    reg [OUT_W-1:0]  outstanding;
    reg [IDX_W-1:0]  beat_idx;
    reg [WIDX_W-1:0] word_idx;
    reg [CAP_W-1:0]  buffer;
    reg [CNT_W-1:0]  count;

    // address channel: the next burst's length from the registered address and beats left
    wire [12:0] ar_len;
    sf_iodma_burst #(.BUS_BYTES(BUS_BYTES), .MAX_BURST(MAX_BURST), .BEAT_W(BEAT_W)) u_ar_len (
        .offset(ar_addr[11:0]), .left(ar_left), .len(ar_len)
    );
    // verilator lint_off UNUSEDSIGNAL
    wire [12:0] ar_len_m1 = ar_len - 13'd1;  // at most 255: MAX_BURST <= 256
    // verilator lint_on UNUSEDSIGNAL
    wire [ADDR_W-1:0] ar_bytes = {{(ADDR_W - 13){1'b0}}, ar_len} << SHIFT;
    assign m_axi_araddr = ar_addr;
    assign m_axi_arlen = ar_len_m1[7:0];
    assign m_axi_arsize = SHIFT[2:0];
    assign m_axi_arburst = 2'b01;  // INCR
    assign m_axi_arvalid = (ar_left != {BEAT_W{1'b0}}) && (outstanding < OUTS_MAX);
    wire ar_fire = m_axi_arvalid && m_axi_arready;

    // data channel into the gearbox
    wire last_beat = beat_idx == LAST_BEAT;
    wire [CNT_W-1:0] n_bytes = last_beat ? LAST_N : BUS_N;
    assign m_axi_rready = (r_left != {BEAT_W{1'b0}}) && (count <= WORD_N);
    wire r_fire = m_axi_rvalid && m_axi_rready;
    wire [BUS_W-1:0] keep_mask = ~({BUS_W{1'b1}} << {n_bytes, 3'b000});

    assign m_axis_tvalid = count >= WORD_N;
    assign m_axis_tdata = buffer[WORD_W-1:0];
    assign m_axis_tlast = word_idx == LAST_WORD;
    wire pop = m_axis_tvalid && m_axis_tready;
    wire [CNT_W-1:0] kept = pop ? count - WORD_N : count;
    wire [CAP_W-1:0] shifted = pop ? (buffer >> WORD_W) : buffer;
    wire [CAP_W-1:0] incoming = {{(CAP_W - BUS_W){1'b0}}, m_axi_rdata & keep_mask} << {kept, 3'b000};

    assign busy = (ar_left != {BEAT_W{1'b0}}) || (r_left != {BEAT_W{1'b0}}) || (count != {CNT_W{1'b0}});

    always @(posedge clk) begin
        if (!rst_n) begin
            ar_addr <= {ADDR_W{1'b0}};
            ar_left <= {BEAT_W{1'b0}};
            r_left <= {BEAT_W{1'b0}};
            outstanding <= {OUT_W{1'b0}};
            beat_idx <= {IDX_W{1'b0}};
            word_idx <= {WIDX_W{1'b0}};
            buffer <= {CAP_W{1'b0}};
            count <= {CNT_W{1'b0}};
        end else begin
            if (start && !busy) begin
                ar_addr <= src_addr;
                ar_left <= {16'd0, frames} * BPF_B;
                r_left <= {16'd0, frames} * BPF_B;
                beat_idx <= {IDX_W{1'b0}};
                word_idx <= {WIDX_W{1'b0}};
            end else begin
                if (ar_fire) begin
                    ar_addr <= ar_addr + ar_bytes;
                    ar_left <= ar_left - {35'd0, ar_len};
                end
                if (r_fire) begin
                    r_left <= r_left - {{(BEAT_W - 1){1'b0}}, 1'b1};
                    beat_idx <= last_beat ? {IDX_W{1'b0}} : beat_idx + 1'b1;
                end
                if (pop) word_idx <= m_axis_tlast ? {WIDX_W{1'b0}} : word_idx + 1'b1;
            end
            if (ar_fire && !(r_fire && m_axi_rlast)) outstanding <= outstanding + 1'b1;
            else if (!ar_fire && r_fire && m_axi_rlast) outstanding <= outstanding - 1'b1;
            buffer <= shifted | (r_fire ? incoming : {CAP_W{1'b0}});
            count <= kept + (r_fire ? n_bytes : {CNT_W{1'b0}});
        end
    end
endmodule
