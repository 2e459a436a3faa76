// SPDX-License-Identifier: Apache-2.0
// Fuzzes the trace decoder (nft/trace.hpp) and the grouping and text of
// packet traces (nft/packet_trace.hpp) on datagrams as the trace monitor
// reads them. Every decoded event must round-trip: append → decode gives
// an equal event whose encoding is byte-identical to the first. All
// events are grouped (every trace closed exactly once: the steps that
// come out equal the events that went in) and rendered. A message that
// does not decode gives a typed error with a message.
// Seeds (corpus/fuzz_nft_trace/): the trace messages captured from kernel
// 6.18 by tests/golden/capture_trace.py, one per file, and all of them in
// one datagram.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <linux/netfilter/nf_tables.h>

#include "nfactor/nft/packet_trace.hpp"
#include "nfactor/nft/trace.hpp"
#include "typed_error.hpp"

using namespace nfactor;

namespace {

void round_trip(const nft::trace_event& e) {
  byte_buffer once;
  nft::append(once, NFT_MSG_TRACE, 0, 0, e);
  nl::message_reader rd{once};
  if (!rd.next())
    std::abort();
  auto back = nft::decode_trace(rd.get());
  if (!back || !(*back == e))
    std::abort(); // what we encoded does not decode to the same event
  byte_buffer twice;
  nft::append(twice, NFT_MSG_TRACE, 0, 0, *back);
  if (twice != once)
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  nft::assembler_options opts;
  opts.max_open = 4;
  opts.max_steps = 8;
  nft::trace_assembler assembler{opts};
  std::vector<nft::packet_trace> closed;
  std::size_t fed = 0;
  auto now = nft::trace_assembler::clock::time_point{};
  nl::message_reader reader{byte_view{data, size}};
  while (reader.next()) {
    const auto& msg = reader.get();
    if (!nft::is_trace(msg))
      continue;
    auto e = nft::decode_trace(msg);
    if (!e) {
      if (!fuzz::typed_decode_error(e.err()))
        std::abort();
      continue;
    }
    round_trip(*e);
    (void)nft::ends_base_chain(*e);
    now += std::chrono::milliseconds{e->id % 700};
    assembler.feed(std::move(*e), now, closed);
    ++fed;
    assembler.expire(now, closed);
  }
  assembler.close_all(nft::trace_end::stopped, closed);
  std::size_t steps = 0;
  for (const auto& t : closed) {
    steps += t.steps.size();
    if (t.steps.empty())
      std::abort();
    (void)t.verdict();
    (void)t.packet();
    (void)nft::trace_text(t);
  }
  if (steps != fed || assembler.open() != 0)
    std::abort(); // an event was lost or duplicated by the grouping
  return 0;
}
