// SPDX-License-Identifier: Apache-2.0
// Fuzzes the ctnetlink decoders (ct/entry.hpp, ct/message.hpp,
// ct/expect.hpp) on datagrams as the conntrack monitor reads them: every
// message goes through decode_event (the one CTA_* table: tuples,
// protoinfo, counters, timestamps, labels, ...), decode_exp_event (the
// CTA_EXPECT_* table, with the same tuple rows), the statistics decoders,
// and decode_entry on its attributes alone. A message that decodes must
// round-trip (decode → append → decode gives the same value, and the
// second encoding is byte-identical to the first); one that does not
// gives a typed error. Seeds (corpus/fuzz_ct_decode/): event, dump and
// statistics datagrams captured from kernel 6.18 by the kernel suite
// ct_table (UDP, TCP, ICMP over IPv4 and IPv6, with nf_conntrack_acct and
// _timestamp on), and exp-*: an FTP helper's expectation (NEW, DESTROY,
// dump part; see tests/unit/ct_expect.cpp).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "nfactor/ct/expect.hpp"
#include "nfactor/ct/message.hpp"
#include "nfactor/ct/text.hpp"
#include "nfactor/nl/message.hpp"
#include "typed_error.hpp"

using namespace nfactor;

namespace {

// Decodes `msg` with `decode`: a typed error, or a value that `append`
// encodes back to itself (decode -> append -> decode is the same value,
// the second encoding the same bytes). The decoded value, if any.
template <class Decode, class Append>
auto check_round_trip(const nl::message& msg, Decode decode, Append append) {
  auto v = decode(msg);
  if (!v) {
    if (!fuzz::typed_decode_error(v.err()))
      std::abort();
    return v;
  }
  byte_buffer once;
  append(once, *v, msg.seq);
  nl::message_reader r{once};
  if (!r.next())
    std::abort();
  auto back = decode(r.get());
  if (!back || !(*back == *v))
    std::abort(); // the encoding lost or changed a member
  byte_buffer twice;
  append(twice, *back, msg.seq);
  if (twice != once)
    std::abort(); // the second encoding differs from the first
  return v;
}

void check_event(const nl::message& msg) {
  auto ev = check_round_trip(
      msg, ct::decode_event,
      [](byte_buffer& out, const ct::event& e, std::uint32_t seq) {
        ct::append_event(out, e, seq);
      });
  if (!ev)
    return;
  (void)ct::to_text(*ev);
  auto alone = ct::decode_entry(msg.payload.subspan(4));
  if (!alone || !(*alone == ev->ct))
    std::abort(); // the attributes decoded in the message but not alone
}

void check_expectation(const nl::message& msg) {
  auto ev = check_round_trip(
      msg, ct::decode_exp_event,
      [](byte_buffer& out, const ct::exp_event& e, std::uint32_t seq) {
        ct::append_exp_event(out, e, seq);
      });
  if (ev)
    (void)ct::to_text(*ev);
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
    check_expectation(reader.get());
    check_stats(reader.get());
  }
  return 0;
}
