// streamfold virtual board: the memory-mapped shell (sf_top_axi: one AXI4-Lite slave, one AXI4
// master with a 32-bit data bus) verilated as class Vdut, an AXI4 memory model and an AXI4-Lite
// bus driver, served as a line protocol on stdin/stdout so that the Python driver code runs
// unchanged against it (streamfold.runtime.virtual).
//
// usage: board SEED MAX_LATENCY STALL MEM_BYTES
//   MAX_LATENCY  each read burst's first beat and each write response comes 0..MAX_LATENCY
//                cycles (uniform) after its address (read) or last data beat (write)
//   STALL        probability that ARREADY/AWREADY/WREADY/RVALID/BVALID is withheld in a cycle
// commands (one per line; each answered with one line):
//   w ADDR DATA   AXI4-Lite write (hex)            -> "ok CYCLE"
//   r ADDR        AXI4-Lite read (hex)             -> "DATA" (hex)
//   m ADDR HEX    memory backdoor write of bytes    -> "ok"
//   d ADDR N      memory backdoor read of N bytes   -> HEX
//   c N           run N clock cycles               -> "ok CYCLE"
//   t             -> the current cycle
//   s             -> "ar_bursts r_beats aw_bursts w_beats b_responses max_reads_in_flight
//                     max_writes_in_flight errors"
//   e             -> the first protocol error ("none" when there was none)
//   q             quit
// Cycle 0 is the first after reset. Each cycle the memory model's outputs are set while clk is
// low, the design is evaluated, every handshake is sampled, then clk rises. Protocol checks:
// stable address/data while VALID waits, INCR bursts of 4-byte beats, no 4 KiB crossing, WLAST
// on the burst's last beat, addresses inside the memory, one response per burst.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "Vdut.h"
#include "verilated.h"

static const int RESET_CYCLES = 4;
static const uint64_t LITE_TIMEOUT = 100000;

struct Rng {
    uint64_t s;
    uint64_t next() {
        uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    double uniform() { return (next() >> 11) * (1.0 / 9007199254740992.0); }
    uint64_t below(uint64_t n) { return n ? next() % n : 0; }
};

struct Burst {
    uint32_t addr;
    uint32_t beats;
    uint32_t done;
    uint64_t ready_at;
};

struct Board {
    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<Vdut> dut;
    Rng rng;
    uint64_t max_latency;
    double stall;
    std::vector<uint8_t> mem;
    uint64_t cycle = 0;
    std::deque<Burst> reads, writes_addr, responses;
    bool rvalid = false, bvalid = false;
    uint32_t rdata = 0;
    bool rlast = false;
    // AXI4-Lite master state
    bool l_aw = false, l_w = false, l_b = false, l_ar = false, l_r = false;
    uint32_t l_awaddr = 0, l_wdata = 0, l_araddr = 0, l_rdata = 0;
    // previous cycle's waiting channels, for the stability checks
    bool ar_wait = false, aw_wait = false, w_wait = false;
    uint32_t ar_prev = 0, aw_prev = 0, w_prev = 0, w_strb_prev = 0;
    // statistics
    uint64_t ar_bursts = 0, r_beats = 0, aw_bursts = 0, w_beats = 0, b_resps = 0;
    uint64_t max_reads = 0, max_writes = 0, errors = 0, writes_in_flight = 0;
    std::string first_error;

    void error(const std::string& what) {
        if (errors++ == 0) first_error = "cycle " + std::to_string(cycle) + ": " + what;
    }

    bool in_memory(uint32_t addr, uint32_t beats) {
        return static_cast<uint64_t>(addr) + 4ULL * beats <= mem.size();
    }

    void check_burst(const char* ch, uint32_t addr, uint32_t len, uint32_t size, uint32_t burst) {
        std::string c(ch);
        if (size != 2) error(c + ": size must be 2 (4-byte beats), not " + std::to_string(size));
        if (burst != 1) error(c + ": burst must be INCR (1), not " + std::to_string(burst));
        if (addr % 4) error(c + ": address must be 4-byte aligned, not " + std::to_string(addr));
        if ((addr & 0xfff) + 4 * (len + 1) > 4096) error(c + ": burst must not cross 4 KiB at " + std::to_string(addr));
        if (!in_memory(addr, len + 1)) error(c + ": burst must lie inside the memory at " + std::to_string(addr));
    }

    uint32_t load(uint32_t addr) {
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) if (addr + i < mem.size()) v |= static_cast<uint32_t>(mem[addr + i]) << (8 * i);
        return v;
    }

    void tick() {
        Vdut& d = *dut;
        // memory model outputs (decided from its own state only)
        d.m_axi_arready = rng.uniform() >= stall;
        d.m_axi_awready = rng.uniform() >= stall;
        d.m_axi_wready = !writes_addr.empty() && rng.uniform() >= stall;
        if (!rvalid && !reads.empty() && cycle >= reads.front().ready_at && rng.uniform() >= stall) {
            Burst& b = reads.front();
            rvalid = true;
            rdata = load(b.addr + 4 * b.done);
            rlast = b.done + 1 == b.beats;
        }
        if (!bvalid && !responses.empty() && cycle >= responses.front().ready_at && rng.uniform() >= stall) bvalid = true;
        d.m_axi_rvalid = rvalid;
        d.m_axi_rdata = rdata;
        d.m_axi_rlast = rlast;
        d.m_axi_rresp = 0;
        d.m_axi_bvalid = bvalid;
        d.m_axi_bresp = 0;
        d.s_axil_awvalid = l_aw;
        d.s_axil_awaddr = static_cast<SData>(l_awaddr);
        d.s_axil_wvalid = l_w;
        d.s_axil_wdata = l_wdata;
        d.s_axil_wstrb = 0xf;
        d.s_axil_bready = l_b;
        d.s_axil_arvalid = l_ar;
        d.s_axil_araddr = static_cast<SData>(l_araddr);
        d.s_axil_rready = l_r;
        d.clk = 0;
        d.eval();
        if (d.rst_n) sample();  // the bus is idle in reset: nothing is sampled
        d.clk = 1;
        d.eval();
        ++cycle;
    }

    void sample() {
        Vdut& d = *dut;
        if (ar_wait && (d.m_axi_araddr != ar_prev || !d.m_axi_arvalid)) error("AR: ARVALID and ARADDR must hold until ARREADY");
        if (aw_wait && (d.m_axi_awaddr != aw_prev || !d.m_axi_awvalid)) error("AW: AWVALID and AWADDR must hold until AWREADY");
        if (w_wait && (d.m_axi_wdata != w_prev || d.m_axi_wstrb != w_strb_prev || !d.m_axi_wvalid)) error("W: WVALID, WDATA and WSTRB must hold until WREADY");
        ar_wait = d.m_axi_arvalid && !d.m_axi_arready;
        ar_prev = d.m_axi_araddr;
        aw_wait = d.m_axi_awvalid && !d.m_axi_awready;
        aw_prev = d.m_axi_awaddr;
        w_wait = d.m_axi_wvalid && !d.m_axi_wready;
        w_prev = d.m_axi_wdata;
        w_strb_prev = d.m_axi_wstrb;
        if (d.m_axi_arvalid && d.m_axi_arready) {
            check_burst("AR", d.m_axi_araddr, d.m_axi_arlen, d.m_axi_arsize, d.m_axi_arburst);
            reads.push_back({d.m_axi_araddr, d.m_axi_arlen + 1u, 0, cycle + 1 + rng.below(max_latency + 1)});
            ++ar_bursts;
            if (reads.size() > max_reads) max_reads = reads.size();
        }
        if (rvalid && d.m_axi_rready) {
            rvalid = false;
            ++r_beats;
            if (++reads.front().done == reads.front().beats) reads.pop_front();
        }
        if (d.m_axi_awvalid && d.m_axi_awready) {
            check_burst("AW", d.m_axi_awaddr, d.m_axi_awlen, d.m_axi_awsize, d.m_axi_awburst);
            writes_addr.push_back({d.m_axi_awaddr, d.m_axi_awlen + 1u, 0, 0});
            ++aw_bursts;
            if (++writes_in_flight > max_writes) max_writes = writes_in_flight;
        }
        if (d.m_axi_wvalid && d.m_axi_wready) {  // wready is only raised with an address queued
            Burst& b = writes_addr.front();
            uint32_t addr = b.addr + 4 * b.done;
            for (int i = 0; i < 4; ++i)
                if (((d.m_axi_wstrb >> i) & 1) && addr + i < mem.size()) mem[addr + i] = static_cast<uint8_t>(d.m_axi_wdata >> (8 * i));
            ++w_beats;
            bool last = ++b.done == b.beats;
            if (static_cast<bool>(d.m_axi_wlast) != last) error("W: WLAST must mark exactly the burst's last beat");
            if (last) {
                responses.push_back({0, 0, 0, cycle + 1 + rng.below(max_latency + 1)});
                writes_addr.pop_front();
            }
        }
        if (bvalid && d.m_axi_bready) {
            bvalid = false;
            ++b_resps;
            --writes_in_flight;
            responses.pop_front();
        }
        if (l_aw && d.s_axil_awready) l_aw = false;
        if (l_w && d.s_axil_wready) l_w = false;
        if (l_b && d.s_axil_bvalid) l_b = false;
        if (l_ar && d.s_axil_arready) l_ar = false;
        if (l_r && d.s_axil_rvalid) { l_r = false; l_rdata = d.s_axil_rdata; }
    }

    bool lite_write(uint32_t addr, uint32_t data) {
        l_aw = l_w = l_b = true;
        l_awaddr = addr;
        l_wdata = data;
        for (uint64_t i = 0; i < LITE_TIMEOUT && (l_aw || l_w || l_b); ++i) tick();
        return !(l_aw || l_w || l_b);
    }

    bool lite_read(uint32_t addr, uint32_t& data) {
        l_ar = l_r = true;
        l_araddr = addr;
        for (uint64_t i = 0; i < LITE_TIMEOUT && (l_ar || l_r); ++i) tick();
        data = l_rdata;
        return !(l_ar || l_r);
    }
};

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s SEED MAX_LATENCY STALL MEM_BYTES\n", argv[0]);
        return 2;
    }
    Board b;
    const uint64_t seed = std::strtoull(argv[1], nullptr, 10);
    b.rng.s = seed * 0x2545f4914f6cdd1dULL + 1;
    b.max_latency = std::strtoull(argv[2], nullptr, 10);
    b.stall = std::atof(argv[3]);
    b.mem.assign(std::strtoull(argv[4], nullptr, 10), 0);
    b.ctx = std::make_unique<VerilatedContext>();
    b.ctx->randReset(2);
    b.ctx->randSeed(static_cast<int>(seed % 1000000007ULL) + 1);
    b.dut = std::make_unique<Vdut>(b.ctx.get(), "TOP");
    b.dut->rst_n = 0;
    for (int i = 0; i < RESET_CYCLES; ++i) b.tick();
    b.dut->rst_n = 1;
    b.cycle = 0;

    std::ios::sync_with_stdio(false);
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::string cmd;
        in >> cmd;
        std::ostringstream out;
        if (cmd == "w") {
            uint32_t addr = 0, data = 0;
            in >> std::hex >> addr >> data;
            out << (b.lite_write(addr, data) ? "ok " : "timeout ") << std::dec << b.cycle;
        } else if (cmd == "r") {
            uint32_t addr = 0, data = 0;
            in >> std::hex >> addr;
            if (b.lite_read(addr, data)) out << std::hex << data;
            else out << "timeout";
        } else if (cmd == "m") {
            uint64_t addr = 0;
            std::string hex;
            in >> std::hex >> addr >> hex;
            if (addr + hex.size() / 2 > b.mem.size() || hex.size() % 2) { out << "bad"; }
            else {
                for (size_t i = 0; i < hex.size() / 2; ++i) b.mem[addr + i] = static_cast<uint8_t>(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
                out << "ok";
            }
        } else if (cmd == "d") {
            uint64_t addr = 0, n = 0;
            in >> std::hex >> addr >> std::dec >> n;
            if (addr + n > b.mem.size()) out << "bad";
            else {
                static const char* digits = "0123456789abcdef";
                std::string s(2 * n, '0');
                for (uint64_t i = 0; i < n; ++i) { s[2 * i] = digits[b.mem[addr + i] >> 4]; s[2 * i + 1] = digits[b.mem[addr + i] & 15]; }
                out << s;
            }
        } else if (cmd == "c") {
            uint64_t n = 0;
            in >> n;
            for (uint64_t i = 0; i < n; ++i) b.tick();
            out << "ok " << b.cycle;
        } else if (cmd == "t") {
            out << b.cycle;
        } else if (cmd == "s") {
            out << b.ar_bursts << ' ' << b.r_beats << ' ' << b.aw_bursts << ' ' << b.w_beats << ' ' << b.b_resps << ' '
                << b.max_reads << ' ' << b.max_writes << ' ' << b.errors;
        } else if (cmd == "e") {
            out << (b.errors ? b.first_error : std::string("none"));
        } else if (cmd == "q") {
            break;
        } else {
            out << "unknown";
        }
        std::cout << out.str() << '\n' << std::flush;
    }
    b.dut->final();
    return 0;
}
