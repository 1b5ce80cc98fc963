// sf_axi_ram: an on-chip memory of WORDS 32-bit words (block RAM), an AXI4 slave for the
// shell's DMA (INCR bursts, one outstanding read and one outstanding write) and a host port
// for the board's link (one word per cycle, byte write enables, read data one cycle later).
// One memory port serves them all, one access per cycle: host first, then AXI write data,
// then AXI read data; so the memory infers as single-port block RAM.
module sf_axi_ram #(
    parameter integer WORDS = 16384
) (
    input  wire        clk,
    input  wire        rst_n,
    input  wire [31:0] s_axi_awaddr,
    input  wire [7:0]  s_axi_awlen,
    // verilator lint_off UNUSEDSIGNAL
    input  wire [2:0]  s_axi_awsize,   // 4-byte beats only
    input  wire [1:0]  s_axi_awburst,  // INCR only
    input  wire [2:0]  s_axi_arsize,
    input  wire [1:0]  s_axi_arburst,
    input  wire        s_axi_wlast,
    // verilator lint_on UNUSEDSIGNAL
    input  wire        s_axi_awvalid,
    output wire        s_axi_awready,
    input  wire [31:0] s_axi_wdata,
    input  wire [3:0]  s_axi_wstrb,
    input  wire        s_axi_wvalid,
    output wire        s_axi_wready,
    output wire [1:0]  s_axi_bresp,
    output reg         s_axi_bvalid,
    input  wire        s_axi_bready,
    input  wire [31:0] s_axi_araddr,
    input  wire [7:0]  s_axi_arlen,
    input  wire        s_axi_arvalid,
    output wire        s_axi_arready,
    output wire [31:0] s_axi_rdata,
    output wire [1:0]  s_axi_rresp,
    output wire        s_axi_rlast,
    output reg         s_axi_rvalid,
    input  wire        s_axi_rready,
    input  wire        host_en,
    input  wire [3:0]  host_we,
    input  wire [31:0] host_addr,  // byte address, word aligned
    input  wire [31:0] host_wdata,
    output wire [31:0] host_rdata  // valid the cycle after host_en
);
    localparam integer AW = $clog2(WORDS);

    reg [31:0] mem [0:WORDS-1];
    reg [AW-1:0] w_addr, r_addr;
    reg [8:0] w_left, r_left;  // beats left of the burst (0: none)
    reg r_last;

    assign s_axi_awready = (w_left == 9'd0) && !s_axi_bvalid;
    assign s_axi_arready = r_left == 9'd0 && !s_axi_rvalid;
    assign s_axi_wready = (w_left != 9'd0) && !host_en;
    assign s_axi_bresp = 2'b00;
    assign s_axi_rresp = 2'b00;
    assign s_axi_rlast = r_last;
    wire w_go = s_axi_wvalid && s_axi_wready;
    wire r_go = (r_left != 9'd0) && !host_en && !w_go && (!s_axi_rvalid || s_axi_rready);

    // the one memory port
    // verilator lint_off UNUSEDSIGNAL
    wire [31:0] host_word = host_addr >> 2;
    wire [31:0] aw_word = s_axi_awaddr >> 2;
    wire [31:0] ar_word = s_axi_araddr >> 2;
    // verilator lint_on UNUSEDSIGNAL
    wire [AW-1:0] addr = host_en ? host_word[AW-1:0] : w_go ? w_addr : r_addr;
    wire [3:0] we = host_en ? host_we : w_go ? s_axi_wstrb : 4'd0;
    wire [31:0] wdata = host_en ? host_wdata : s_axi_wdata;
    reg [31:0] rdata;
    always @(posedge clk) begin
        if (host_en || w_go || r_go) begin
            if (we[0]) mem[addr][7:0] <= wdata[7:0];
            if (we[1]) mem[addr][15:8] <= wdata[15:8];
            if (we[2]) mem[addr][23:16] <= wdata[23:16];
            if (we[3]) mem[addr][31:24] <= wdata[31:24];
            rdata <= mem[addr];
        end
    end
    // AXI read data comes from the memory the cycle after its access, then from r_hold, so
    // it stays stable while RVALID waits even when the host or a write uses the port.
    reg r_q;
    reg [31:0] r_hold;
    assign host_rdata = rdata;
    assign s_axi_rdata = r_q ? rdata : r_hold;
    always @(posedge clk) if (r_q) r_hold <= rdata;

    always @(posedge clk) begin
        if (!rst_n) begin
            w_left <= 9'd0;
            r_left <= 9'd0;
            w_addr <= {AW{1'b0}};
            r_addr <= {AW{1'b0}};
            s_axi_bvalid <= 1'b0;
            s_axi_rvalid <= 1'b0;
            r_last <= 1'b0;
            r_q <= 1'b0;
        end else begin
            r_q <= r_go;
            if (s_axi_awvalid && s_axi_awready) begin
                w_addr <= aw_word[AW-1:0];
                w_left <= {1'b0, s_axi_awlen} + 9'd1;
            end else if (w_go) begin
                w_addr <= w_addr + 1'b1;
                w_left <= w_left - 9'd1;
                if (w_left == 9'd1) s_axi_bvalid <= 1'b1;
            end
            if (s_axi_bvalid && s_axi_bready) s_axi_bvalid <= 1'b0;
            if (s_axi_arvalid && s_axi_arready) begin
                r_addr <= ar_word[AW-1:0];
                r_left <= {1'b0, s_axi_arlen} + 9'd1;
            end else if (r_go) begin
                r_addr <= r_addr + 1'b1;
                r_left <= r_left - 9'd1;
            end
            // read data: valid the cycle after its access; held until taken
            if (r_go) begin
                s_axi_rvalid <= 1'b1;
                r_last <= r_left == 9'd1;
            end else if (s_axi_rready) begin
                s_axi_rvalid <= 1'b0;
            end
        end
    end
endmodule
