// sf_pinwrap_out: a WIDTH-bit AXI-Stream of words -> a PINS-bit AXI-Stream of chunks.
//
// Each word leaves as CHUNKS = ceil(WIDTH / PINS) chunks, least significant first (the last
// chunk zero-padded above WIDTH); the inverse of sf_pinwrap_in. A new word is taken in the
// cycle the previous word's last chunk leaves.
module sf_pinwrap_out #(
    parameter integer WIDTH = 784,
    parameter integer PINS = 32,
    parameter integer REG_READY = 0  // 1: s_axis_tready is !busy, from a register alone
) (
    input  wire             clk,
    input  wire             rst_n,
    input  wire [WIDTH-1:0] s_axis_tdata,
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,
    output wire [PINS-1:0]  m_axis_tdata,
    output wire             m_axis_tvalid,
    input  wire             m_axis_tready
);
    localparam integer CHUNKS = (WIDTH + PINS - 1) / PINS;
    localparam integer CB = CHUNKS > 1 ? $clog2(CHUNKS) : 1;
    localparam integer LAST = CHUNKS - 1;
    localparam integer PAD = CHUNKS * PINS - WIDTH;

    reg [CHUNKS*PINS-1:0] word;
    reg [CB-1:0] count;
    reg busy;
    wire done = busy && m_axis_tready && count == LAST[CB-1:0];  // the last chunk leaves
    wire take = s_axis_tvalid && s_axis_tready;

    assign s_axis_tready = (REG_READY != 0) ? !busy : (!busy || done);
    assign m_axis_tvalid = busy;
    assign m_axis_tdata = word[PINS-1:0];

    generate
        if (PAD > 0) begin : g_pad
            wire [CHUNKS*PINS-1:0] padded = {{PAD{1'b0}}, s_axis_tdata};
            always @(posedge clk)
                if (take) word <= padded;
                else if (busy && m_axis_tready) word <= word >> PINS;
        end else begin : g_full
            always @(posedge clk)
                if (take) word <= s_axis_tdata;
                else if (busy && m_axis_tready) word <= word >> PINS;
        end
    endgenerate

    always @(posedge clk) begin
        if (!rst_n) begin
            count <= {CB{1'b0}};
            busy <= 1'b0;
        end else if (take) begin
            count <= {CB{1'b0}};
            busy <= 1'b1;
        end else if (busy && m_axis_tready) begin
            count <= count + 1'b1;
            if (count == LAST[CB-1:0]) busy <= 1'b0;
        end
    end
endmodule
