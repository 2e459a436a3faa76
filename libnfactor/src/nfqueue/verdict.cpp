// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nfqueue/verdict.hpp"

#include <string>

#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nl/attr.hpp"

namespace nfactor::nfqueue {

namespace {

constexpr std::uint16_t verdict_type =
    nfnl::nlmsg_type(nfnl::subsys::queue, NFQNL_MSG_VERDICT);
constexpr std::uint16_t batch_type =
    nfnl::nlmsg_type(nfnl::subsys::queue, NFQNL_MSG_VERDICT_BATCH);

constexpr std::string_view decode_op = "decode NFQUEUE verdict";

byte_view raw(const ct_labels& l) {
  return {l.data(), l.size()};
}

// The verdict header, mark and priority: what both message kinds carry.
void begin(nl::message_writer& w, std::uint16_t type, std::uint32_t seq,
           std::uint16_t queue, std::uint32_t id, const verdict& v, bool ack) {
  w.begin(type, NLM_F_REQUEST | (ack ? NLM_F_ACK : 0), seq);
  w.put_nfgenmsg(AF_UNSPEC, queue);
  nfqnl_msg_verdict_hdr hdr{htonl(v.to_wire()), htonl(id)};
  w.attr_bytes(NFQA_VERDICT_HDR,
               {reinterpret_cast<const std::uint8_t*>(&hdr), sizeof(hdr)});
  if (v.mark)
    w.attr_u32_be(NFQA_MARK, *v.mark);
  if (v.priority)
    w.attr_u32_be(NFQA_PRIORITY, *v.priority);
}

// Reads NFQA_VERDICT_HDR's verdict word back into kind, target, bypass.
void read_word(nl::attr_reader& r, verdict_message& m) {
  auto hdr = r.fixed<nfqnl_msg_verdict_hdr>();
  if (!r.ok())
    return;
  auto word = ntohl(hdr.verdict);
  auto kind = word & NF_VERDICT_MASK;
  if (kind > NF_MAX_VERDICT || kind == NF_STOLEN) {
    r.fail("verdict " + std::to_string(kind) +
           " is not drop, accept, queue, repeat or stop");
    return;
  }
  m.id = ntohl(hdr.id);
  m.verdict.kind = static_cast<verdict_kind>(kind);
  if (m.verdict.kind == verdict_kind::queue) {
    m.verdict.target_queue =
        static_cast<std::uint16_t>(word >> NF_VERDICT_QBITS);
    m.verdict.queue_bypass = (word & NF_VERDICT_FLAG_QUEUE_BYPASS) != 0;
  }
}

// The CTA_* attributes of a verdict's NFQA_CT nest, one row each.
struct ct_row {
  std::uint16_t type;
  void (*read)(nl::attr_reader&, verdict&);
};

constexpr ct_row ct_rows[] = {
    {CTA_MARK,
     [](nl::attr_reader& r, verdict& v) {
       v.connmark = r.u32_be();
     }},
    {CTA_LABELS,
     [](nl::attr_reader& r, verdict& v) {
       v.labels = r.fixed<ct_labels>();
     }},
    {CTA_LABELS_MASK,
     [](nl::attr_reader& r, verdict& v) {
       v.labels_mask = r.fixed<ct_labels>();
     }},
};

// One NFQA_* attribute of a verdict = one row.
struct verdict_row {
  std::uint16_t type;
  void (*read)(nl::attr_reader&, verdict_message&);
};

constexpr verdict_row verdict_rows[] = {
    {NFQA_VERDICT_HDR, read_word},
    {NFQA_MARK,
     [](nl::attr_reader& r, verdict_message& m) {
       m.verdict.mark = r.u32_be();
     }},
    {NFQA_PRIORITY,
     [](nl::attr_reader& r, verdict_message& m) {
       m.verdict.priority = r.u32_be();
     }},
    {NFQA_CT,
     [](nl::attr_reader& r, verdict_message& m) {
       auto in = r.nested();
       while (in.next())
         for (const auto& row : ct_rows)
           if (row.type == in.type())
             row.read(in, m.verdict);
     }},
    {NFQA_PAYLOAD,
     [](nl::attr_reader& r, verdict_message& m) {
       m.verdict.payload.emplace(r.bytes().begin(), r.bytes().end());
     }},
};

} // namespace

const char* to_string(verdict_kind k) noexcept {
  switch (k) {
  case verdict_kind::drop:
    return "drop";
  case verdict_kind::accept:
    return "accept";
  case verdict_kind::queue:
    return "queue";
  case verdict_kind::repeat:
    return "repeat";
  case verdict_kind::stop:
    return "stop";
  }
  return "unknown";
}

std::uint32_t verdict::to_wire() const noexcept {
  if (kind != verdict_kind::queue)
    return static_cast<std::uint32_t>(kind);
  return NF_QUEUE_NR(static_cast<std::uint32_t>(target_queue)) |
         (queue_bypass ? NF_VERDICT_FLAG_QUEUE_BYPASS : 0u);
}

void append_verdict(byte_buffer& out, std::uint32_t seq, std::uint16_t queue,
                    std::uint32_t id, const verdict& v, bool ack) {
  nl::message_writer w{out};
  begin(w, verdict_type, seq, queue, id, v, ack);
  if (v.connmark || v.labels || v.labels_mask) {
    auto tok = w.begin_nested(NFQA_CT);
    if (v.connmark)
      w.attr_u32_be(CTA_MARK, *v.connmark);
    if (v.labels)
      w.attr_bytes(CTA_LABELS, raw(*v.labels));
    if (v.labels_mask)
      w.attr_bytes(CTA_LABELS_MASK, raw(*v.labels_mask));
    w.end_nested(tok);
  }
  if (v.payload)
    w.attr_bytes(NFQA_PAYLOAD, *v.payload);
  w.end();
}

result<void> append_verdict_batch(byte_buffer& out, std::uint32_t seq,
                                  std::uint16_t queue, std::uint32_t max_id,
                                  const verdict& v, bool ack) {
  if (!v.batchable())
    return make_error(errc::invalid_argument, "NFQNL_MSG_VERDICT_BATCH",
                      "a batch verdict carries no connmark, labels or "
                      "payload; send one verdict per packet");
  nl::message_writer w{out};
  begin(w, batch_type, seq, queue, max_id, v, ack);
  w.end();
  return {};
}

bool is_verdict(const nl::message& msg) noexcept {
  return msg.type == verdict_type || msg.type == batch_type;
}

result<verdict_message> decode_verdict(const nl::message& msg) {
  if (!is_verdict(msg))
    return make_error(errc::bad_message, std::string{decode_op},
                      "message type " + std::to_string(msg.type) +
                          " is not NFQNL_MSG_VERDICT[_BATCH]");
  auto hdr = nfnl::decode_nfgenmsg(msg.payload);
  if (!hdr)
    return std::move(hdr).err();
  verdict_message out;
  out.queue = hdr->res_id;
  out.batch = msg.type == batch_type;
  bool has_hdr = false;
  nl::attr_reader attrs{hdr->rest, decode_op};
  while (attrs.next()) {
    has_hdr = has_hdr || attrs.type() == NFQA_VERDICT_HDR;
    for (const auto& row : verdict_rows)
      if (row.type == attrs.type())
        row.read(attrs, out);
  }
  if (auto st = attrs.status(); !st)
    return std::move(st).err();
  if (!has_hdr)
    return make_error(errc::bad_attribute, std::string{decode_op},
                      "NFQA_VERDICT_HDR is missing");
  return out;
}

} // namespace nfactor::nfqueue
