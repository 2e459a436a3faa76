// SPDX-License-Identifier: Apache-2.0
// Fuzzes the NFLOG event decoder (nflog/decode.hpp) on datagrams as the
// listener reads them: every message goes through decode_packet (the
// descriptor table, the NFULA_CT conntrack nest, the NFULA_VLAN nest), the
// hot-path decode_packet_back, the NFULA_CT payload on its own, the
// one-line rendering and the sequence-gap tracker. A message that decodes
// must round-trip (decode → append_packet → decode gives the same event,
// and the second encoding is byte-identical to the first); one that does
// not gives a typed error naming what was wrong, and both paths agree.
// Seeds (corpus/fuzz_nflog_decode/): NFLOG datagrams captured from kernel
// 6.18 by capture_seeds (UDP, TCP SYN, ICMP echo over IPv4 and IPv6 on lo
// in a scratch namespace, copy mode packet, seq + seq_global flags), and
// one event with every attribute incl. an NFULA_CT nest, written by
// append_packet (this kernel has no conntrack glue for NFLOG).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>

#include "nfactor/nflog/decode.hpp"
#include "nfactor/nflog/loss.hpp"
#include "nfactor/nl/message.hpp"
#include "typed_error.hpp"

using namespace nfactor;

namespace {

void check_one(const nl::message& msg, nflog::seq_tracker& seqs) {
  auto ev = nflog::decode_packet(msg);
  std::vector<nflog::log_event> batch;
  std::optional<error> err;
  // The input outlives every event decoded here, so a non-owning keeper
  // serves as the storage the hot path requires.
  std::shared_ptr<const void> keeper{msg.bytes.data(), [](const void*) {
                                     }};
  bool back = nflog::decode_packet_back(msg, batch, err, keeper);
  if (back != ev.has_value() || batch.size() != (back ? 1u : 0u))
    std::abort(); // the two decoding paths disagree
  if (!ev) {
    if (!err || !fuzz::typed_decode_error(ev.err()) ||
        err->code != ev.err().code)
      std::abort();
    return;
  }
  if (!(batch.front() == *ev))
    std::abort();
  (void)nflog::to_string(*ev);
  if (ev->hwaddr)
    (void)ev->hwaddr->to_string();
  if (ev->ct) {
    auto ct = nflog::decode_conntrack(*ev->ct);
    if (!ct || !ev->conntrack || !(*ct == *ev->conntrack))
      std::abort(); // the nest decoded inside the event but not alone
    for (auto* t : {&ct->orig, &ct->reply})
      if (*t) {
        if ((*t)->src)
          (void)(*t)->src->to_string();
        if ((*t)->dst)
          (void)(*t)->dst->to_string();
      }
  }
  if (ev->seq)
    (void)seqs.observe(*ev->seq);
  byte_buffer once;
  nflog::append_packet(once, *ev, msg.seq);
  auto again = nflog::decode_packet(nl::message{
      msg.type, 0, msg.seq, 0, byte_view{once}.subspan(16), byte_view{once}});
  if (!again || !(*again == *ev))
    std::abort();
  byte_buffer twice;
  nflog::append_packet(twice, *again, msg.seq);
  if (twice != once)
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  nflog::seq_tracker seqs;
  nl::message_reader reader{byte_view{data, size}};
  while (reader.next()) {
    const auto& msg = reader.get();
    if (!nflog::is_packet(msg)) {
      // Not an event: refused with a typed error, never decoded.
      auto ev = nflog::decode_packet(msg);
      if (ev || ev.err().code != make_error_code(errc::bad_message))
        std::abort();
      continue;
    }
    check_one(msg, seqs);
  }
  for (std::uint16_t t = 0; t < 40; ++t)
    (void)nflog::attribute_name(t);
  return 0;
}
