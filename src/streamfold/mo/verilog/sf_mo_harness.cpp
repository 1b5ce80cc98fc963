// Verilator harness for sf_mo_top (the engine behind its AXI-Lite registers): an AXI4 slave
// memory of configurable bandwidth (bytes per cycle, shared by reads and writes, at most one
// 64-bit beat per cycle), latency (cycles from an accepted read burst to its first beat, and
// from a write burst's last beat to its response) and random stalls of the AR, R, AW and W
// channels, holding the image at byte address BASE (an access outside it is an error).
// Control as a host does it, over AXI-Lite: write SRC_ADDR = BASE, write CTRL = 1 (start), poll
// STATUS until done, then read RUN_CYCLES, FRAMES_IN (runs) and FRAMES_OUT (layers).
// Usage: sim IMAGE OUT BYTES_PER_CYCLE LATENCY STALL SEED BASE
// Prints "layer I CYCLE" when layer I finishes and "done CYCLES" (the `done` pin), counted
// from the cycle the engine sees start, then "status CYCLE RUN_CYCLES RUNS LAYERS" (CYCLE: when
// the poll saw done); writes the memory to OUT.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <random>
#include <vector>

#include "Vsf_mo_top.h"
#include "verilated.h"

struct Request {
  uint64_t ready_at, addr, left;
};
struct Write {
  uint64_t addr, left;
};

// AXI-Lite offsets (streamfold.runtime.regs.Reg)
enum : uint32_t { CTRL = 0x08, STATUS = 0x0C, SRC_ADDR = 0x10, FRAMES_IN = 0x1C,
                  FRAMES_OUT = 0x20, RUN_CYCLES = 0x2C };

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: sim IMAGE OUT BYTES_PER_CYCLE LATENCY STALL SEED BASE\n");
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
  const uint64_t base = std::strtoull(argv[7], nullptr, 0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  // word index of a byte address in the image, or an error outside it
  auto word = [&](uint64_t addr, const char* what, uint64_t cycle) -> uint64_t {
    if (addr < base || (addr - base) / 8 >= mem.size()) {
      std::fprintf(stderr, "%s at 0x%llx outside the image [0x%llx, +%zu) at cycle %llu\n", what,
                   (unsigned long long)addr, (unsigned long long)base, 8 * mem.size(),
                   (unsigned long long)cycle);
      std::exit(3);
    }
    return (addr - base) / 8;
  };

  Vsf_mo_top top;
  std::deque<Request> reads;
  std::deque<Write> writes;
  std::deque<uint64_t> responses;
  double bucket = 0;
  const double cap = bpc > 8 ? bpc : 8;
  uint64_t cycle = 0, layer = 0;
  top.clk = 0;
  top.rst_n = 0;
  top.s_axil_awvalid = top.s_axil_wvalid = top.s_axil_arvalid = 0;
  top.s_axil_bready = top.s_axil_rready = 1;
  top.s_axil_wstrb = 0xF;
  top.eval();
  for (int i = 0; i < 4; i++) {
    top.clk = 1; top.eval(); top.clk = 0; top.eval();
  }
  top.rst_n = 1;
  // the host's script: two writes, then reads (STATUS until done, then the counters)
  struct Op {
    bool write;
    uint32_t addr, data;
  };
  std::deque<Op> ops = {{true, SRC_ADDR, uint32_t(base)}, {true, CTRL, 1}, {false, STATUS, 0}};
  bool pending = false;  // a read was accepted, its data not yet back
  uint64_t t0 = 0, engine_done = 0, polled = 0;
  uint32_t results[3] = {0, 0, 0};
  int result_i = -1;  // reading the counters after done: index into results
  const uint64_t limit = 2000000000ull;
  for (; cycle < limit && !ops.empty(); cycle++) {
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
      top.m_axi_rdata = mem[word(reads.front().addr, "read", cycle)];
      top.m_axi_rlast = reads.front().left == 1;
    } else if (data_ok && reads.empty() && !writes.empty()) {
      top.m_axi_wready = 1;
    }
    // AXI-Lite: the front op's request until it is accepted, then (reads) its data
    const Op op = ops.front();
    top.s_axil_awvalid = top.s_axil_wvalid = op.write;
    top.s_axil_awaddr = op.addr;
    top.s_axil_wdata = op.data;
    top.s_axil_arvalid = !op.write && !pending;
    top.s_axil_araddr = op.addr;
    top.eval();
    if (op.write && top.s_axil_awready) {
      if (op.addr == CTRL) t0 = cycle + 1;  // start is high the next cycle
      ops.pop_front();
    }
    if (!op.write && !pending && top.s_axil_arready) pending = true;
    else if (pending && top.s_axil_rvalid) {
      pending = false;
      uint32_t data = top.s_axil_rdata;
      if (result_i >= 0) {
        results[result_i++] = data;
        ops.pop_front();
      } else if (data & 2) {  // STATUS.done
        polled = cycle;
        result_i = 0;
        ops = {{false, RUN_CYCLES, 0}, {false, FRAMES_IN, 0}, {false, FRAMES_OUT, 0}};
      }
    }
    bool ar = top.m_axi_arvalid && top.m_axi_arready;
    uint64_t ar_addr = top.m_axi_araddr, ar_len = uint64_t(top.m_axi_arlen) + 1;
    bool aw = top.m_axi_awvalid && top.m_axi_awready;
    uint64_t aw_addr = top.m_axi_awaddr, aw_len = uint64_t(top.m_axi_awlen) + 1;
    if (top.m_axi_bvalid && top.m_axi_bready) responses.pop_front();
    if (top.m_axi_rvalid && top.m_axi_rready) {
      bucket -= 8;
      reads.front().addr += 8;
      if (--reads.front().left == 0) reads.pop_front();
    }
    if (top.m_axi_wvalid && top.m_axi_wready) {
      bucket -= 8;
      Write& w = writes.front();
      if ((w.left == 1) != bool(top.m_axi_wlast)) {
        std::fprintf(stderr, "wlast wrong at cycle %llu\n", (unsigned long long)cycle);
        return 3;
      }
      mem[word(w.addr, "write", cycle)] = top.m_axi_wdata;
      w.addr += 8;
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
    if (top.layer_done) std::printf("layer %llu %llu\n", (unsigned long long)layer++,
                                    (unsigned long long)(cycle + 1 - t0));
    if (top.done && !engine_done && t0) engine_done = cycle + 1 - t0;
  }
  std::printf("done %llu\n", (unsigned long long)engine_done);
  std::printf("status %llu %u %u %u\n", (unsigned long long)(polled + 1 - t0), results[0],
              results[1], results[2]);
  FILE* o = std::fopen(argv[2], "wb");
  if (!o) return 2;
  for (uint64_t w : mem)
    for (int b = 0; b < 8; b++) std::fputc(int((w >> (8 * b)) & 0xff), o);
  std::fclose(o);
  return cycle < limit ? 0 : 1;
}
