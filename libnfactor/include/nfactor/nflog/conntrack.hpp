// SPDX-License-Identifier: Apache-2.0
//
// The conntrack entry NFLOG attaches with NFULNL_CFG_F_CONNTRACK: NFULA_CT
// is a nest of ctnetlink attributes (CTA_*, <linux/netfilter/
// nfnetlink_conntrack.h>), the same layout `conntrack -L` reads:
//
//   NFULA_CT
//    +- CTA_TUPLE_ORIG / CTA_TUPLE_REPLY
//    |   +- CTA_TUPLE_IP    { CTA_IP_V4_SRC/DST (4 B) | CTA_IP_V6_SRC/DST (16
//    B) } |   +- CTA_TUPLE_PROTO { CTA_PROTO_NUM u8, CTA_PROTO_SRC/DST_PORT
//    BE16, |   |                    CTA_PROTO_ICMP[V6]_ID BE16, _TYPE u8, _CODE
//    u8 } |   +- CTA_TUPLE_ZONE  BE16
//    +- CTA_STATUS BE32 (IPS_*)   CTA_TIMEOUT BE32 s   CTA_MARK BE32
//    +- CTA_ID BE32   CTA_USE BE32   CTA_ZONE BE16
//    +- CTA_PROTOINFO { CTA_PROTOINFO_TCP { CTA_PROTOINFO_TCP_STATE u8 } }
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nl/attr.hpp"

namespace nfactor::nflog {

/// An IPv4 or IPv6 address in network byte order.
struct ip_address {
  /// 4 or 6.
  std::uint8_t version = 4;
  /// The address; IPv4 uses the first 4 bytes.
  std::array<std::uint8_t, 16> bytes{};

  /// Dotted quad or RFC 5952 text ("127.0.0.1", "::1").
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const ip_address&, const ip_address&) = default;
};

/// One direction of a connection (CTA_TUPLE_ORIG / CTA_TUPLE_REPLY).
struct ct_tuple {
  std::optional<ip_address> src;
  std::optional<ip_address> dst;
  /// IP protocol number (CTA_PROTO_NUM).
  std::optional<std::uint8_t> l4proto;
  std::optional<std::uint16_t> src_port;
  std::optional<std::uint16_t> dst_port;
  /// ICMP or ICMPv6 echo id (CTA_PROTO_ICMP[V6]_ID), type and code.
  std::optional<std::uint16_t> echo_id;
  std::optional<std::uint8_t> icmp_type;
  std::optional<std::uint8_t> icmp_code;
  /// Conntrack zone of this direction (CTA_TUPLE_ZONE).
  std::optional<std::uint16_t> zone;

  friend bool operator==(const ct_tuple&, const ct_tuple&) = default;
};

/// The parsed part of a conntrack entry.
struct conntrack {
  std::optional<ct_tuple> orig;
  std::optional<ct_tuple> reply;
  /// IPS_* status bits (CTA_STATUS).
  std::optional<std::uint32_t> status;
  /// TCP state (enum tcp_conntrack, CTA_PROTOINFO_TCP_STATE).
  std::optional<std::uint8_t> tcp_state;
  /// Entry id (CTA_ID).
  std::optional<std::uint32_t> id;
  /// Connection mark (CTA_MARK).
  std::optional<std::uint32_t> mark;
  /// Seconds until the entry expires (CTA_TIMEOUT).
  std::optional<std::uint32_t> timeout;
  /// Reference count (CTA_USE).
  std::optional<std::uint32_t> use;
  /// Conntrack zone (CTA_ZONE).
  std::optional<std::uint16_t> zone;

  friend bool operator==(const conntrack&, const conntrack&) = default;
};

/// Reads the CTA_* attributes of `attrs` (the payload of NFULA_CT) into a
/// `conntrack`; errors go to `attrs`' error slot, unknown attributes are
/// skipped.
conntrack decode_conntrack(nl::attr_reader& attrs);

/// Decodes a NFULA_CT payload on its own.
[[nodiscard]] result<conntrack> decode_conntrack(byte_view payload);

} // namespace nfactor::nflog
