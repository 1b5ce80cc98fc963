// sf_axis_unpad: a byte-aligned AXI-Stream (one pipeline word in the low WIDTH bits of each
// BYTES-byte beat, the rest zero, TLAST on the last of WORDS beats per frame) into the
// pipeline's WIDTH-bit stream. Combinational; no storage. frame_error pulses when TLAST does
// not sit on the WORDS-th beat of a frame (the frame is passed on all the same); frame_in
// pulses with the last word of each frame. TKEEP is ignored: every beat is a whole word.
module sf_axis_unpad #(
    parameter integer WIDTH = 8,
    parameter integer BYTES = 1,
    parameter integer WORDS = 1
) (
    input  wire               clk,
    input  wire               rst_n,
    input  wire [BYTES*8-1:0] s_axis_tdata,
    // verilator lint_off UNUSEDSIGNAL
    input  wire [BYTES-1:0]   s_axis_tkeep,
    // verilator lint_on UNUSEDSIGNAL
    input  wire               s_axis_tlast,
    input  wire               s_axis_tvalid,
    output wire               s_axis_tready,
    output wire [WIDTH-1:0]   m_axis_tdata,
    output wire               m_axis_tvalid,
    input  wire               m_axis_tready,
    output wire               frame_in,
    output wire               frame_error
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
            // verilator lint_off UNUSEDSIGNAL
            wire [BYTES*8-WIDTH-1:0] unused_pad = s_axis_tdata[BYTES*8-1:WIDTH];
            // verilator lint_on UNUSEDSIGNAL
        end
    endgenerate

    assign m_axis_tdata = s_axis_tdata[WIDTH-1:0];
    assign m_axis_tvalid = s_axis_tvalid;
    assign s_axis_tready = m_axis_tready;
    assign frame_in = fire && last;
    assign frame_error = fire && (s_axis_tlast != last);

    always @(posedge clk) begin
        if (!rst_n) count <= {CNT_W{1'b0}};
        else if (fire) count <= last ? {CNT_W{1'b0}} : count + ONE;
    end
endmodule
