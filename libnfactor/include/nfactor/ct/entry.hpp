// SPDX-License-Identifier: Apache-2.0
//
// A conntrack entry as ctnetlink describes it (CTA_*, <linux/netfilter/
// nfnetlink_conntrack.h>): the payload of IPCTNL_MSG_CT_NEW/DELETE after
// the nfgenmsg, and of NFLOG's NFULA_CT nest (and NFQUEUE's NFQA_CT). One
// table in src/ct/entry.cpp decodes and encodes every attribute below:
//
//   CTA_TUPLE_ORIG / _REPLY / _MASTER
//    +- CTA_TUPLE_IP    { CTA_IP_V4_SRC/DST (4 B) | CTA_IP_V6_SRC/DST (16 B) }
//    +- CTA_TUPLE_PROTO { CTA_PROTO_NUM u8, CTA_PROTO_SRC/DST_PORT BE16,
//    |                    CTA_PROTO_ICMP[V6]_ID BE16, _TYPE u8, _CODE u8 }
//    +- CTA_TUPLE_ZONE  BE16
//   CTA_STATUS BE32 (IPS_*)  CTA_TIMEOUT BE32 s  CTA_MARK BE32  CTA_ID BE32
//   CTA_USE BE32  CTA_ZONE BE16  CTA_LABELS bytes  CTA_MARK_MASK BE32
//   CTA_LABELS_MASK bytes  CTA_STATUS_MASK BE32
//   CTA_PROTOINFO { CTA_PROTOINFO_TCP  { STATE u8, WSCALE_ORIGINAL u8,
//                                        WSCALE_REPLY u8, FLAGS_ORIGINAL and
//                                        FLAGS_REPLY {flags u8, mask u8} }
//                   CTA_PROTOINFO_SCTP { STATE u8, VTAG_ORIGINAL/REPLY BE32 }
//                   CTA_PROTOINFO_DCCP { STATE u8, ROLE u8 } }
//   CTA_COUNTERS_ORIG / _REPLY { CTA_COUNTERS_PACKETS BE64, _BYTES BE64 }
//   CTA_TIMESTAMP { CTA_TIMESTAMP_START BE64 ns, CTA_TIMESTAMP_STOP BE64 ns }
//   CTA_SECCTX { CTA_SECCTX_NAME string }   CTA_HELP { CTA_HELP_NAME string }
//   CTA_SEQ_ADJ_ORIG / _REPLY { CORRECTION_POS, OFFSET_BEFORE, OFFSET_AFTER
//                               BE32 }
//
// Unknown attributes (padding, CTA_SYNPROXY, CTA_NAT_*) are skipped.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nl/attr.hpp"

namespace nfactor::ct {

/// An IPv4 or IPv6 address in network byte order.
struct ip_address {
  /// 4 or 6.
  std::uint8_t version = 4;
  /// The address; IPv4 uses the first 4 bytes.
  std::array<std::uint8_t, 16> bytes{};

  /// Dotted quad or RFC 5952 text ("127.0.0.1", "::1").
  [[nodiscard]] std::string to_string() const;

  /// Parses dotted-quad or IPv6 text; empty if it is neither.
  [[nodiscard]] static std::optional<ip_address> parse(std::string_view text);

  friend bool operator==(const ip_address&, const ip_address&) = default;
};

/// One direction of a connection (CTA_TUPLE_ORIG / _REPLY / _MASTER).
struct tuple {
  std::optional<ip_address> src;
  std::optional<ip_address> dst;
  /// IP protocol number (CTA_PROTO_NUM).
  std::optional<std::uint8_t> l4proto;
  std::optional<std::uint16_t> src_port;
  std::optional<std::uint16_t> dst_port;
  /// ICMP or ICMPv6 echo id (CTA_PROTO_ICMP[V6]_ID; which one is written
  /// follows `l4proto`), type and code.
  std::optional<std::uint16_t> echo_id;
  std::optional<std::uint8_t> icmp_type;
  std::optional<std::uint8_t> icmp_code;
  /// Conntrack zone of this direction (CTA_TUPLE_ZONE).
  std::optional<std::uint16_t> zone;

  friend bool operator==(const tuple&, const tuple&) = default;
};

/// Packets and bytes of one direction (CTA_COUNTERS_*; the kernel sends
/// them with net.netfilter.nf_conntrack_acct=1).
struct counters {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;

  friend bool operator==(const counters&, const counters&) = default;
};

/// TCP window scale flags of one direction (struct nf_ct_tcp_flags).
struct tcp_flags {
  /// IP_CT_TCP_FLAG_* bits.
  std::uint8_t flags = 0;
  /// The bits of `flags` to change (requests only; the kernel sends 0).
  std::uint8_t mask = 0;

  friend bool operator==(const tcp_flags&, const tcp_flags&) = default;
};

/// A NAT sequence adjustment of one direction (CTA_SEQ_ADJ_*).
struct seq_adj {
  std::uint32_t correction_pos = 0;
  std::int32_t offset_before = 0;
  std::int32_t offset_after = 0;

  friend bool operator==(const seq_adj&, const seq_adj&) = default;
};

/// The parsed attributes of a conntrack entry. Every member is optional:
/// events carry a subset (a DESTROY carries counters and timestamps but no
/// timeout), and requests set only what they change.
struct entry {
  std::optional<tuple> orig;
  std::optional<tuple> reply;
  /// IPS_* status bits (CTA_STATUS, enum ip_conntrack_status).
  std::optional<std::uint32_t> status;
  /// TCP state (enum tcp_conntrack, CTA_PROTOINFO_TCP_STATE).
  std::optional<std::uint8_t> tcp_state;
  /// Entry id (CTA_ID); stable for the entry's life.
  std::optional<std::uint32_t> id;
  /// Connection mark (CTA_MARK).
  std::optional<std::uint32_t> mark;
  /// Seconds until the entry expires (CTA_TIMEOUT).
  std::optional<std::uint32_t> timeout;
  /// Reference count (CTA_USE).
  std::optional<std::uint32_t> use;
  /// Conntrack zone (CTA_ZONE).
  std::optional<std::uint16_t> zone;
  /// The master connection of an expected one (CTA_TUPLE_MASTER).
  std::optional<tuple> master;
  /// TCP window scale of each direction (CTA_PROTOINFO_TCP_WSCALE_*).
  std::optional<std::uint8_t> tcp_wscale_orig;
  std::optional<std::uint8_t> tcp_wscale_reply;
  /// TCP flags of each direction (CTA_PROTOINFO_TCP_FLAGS_*).
  std::optional<tcp_flags> tcp_flags_orig;
  std::optional<tcp_flags> tcp_flags_reply;
  /// SCTP state (enum sctp_conntrack) and verification tags.
  std::optional<std::uint8_t> sctp_state;
  std::optional<std::uint32_t> sctp_vtag_orig;
  std::optional<std::uint32_t> sctp_vtag_reply;
  /// DCCP state and role.
  std::optional<std::uint8_t> dccp_state;
  std::optional<std::uint8_t> dccp_role;
  /// Per-direction packet and byte counters (nf_conntrack_acct=1).
  std::optional<counters> counters_orig;
  std::optional<counters> counters_reply;
  /// Creation and end time, ns since the epoch (CTA_TIMESTAMP_*, with
  /// net.netfilter.nf_conntrack_timestamp=1; stop only on DESTROY).
  std::optional<std::uint64_t> timestamp_start;
  std::optional<std::uint64_t> timestamp_stop;
  /// Connection labels, a bitmap of up to 128 bits (CTA_LABELS).
  std::optional<byte_buffer> labels;
  /// Requests only: which label bits to change (CTA_LABELS_MASK).
  std::optional<byte_buffer> labels_mask;
  /// Requests only: which mark bits to change or match (CTA_MARK_MASK).
  std::optional<std::uint32_t> mark_mask;
  /// Requests only: which status bits to match (CTA_STATUS_MASK).
  std::optional<std::uint32_t> status_mask;
  /// Security context (CTA_SECCTX_NAME).
  std::optional<std::string> secctx;
  /// Helper attached to the entry (CTA_HELP_NAME, e.g. "ftp").
  std::optional<std::string> helper;
  /// NAT sequence adjustment of each direction (CTA_SEQ_ADJ_*).
  std::optional<seq_adj> seq_adj_orig;
  std::optional<seq_adj> seq_adj_reply;

  friend bool operator==(const entry&, const entry&) = default;
};

/// Reads the CTA_* attributes of `attrs` into an `entry`; errors go to
/// `attrs`' error slot, unknown attributes are skipped.
entry decode_entry(nl::attr_reader& attrs);

/// Decodes a run of CTA_* attributes (e.g. an NFULA_CT payload) on its own.
[[nodiscard]] result<entry> decode_entry(byte_view attrs);

/// Appends the set members of `e` as CTA_* attributes, in the kernel's
/// dump order.
void encode_entry(nl::message_writer& w, const entry& e);

/// Appends `t` as a tuple nest of attribute type `type` (CTA_TUPLE_*).
void encode_tuple(nl::message_writer& w, std::uint16_t type, const tuple& t);

/// The address family (AF_INET / AF_INET6) of `t`'s addresses, 0 if it has
/// none.
[[nodiscard]] std::uint8_t family_of(const tuple& t) noexcept;

} // namespace nfactor::ct
