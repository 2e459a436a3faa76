// SPDX-License-Identifier: Apache-2.0
//
// One queued packet (NFQNL_MSG_PACKET, <linux/netfilter/nfnetlink_queue.h>):
//
//   nlmsghdr | nfgenmsg {family, v0, res_id = queue (BE16)} | NFQA_* ...
//
//   NFQA_PACKET_HDR  struct nfqnl_msg_packet_hdr {BE32 packet_id,
//                                                 BE16 hw_protocol, u8 hook}
//
// The kernel waits for a verdict on `packet_id` (see verdict.hpp). Which
// other attributes it sends depends on the hook, the copy mode, the flags
// and the packet (net/netfilter/nfnetlink_queue.c,
// __nfqnl_build_packet_message); they are optional here, and absent is not
// zero. The value types NFLOG and NFQUEUE share (payload bytes, timestamp,
// hardware address, VLAN tag, parsed conntrack entry) are nflog's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nfactor/boxed.hpp"
#include "nfactor/nflog/conntrack.hpp"
#include "nfactor/nflog/event.hpp"

namespace nfactor::nfqueue {

using nflog::hw_address;
using nflog::shared_bytes;
using nflog::timestamp;
using nflog::vlan_tag;

/// One packet waiting for a verdict, owned (safe to keep and to send
/// between actors). Byte-valued attributes share the datagram the packet
/// came in (see `nflog::shared_bytes`).
struct queue_packet {
  /// The packet's protocol family (nfgenmsg.nfgen_family: NFPROTO_*).
  std::uint8_t family = 0;
  /// The queue number (nfgenmsg.res_id).
  std::uint16_t queue = 0;

  /// NFQA_PACKET_HDR: the id a verdict names (required; the kernel counts
  /// ids up per queue from 1).
  std::uint32_t id = 0;
  /// NFQA_PACKET_HDR: the link-layer protocol (ETH_P_*, host order).
  std::uint16_t hw_protocol = 0;
  /// NFQA_PACKET_HDR: the netfilter hook (NF_INET_*).
  std::uint8_t hook = 0;

  /// NFQA_MARK (the kernel sends it only when non-zero).
  std::optional<std::uint32_t> mark;
  /// NFQA_PRIORITY: skb->priority (sent only when non-zero).
  std::optional<std::uint32_t> priority;
  /// NFQA_TIMESTAMP (only for packets that carry a receive time).
  std::optional<nflog::timestamp> timestamp;
  /// NFQA_IFINDEX_* and, when resolved, the interface names.
  std::optional<std::uint32_t> indev;
  std::optional<std::uint32_t> outdev;
  std::optional<std::uint32_t> physindev;
  std::optional<std::uint32_t> physoutdev;
  std::optional<std::string> indev_name;
  std::optional<std::string> outdev_name;
  std::optional<std::string> physindev_name;
  std::optional<std::string> physoutdev_name;
  /// NFQA_HWADDR: the link-layer source address.
  std::optional<hw_address> hwaddr;
  /// NFQA_PAYLOAD: the packet from the network header on (copy mode
  /// packet; cut to the copy range, see `cap_len`).
  std::optional<shared_bytes> payload;
  /// NFQA_UID / NFQA_GID of the socket that owns the packet (uid_gid
  /// flag, locally generated packets).
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
  /// NFQA_SECCTX: the security context (secctx flag).
  std::optional<std::string> secctx;
  /// NFQA_CT (raw ctnetlink attributes) and its parsed fields (conntrack
  /// flag).
  std::optional<shared_bytes> ct;
  boxed<nflog::conntrack> conntrack;
  /// NFQA_CT_INFO (enum ip_conntrack_info).
  std::optional<std::uint32_t> ctinfo;
  /// NFQA_EXP: the expectation that created the connection (raw
  /// ctnetlink attributes).
  std::optional<shared_bytes> exp;
  /// NFQA_CAP_LEN: the packet's full length, sent when `payload` was cut
  /// shorter.
  std::optional<std::uint32_t> cap_len;
  /// NFQA_SKB_INFO: NFQA_SKB_* bits (checksum not ready, GSO, checksum
  /// not verified); sent only when non-zero.
  std::optional<std::uint32_t> skb_info;
  /// NFQA_VLAN.
  std::optional<vlan_tag> vlan;
  /// NFQA_L2HDR: the full link-layer header (bridge family).
  std::optional<shared_bytes> l2hdr;

  /// True when NFQA_SKB_INFO says the packet is GSO (larger than the
  /// device MTU; only with the gso flag).
  [[nodiscard]] bool is_gso() const noexcept;

  friend bool operator==(const queue_packet&, const queue_packet&) = default;
};

/// One line for logs: "queue 5 id 17 ip output out lo mark 0x1 len 84".
[[nodiscard]] std::string to_string(const queue_packet& p);

} // namespace nfactor::nfqueue
