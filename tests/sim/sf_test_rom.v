// Test-only: looks each input word up in a ROM loaded with $readmemh from INIT_FILE, so a test
// can check that memory images and string parameters reach the simulation.
module sf_test_rom #(
    parameter INIT_FILE = "rom.hex"
) (
    input  wire       clk,
    input  wire       rst_n,
    input  wire [3:0] s_axis_tdata,
    input  wire       s_axis_tvalid,
    output wire       s_axis_tready,
    output reg  [7:0] m_axis_tdata,
    output reg        m_axis_tvalid,
    input  wire       m_axis_tready
);
    reg [7:0] rom [0:15];
    initial $readmemh(INIT_FILE, rom);

    assign s_axis_tready = !m_axis_tvalid || m_axis_tready;

    always @(posedge clk) begin
        if (s_axis_tready) m_axis_tdata <= rom[s_axis_tdata];
        if (!rst_n) m_axis_tvalid <= 1'b0;
        else if (s_axis_tready) m_axis_tvalid <= s_axis_tvalid;
    end
endmodule
