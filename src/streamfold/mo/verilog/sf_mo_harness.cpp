// Verilator harness for sf_mo_engine: a word memory of configurable bandwidth (bytes per
// cycle, shared by reads and writes, at most one 64-bit word per cycle), read latency (cycles
// from an accepted request to its first word) and random stalls of the request, data and
// write channels. Usage: sim IMAGE OUT BYTES_PER_CYCLE LATENCY STALL SEED
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
    top.rd_req_ready = !(stall > 0 && u(rng) < stall);
    top.rd_valid = 0;
    top.wr_ready = 0;
    if (!reads.empty() && reads.front().ready_at <= cycle && data_ok) {
      top.rd_valid = 1;
      uint64_t a = reads.front().addr;
      top.rd_data = a < mem.size() ? mem[a] : 0;
    } else if (data_ok && reads.empty()) {
      top.wr_ready = 1;
    }
    top.eval();
    bool req = top.rd_req_valid && top.rd_req_ready;
    uint64_t req_addr = top.rd_req_addr, req_len = top.rd_req_len;
    if (top.rd_valid && top.rd_ready) {
      bucket -= 8;
      reads.front().addr++;
      if (--reads.front().left == 0) reads.pop_front();
    }
    if (top.wr_valid && top.wr_ready) {
      bucket -= 8;
      if (top.wr_addr < mem.size()) mem[top.wr_addr] = top.wr_data;
    }
    if (req && req_len > 0) reads.push_back({cycle + latency, req_addr, req_len});
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
