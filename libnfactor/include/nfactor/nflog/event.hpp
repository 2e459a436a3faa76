// SPDX-License-Identifier: Apache-2.0
//
// One logged packet (NFULNL_MSG_PACKET, <linux/netfilter/nfnetlink_log.h>):
//
//   nlmsghdr | nfgenmsg {family, v0, res_id = group (BE16)} | NFULA_* ...
//
// Which attributes the kernel sends depends on the hook, the copy mode, the
// flags and the packet (net/netfilter/nfnetlink_log.c, __build_packet_message):
// every one is optional here, and absent is not zero.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "nfactor/bytes.hpp"
#include "nfactor/nflog/conntrack.hpp"

namespace nfactor::nflog {

/// When the packet was received (NFULA_TIMESTAMP), Unix time.
struct timestamp {
  std::int64_t sec = 0;
  std::int64_t usec = 0;

  friend bool operator==(const timestamp&, const timestamp&) = default;
};

/// The link-layer source address (NFULA_HWADDR, struct nfulnl_msg_packet_hw).
struct hw_address {
  /// Valid bytes in `bytes` (at most 8).
  std::uint16_t len = 0;
  std::array<std::uint8_t, 8> bytes{};

  /// "00:11:22:33:44:55".
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const hw_address&, const hw_address&) = default;
};

/// VLAN tag of the packet (the NFULA_VLAN nest).
struct vlan_tag {
  /// NFULA_VLAN_PROTO: the tag protocol (0x8100, 0x88a8).
  std::uint16_t proto = 0;
  /// NFULA_VLAN_TCI: priority, DEI and VLAN id.
  std::uint16_t tci = 0;

  friend bool operator==(const vlan_tag&, const vlan_tag&) = default;
};

/// One NFLOG event, owned (safe to keep and to send between actors).
struct log_event {
  /// The packet's protocol family (nfgenmsg.nfgen_family: NFPROTO_*).
  std::uint8_t family = 0;
  /// The NFLOG group (nfgenmsg.res_id).
  std::uint16_t group = 0;

  /// NFULA_PACKET_HDR: the link-layer protocol (ETH_P_*, host order).
  std::optional<std::uint16_t> hw_protocol;
  /// NFULA_PACKET_HDR: the netfilter hook (NF_INET_*).
  std::optional<std::uint8_t> hook;
  /// NFULA_MARK (the kernel sends it only when non-zero).
  std::optional<std::uint32_t> mark;
  /// NFULA_TIMESTAMP.
  std::optional<nflog::timestamp> timestamp;
  /// NFULA_IFINDEX_* and, when resolved, the interface names.
  std::optional<std::uint32_t> indev;
  std::optional<std::uint32_t> outdev;
  std::optional<std::uint32_t> physindev;
  std::optional<std::uint32_t> physoutdev;
  std::optional<std::string> indev_name;
  std::optional<std::string> outdev_name;
  std::optional<std::string> physindev_name;
  std::optional<std::string> physoutdev_name;
  /// NFULA_HWADDR.
  std::optional<hw_address> hwaddr;
  /// NFULA_PAYLOAD: the packet from the network header on (copy mode
  /// packet only, cut to the copy range or the rule's snaplen).
  std::optional<byte_buffer> payload;
  /// NFULA_PREFIX (nft always sends one, possibly empty).
  std::optional<std::string> prefix;
  /// NFULA_UID / NFULA_GID of the socket that owns the packet.
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
  /// NFULA_SEQ (per group) and NFULA_SEQ_GLOBAL (per namespace).
  std::optional<std::uint32_t> seq;
  std::optional<std::uint32_t> seq_global;
  /// NFULA_HWTYPE (ARPHRD_*), NFULA_HWLEN, NFULA_HWHEADER.
  std::optional<std::uint16_t> hwtype;
  std::optional<std::uint16_t> hwlen;
  std::optional<byte_buffer> hwheader;
  /// NFULA_CT (raw ctnetlink attributes) and its parsed fields.
  std::optional<byte_buffer> ct;
  std::optional<nflog::conntrack> conntrack;
  /// NFULA_CT_INFO (enum ip_conntrack_info).
  std::optional<std::uint32_t> ctinfo;
  /// NFULA_VLAN.
  std::optional<vlan_tag> vlan;
  /// NFULA_L2HDR: the full link-layer header (bridge family).
  std::optional<byte_buffer> l2hdr;

  friend bool operator==(const log_event&, const log_event&) = default;
};

/// One line for logs: "group 5 ip output prefix "x" out lo uid 0 len 84".
[[nodiscard]] std::string to_string(const log_event& ev);

/// The name of netfilter hook `hook` in `family` ("input", "output", ...).
[[nodiscard]] const char* hook_name(std::uint8_t family,
                                    std::uint8_t hook) noexcept;

} // namespace nfactor::nflog
