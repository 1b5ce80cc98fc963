// sf_dwc: AXI-Stream data-width converter, IN_ELEMS -> OUT_ELEMS elements of ELEM_BITS bits.
//
// Any ratio: elements queue in a shift buffer (oldest at element 0) and leave OUT_ELEMS at a
// time, in order; the frame length only has to be a multiple of both word sizes. The buffer
// holds BUF = 2*IN_ELEMS + OUT_ELEMS - 1 elements, the least for which s_axis_tready can depend
// on the element count alone (not on m_axis_tready) and still move one word per cycle on the
// busier side (checked for all ratios up to 24:24 against a cycle model). tvalid/tready and
// tdata come from registers through comparisons only; no combinational ready -> ready path.
module sf_dwc #(
    parameter integer ELEM_BITS = 8,
    parameter integer IN_ELEMS = 1,
    parameter integer OUT_ELEMS = 1
) (
    input  wire                           clk,
    input  wire                           rst_n,
    input  wire [IN_ELEMS*ELEM_BITS-1:0]  s_axis_tdata,
    input  wire                           s_axis_tvalid,
    output wire                           s_axis_tready,
    output wire [OUT_ELEMS*ELEM_BITS-1:0] m_axis_tdata,
    output wire                           m_axis_tvalid,
    input  wire                           m_axis_tready
);
    localparam integer BUF = 2 * IN_ELEMS + OUT_ELEMS - 1;  // elements
    localparam integer BUF_W = BUF * ELEM_BITS;
    localparam integer IN_W = IN_ELEMS * ELEM_BITS;
    localparam integer OUT_W = OUT_ELEMS * ELEM_BITS;
    localparam integer CNT_W = $clog2(BUF + 1);
    localparam [31:0] IN_32 = IN_ELEMS;
    localparam [31:0] OUT_32 = OUT_ELEMS;
    localparam [31:0] ACCEPT_32 = BUF - IN_ELEMS;
    localparam [CNT_W-1:0] IN_N = IN_32[CNT_W-1:0];
    localparam [CNT_W-1:0] OUT_N = OUT_32[CNT_W-1:0];
    localparam [CNT_W-1:0] ACCEPT_MAX = ACCEPT_32[CNT_W-1:0];  // room for one more input word

    reg [BUF_W-1:0] buffer;  // element k at [k*ELEM_BITS +: ELEM_BITS]; valid below count
    reg [CNT_W-1:0] count;

    assign s_axis_tready = (count <= ACCEPT_MAX);
    assign m_axis_tvalid = (count >= OUT_N);
    assign m_axis_tdata = buffer[OUT_W-1:0];

    wire in_fire = s_axis_tvalid && s_axis_tready;
    wire out_fire = m_axis_tvalid && m_axis_tready;
    wire [CNT_W-1:0] kept = out_fire ? count - OUT_N : count;  // elements left after output
    wire [31:0] kept_32 = {{(32 - CNT_W) {1'b0}}, kept};
    wire [31:0] shift = kept_32 * ELEM_BITS;  // bit position of the incoming word
    wire [BUF_W-1:0] shifted = out_fire ? buffer >> OUT_W : buffer;
    wire [BUF_W-1:0] in_wide = {{(BUF_W - IN_W) {1'b0}}, s_axis_tdata} << shift;
    wire [BUF_W-1:0] in_mask = {{(BUF_W - IN_W) {1'b0}}, {IN_W{1'b1}}} << shift;

    always @(posedge clk) begin
        if (in_fire) buffer <= (shifted & ~in_mask) | in_wide;
        else if (out_fire) buffer <= shifted;
    end

    always @(posedge clk) begin
        if (!rst_n) count <= {CNT_W{1'b0}};
        else count <= in_fire ? kept + IN_N : kept;
    end
endmodule
