// sf_pinwrap_in: a PINS-bit AXI-Stream of chunks -> a WIDTH-bit AXI-Stream of words.
//
// CHUNKS = ceil(WIDTH / PINS) input chunks make one output word, the first chunk in the
// word's least significant bits (the last chunk's bits above WIDTH are dropped). Lets a
// design whose input word is wider than the package's pins be placed (synth.pinwrap). Its
// ready is its own register (not the design's ready passed through), so that the wrapper adds
// no path to the design's: a word takes CHUNKS + 1 cycles.
module sf_pinwrap_in #(
    parameter integer WIDTH = 784,
    parameter integer PINS = 32
) (
    input  wire             clk,
    input  wire             rst_n,
    input  wire [PINS-1:0]  s_axis_tdata,
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,
    output wire [WIDTH-1:0] m_axis_tdata,
    output wire             m_axis_tvalid,
    input  wire             m_axis_tready
);
    localparam integer CHUNKS = (WIDTH + PINS - 1) / PINS;
    localparam integer CB = CHUNKS > 1 ? $clog2(CHUNKS) : 1;
    localparam integer LAST = CHUNKS - 1;

    reg [CHUNKS*PINS-1:0] word;
    reg [CB-1:0] count;
    reg full;
    wire take = s_axis_tvalid && s_axis_tready;

    assign s_axis_tready = !full;
    assign m_axis_tvalid = full;
    assign m_axis_tdata = word[WIDTH-1:0];

    generate
        if (CHUNKS == 1) begin : g_one
            always @(posedge clk) if (take) word <= s_axis_tdata;
        end else begin : g_shift  // the newest chunk enters at the top
            always @(posedge clk) if (take) word <= {s_axis_tdata, word[CHUNKS*PINS-1:PINS]};
        end
    endgenerate

    always @(posedge clk) begin
        if (!rst_n) begin
            count <= {CB{1'b0}};
            full <= 1'b0;
        end else begin
            if (m_axis_tready) full <= 1'b0;
            if (take) begin
                count <= (count == LAST[CB-1:0]) ? {CB{1'b0}} : count + 1'b1;
                if (count == LAST[CB-1:0]) full <= 1'b1;
            end
        end
    end
endmodule
