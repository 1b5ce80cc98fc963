// streamfold virtual open board: a board top with a UART host link (sf_board_ulx3s: ports
// clk_25mhz, ftdi_txd in, ftdi_rxd out, led) verilated as class Vdut; this harness is the
// host's end of the serial line, 8N1 at CLKS_PER_BIT clock cycles per bit, served as a line
// protocol on stdin/stdout (streamfold.runtime.uart.SimLink).
//
// usage: uart CLKS_PER_BIT
// commands (each answered with one line):
//   x NREPLY HEX  send the bytes HEX on the line, run until NREPLY bytes came back -> HEX
//                 ("timeout" when they do not come within a generous bound)
//   c N           run N cycles -> "ok CYCLE"
//   t             -> the current cycle
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "Vdut.h"
#include "verilated.h"

struct Line {
    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<Vdut> dut;
    uint64_t cpb = 8, cycle = 0;
    std::deque<uint8_t> to_send;
    bool sending = false;
    uint32_t frame = 0;
    uint64_t bit = 0, bit_cycles = 0;
    bool receiving = false;
    uint64_t rx_count = 0;
    uint32_t rx_bits = 0;
    int rx_idx = 0;
    std::string received;

    void tick() {
        if (!sending && !to_send.empty()) {
            frame = 0x200u | (static_cast<uint32_t>(to_send.front()) << 1);  // stop, data, start
            to_send.pop_front();
            sending = true;
            bit = 0;
            bit_cycles = cpb;
        }
        dut->ftdi_txd = sending ? (frame >> bit) & 1u : 1u;
        dut->clk_25mhz = 0;
        dut->eval();
        sample(dut->ftdi_rxd & 1u);
        dut->clk_25mhz = 1;
        dut->eval();
        ++cycle;
        if (sending && --bit_cycles == 0) {
            bit_cycles = cpb;
            if (++bit == 10) sending = false;
        }
    }

    void sample(unsigned rxd) {
        if (!receiving) {
            if (!rxd) {  // a start bit: sample each bit in its middle
                receiving = true;
                rx_count = cpb / 2;
                rx_idx = 0;
                rx_bits = 0;
            }
            return;
        }
        if (--rx_count) return;
        rx_count = cpb;
        if (rx_idx >= 1 && rx_idx <= 8) rx_bits |= rxd << (rx_idx - 1);
        if (++rx_idx == 10) {
            receiving = false;
            static const char* digits = "0123456789abcdef";
            received += digits[(rx_bits >> 4) & 15];
            received += digits[rx_bits & 15];
        }
    }
};

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
}

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CLKS_PER_BIT\n", argv[0]);
        return 2;
    }
    Line l;
    l.cpb = std::strtoull(argv[1], nullptr, 10);
    l.ctx = std::make_unique<VerilatedContext>();
    l.ctx->randReset(2);
    l.dut = std::make_unique<Vdut>(l.ctx.get(), "TOP");
    for (int i = 0; i < 64; ++i) l.tick();  // past the board's power-on reset
    l.cycle = 0;
    l.received.clear();  // what the line did before reset is not a byte
    l.receiving = false;
    std::ios::sync_with_stdio(false);
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::string cmd;
        in >> cmd;
        std::ostringstream out;
        if (cmd == "x") {
            uint64_t n = 0;
            std::string hex;
            in >> n >> hex;
            for (size_t i = 0; i + 1 < hex.size(); i += 2) l.to_send.push_back(static_cast<uint8_t>(hexval(hex[i]) << 4 | hexval(hex[i + 1])));
            const uint64_t limit = l.cycle + (hex.size() / 2 + n + 4) * 10 * l.cpb * 4 + 100000;
            while ((l.received.size() < 2 * n || !l.to_send.empty() || l.sending) && l.cycle < limit) l.tick();
            if (l.received.size() < 2 * n) out << "timeout";
            else out << l.received.substr(0, 2 * n);
            l.received.erase(0, 2 * n);
            if (n == 0) out.str("");
        } else if (cmd == "c") {
            uint64_t n = 0;
            in >> n;
            for (uint64_t i = 0; i < n; ++i) l.tick();
            out << "ok " << l.cycle;
        } else if (cmd == "t") {
            out << l.cycle;
        } else {
            out << "unknown";
        }
        std::cout << out.str() << '\n' << std::flush;
    }
    l.dut->final();
    return 0;
}
