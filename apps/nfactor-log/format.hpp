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

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

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

/// A growing text buffer for a batch of output: `append_json` writes
/// through a raw pointer into its reserved tail (no capacity check and no
/// zero-filling per character), and it keeps its memory from batch to
/// batch.
class text_buffer {
 public:
  /// Forgets the text, keeps the memory.
  void clear() noexcept { size_ = 0; }
  [[nodiscard]] std::string_view view() const noexcept {
    return {data_.get(), size_};
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Room for `n` more characters; write them, then `commit` the end.
  [[nodiscard]] char* reserve(std::size_t n);
  void commit(const char* end) noexcept {
    size_ = static_cast<std::size_t>(end - data_.get());
  }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

/// Appends `ev` as one JSON object and a newline (keys in
/// docs/apps/nfactor-log.md; absent attributes omitted).
void append_json(text_buffer& out, const nflog::log_event& ev);

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
