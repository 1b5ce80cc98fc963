// sf_axis_pad: the pipeline's WIDTH-bit stream as a byte-aligned AXI-Stream: each word in the
// low WIDTH bits of a BYTES-byte beat (upper bits zero), TKEEP all ones, TLAST on the last of
// WORDS beats per frame. Combinational but for the word counter; frame_out pulses with the
// last word of each frame.
module sf_axis_pad #(
    parameter integer WIDTH = 8,
    parameter integer BYTES = 1,
    parameter integer WORDS = 1
) (
    input  wire               clk,
    input  wire               rst_n,
    input  wire [WIDTH-1:0]   s_axis_tdata,
    input  wire               s_axis_tvalid,
    output wire               s_axis_tready,
    output wire [BYTES*8-1:0] m_axis_tdata,
    output wire [BYTES-1:0]   m_axis_tkeep,
    output wire               m_axis_tlast,
    output wire               m_axis_tvalid,
    input  wire               m_axis_tready,
    output wire               frame_out
);
    localparam integer CNT_W = (WORDS > 1) ? $clog2(WORDS) : 1;
    localparam [31:0] LAST_32 = WORDS - 1;
    localparam [CNT_W-1:0] LAST = LAST_32[CNT_W-1:0];
    localparam [CNT_W-1:0] ONE = 1;

    reg [CNT_W-1:0] count;
    wire fire = s_axis_tvalid && m_axis_tready;
    wire last = count == LAST;

    generate
        if (BYTES * 8 > WIDTH) begin : g_pad
            assign m_axis_tdata = {{(BYTES * 8 - WIDTH){1'b0}}, s_axis_tdata};
        end else begin : g_exact
            assign m_axis_tdata = s_axis_tdata;
        end
    endgenerate

    assign m_axis_tkeep = {BYTES{1'b1}};
    assign m_axis_tlast = last;
    assign m_axis_tvalid = s_axis_tvalid;
    assign s_axis_tready = m_axis_tready;
    assign frame_out = fire && last;

    always @(posedge clk) begin
        if (!rst_n) count <= {CNT_W{1'b0}};
        else if (fire) count <= last ? {CNT_W{1'b0}} : count + ONE;
    end
endmodule
