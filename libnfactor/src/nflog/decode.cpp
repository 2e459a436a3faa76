// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nflog/decode.hpp"

#include <array>
#include <cstring>

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "../nfnl/attr_table.hpp"
#include "nfactor/nfnl/codec.hpp"

namespace nfactor::nflog {

namespace {

using namespace nfnl::table;

constexpr std::string_view op = "decode NFLOG packet";

// struct nfulnl_msg_packet_hdr → hw_protocol (BE16) and hook.
struct packet_hdr {
  static void read(cursor& r, log_event& e, owner_ref) {
    auto h = r.fixed<nfulnl_msg_packet_hdr>();
    if (!r.ok())
      return;
    e.hw_protocol = ntohs(h.hw_protocol);
    e.hook = h.hook;
  }
  static void write(writer& w, std::uint16_t t, const log_event& e) {
    if (!e.hook && !e.hw_protocol)
      return;
    nfulnl_msg_packet_hdr h{};
    h.hw_protocol = htons(e.hw_protocol.value_or(0));
    h.hook = e.hook.value_or(0);
    w.attr_bytes(t, {reinterpret_cast<const std::uint8_t*>(&h), sizeof(h)});
  }
};

// -- the table --------------------------------------------------------------

using ev = log_event;

// One NFULA_* attribute = one row: its name, its wire shape and the
// member it fills.
constexpr row<ev> rows[] = {
    NFACTOR_ATTR_ROW(NFULA_PACKET_HDR, packet_hdr),
    NFACTOR_ATTR_ROW(NFULA_MARK, be32<&ev::mark>),
    NFACTOR_ATTR_ROW(
        NFULA_TIMESTAMP,
        nfnl::table::timestamp<nfulnl_msg_packet_timestamp, &ev::timestamp>),
    NFACTOR_ATTR_ROW(NFULA_IFINDEX_INDEV, be32<&ev::indev>),
    NFACTOR_ATTR_ROW(NFULA_IFINDEX_OUTDEV, be32<&ev::outdev>),
    NFACTOR_ATTR_ROW(NFULA_IFINDEX_PHYSINDEV, be32<&ev::physindev>),
    NFACTOR_ATTR_ROW(NFULA_IFINDEX_PHYSOUTDEV, be32<&ev::physoutdev>),
    NFACTOR_ATTR_ROW(NFULA_HWADDR, hw_addr<nfulnl_msg_packet_hw, &ev::hwaddr>),
    NFACTOR_ATTR_ROW(NFULA_PAYLOAD, blob<&ev::payload>),
    NFACTOR_ATTR_ROW(NFULA_PREFIX, cstring<&ev::prefix>),
    NFACTOR_ATTR_ROW(NFULA_UID, be32<&ev::uid>),
    NFACTOR_ATTR_ROW(NFULA_SEQ, be32<&ev::seq>),
    NFACTOR_ATTR_ROW(NFULA_SEQ_GLOBAL, be32<&ev::seq_global>),
    NFACTOR_ATTR_ROW(NFULA_GID, be32<&ev::gid>),
    NFACTOR_ATTR_ROW(NFULA_HWTYPE, be16<&ev::hwtype>),
    NFACTOR_ATTR_ROW(NFULA_HWHEADER, blob<&ev::hwheader>),
    NFACTOR_ATTR_ROW(NFULA_HWLEN, be16<&ev::hwlen>),
    NFACTOR_ATTR_ROW(NFULA_CT, ct_nest<&ev::ct, &ev::conntrack>),
    NFACTOR_ATTR_ROW(NFULA_CT_INFO, be32<&ev::ctinfo>),
    NFACTOR_ATTR_ROW(NFULA_VLAN,
                     vlan_nest<&ev::vlan, NFULA_VLAN_PROTO, NFULA_VLAN_TCI>),
    NFACTOR_ATTR_ROW(NFULA_L2HDR, blob<&ev::l2hdr>),
};

constexpr auto by_type = index_rows<NFULA_MAX>(rows);

constexpr std::uint16_t packet_type =
    nfnl::nlmsg_type(nfnl::subsys::ulog, NFULNL_MSG_PACKET);

} // namespace

bool is_packet(const nl::message& msg) noexcept {
  return msg.type == packet_type;
}

std::string_view attribute_name(std::uint16_t type) noexcept {
  return name_of(by_type, type);
}

namespace {

// Decodes into `out`, which holds no attributes yet. The hot path: it
// returns a flag and builds an error only on failure (a `result<void>`
// return costs a 136-byte clear per event).
bool decode_fresh(const nl::message& msg, log_event& out,
                  std::optional<error>& err, owner_ref owner) {
  if (!is_packet(msg)) {
    err = make_error(errc::bad_message, std::string{op},
                     "message type " + std::to_string(msg.type) +
                         " is not NFULNL_MSG_PACKET");
    return false;
  }
  if (msg.payload.size() < 4) {
    auto hdr = nfnl::decode_nfgenmsg(msg.payload);
    err = std::move(hdr).err();
    return false;
  }
  out.family = msg.payload[0];
  out.group = static_cast<std::uint16_t>(msg.payload[2] << 8 | msg.payload[3]);
  return decode_attrs(msg.payload.subspan(4), by_type, out, err, owner, op);
}

} // namespace

result<void> decode_packet(const nl::message& msg, log_event& out,
                           const std::shared_ptr<const void>& storage) {
  return decode_into(msg, out, storage, decode_fresh);
}

bool decode_packet_back(const nl::message& msg, std::vector<log_event>& out,
                        std::optional<error>& err,
                        const std::shared_ptr<const void>& storage) {
  return decode_back(msg, out, err, storage, decode_fresh);
}

result<log_event> decode_packet(const nl::message& msg,
                                const std::shared_ptr<const void>& storage) {
  log_event out;
  if (auto st = decode_packet(msg, out, storage); !st)
    return std::move(st).err();
  return out;
}

void append_packet(byte_buffer& out, const log_event& e, std::uint32_t seq) {
  writer w{out};
  w.begin(packet_type, 0, seq);
  w.put_nfgenmsg(e.family, e.group);
  encode_attrs(w, rows, e);
  w.end();
}

} // namespace nfactor::nflog
