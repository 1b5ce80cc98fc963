// Test-only: a one-word register slice that refuses words at pseudo-random times and checks
// the AXI-Stream rule on its input: once tvalid is high it stays high, with tdata unchanged,
// until the handshake. A sticky violation flag goes out as bit 8 of every output word.
module sf_test_axis_check (
    input  wire       clk,
    input  wire       rst_n,
    input  wire [7:0] s_axis_tdata,
    input  wire       s_axis_tvalid,
    output wire       s_axis_tready,
    output reg  [8:0] m_axis_tdata,
    output reg        m_axis_tvalid,
    input  wire       m_axis_tready
);
    reg [15:0] lfsr;
    reg waiting;  // last cycle: tvalid high, no handshake
    reg [7:0] held;
    reg violated;

    assign s_axis_tready = lfsr[0] && (!m_axis_tvalid || m_axis_tready);
    wire broke = waiting && (!s_axis_tvalid || s_axis_tdata != held);

    always @(posedge clk) begin
        if (!rst_n) begin
            lfsr <= 16'hace1;
            waiting <= 1'b0;
            held <= 8'd0;
            violated <= 1'b0;
            m_axis_tvalid <= 1'b0;
            m_axis_tdata <= 9'd0;
        end else begin
            lfsr <= {lfsr[0] ^ lfsr[2] ^ lfsr[3] ^ lfsr[5], lfsr[15:1]};
            waiting <= s_axis_tvalid && !s_axis_tready;
            held <= s_axis_tdata;
            violated <= violated || broke;
            if (!m_axis_tvalid || m_axis_tready) m_axis_tvalid <= s_axis_tvalid && s_axis_tready;
            if (s_axis_tvalid && s_axis_tready) m_axis_tdata <= {violated || broke, s_axis_tdata};
        end
    end
endmodule
