// SPDX-License-Identifier: Apache-2.0
// Fuzzes the NFQUEUE codec (nfqueue/decode.hpp, nfqueue/verdict.hpp) on
// datagrams as the queue handle reads them, and on verdict messages as an
// owner's verdicts are written: every packet message goes through
// decode_packet (the descriptor table, the NFQA_CT conntrack nest, the
// NFQA_VLAN nest) and the hot-path decode_packet_back, which must agree; a
// packet that decodes must round-trip (decode → append_packet → decode
// gives the same packet, and the second encoding is byte-identical to the
// first), and its payload goes through fix_lengths_and_checksums (which
// must be idempotent). A verdict message that decodes must round-trip the
// same way. Anything else gives a typed error naming what was wrong.
// Seeds (corpus/fuzz_nfqueue_decode/): NFQUEUE datagrams captured from
// kernel 6.18 by capture_seeds (UDP, TCP SYN, ICMP echo over IPv4 and IPv6
// on lo in a scratch namespace, copy mode packet, uid/gid flag), one packet
// with every attribute incl. an NFQA_CT nest written by append_packet (this
// kernel has no conntrack glue for NFQUEUE), and verdicts of every kind,
// with mark, connmark, labels and payload, single and batch.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>

#include "nfactor/nfqueue/checksum.hpp"
#include "nfactor/nfqueue/decode.hpp"
#include "nfactor/nfqueue/verdict.hpp"
#include "nfactor/nl/message.hpp"
#include "typed_error.hpp"

using namespace nfactor;

namespace {

nl::message message_of(const byte_buffer& b, const nl::message& like) {
  return nl::message{
      like.type,   like.flags, like.seq, 0, byte_view{b}.subspan(16),
      byte_view{b}};
}

void check_packet(const nl::message& msg) {
  auto p = nfqueue::decode_packet(msg);
  std::vector<nfqueue::queue_packet> batch;
  std::optional<error> err;
  // The input outlives every packet decoded here: a non-owning keeper.
  std::shared_ptr<const void> keeper{msg.bytes.data(), [](const void*) {
                                     }};
  bool back = nfqueue::decode_packet_back(msg, batch, err, keeper);
  if (back != p.has_value() || batch.size() != (back ? 1u : 0u))
    std::abort(); // the two decoding paths disagree
  if (!p) {
    if (!err || !fuzz::typed_decode_error(p.err()) || err->code != p.err().code)
      std::abort();
    return;
  }
  if (!(batch.front() == *p) || nfqueue::peek_packet_id(msg) != p->id)
    std::abort();
  (void)nfqueue::to_string(*p);
  if (p->hwaddr)
    (void)p->hwaddr->to_string();
  byte_buffer once;
  nfqueue::append_packet(once, *p, msg.seq);
  auto again = nfqueue::decode_packet(message_of(once, msg));
  if (!again || !(*again == *p))
    std::abort();
  byte_buffer twice;
  nfqueue::append_packet(twice, *again, msg.seq);
  if (twice != once)
    std::abort();
  if (p->payload) {
    auto bytes = p->payload->to_buffer();
    if (nfqueue::fix_lengths_and_checksums(bytes)) {
      auto fixed = bytes;
      if (!nfqueue::fix_lengths_and_checksums(bytes) || bytes != fixed)
        std::abort(); // fixing a fixed packet changes nothing
    } else if (bytes != p->payload->to_buffer()) {
      std::abort(); // a refusal leaves the packet unchanged
    }
  }
}

void check_verdict(const nl::message& msg) {
  auto v = nfqueue::decode_verdict(msg);
  if (!v) {
    if (!fuzz::typed_decode_error(v.err()))
      std::abort();
    return;
  }
  byte_buffer once;
  if (v->batch) {
    if (!v->verdict.batchable()) {
      // A batch message may carry what the kernel ignores; what we write
      // is the batchable part.
      if (nfqueue::append_verdict_batch(once, msg.seq, v->queue, v->id,
                                        v->verdict))
        std::abort();
      return;
    }
    if (!nfqueue::append_verdict_batch(once, msg.seq, v->queue, v->id,
                                       v->verdict))
      std::abort();
  } else {
    nfqueue::append_verdict(once, msg.seq, v->queue, v->id, v->verdict);
  }
  auto again = nfqueue::decode_verdict(message_of(once, msg));
  if (!again || !(*again == *v))
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  nl::message_reader reader{byte_view{data, size}};
  while (reader.next()) {
    const auto& msg = reader.get();
    if (nfqueue::is_packet(msg)) {
      check_packet(msg);
    } else if (nfqueue::is_verdict(msg)) {
      check_verdict(msg);
    } else {
      // Neither: refused with a typed error, never decoded.
      auto p = nfqueue::decode_packet(msg);
      if (p || p.err().code != make_error_code(errc::bad_message))
        std::abort();
      if (nfqueue::peek_packet_id(msg))
        std::abort();
    }
  }
  for (std::uint16_t t = 0; t < 40; ++t)
    (void)nfqueue::attribute_name(t);
  return 0;
}
