// SPDX-License-Identifier: Apache-2.0
//
// Output formats of nfactor-log (no CAF): one JSON object per event,
// appended to a reusable buffer with no allocation per event, and
// LINKTYPE_NFLOG (239) records for pcap files
// (https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html):
//
//   nflog_hdr {u8 family, u8 version = 0, u16 resource_id (BE) = group}
//   TLV* {u16 length (host order, header included), u16 type (host order),
//         value as the netlink attribute carries it, padded to 4}
//
// That is the kernel's NFULNL_MSG_PACKET message after its netlink header
// (nfgenmsg and attributes), byte for byte: what `tcpdump -i nflog:G -w`
// writes. So a record is the message as the kernel sent it, undecoded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nfactor/bytes.hpp"
#include "nfactor/nflog/event.hpp"
#include "nfactor/nl/message.hpp"

namespace nfactor::app {

/// The L3/L4 summary of a payload that starts at the network header.
struct l34_summary {
  /// Source and destination address as text (NUL-terminated).
  char src[46] = {};
  char dst[46] = {};
  /// IPPROTO_* of the transport header (after IPv6 extension headers).
  std::uint8_t proto = 0;
  std::optional<std::uint16_t> sport;
  std::optional<std::uint16_t> dport;
};

/// Decodes IPv4/IPv6 addresses, the protocol and TCP/UDP/SCTP ports of
/// `payload`; nothing for other or truncated packets.
[[nodiscard]] std::optional<l34_summary> summarize(byte_view payload);

/// The name of IPPROTO_* `p` ("tcp", "udp", "icmp", "ipv6-icmp"), or
/// nullptr.
[[nodiscard]] const char* proto_name(std::uint8_t p) noexcept;

/// Appends `ev` as one JSON object and a newline (keys in
/// docs/apps/nfactor-log.md; absent attributes omitted).
void append_json(std::string& out, const nflog::log_event& ev);

/// A pcap record of one NFULNL_MSG_PACKET message.
struct nflog_record {
  /// The LINKTYPE_NFLOG bytes: the message's payload (nfgenmsg and
  /// attributes), plus an empty NFULA_PAYLOAD TLV when the kernel sent no
  /// payload (metadata-only events), which tcpdump requires.
  byte_view bytes;
  /// NFULA_TIMESTAMP, if the kernel sent one.
  std::optional<nflog::timestamp> time;
};

/// The record of `msg`; `scratch` holds its bytes when they must be
/// extended (reused from call to call). Malformed attributes end the
/// search for the timestamp and payload, not the record.
[[nodiscard]] nflog_record make_nflog_record(const nl::message& msg,
                                             byte_buffer& scratch);

} // namespace nfactor::app
