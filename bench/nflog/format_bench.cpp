// SPDX-License-Identifier: Apache-2.0
// format_bench: nfactor-log's output formats on one thread, no kernel and
// no actors: a packed batch of 1024 events like run.sh's (64-byte UDP to
// 127.0.0.1 logged at output, 92-byte payload) turned into JSON lines
// (decode and format) and into pcap records, many times over. Prints
// nanoseconds per event for each; the share of nfactor-log's CPU per event
// that its writer thread spends before write(2).
//
// Usage: nfactor_log_format_bench [ROUNDS]   (default 2000)
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "format.hpp"
#include "nfactor/nflog/packed.hpp"

using namespace nfactor;

namespace {

std::vector<nflog::log_event> sample_events(std::size_t n) {
  // An IPv4/UDP packet 127.0.0.1:42417 -> 127.0.0.1:9999, 64-byte payload.
  byte_buffer packet = {0x45, 0x00, 0x00, 0x5c, 0x25, 0x41, 0x40,
                        0x00, 0x40, 0x11, 0x17, 0x4e, 0x7f, 0x00,
                        0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0xa5,
                        0xb1, 0x27, 0x0f, 0x00, 0x48, 0xfe, 0x5b};
  for (int i = 0; i < 64; ++i)
    packet.push_back(static_cast<std::uint8_t>('a' + i % 26));
  std::vector<nflog::log_event> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto& ev = out[i];
    ev.family = 2; // NFPROTO_IPV4
    ev.group = 5;
    ev.hook = 3; // NF_INET_LOCAL_OUT
    ev.hw_protocol = 0x0800;
    ev.prefix = "";
    ev.outdev = 1;
    ev.outdev_name = "lo";
    ev.uid = 0;
    ev.gid = 0;
    ev.seq = static_cast<std::uint32_t>(i);
    ev.payload = nflog::shared_bytes{packet};
  }
  return out;
}

template <class F>
double ns_per_event(int rounds, std::size_t events, F&& f) {
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < rounds; ++r)
    f();
  std::chrono::duration<double, std::nano> d =
      std::chrono::steady_clock::now() - t0;
  return d.count() / (static_cast<double>(rounds) * events);
}

} // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 2000;
  constexpr std::size_t n = 1024;
  auto batch = nflog::pack_events(sample_events(n));

  app::text_buffer text;
  std::size_t bytes = 0;
  auto json = ns_per_event(rounds, n, [&] {
    text.clear();
    if (app::append_json(text, batch).events != n)
      std::abort();
    bytes = text.size();
  });

  app::pcap_batch pcap;
  byte_buffer scratch;
  auto now = [] {
    return nflog::timestamp{1, 2};
  };
  auto records = ns_per_event(rounds, n, [&] {
    scratch = batch; // build() overwrites the headers
    pcap.build(scratch, now);
  });
  std::printf("{\"events\":%zu,\"rounds\":%d,\"json_ns_per_event\":%.1f,"
              "\"json_bytes_per_event\":%zu,\"pcap_ns_per_event\":%.1f}\n",
              n, rounds, json, bytes / n, records);
}
