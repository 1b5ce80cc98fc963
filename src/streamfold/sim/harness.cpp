// streamfold RTL simulation harness: drives one AXI-Stream design verilated as class Vdut.
//
// Built by streamfold.sim.rtl with -DSF_IN_WIDTH=<bits> -DSF_OUT_WIDTH=<bits>; the C++ type of
// each tdata port (CData/SData/IData/QData/VlWide<N>) is picked by overloads of put()/get().
//
// usage: harness IN_HEX OUT_TXT SEED STALL_IN STALL_OUT OUT_WORDS MAX_CYCLES IDLE_CYCLES
//   IN_HEX   input words, one hex number per line
//   OUT_TXT  written: "v <cycle>" once, when the first input word is first offered (tvalid),
//            "i <cycle>" per input handshake, "o <cycle> <hex>" per output handshake,
//            "s <name> <last move cycle> <tvalid> <tready>" per internal stream (on a stall),
//            "f <name> <cycle>" per internal stream: its first handshake (when there was one),
//            "h <index> <cycle>" per internal handshake when SF_TRACE is set in the environment
//            (index into SF_INTERNAL_STREAMS),
//            last "end <ok|idle|max|early> <cycles> <seconds> <words in> <words out>"
// Cycle 0 is the first cycle after reset. Each cycle the inputs are set while clk is low, the
// design is evaluated, both handshakes are sampled, then clk rises.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "Vdut.h"
#include "verilated.h"
#include "verilated_syms.h"

#ifndef SF_IN_WIDTH
#error "SF_IN_WIDTH must be defined"
#endif
#ifndef SF_OUT_WIDTH
#error "SF_OUT_WIDTH must be defined"
#endif

static const int IN_CHUNKS = (SF_IN_WIDTH + 31) / 32;
static const int OUT_CHUNKS = (SF_OUT_WIDTH + 31) / 32;
static const int RESET_CYCLES = 4;

// Bytes of the C++ type Verilator gives a port of `width` bits.
constexpr std::size_t port_bytes(int width) {
    return width <= 8 ? 1 : width <= 16 ? 2 : width <= 32 ? 4 : width <= 64 ? 8 : 4 * ((width + 31) / 32);
}

// sf_internal_streams.h (generated per build) defines SF_INTERNAL_STREAMS: a comma-separated
// list of string literals naming <name>_tvalid / <name>_tready pairs inside the top.
#include "sf_internal_streams.h"
static const char* const INTERNAL_NAMES[] = {SF_INTERNAL_STREAMS nullptr};

// ---- a seeded PRNG (splitmix64), so runs are reproducible across platforms
struct Rng {
    uint64_t s;
    uint64_t next() {
        uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    double uniform() { return (next() >> 11) * (1.0 / 9007199254740992.0); }
};

// ---- words as little-endian vectors of 32-bit chunks
static void put(CData& s, const uint32_t* w) { s = static_cast<CData>(w[0]); }
static void put(SData& s, const uint32_t* w) { s = static_cast<SData>(w[0]); }
static void put(IData& s, const uint32_t* w) { s = w[0]; }
static void put(QData& s, const uint32_t* w) {
    s = static_cast<QData>(w[0]) | (IN_CHUNKS > 1 ? static_cast<QData>(w[IN_CHUNKS > 1 ? 1 : 0]) << 32 : 0);
}
template <std::size_t N>
static void put(VlWide<N>& s, const uint32_t* w) {
    for (std::size_t i = 0; i < N; ++i) s[i] = w[i];
}
static void get(CData s, uint32_t* w) { w[0] = s; }
static void get(SData s, uint32_t* w) { w[0] = s; }
static void get(IData s, uint32_t* w) { w[0] = s; }
static void get(QData s, uint32_t* w) {
    w[0] = static_cast<uint32_t>(s);
    if (OUT_CHUNKS > 1) w[OUT_CHUNKS > 1 ? 1 : 0] = static_cast<uint32_t>(s >> 32);
}
template <std::size_t N>
static void get(const VlWide<N>& s, uint32_t* w) {
    for (std::size_t i = 0; i < N; ++i) w[i] = s[i];
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Reads one hex word per line into IN_CHUNKS chunks each; returns false on a malformed file.
static bool read_words(const char* path, std::vector<uint32_t>& out) {
    FILE* f = std::fopen(path, "r");
    if (!f) return false;
    char line[1 << 16];
    while (std::fgets(line, sizeof line, f)) {
        size_t n = std::strcspn(line, "\r\n");
        if (n == 0) continue;
        size_t base = out.size();
        out.resize(base + IN_CHUNKS, 0);
        for (size_t k = 0; k < n; ++k) {  // digit k counted from the right
            int v = hexval(line[n - 1 - k]);
            if (v < 0) { std::fclose(f); return false; }
            size_t chunk = k / 8;
            if (chunk < static_cast<size_t>(IN_CHUNKS)) out[base + chunk] |= static_cast<uint32_t>(v) << (4 * (k % 8));
        }
    }
    std::fclose(f);
    return true;
}

static void write_hex(FILE* f, const uint32_t* w) {
    const uint32_t top_mask = (SF_OUT_WIDTH % 32) ? ((1u << (SF_OUT_WIDTH % 32)) - 1u) : 0xffffffffu;
    std::fprintf(f, "%x", w[OUT_CHUNKS - 1] & top_mask);
    for (int i = OUT_CHUNKS - 2; i >= 0; --i) std::fprintf(f, "%08x", w[i]);
}

struct Internal {
    const char* name;
    const CData* valid;
    const CData* ready;
    CData last_valid, last_ready;
    uint64_t last_move;
    int64_t first_handshake;  // -1 until the first word moves
};

// Looks up <name>_tvalid/_tready in the top's public scope; null pointers when not public.
static std::vector<Internal> find_internal(VerilatedContext* ctx) {
    std::vector<Internal> found;
    const VerilatedScopeNameMap* scopes = ctx->scopeNameMap();
    for (int i = 0; INTERNAL_NAMES[i]; ++i) {
        Internal s{INTERNAL_NAMES[i], nullptr, nullptr, 0, 0, 0, -1};
        if (scopes) {
            for (const auto& kv : *scopes) {
                const VerilatedScope* sc = kv.second;
                const VerilatedVar* v = sc->varFind((std::string(s.name) + "_tvalid").c_str());
                const VerilatedVar* r = sc->varFind((std::string(s.name) + "_tready").c_str());
                if (v && r) {
                    s.valid = static_cast<const CData*>(v->datap());
                    s.ready = static_cast<const CData*>(r->datap());
                    break;
                }
            }
        }
        found.push_back(s);
    }
    return found;
}

int main(int argc, char** argv) {
    if (argc != 9) {
        std::fprintf(stderr, "usage: %s IN_HEX OUT_TXT SEED STALL_IN STALL_OUT OUT_WORDS MAX_CYCLES IDLE_CYCLES\n", argv[0]);
        return 2;
    }
    std::vector<uint32_t> in;
    if (!read_words(argv[1], in)) {
        std::fprintf(stderr, "harness: cannot read input words from %s\n", argv[1]);
        return 2;
    }
    FILE* out = std::fopen(argv[2], "w");
    if (!out) {
        std::fprintf(stderr, "harness: cannot write %s\n", argv[2]);
        return 2;
    }
    const uint64_t seed = std::strtoull(argv[3], nullptr, 10);
    const double stall_in = std::atof(argv[4]);
    const double stall_out = std::atof(argv[5]);
    const uint64_t out_words = std::strtoull(argv[6], nullptr, 10);
    const uint64_t max_cycles = std::strtoull(argv[7], nullptr, 10);
    const uint64_t idle_cycles = std::strtoull(argv[8], nullptr, 10);
    const uint64_t in_words = in.size() / IN_CHUNKS;

    static_assert(sizeof(Vdut::s_axis_tdata) == port_bytes(SF_IN_WIDTH),
                  "s_axis_tdata of the top must be in_width bits wide");
    static_assert(sizeof(Vdut::m_axis_tdata) == port_bytes(SF_OUT_WIDTH),
                  "m_axis_tdata of the top must be out_width bits wide");
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->randReset(2);  // randomise uninitialised state: a design must not rely on zeros
    ctx->randSeed(static_cast<int>(seed % 1000000007ULL) + 1);
    auto dut = std::make_unique<Vdut>(ctx.get(), "TOP");
    std::vector<Internal> internal = find_internal(ctx.get());
    Rng rng{seed * 0x2545f4914f6cdd1dULL + 1};
    std::vector<uint32_t> wout(OUT_CHUNKS, 0);
    const bool trace = std::getenv("SF_TRACE") != nullptr;

    dut->clk = 0;
    dut->rst_n = 0;
    dut->s_axis_tvalid = 0;
    dut->m_axis_tready = 0;
    for (int i = 0; i < RESET_CYCLES; ++i) {
        dut->clk = 0; dut->eval();
        dut->clk = 1; dut->eval();
    }
    dut->rst_n = 1;

    const auto t0 = std::chrono::steady_clock::now();
    uint64_t cycle = 0, nin = 0, nout = 0, last_move = 0;
    bool valid = false;
    const char* status = "ok";
    while (nout < out_words) {
        if (cycle >= max_cycles) { status = "max"; break; }
        if (cycle - last_move >= idle_cycles) { status = "idle"; break; }
        if (!valid && nin < in_words && rng.uniform() >= stall_in) {
            valid = true;  // AXI-Stream: once raised, tvalid and tdata hold until accepted
            put(dut->s_axis_tdata, &in[nin * IN_CHUNKS]);
            if (nin == 0) std::fprintf(out, "v %llu\n", static_cast<unsigned long long>(cycle));
        }
        dut->s_axis_tvalid = valid;
        dut->m_axis_tready = rng.uniform() >= stall_out;
        dut->clk = 0;
        dut->eval();
        if (valid && dut->s_axis_tready) {
            std::fprintf(out, "i %llu\n", static_cast<unsigned long long>(cycle));
            valid = false;
            ++nin;
            last_move = cycle;
        }
        if (dut->m_axis_tvalid && dut->m_axis_tready) {
            get(dut->m_axis_tdata, wout.data());
            std::fprintf(out, "o %llu ", static_cast<unsigned long long>(cycle));
            write_hex(out, wout.data());
            std::fputc('\n', out);
            ++nout;
            last_move = cycle;
        }
        for (std::size_t k = 0; k < internal.size(); ++k) {
            Internal& s = internal[k];
            if (!s.valid) continue;
            CData v = *s.valid & 1, r = *s.ready & 1;
            if (trace && v && r) std::fprintf(out, "h %zu %llu\n", k, static_cast<unsigned long long>(cycle));
            if ((v && r) || v != s.last_valid || r != s.last_ready) s.last_move = cycle;
            if (v && r && s.first_handshake < 0) s.first_handshake = static_cast<int64_t>(cycle);
            s.last_valid = v;
            s.last_ready = r;
        }
        dut->clk = 1;
        dut->eval();
        ++cycle;
    }
    if (std::strcmp(status, "ok") == 0 && nin < in_words) status = "early";
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (std::strcmp(status, "ok") != 0) {
        for (const auto& s : internal) {
            if (!s.valid) std::fprintf(out, "s %s none 0 0\n", s.name);
            else std::fprintf(out, "s %s %llu %d %d\n", s.name, static_cast<unsigned long long>(s.last_move), s.last_valid, s.last_ready);
        }
    }
    for (const auto& s : internal) {
        if (s.first_handshake >= 0) std::fprintf(out, "f %s %lld\n", s.name, static_cast<long long>(s.first_handshake));
    }
    std::fprintf(out, "end %s %llu %.6f %llu %llu\n", status, static_cast<unsigned long long>(cycle), seconds,
                 static_cast<unsigned long long>(nin), static_cast<unsigned long long>(nout));
    std::fclose(out);
    dut->final();
    return 0;
}
