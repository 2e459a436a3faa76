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
// writes. So a record is the message as the kernel sent it, undecoded,
// and the file is written here without libpcap (whose pcap_dump copies
// every record through stdio).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <span>
#include <string_view>
#include <vector>

#include <sys/uio.h>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nflog/event.hpp"
#include "nfactor/nl/message.hpp"

namespace nfactor::app {

/// The L3/L4 summary of a payload that starts at the network header.
struct l34_summary {
  /// Source and destination address as text (NUL-terminated; not
  /// cleared first: `summarize` fills them).
  char src[46];
  char dst[46];
  /// Their lengths.
  std::uint8_t src_len = 0;
  std::uint8_t dst_len = 0;
  /// IPPROTO_* of the transport header (after IPv6 extension headers).
  std::uint8_t proto = 0;
  std::optional<std::uint16_t> sport;
  std::optional<std::uint16_t> dport;
};

/// Decodes IPv4/IPv6 addresses, the protocol and TCP/UDP/SCTP ports of
/// `payload` into `out`; false (and `out` unspecified) for other or
/// truncated packets.
[[nodiscard]] bool summarize(byte_view payload, l34_summary& out);

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

/// What `append_json` made of a batch.
struct json_result {
  /// Events written as lines.
  std::size_t events = 0;
  /// Events of the batch's count that were not: an attribute the line
  /// shows was malformed (the same checks as nflog::decode_packet), or
  /// the batch's framing broke off.
  std::size_t skipped = 0;
  /// Why the first of them was not.
  std::optional<error> first_error;
};

/// Appends one JSON object and a newline per event of the packed batch
/// `batch` (layout 2 of nflog/packed.hpp): keys in
/// docs/apps/nfactor-log.md, absent attributes omitted, interface names
/// from the batch's name records. Read straight from the kernel's
/// messages into the text: no event is decoded into owned values, nothing
/// is allocated per event. A batch with an unknown header or of the other
/// byte order writes nothing.
[[nodiscard]] json_result append_json(text_buffer& out, byte_view batch);

/// The 24-byte header of a pcap file of LINKTYPE_NFLOG records: host byte
/// order, microsecond timestamps, snaplen 65535; byte for byte what
/// libpcap's `pcap_dump_open` writes for `pcap_open_dead(DLT_NFLOG,
/// 65535)`.
inline constexpr std::size_t pcap_file_header_size = 24;
[[nodiscard]] std::array<std::uint8_t, pcap_file_header_size>
pcap_file_header() noexcept;

/// The events of a packed batch as pcap records, built in place: each
/// record's 16-byte header {ts_sec, ts_usec, caplen, len} (host order)
/// overwrites the message's 16-byte netlink header, so a record is its
/// header and the message's payload where they already lie, and a
/// batch's records are a few pieces for writev() (adjacent records merge
/// into one), without copying events.
class pcap_batch {
 public:
  /// Turns the NFULNL_MSG_PACKET messages of `batch` (layout 2 of
  /// nflog/packed.hpp, its 8-byte header included) into records; other
  /// messages (interface names) are left out. An event without
  /// NFULA_TIMESTAMP gets the time `now()` returns (called at most once
  /// per batch). A message without NFULA_PAYLOAD (metadata only) gets an
  /// empty NFULA_PAYLOAD TLV after it, which tcpdump requires. A
  /// framing error ends the batch (the records before it stay).
  /// `batch` is changed: its netlink headers are gone.
  void build(byte_buffer& batch, nflog::timestamp (*now)());

  /// The bytes to write, in order; valid while the batch given to
  /// `build` is neither changed nor freed.
  [[nodiscard]] std::span<iovec> pieces() noexcept { return pieces_; }
  /// Records the last `build` made.
  [[nodiscard]] std::size_t records() const noexcept { return records_; }

 private:
  void add(const void* data, std::size_t size);

  std::vector<iovec> pieces_;
  std::size_t records_ = 0;
};

} // namespace nfactor::app
