// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nfqueue/decode.hpp"

#include <cstring>

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "../nfnl/attr_table.hpp"
#include "nfactor/nfnl/codec.hpp"

namespace nfactor::nfqueue {

namespace {

using namespace nfnl::table;

constexpr std::string_view op = "decode NFQUEUE packet";

// struct nfqnl_msg_packet_hdr (packed, 7 bytes) → id, hw_protocol, hook.
struct packet_hdr {
  static void read(cursor& r, queue_packet& p, owner_ref) {
    auto h = r.fixed<nfqnl_msg_packet_hdr>();
    if (!r.ok())
      return;
    p.id = ntohl(h.packet_id);
    p.hw_protocol = ntohs(h.hw_protocol);
    p.hook = h.hook;
  }
  static void write(writer& w, std::uint16_t t, const queue_packet& p) {
    nfqnl_msg_packet_hdr h{};
    h.packet_id = htonl(p.id);
    h.hw_protocol = htons(p.hw_protocol);
    h.hook = p.hook;
    w.attr_bytes(t, {reinterpret_cast<const std::uint8_t*>(&h), sizeof(h)});
  }
};

// -- the table --------------------------------------------------------------

using qp = queue_packet;

// One NFQA_* attribute = one row: its name, its wire shape and the member
// it fills; in the order the kernel writes them.
constexpr row<qp> rows[] = {
    NFACTOR_ATTR_ROW(NFQA_PACKET_HDR, packet_hdr),
    NFACTOR_ATTR_ROW(NFQA_IFINDEX_INDEV, be32<&qp::indev>),
    NFACTOR_ATTR_ROW(NFQA_IFINDEX_PHYSINDEV, be32<&qp::physindev>),
    NFACTOR_ATTR_ROW(NFQA_IFINDEX_OUTDEV, be32<&qp::outdev>),
    NFACTOR_ATTR_ROW(NFQA_IFINDEX_PHYSOUTDEV, be32<&qp::physoutdev>),
    NFACTOR_ATTR_ROW(NFQA_PRIORITY, be32<&qp::priority>),
    NFACTOR_ATTR_ROW(NFQA_MARK, be32<&qp::mark>),
    NFACTOR_ATTR_ROW(NFQA_HWADDR, hw_addr<nfqnl_msg_packet_hw, &qp::hwaddr>),
    NFACTOR_ATTR_ROW(NFQA_VLAN,
                     vlan_nest<&qp::vlan, NFQA_VLAN_PROTO, NFQA_VLAN_TCI>),
    NFACTOR_ATTR_ROW(NFQA_L2HDR, blob<&qp::l2hdr>),
    NFACTOR_ATTR_ROW(
        NFQA_TIMESTAMP,
        nfnl::table::timestamp<nfqnl_msg_packet_timestamp, &qp::timestamp>),
    NFACTOR_ATTR_ROW(NFQA_UID, be32<&qp::uid>),
    NFACTOR_ATTR_ROW(NFQA_GID, be32<&qp::gid>),
    NFACTOR_ATTR_ROW(NFQA_SECCTX, cstring<&qp::secctx>),
    NFACTOR_ATTR_ROW(NFQA_CT, ct_nest<&qp::ct, &qp::conntrack>),
    NFACTOR_ATTR_ROW(NFQA_CT_INFO, be32<&qp::ctinfo>),
    NFACTOR_ATTR_ROW(NFQA_EXP, blob<&qp::exp>),
    NFACTOR_ATTR_ROW(NFQA_CAP_LEN, be32<&qp::cap_len>),
    NFACTOR_ATTR_ROW(NFQA_SKB_INFO, be32<&qp::skb_info>),
    NFACTOR_ATTR_ROW(NFQA_PAYLOAD, blob<&qp::payload>),
};

constexpr auto by_type = index_rows<NFQA_MAX>(rows);

constexpr std::uint16_t packet_type =
    nfnl::nlmsg_type(nfnl::subsys::queue, NFQNL_MSG_PACKET);

// Decodes into `out`, which holds no attributes yet (the hot path: a flag,
// and an error built only on failure).
bool decode_fresh(const nl::message& msg, queue_packet& out,
                  std::optional<error>& err, owner_ref owner) {
  if (!is_packet(msg)) {
    err = make_error(errc::bad_message, std::string{op},
                     "message type " + std::to_string(msg.type) +
                         " is not NFQNL_MSG_PACKET");
    return false;
  }
  if (msg.payload.size() < 4) {
    auto hdr = nfnl::decode_nfgenmsg(msg.payload);
    err = std::move(hdr).err();
    return false;
  }
  out.family = msg.payload[0];
  out.queue = static_cast<std::uint16_t>(msg.payload[2] << 8 | msg.payload[3]);
  if (!decode_attrs(msg.payload.subspan(4), by_type, out, err, owner, op))
    return false;
  if (!peek_packet_id(msg)) {
    err = make_error(errc::bad_attribute, std::string{op},
                     "NFQA_PACKET_HDR is missing: no packet id to give a "
                     "verdict on");
    return false;
  }
  return true;
}

} // namespace

bool is_packet(const nl::message& msg) noexcept {
  return msg.type == packet_type;
}

std::string_view attribute_name(std::uint16_t type) noexcept {
  return name_of(by_type, type);
}

std::optional<std::uint32_t> peek_packet_id(const nl::message& msg) noexcept {
  if (!is_packet(msg) || msg.payload.size() < 4)
    return std::nullopt;
  // The last well-formed header counts, as in the decoder's table walk (a
  // kernel sends one, first).
  std::optional<std::uint32_t> id;
  auto attrs = msg.payload.subspan(4);
  for (std::size_t off = 0; off + NLA_HDRLEN <= attrs.size();) {
    std::uint16_t len = 0, type = 0;
    std::memcpy(&len, attrs.data() + off, 2);
    std::memcpy(&type, attrs.data() + off + 2, 2);
    if (len < NLA_HDRLEN || len > attrs.size() - off)
      break;
    if ((type & NLA_TYPE_MASK) == NFQA_PACKET_HDR &&
        len == NLA_HDRLEN + sizeof(nfqnl_msg_packet_hdr)) {
      std::uint32_t v = 0;
      std::memcpy(&v, attrs.data() + off + NLA_HDRLEN, 4);
      id = ntohl(v);
    }
    off += NLA_ALIGN(len);
  }
  return id;
}

result<void> decode_packet(const nl::message& msg, queue_packet& out,
                           const std::shared_ptr<const void>& storage) {
  return decode_into(msg, out, storage, decode_fresh);
}

result<queue_packet> decode_packet(const nl::message& msg,
                                   const std::shared_ptr<const void>& storage) {
  queue_packet out;
  if (auto st = decode_packet(msg, out, storage); !st)
    return std::move(st).err();
  return out;
}

bool decode_packet_back(const nl::message& msg, std::vector<queue_packet>& out,
                        std::optional<error>& err,
                        const std::shared_ptr<const void>& storage) {
  return decode_back(msg, out, err, storage, decode_fresh);
}

void append_packet(byte_buffer& out, const queue_packet& p, std::uint32_t seq) {
  writer w{out};
  w.begin(packet_type, 0, seq);
  w.put_nfgenmsg(p.family, p.queue);
  encode_attrs(w, rows, p);
  w.end();
}

} // namespace nfactor::nfqueue
