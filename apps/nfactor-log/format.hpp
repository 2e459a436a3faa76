// SPDX-License-Identifier: Apache-2.0
//
// Output formats of nfactor-log (no CAF): one JSON object per event, and
// LINKTYPE_NFLOG (239) records for pcap files, rebuilt from the decoded
// event in the TLV layout tcpdump and wireshark read
// (https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html):
//
//   nflog_hdr {u8 family, u8 version = 0, u16 resource_id (BE) = group}
//   TLV* {u16 length (host order, header included), u16 type (host order),
//         value as the netlink attribute carries it, padded to 4}
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nfactor/bytes.hpp"
#include "nfactor/nflog/event.hpp"

namespace nfactor::app {

/// The L3/L4 summary of a payload that starts at the network header.
struct l34_summary {
  std::string src;
  std::string dst;
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

/// Appends `ev` as one JSON object and a newline (keys in README.md;
/// absent attributes omitted).
void append_json(std::string& out, const nflog::log_event& ev);

/// The LINKTYPE_NFLOG record of `ev`.
[[nodiscard]] byte_buffer nflog_record(const nflog::log_event& ev);

} // namespace nfactor::app
