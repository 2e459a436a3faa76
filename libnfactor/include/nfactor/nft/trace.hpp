// SPDX-License-Identifier: Apache-2.0
//
// nf_tables trace events (NFT_MSG_TRACE on NFNLGRP_NFTRACE,
// <linux/netfilter/nf_tables.h> enum nft_trace_attributes): for a packet
// with nftrace set, the kernel reports every rule that matched, every
// chain it returned from and the base chain policy that decided it.
//
//   nlmsghdr | nfgenmsg (family of the base chain's table)
//   NFTA_TRACE_NFPROTO      u32 BE   protocol being processed
//   NFTA_TRACE_TYPE         u32 BE   NFT_TRACETYPE_RULE / RETURN / POLICY
//   NFTA_TRACE_ID           u32 BE   pseudo id, the same for one packet
//   NFTA_TRACE_CHAIN        string   chain the event happened in
//   NFTA_TRACE_TABLE        string
//   NFTA_TRACE_RULE_HANDLE  u64 BE   the rule (RULE events)
//   NFTA_TRACE_VERDICT      nested   NFTA_VERDICT_CODE s32, _CHAIN string
//   NFTA_TRACE_POLICY       u32 BE   base chain policy (POLICY events)
//   NFTA_TRACE_MARK         u32 BE   skb mark, when not zero
//   NFTA_TRACE_IIF/OIF      u32 BE   interface indexes,
//   NFTA_TRACE_IIFTYPE/..   u16 BE   and their ARPHRD_* types
//   NFTA_TRACE_*_HEADER     binary   link, network, transport headers
//   NFTA_TRACE_CT_STATE     u32 BE   conntrack state bit (newer kernels,
//   NFTA_TRACE_CT_DIRECTION u8       numbered below when the uapi header
//   NFTA_TRACE_CT_ID        u32 BE   is older)
//   NFTA_TRACE_CT_STATUS    u32 BE   IPS_* bits, when not zero
//
// Interface and header attributes come only with the first event of each
// base chain the packet passes (the kernel dumps the packet once per
// nft_do_chain). The kernel sends the attributes in the order above,
// which is the order `append()` writes them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nft/data.hpp"
#include "nfactor/nl/message.hpp"

namespace nfactor::nft {

/// What a trace event reports (NFT_TRACETYPE_*).
enum class trace_type : std::uint32_t {
  unspec = 0,
  /// The base chain's policy decided (NFT_TRACETYPE_POLICY).
  policy = 1,
  /// The packet left a chain that ran out of rules, or returned
  /// (NFT_TRACETYPE_RETURN).
  ret = 2,
  /// A rule matched and gave `verdict` (NFT_TRACETYPE_RULE).
  rule = 3,
};

/// nft's word for `t` ("policy", "return", "rule"), or "unknown".
[[nodiscard]] std::string_view to_string(trace_type t) noexcept;

/// One NFT_MSG_TRACE event: every attribute the kernel sends, absent ones
/// unset.
struct trace_event {
  /// NFPROTO_* family of the table (nfgenmsg).
  std::uint8_t family = 0;
  /// NFPROTO_* of the packet (an inet table sees ipv4 and ipv6).
  std::optional<std::uint32_t> nfproto;
  /// NFT_TRACETYPE_* (`trace_type`).
  std::uint32_t type = 0;
  /// Trace id: the same for every event of one packet.
  std::uint32_t id = 0;
  /// Chain the event happened in.
  std::string chain;
  /// Table of that chain.
  std::string table;
  /// The rule (RULE events; the rule of a RETURN from a `return`).
  std::optional<std::uint64_t> rule_handle;
  /// The verdict (RULE and RETURN events), jump and goto with the target.
  std::optional<nft::verdict> verdict;
  /// The base chain's policy, NF_ACCEPT or NF_DROP (POLICY events).
  std::optional<std::uint32_t> policy;
  /// The packet mark (sent only when not zero).
  std::optional<std::uint32_t> mark;
  /// Input interface index and its ARPHRD_* type.
  std::optional<std::uint32_t> iif;
  std::optional<std::uint16_t> iif_type;
  /// Output interface index and its ARPHRD_* type.
  std::optional<std::uint32_t> oif;
  std::optional<std::uint16_t> oif_type;
  /// Link-layer header (input path with a MAC header).
  std::optional<byte_buffer> ll_header;
  /// Network header (IPv4/IPv6, as far as the kernel copies it).
  std::optional<byte_buffer> network_header;
  /// Transport header (the first bytes after the network header).
  std::optional<byte_buffer> transport_header;
  /// Conntrack state bit (NF_CT_STATE_BIT: new 8, established 2, related
  /// 4, invalid 1, untracked 64) when conntrack saw the packet.
  std::optional<std::uint32_t> ct_state;
  /// Conntrack direction (IP_CT_DIR_ORIGINAL 0, IP_CT_DIR_REPLY 1).
  std::optional<std::uint8_t> ct_direction;
  /// Conntrack id (as `conntrack -L -o id` prints it).
  std::optional<std::uint32_t> ct_id;
  /// Conntrack status bits (IPS_*), when not zero.
  std::optional<std::uint32_t> ct_status;

  /// The type as an enum.
  [[nodiscard]] trace_type kind() const noexcept {
    return static_cast<trace_type>(type);
  }

  /// True when this event carries the packet (interfaces or headers): the
  /// first event of a base chain.
  [[nodiscard]] bool carries_packet() const noexcept {
    return iif || oif || ll_header || network_header || transport_header;
  }

  friend bool operator==(const trace_event&, const trace_event&) = default;
};

/// True when `m` is an NFT_MSG_TRACE message.
[[nodiscard]] bool is_trace(const nl::message& m) noexcept;

/// Decodes an NFT_MSG_TRACE message; an error for other messages and for
/// malformed attributes (unknown attributes are skipped).
[[nodiscard]] result<trace_event> decode_trace(const nl::message& msg);

/// Writes the attributes of `e` in the kernel's order.
void encode(nl::message_writer& w, const trace_event& e);

/// Appends a complete message of type `msg` (NFT_MSG_TRACE, the wire form
/// the kernel sends) for `e` to `out`, as `append()` does for the object
/// kinds; used for round trips and tests.
void append(byte_buffer& out, std::uint8_t msg, std::uint16_t flags,
            std::uint32_t seq, const trace_event& e);

/// True when `e` ends the evaluation of a base chain: the policy decided,
/// or a rule accepted, dropped, queued or stole the packet. (A jump, goto,
/// return or continue does not: more events of the same base chain
/// follow.)
[[nodiscard]] bool ends_base_chain(const trace_event& e) noexcept;

} // namespace nfactor::nft
