// Verilator harness for sf_mo_engine: an AXI4 slave memory of configurable bandwidth (bytes per
// cycle, shared by reads and writes, at most one 64-bit beat per cycle), latency (cycles from
// an accepted read burst to its first beat, and from a write burst's last beat to its
// response) and random stalls of the AR, R, AW and W channels. Usage: sim IMAGE OUT BYTES_PER_CYCLE LATENCY STALL SEED
// Prints "layer I CYCLE" when layer I finishes and "done CYCLES"; writes the memory to OUT.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <random>
#include <vector>

#include "Vsf_mo_engine.h"
#include "verilated.h"

struct Request {
  uint64_t ready_at, addr, left;
};
struct Write {
  uint64_t addr, left;
};

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: sim IMAGE OUT BYTES_PER_CYCLE LATENCY STALL SEED\n");
    return 2;
  }
  FILE* f = std::fopen(argv[1], "rb");
  if (!f) return 2;
  std::vector<uint8_t> bytes;
  for (int c; (c = std::fgetc(f)) != EOF;) bytes.push_back(uint8_t(c));
  std::fclose(f);
  bytes.resize((bytes.size() + 7) / 8 * 8, 0);
  std::vector<uint64_t> mem(bytes.size() / 8);
  for (size_t i = 0; i < mem.size(); i++)
    for (int b = 0; b < 8; b++) mem[i] |= uint64_t(bytes[8 * i + b]) << (8 * b);
  const double bpc = std::atof(argv[3]);
  const uint64_t latency = std::strtoull(argv[4], nullptr, 10);
  const double stall = std::atof(argv[5]);
  std::mt19937_64 rng(std::strtoull(argv[6], nullptr, 10));
  std::uniform_real_distribution<double> u(0.0, 1.0);

  Vsf_mo_engine top;
  std::deque<Request> reads;
  std::deque<Write> writes;
  std::deque<uint64_t> responses;
  double bucket = 0;
  const double cap = bpc > 8 ? bpc : 8;
  uint64_t cycle = 0, layer = 0;
  top.clk = 0;
  top.rst_n = 0;
  top.start = 0;
  top.eval();
  for (int i = 0; i < 4; i++) {
    top.clk = 1; top.eval(); top.clk = 0; top.eval();
  }
  top.rst_n = 1;
  top.start = 1;
  const uint64_t limit = 2000000000ull;
  for (; cycle < limit; cycle++) {
    bucket = bucket + bpc > cap ? cap : bucket + bpc;
    bool data_ok = bucket >= 8 && !(stall > 0 && u(rng) < stall);
    top.m_axi_arready = !(stall > 0 && u(rng) < stall);
    top.m_axi_awready = !(stall > 0 && u(rng) < stall);
    top.m_axi_rvalid = 0;
    top.m_axi_rlast = 0;
    top.m_axi_wready = 0;
    top.m_axi_bvalid = !responses.empty() && responses.front() <= cycle;
    if (!reads.empty() && reads.front().ready_at <= cycle && data_ok) {
      top.m_axi_rvalid = 1;
      uint64_t a = reads.front().addr;
      top.m_axi_rdata = a < mem.size() ? mem[a] : 0;
      top.m_axi_rlast = reads.front().left == 1;
    } else if (data_ok && reads.empty() && !writes.empty()) {
      top.m_axi_wready = 1;
    }
    top.eval();
    bool ar = top.m_axi_arvalid && top.m_axi_arready;
    uint64_t ar_addr = top.m_axi_araddr / 8, ar_len = uint64_t(top.m_axi_arlen) + 1;
    bool aw = top.m_axi_awvalid && top.m_axi_awready;
    uint64_t aw_addr = top.m_axi_awaddr / 8, aw_len = uint64_t(top.m_axi_awlen) + 1;
    if (top.m_axi_bvalid && top.m_axi_bready) responses.pop_front();
    if (top.m_axi_rvalid && top.m_axi_rready) {
      bucket -= 8;
      reads.front().addr++;
      if (--reads.front().left == 0) reads.pop_front();
    }
    if (top.m_axi_wvalid && top.m_axi_wready) {
      bucket -= 8;
      Write& w = writes.front();
      if ((w.left == 1) != bool(top.m_axi_wlast)) {
        std::fprintf(stderr, "wlast wrong at cycle %llu\n", (unsigned long long)cycle);
        return 3;
      }
      if (w.addr < mem.size()) mem[w.addr] = top.m_axi_wdata;
      w.addr++;
      if (--w.left == 0) {
        writes.pop_front();
        responses.push_back(cycle + 1 + latency);
      }
    }
    if (ar) reads.push_back({cycle + latency, ar_addr, ar_len});
    if (aw) writes.push_back({aw_addr, aw_len});
    top.clk = 1;
    top.eval();
    top.clk = 0;
    top.eval();
    top.start = 0;
    if (top.layer_done) std::printf("layer %llu %llu\n", (unsigned long long)layer++,
                                    (unsigned long long)(cycle + 1));
    if (top.done) break;
  }
  std::printf("done %llu\n", (unsigned long long)(cycle + 1));
  FILE* o = std::fopen(argv[2], "wb");
  if (!o) return 2;
  for (uint64_t w : mem)
    for (int b = 0; b < 8; b++) std::fputc(int((w >> (8 * b)) & 0xff), o);
  std::fclose(o);
  return cycle < limit ? 0 : 1;
}
