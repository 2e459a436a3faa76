// SPDX-License-Identifier: Apache-2.0
// Fuzzes the ctnetlink decoders (ct/entry.hpp, ct/message.hpp) on
// datagrams as the conntrack monitor reads them: every message goes
// through decode_event (the one CTA_* table: tuples, protoinfo, counters,
// timestamps, labels, ...), the statistics decoders, and decode_entry on
// its attributes alone. A message that decodes must round-trip (decode →
// append_event → decode gives the same event, and the second encoding is
// byte-identical to the first); one that does not gives a typed error.
// Seeds (corpus/fuzz_ct_decode/): event, dump and statistics datagrams
// captured from kernel 6.18 by the kernel suite ct_table (UDP, TCP, ICMP
// over IPv4 and IPv6, with nf_conntrack_acct and _timestamp on).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "nfactor/ct/message.hpp"
#include "nfactor/nl/message.hpp"
#include "typed_error.hpp"

using namespace nfactor;

namespace {

void check_event(const nl::message& msg) {
  auto ev = ct::decode_event(msg);
  if (!ev) {
    if (!fuzz::typed_decode_error(ev.err()))
      std::abort();
    return;
  }
  if (ev->ct.orig && ev->ct.orig->src)
    (void)ev->ct.orig->src->to_string();
  byte_buffer once;
  ct::append_event(once, *ev, msg.seq);
  nl::message_reader r{once};
  if (!r.next())
    std::abort();
  auto back = ct::decode_event(r.get());
  if (!back || !(*back == *ev))
    std::abort(); // the encoding lost or changed a member
  byte_buffer twice;
  ct::append_event(twice, *back, msg.seq);
  if (twice != once)
    std::abort(); // the second encoding differs from the first
  auto alone = ct::decode_entry(msg.payload.subspan(4));
  if (!alone || !(*alone == ev->ct))
    std::abort(); // the attributes decoded in the message but not alone
}

void check_stats(const nl::message& msg) {
  if (auto s = ct::decode_cpu_stats(msg)) {
    byte_buffer out;
    ct::append_cpu_stats(out, *s);
    nl::message_reader r{out};
    if (!r.next() || !(*ct::decode_cpu_stats(r.get()) == *s))
      std::abort();
  } else if (!fuzz::typed_decode_error(s.err())) {
    std::abort();
  }
  if (auto g = ct::decode_global_stats(msg);
      !g && !fuzz::typed_decode_error(g.err()))
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  nl::message_reader reader{byte_view{data, size}};
  while (reader.next()) {
    check_event(reader.get());
    check_stats(reader.get());
  }
  return 0;
}
