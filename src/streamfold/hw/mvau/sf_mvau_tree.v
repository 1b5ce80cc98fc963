// sf_mvau_tree: one PE's products and registered adder tree over its SIMD lanes (sf_mvau's
// stages 2 + OPR .. CP): level 0 registers the SIMD products, level l the sums of pairs of
// level l - 1, one bit wider per level and capped at ACC_BITS (modulo 2**ACC_BITS from there
// on, exact because the dot product fits); root is level D = clog2(SIMD), D + 1 cycles after
// x and w.
`default_nettype none

module sf_mvau_tree #(
    parameter integer SIMD = 1,
    parameter integer IN_BITS = 4,
    parameter integer IN_SIGNED = 0,
    parameter integer IN_BIPOLAR = 0,
    parameter integer W_BITS = 4,
    parameter integer W_SIGNED = 1,
    parameter integer W_BIPOLAR = 0,
    parameter integer ACC_BITS = 16,
    // derived (sf_mvau's own; not set by an instance)
    parameter integer XNOR = (IN_BIPOLAR != 0 && W_BIPOLAR != 0) ? 1 : 0,
    parameter integer PB = (XNOR != 0) ? 2 : IN_BITS + W_BITS + 2,
    parameter integer LB = (PB < ACC_BITS) ? PB : ACC_BITS,
    parameter integer D = $clog2(SIMD),
    parameter integer RW = (LB + D < ACC_BITS) ? LB + D : ACC_BITS
) (
    input wire clk,
    input wire [SIMD*IN_BITS-1:0] x,
    input wire [SIMD*W_BITS-1:0] w,
    output wire [RW-1:0] root
);
    function integer lw(input integer l);
        lw = (LB + l < ACC_BITS) ? LB + l : ACC_BITS;
    endfunction

    function integer level_nodes(input integer l);
        level_nodes = (SIMD + (1 << l) - 1) >> l;
    endfunction

    function integer level_offset(input integer l);
        integer j;
        begin
            level_offset = 0;
            for (j = 0; j < l; j = j + 1) level_offset = level_offset + level_nodes(j) * lw(j);
        end
    endfunction

    localparam integer TREE_BITS = level_offset(D + 1);

    wire [TREE_BITS-1:0] tree;
    genvar l, i;
    generate
        for (l = 0; l <= D; l = l + 1) begin : g_level
            localparam integer N = level_nodes(l);
            localparam integer W = lw(l);
            // the level below: its width, nodes and offset in the tree
            localparam integer PW = (l > 0) ? lw(l - 1) : 1;
            localparam integer PN = (l > 0) ? level_nodes(l - 1) : 1;
            localparam integer POFF = (l > 0) ? level_offset(l - 1) : 0;
            wire [N*W-1:0] nxt;
            reg [N*W-1:0] q;
            always @(posedge clk) q <= nxt;
            assign tree[level_offset(l) +: N*W] = q;
            for (i = 0; i < N; i = i + 1) begin : g_node
                if (l == 0) begin : g_leaf
                    wire [IN_BITS-1:0] xe = x[i*IN_BITS +: IN_BITS];
                    wire [W_BITS-1:0] we = w[i*W_BITS +: W_BITS];
                    // Bits of a product above the accumulator width cannot change the
                    // result modulo 2**ACC_BITS; they are dropped on purpose. Both operands
                    // sign- or zero-extended to the product width, once, for whichever
                    // product reads them (an XNOR product reads neither).
                    /* verilator lint_off UNUSEDSIGNAL */
                    wire [PB-1:0] prod;
                    wire [PB-1:0] xp;
                    wire [PB-1:0] wp;
                    /* verilator lint_on UNUSEDSIGNAL */
                    if (IN_SIGNED != 0) begin : g_xs
                        assign xp = {{(PB - IN_BITS) {xe[IN_BITS-1]}}, xe};
                    end else begin : g_xu
                        assign xp = {{(PB - IN_BITS) {1'b0}}, xe};
                    end
                    if (W_SIGNED != 0) begin : g_ws
                        assign wp = {{(PB - W_BITS) {we[W_BITS-1]}}, we};
                    end else begin : g_wu
                        assign wp = {{(PB - W_BITS) {1'b0}}, we};
                    end
                    if (XNOR != 0) begin : g_xnor
                        assign prod = {1'b0, ~(xe ^ we)};
                    end else if (W_BIPOLAR != 0) begin : g_neg_x  // x * (+-1)
                        assign prod = we[0] ? xp : -xp;
                    end else if (IN_BIPOLAR != 0) begin : g_neg_w  // (+-1) * w
                        assign prod = xe[0] ? wp : -wp;
                    end else begin : g_mul
                        assign prod = xp * wp;
                    end
                    assign nxt[i*W +: W] = prod[W-1:0];
                end else begin : g_add
                    wire [PW-1:0] a = tree[POFF + 2*i*PW +: PW];
                    wire [W-1:0] ax;
                    if (W > PW) begin : g_ext_a
                        assign ax = {a[PW-1], a};
                    end else begin : g_keep_a
                        assign ax = a;
                    end
                    if (2*i + 1 < PN) begin : g_pair
                        wire [PW-1:0] b = tree[POFF + (2*i + 1)*PW +: PW];
                        wire [W-1:0] bx;
                        if (W > PW) begin : g_ext_b
                            assign bx = {b[PW-1], b};
                        end else begin : g_keep_b
                            assign bx = b;
                        end
                        assign nxt[i*W +: W] = ax + bx;
                    end else begin : g_pass
                        assign nxt[i*W +: W] = ax;
                    end
                end
            end
        end
    endgenerate
    assign root = tree[level_offset(D) +: RW];
endmodule

`default_nettype wire
