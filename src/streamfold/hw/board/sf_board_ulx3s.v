// sf_board_ulx3s: the accelerator on a ULX3S (Lattice ECP5) with the board's USB serial port
// (FTDI FT231X) as its host link: UART <-> sf_uart_bridge <-> the shell's registers (AXI4-Lite)
// and an on-chip memory (sf_axi_ram) that the shell's DMA reads frames from and writes
// results to. The pipeline and the shell are the build's sf_top_axi, unchanged; it runs on
// the board's 25 MHz oscillator. LEDs: 0 = alive (blinks), 1 = link activity, 2 = run busy.
// Reset: a power-on counter (the ECP5's flip-flops start at their initial values).
module sf_board_ulx3s #(
    parameter integer CLKS_PER_BIT = 217,  // 25 MHz / 115200 baud
    parameter integer RAM_WORDS = 16384    // 64 KiB: 32 of the LFE5U-85F's 208 block RAMs
) (
    input  wire       clk_25mhz,
    input  wire       ftdi_txd,  // from the host (the FTDI's TXD)
    output wire       ftdi_rxd,  // to the host
    output wire [7:0] led
);
    wire clk = clk_25mhz;
    // verilator lint_off PROCASSINIT
    reg [3:0] por = 4'd0;  // the configured initial value is the reset
    // verilator lint_on PROCASSINIT
    wire rst_n = por == 4'hF;
    always @(posedge clk) if (!rst_n) por <= por + 4'd1;

    wire [7:0] rx_data, tx_data;
    wire rx_valid, tx_valid, tx_ready;
    sf_uart_rx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_rx (
        .clk(clk), .rst_n(rst_n), .rx(ftdi_txd), .data(rx_data), .valid(rx_valid)
    );
    sf_uart_tx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_tx (
        .clk(clk), .rst_n(rst_n), .data(tx_data), .valid(tx_valid), .ready(tx_ready),
        .tx(ftdi_rxd)
    );

    wire [11:0] awaddr, araddr;
    wire [31:0] wdata, rdata;
    wire [3:0] wstrb;
    wire awvalid, awready, wvalid, wready, bvalid, bready, arvalid, arready, rvalid, rready;
    wire [1:0] bresp, rresp;
    wire host_en;
    wire [3:0] host_we;
    wire [31:0] host_addr, host_wdata, host_rdata;
    sf_uart_bridge u_bridge (
        .clk(clk), .rst_n(rst_n),
        .rx_data(rx_data), .rx_valid(rx_valid),
        .tx_data(tx_data), .tx_valid(tx_valid), .tx_ready(tx_ready),
        .m_axil_awaddr(awaddr), .m_axil_awvalid(awvalid), .m_axil_awready(awready),
        .m_axil_wdata(wdata), .m_axil_wstrb(wstrb), .m_axil_wvalid(wvalid),
        .m_axil_wready(wready), .m_axil_bresp(bresp), .m_axil_rresp(rresp),
        .m_axil_bvalid(bvalid), .m_axil_bready(bready),
        .m_axil_araddr(araddr), .m_axil_arvalid(arvalid), .m_axil_arready(arready),
        .m_axil_rdata(rdata), .m_axil_rvalid(rvalid), .m_axil_rready(rready),
        .mem_en(host_en), .mem_we(host_we), .mem_addr(host_addr), .mem_wdata(host_wdata),
        .mem_rdata(host_rdata)
    );

    wire [31:0] m_araddr, m_awaddr, m_rdata, m_wdata;
    wire [7:0] m_arlen, m_awlen;
    wire [2:0] m_arsize, m_awsize;
    wire [1:0] m_arburst, m_awburst, m_rresp, m_bresp;
    wire [3:0] m_wstrb;
    wire m_arvalid, m_arready, m_rlast, m_rvalid, m_rready;
    wire m_awvalid, m_awready, m_wlast, m_wvalid, m_wready, m_bvalid, m_bready;
    sf_top_axi u_accel (
        .clk(clk), .rst_n(rst_n),
        .s_axil_awaddr(awaddr), .s_axil_awvalid(awvalid), .s_axil_awready(awready),
        .s_axil_wdata(wdata), .s_axil_wstrb(wstrb), .s_axil_wvalid(wvalid),
        .s_axil_wready(wready), .s_axil_bresp(bresp), .s_axil_bvalid(bvalid),
        .s_axil_bready(bready), .s_axil_araddr(araddr), .s_axil_arvalid(arvalid),
        .s_axil_arready(arready), .s_axil_rdata(rdata), .s_axil_rresp(rresp),
        .s_axil_rvalid(rvalid), .s_axil_rready(rready),
        .m_axi_araddr(m_araddr), .m_axi_arlen(m_arlen), .m_axi_arsize(m_arsize),
        .m_axi_arburst(m_arburst), .m_axi_arvalid(m_arvalid), .m_axi_arready(m_arready),
        .m_axi_rdata(m_rdata), .m_axi_rresp(m_rresp), .m_axi_rlast(m_rlast),
        .m_axi_rvalid(m_rvalid), .m_axi_rready(m_rready),
        .m_axi_awaddr(m_awaddr), .m_axi_awlen(m_awlen), .m_axi_awsize(m_awsize),
        .m_axi_awburst(m_awburst), .m_axi_awvalid(m_awvalid), .m_axi_awready(m_awready),
        .m_axi_wdata(m_wdata), .m_axi_wstrb(m_wstrb), .m_axi_wlast(m_wlast),
        .m_axi_wvalid(m_wvalid), .m_axi_wready(m_wready),
        .m_axi_bresp(m_bresp), .m_axi_bvalid(m_bvalid), .m_axi_bready(m_bready)
    );

    sf_axi_ram #(.WORDS(RAM_WORDS)) u_ram (
        .clk(clk), .rst_n(rst_n),
        .s_axi_awaddr(m_awaddr), .s_axi_awlen(m_awlen), .s_axi_awsize(m_awsize),
        .s_axi_awburst(m_awburst), .s_axi_arsize(m_arsize), .s_axi_arburst(m_arburst),
        .s_axi_wlast(m_wlast), .s_axi_awvalid(m_awvalid), .s_axi_awready(m_awready),
        .s_axi_wdata(m_wdata), .s_axi_wstrb(m_wstrb), .s_axi_wvalid(m_wvalid),
        .s_axi_wready(m_wready), .s_axi_bresp(m_bresp), .s_axi_bvalid(m_bvalid),
        .s_axi_bready(m_bready), .s_axi_araddr(m_araddr), .s_axi_arlen(m_arlen),
        .s_axi_arvalid(m_arvalid), .s_axi_arready(m_arready), .s_axi_rdata(m_rdata),
        .s_axi_rresp(m_rresp), .s_axi_rlast(m_rlast), .s_axi_rvalid(m_rvalid),
        .s_axi_rready(m_rready),
        .host_en(host_en), .host_we(host_we), .host_addr(host_addr),
        .host_wdata(host_wdata), .host_rdata(host_rdata)
    );

    reg [23:0] blink;
    reg [19:0] activity;
    always @(posedge clk) begin
        blink <= blink + 24'd1;
        if (rx_valid || (tx_valid && tx_ready)) activity <= 20'hFFFFF;
        else if (activity != 20'd0) activity <= activity - 20'd1;
    end
    assign led = {5'd0, m_arvalid || m_awvalid || m_rvalid, activity != 20'd0, blink[23]};
endmodule
