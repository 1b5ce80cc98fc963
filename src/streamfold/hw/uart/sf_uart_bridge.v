// sf_uart_bridge: a host link over a byte stream (the UART): the host's commands become
// AXI4-Lite transactions on the shell's registers and accesses to the on-chip memory the
// shell's DMA reads and writes. Multi-byte fields are little-endian.
//
//   'W' a0 a1 d0 d1 d2 d3   register write          -> 'K'
//   'R' a0 a1               register read           -> d0 d1 d2 d3
//   'M' x0 x1 x2 x3 n0 n1 + n bytes: memory write at byte address x -> 'K'
//   'D' x0 x1 x2 x3 n0 n1   memory read of n bytes  -> n bytes
//   anything else                                    -> '?'
// The host sends a command only after the previous one's reply (the link has no flow
// control, so every received byte must be taken at once; each is).
module sf_uart_bridge (
    input  wire        clk,
    input  wire        rst_n,
    input  wire [7:0]  rx_data,
    input  wire        rx_valid,
    output reg  [7:0]  tx_data,
    output reg         tx_valid,
    input  wire        tx_ready,
    output reg  [11:0] m_axil_awaddr,
    output reg         m_axil_awvalid,
    input  wire        m_axil_awready,
    output reg  [31:0] m_axil_wdata,
    output wire [3:0]  m_axil_wstrb,
    output reg         m_axil_wvalid,
    input  wire        m_axil_wready,
    // verilator lint_off UNUSEDSIGNAL
    input  wire [1:0]  m_axil_bresp,
    input  wire [1:0]  m_axil_rresp,
    // verilator lint_on UNUSEDSIGNAL
    input  wire        m_axil_bvalid,
    output wire        m_axil_bready,
    output reg  [11:0] m_axil_araddr,
    output reg         m_axil_arvalid,
    input  wire        m_axil_arready,
    input  wire [31:0] m_axil_rdata,
    input  wire        m_axil_rvalid,
    output wire        m_axil_rready,
    output reg         mem_en,
    output reg  [3:0]  mem_we,
    output reg  [31:0] mem_addr,
    output reg  [31:0] mem_wdata,
    input  wire [31:0] mem_rdata
);
    localparam [3:0] S_CMD = 4'd0, S_ARGS = 4'd1, S_LITE_W = 4'd2, S_LITE_R = 4'd3,
                     S_MEM_W = 4'd4, S_MEM_R = 4'd5, S_MEM_R_WAIT = 4'd6, S_SEND = 4'd7,
                     S_REPLY = 4'd8;

    reg [3:0] state;
    reg [7:0] cmd;
    reg [47:0] args;
    reg [2:0] args_left;
    reg [31:0] reply;
    reg [2:0] reply_left;  // bytes of `reply` still to send (S_SEND)
    reg [15:0] count;      // bytes left of a memory command
    reg [31:0] addr;       // its next byte address

    assign m_axil_wstrb = 4'hf;
    assign m_axil_bready = 1'b1;
    assign m_axil_rready = 1'b1;
    wire [1:0] lane = addr[1:0];
    wire [2:0] arg_bytes = (rx_data == "R") ? 3'd2 : 3'd6;
    wire known = rx_data == "W" || rx_data == "R" || rx_data == "M" || rx_data == "D";

    always @(posedge clk) begin
        if (!rst_n) begin
            state <= S_CMD;
            cmd <= 8'd0;
            args <= 48'd0;
            args_left <= 3'd0;
            reply <= 32'd0;
            reply_left <= 3'd0;
            count <= 16'd0;
            addr <= 32'd0;
            tx_data <= 8'd0;
            tx_valid <= 1'b0;
            m_axil_awaddr <= 12'd0;
            m_axil_awvalid <= 1'b0;
            m_axil_wdata <= 32'd0;
            m_axil_wvalid <= 1'b0;
            m_axil_araddr <= 12'd0;
            m_axil_arvalid <= 1'b0;
            mem_en <= 1'b0;
            mem_we <= 4'd0;
            mem_addr <= 32'd0;
            mem_wdata <= 32'd0;
        end else begin
            mem_en <= 1'b0;
            if (tx_valid && tx_ready) tx_valid <= 1'b0;
            case (state)
                S_CMD: if (rx_valid) begin
                    cmd <= rx_data;
                    args_left <= arg_bytes;
                    if (known) state <= S_ARGS;
                    else begin
                        reply <= {24'd0, "?"};
                        reply_left <= 3'd1;
                        state <= S_SEND;
                    end
                end
                S_ARGS: if (rx_valid) begin
                    args <= {rx_data, args[47:8]};
                    args_left <= args_left - 3'd1;
                    if (args_left == 3'd1) state <= S_REPLY;  // all arguments in: act
                end
                S_REPLY: begin  // args hold the arguments, the first byte lowest
                    if (cmd == "W") begin
                        m_axil_awaddr <= args[11:0];
                        m_axil_wdata <= args[47:16];
                        m_axil_awvalid <= 1'b1;
                        m_axil_wvalid <= 1'b1;
                        state <= S_LITE_W;
                    end else if (cmd == "R") begin
                        m_axil_araddr <= args[43:32];
                        m_axil_arvalid <= 1'b1;
                        state <= S_LITE_R;
                    end else begin
                        addr <= args[31:0];
                        count <= args[47:32];
                        state <= (cmd == "M") ? S_MEM_W : S_MEM_R;
                        if (args[47:32] == 16'd0) begin
                            reply <= {24'd0, "K"};
                            reply_left <= (cmd == "M") ? 3'd1 : 3'd0;
                            state <= S_SEND;
                        end
                    end
                end
                S_LITE_W: begin
                    if (m_axil_awready) m_axil_awvalid <= 1'b0;
                    if (m_axil_wready) m_axil_wvalid <= 1'b0;
                    if (m_axil_bvalid) begin
                        reply <= {24'd0, "K"};
                        reply_left <= 3'd1;
                        state <= S_SEND;
                    end
                end
                S_LITE_R: begin
                    if (m_axil_arready) m_axil_arvalid <= 1'b0;
                    if (m_axil_rvalid) begin
                        reply <= m_axil_rdata;
                        reply_left <= 3'd4;
                        state <= S_SEND;
                    end
                end
                S_MEM_W: if (rx_valid) begin
                    mem_en <= 1'b1;
                    mem_we <= 4'b0001 << lane;
                    mem_addr <= {addr[31:2], 2'b00};
                    mem_wdata <= {4{rx_data}};
                    addr <= addr + 32'd1;
                    count <= count - 16'd1;
                    if (count == 16'd1) begin
                        reply <= {24'd0, "K"};
                        reply_left <= 3'd1;
                        state <= S_SEND;
                    end
                end
                S_MEM_R: if (!tx_valid) begin
                    mem_en <= 1'b1;
                    mem_we <= 4'd0;
                    mem_addr <= {addr[31:2], 2'b00};
                    state <= S_MEM_R_WAIT;
                end
                S_MEM_R_WAIT: if (!mem_en) begin  // the read data is there the cycle after
                    tx_data <= mem_rdata[{lane, 3'b000} +: 8];
                    tx_valid <= 1'b1;
                    addr <= addr + 32'd1;
                    count <= count - 16'd1;
                    state <= (count == 16'd1) ? S_CMD : S_MEM_R;
                end
                S_SEND: if (!tx_valid) begin
                    if (reply_left == 3'd0) state <= S_CMD;
                    else begin
                        tx_data <= reply[7:0];
                        tx_valid <= 1'b1;
                        reply <= reply >> 8;
                        reply_left <= reply_left - 3'd1;
                    end
                end
                default: state <= S_CMD;
            endcase
        end
    end
endmodule
