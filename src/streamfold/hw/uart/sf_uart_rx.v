// sf_uart_rx: 8N1 UART receiver. `rx` is synchronised through two flip-flops; each bit is
// sampled in the middle of its CLKS_PER_BIT-cycle period. `valid` pulses for one cycle with
// each received byte (no backpressure: the consumer must take it); a byte whose stop bit is
// low is dropped.
module sf_uart_rx #(
    parameter integer CLKS_PER_BIT = 217
) (
    input  wire       clk,
    input  wire       rst_n,
    input  wire       rx,
    output reg  [7:0] data,
    output reg        valid
);
    localparam integer CNT_W = $clog2(CLKS_PER_BIT + 1);
    localparam [31:0] FULL_32 = CLKS_PER_BIT - 1;
    localparam [31:0] HALF_32 = CLKS_PER_BIT / 2;
    localparam [CNT_W-1:0] FULL = FULL_32[CNT_W-1:0];
    localparam [CNT_W-1:0] HALF = HALF_32[CNT_W-1:0];

    reg rx_meta, rx_sync;
    reg busy;
    reg [CNT_W-1:0] count;
    reg [3:0] bit_idx;  // 0: start bit, 1-8: data, 9: stop
    reg [7:0] shift;

    always @(posedge clk) begin
        rx_meta <= rx;
        rx_sync <= rx_meta;
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            busy <= 1'b0;
            valid <= 1'b0;
            count <= {CNT_W{1'b0}};
            bit_idx <= 4'd0;
            shift <= 8'd0;
            data <= 8'd0;
        end else begin
            valid <= 1'b0;
            if (!busy) begin
                if (!rx_sync) begin  // a start bit: sample it again mid-bit
                    busy <= 1'b1;
                    count <= HALF;
                    bit_idx <= 4'd0;
                end
            end else if (count != {CNT_W{1'b0}}) begin
                count <= count - 1'b1;
            end else begin
                count <= FULL;
                bit_idx <= bit_idx + 4'd1;
                if (bit_idx == 4'd0) begin
                    if (rx_sync) busy <= 1'b0;  // a glitch, not a start bit
                end else if (bit_idx == 4'd9) begin
                    busy <= 1'b0;
                    if (rx_sync) begin
                        data <= shift;
                        valid <= 1'b1;
                    end
                end else begin
                    shift <= {rx_sync, shift[7:1]};
                end
            end
        end
    end
endmodule
