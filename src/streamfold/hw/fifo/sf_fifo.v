// sf_fifo: AXI-Stream FIFO of DEPTH words (DEPTH >= 2), one word per cycle in and out.
//
// DEPTH - 1 words sit in a circular buffer (distributed RAM) and one in the output register
// (m_axis_tdata/tvalid come straight from flip-flops). A word entering an empty FIFO bypasses
// the buffer into the output register, so the latency is one cycle. s_axis_tready is a function
// of registers only (not of m_axis_tready), so chains of FIFOs have no combinational ready path;
// the price is one bubble each time the FIFO becomes completely full.
module sf_fifo #(
    parameter integer WIDTH = 8,
    parameter integer DEPTH = 2
) (
    input  wire             clk,
    input  wire             rst_n,
    input  wire [WIDTH-1:0] s_axis_tdata,
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,
    output reg  [WIDTH-1:0] m_axis_tdata,
    output reg              m_axis_tvalid,
    input  wire             m_axis_tready
);
    localparam integer MEM = DEPTH - 1;  // words in the buffer
    localparam integer PTR_W = (MEM > 1) ? $clog2(MEM) : 1;
    localparam integer CNT_W = $clog2(MEM + 1);
    localparam [PTR_W-1:0] PTR_ONE = 1;
    localparam [31:0] MEM_LAST = MEM - 1;
    localparam [31:0] MEM_WORDS = MEM;
    localparam [PTR_W-1:0] PTR_LAST = MEM_LAST[PTR_W-1:0];
    localparam [CNT_W-1:0] CNT_ONE = 1;
    localparam [CNT_W-1:0] CNT_FULL = MEM_WORDS[CNT_W-1:0];

    (* ram_style = "distributed" *) reg [WIDTH-1:0] mem [0:MEM-1];
    reg [PTR_W-1:0] wr_ptr;
    reg [PTR_W-1:0] rd_ptr;
    reg [CNT_W-1:0] count;  // words in the buffer (not counting the output register)

    wire in_fire = s_axis_tvalid && s_axis_tready;
    wire out_free = !m_axis_tvalid || m_axis_tready;  // output register takes a word this cycle
    wire from_mem = out_free && (count != 0);
    wire bypass = out_free && (count == 0) && in_fire;
    wire to_mem = in_fire && !bypass;

    assign s_axis_tready = !(m_axis_tvalid && (count == CNT_FULL));

    // The buffer is written on every word in, bypassed or not: the slot at wr_ptr is free
    // whenever a word comes in (a bypassed word leaves it free, wr_ptr stays), so its write
    // enable is in_fire, which does not depend on m_axis_tready. (With to_mem, the downstream
    // ready ran through the bypass test into the LUT RAM's write enable: CNV's critical path on
    // ECP5, 119.3 MHz.)
    always @(posedge clk) begin
        if (in_fire) mem[wr_ptr] <= s_axis_tdata;
        if (from_mem) m_axis_tdata <= mem[rd_ptr];
        else if (bypass) m_axis_tdata <= s_axis_tdata;
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            wr_ptr <= {PTR_W{1'b0}};
            rd_ptr <= {PTR_W{1'b0}};
            count <= {CNT_W{1'b0}};
            m_axis_tvalid <= 1'b0;
        end else begin
            if (to_mem) wr_ptr <= (wr_ptr == PTR_LAST) ? {PTR_W{1'b0}} : wr_ptr + PTR_ONE;
            if (from_mem) rd_ptr <= (rd_ptr == PTR_LAST) ? {PTR_W{1'b0}} : rd_ptr + PTR_ONE;
            if (to_mem && !from_mem) count <= count + CNT_ONE;
            else if (from_mem && !to_mem) count <= count - CNT_ONE;
            if (out_free) m_axis_tvalid <= from_mem || bypass;
        end
    end
endmodule
