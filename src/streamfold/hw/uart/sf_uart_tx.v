// sf_uart_tx: 8N1 UART transmitter with a valid/ready byte input; `tx` idles high.
module sf_uart_tx #(
    parameter integer CLKS_PER_BIT = 217
) (
    input  wire       clk,
    input  wire       rst_n,
    input  wire [7:0] data,
    input  wire       valid,
    output wire       ready,
    output wire       tx
);
    localparam integer CNT_W = $clog2(CLKS_PER_BIT + 1);
    localparam [31:0] FULL_32 = CLKS_PER_BIT - 1;
    localparam [CNT_W-1:0] FULL = FULL_32[CNT_W-1:0];

    reg [9:0] frame;  // stop, data[7:0], start; shifted out LSB first
    reg [3:0] bits_left;
    reg [CNT_W-1:0] count;

    assign ready = bits_left == 4'd0;
    assign tx = ready ? 1'b1 : frame[0];

    always @(posedge clk) begin
        if (!rst_n) begin
            frame <= 10'h3FF;
            bits_left <= 4'd0;
            count <= {CNT_W{1'b0}};
        end else if (ready) begin
            if (valid) begin
                frame <= {1'b1, data, 1'b0};
                bits_left <= 4'd10;
                count <= FULL;
            end
        end else if (count != {CNT_W{1'b0}}) begin
            count <= count - 1'b1;
        end else begin
            count <= FULL;
            frame <= {1'b1, frame[9:1]};
            bits_left <= bits_left - 4'd1;
        end
    end
endmodule
