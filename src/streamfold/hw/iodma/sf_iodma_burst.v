// sf_iodma_burst: the length of the DMA's next INCR burst (combinational): as many beats as are
// left, at most MAX_BURST (<= 256), and never across a 4 KiB boundary from `offset`, the
// address's low 12 bits (AXI4 forbids bursts that cross one). Shared by sf_iodma_rd's address
// channel and sf_iodma_wr's address and data channels, which must agree on every burst.
module sf_iodma_burst #(
    parameter integer BUS_BYTES = 4,
    parameter integer MAX_BURST = 16,
    parameter integer BEAT_W = 48
) (
    input  wire [11:0]       offset,
    input  wire [BEAT_W-1:0] left,
    output wire [12:0]       len
);
    localparam integer SHIFT = $clog2(BUS_BYTES);
    localparam [31:0] BURST_32 = MAX_BURST;
    localparam [12:0] BURST_MAX = BURST_32[12:0];

    wire [12:0] to_boundary = (13'd4096 - {1'b0, offset}) >> SHIFT;
    wire [12:0] cap = (to_boundary < BURST_MAX) ? to_boundary : BURST_MAX;
    assign len = (left < {{(BEAT_W - 13){1'b0}}, cap}) ? left[12:0] : cap;
endmodule
