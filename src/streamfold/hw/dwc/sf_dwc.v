// sf_dwc: AXI-Stream data-width converter, IN_ELEMS -> OUT_ELEMS elements of ELEM_BITS bits.
//
// Three structures, chosen by the ratio; each moves one word per cycle on its busier side and
// has tvalid/tready from registers only (no combinational ready -> ready path):
// - up (OUT_ELEMS = K * IN_ELEMS, K >= 2): the first K - 1 words of an output word shift into
//   an accumulator (no data muxes: clock enables only), the K-th word and the accumulator load
//   the output register. Input is refused only while a full output word still waits.
// - down (IN_ELEMS = K * OUT_ELEMS, K >= 2): an input word loads a register that shifts out
//   OUT_ELEMS elements per output word; a second register takes the next input word meanwhile.
//   An input word arriving at an empty converter loads the shift register directly.
// - any other ratio: elements queue in a shift buffer (oldest at element 0) and leave OUT_ELEMS
//   at a time, in order. The buffer holds BUF = 2*IN_ELEMS + OUT_ELEMS - 1 elements, the least
//   for which s_axis_tready can depend on the element count alone (not on m_axis_tready) and
//   still move one word per cycle on the busier side (checked for all ratios up to 24:24
//   against a cycle model).
// The frame length only has to be a multiple of both word sizes.
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
    localparam integer IN_W = IN_ELEMS * ELEM_BITS;
    localparam integer OUT_W = OUT_ELEMS * ELEM_BITS;
    localparam UP = (OUT_ELEMS > IN_ELEMS) && (OUT_ELEMS % IN_ELEMS == 0);
    localparam DOWN = (IN_ELEMS > OUT_ELEMS) && (IN_ELEMS % OUT_ELEMS == 0);

    generate
        if (UP) begin : g_up
            localparam integer K = OUT_ELEMS / IN_ELEMS;
            localparam integer CNT_W = $clog2(K);
            localparam [31:0] LAST_32 = K - 1;
            localparam [CNT_W-1:0] LAST = LAST_32[CNT_W-1:0];
            reg [OUT_W-IN_W-1:0] acc;  // the first words of the output word; the oldest lowest
            reg [CNT_W-1:0] count;  // words in acc
            reg [OUT_W-1:0] out_data;
            reg out_valid;
            wire [OUT_W-1:0] joined = {s_axis_tdata, acc};
            wire last = (count == LAST);
            assign s_axis_tready = !(out_valid && last);
            assign m_axis_tvalid = out_valid;
            assign m_axis_tdata = out_data;
            wire in_fire = s_axis_tvalid && s_axis_tready;
            always @(posedge clk) begin
                if (in_fire && !last) acc <= joined[OUT_W-1:IN_W];
                if (in_fire && last) out_data <= joined;
            end
            always @(posedge clk) begin
                if (!rst_n) begin
                    count <= {CNT_W{1'b0}};
                    out_valid <= 1'b0;
                end else begin
                    if (out_valid && m_axis_tready) out_valid <= 1'b0;
                    if (in_fire) begin
                        count <= last ? {CNT_W{1'b0}} : count + 1'b1;
                        if (last) out_valid <= 1'b1;
                    end
                end
            end
        end else if (DOWN) begin : g_down
            localparam integer K = IN_ELEMS / OUT_ELEMS;
            localparam integer CNT_W = $clog2(K + 1);
            localparam [31:0] K_32 = K;
            localparam [CNT_W-1:0] FULL = K_32[CNT_W-1:0];
            reg [IN_W-1:0] data;  // the output word is its lowest OUT_ELEMS elements
            reg [CNT_W-1:0] left;  // output words left in data
            reg [IN_W-1:0] next_data;
            reg next_valid;
            assign s_axis_tready = !next_valid;
            assign m_axis_tvalid = (left != {CNT_W{1'b0}});
            assign m_axis_tdata = data[OUT_W-1:0];
            wire in_fire = s_axis_tvalid && s_axis_tready;
            wire out_fire = m_axis_tvalid && m_axis_tready;
            wire [CNT_W-1:0] one = {{(CNT_W - 1) {1'b0}}, 1'b1};
            wire free = (left == {CNT_W{1'b0}}) || (left == one && out_fire);  // data reloads
            always @(posedge clk) begin
                if (free && next_valid) data <= next_data;
                else if (free && in_fire) data <= s_axis_tdata;
                else if (out_fire) data <= data >> OUT_W;
                if (in_fire && !free) next_data <= s_axis_tdata;
            end
            always @(posedge clk) begin
                if (!rst_n) begin
                    left <= {CNT_W{1'b0}};
                    next_valid <= 1'b0;
                end else if (free) begin
                    left <= (next_valid || in_fire) ? FULL : {CNT_W{1'b0}};
                    next_valid <= 1'b0;  // no input is taken while next_valid is set
                end else begin
                    if (out_fire) left <= left - one;
                    if (in_fire) next_valid <= 1'b1;
                end
            end
        end else begin : g_any
            localparam integer BUF = 2 * IN_ELEMS + OUT_ELEMS - 1;  // elements
            localparam integer BUF_W = BUF * ELEM_BITS;
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
        end
    endgenerate
endmodule
