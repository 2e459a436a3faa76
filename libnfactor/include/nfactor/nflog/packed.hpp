// SPDX-License-Identifier: Apache-2.0
// A compact, self-describing byte form of a batch of NFLOG events, for
// shipping batches between processes (nodes) as one byte buffer instead of
// field by field. Little-endian throughout; every optional member is one
// bit in a presence mask and, when set, its value in row order:
//
//   batch    | version u8 = 1 | rows u8 = 27 | reserved u16 = 0 | count u32 |
//            | event 0 | event 1 | ... | event count-1 |  (nothing after)
//   event    | family u8 | group u16 | present u32 | field ... |
//   field    one per set bit i of `present`, in bit order (rows below):
//     u8, u16, u32          the value
//     string, bytes         length u32 | bytes
//     timestamp             sec i64 | usec i64
//     hw_address            len u16 | bytes[8]
//     vlan_tag              proto u16 | tci u16
//     conntrack             present u16 | field ... (its 9 rows)
//     ct_tuple              present u16 | field ... (its 9 rows)
//     ip_address            version u8 | bytes[16]
//
//   log_event rows: 0 hw_protocol u16, 1 hook u8, 2 mark u32, 3 timestamp,
//   4 indev u32, 5 outdev u32, 6 physindev u32, 7 physoutdev u32,
//   8 indev_name, 9 outdev_name, 10 physindev_name, 11 physoutdev_name
//   (strings), 12 hwaddr, 13 payload (bytes), 14 prefix (string), 15 uid
//   u32, 16 gid u32, 17 seq u32, 18 seq_global u32, 19 hwtype u16, 20 hwlen
//   u16, 21 hwheader (bytes), 22 ct (bytes), 23 conntrack, 24 ctinfo u32,
//   25 vlan, 26 l2hdr (bytes).
//   conntrack rows: 0 orig, 1 reply (ct_tuple), 2 status u32, 3 tcp_state
//   u8, 4 id u32, 5 mark u32, 6 timeout u32, 7 use u32, 8 zone u16.
//   ct_tuple rows: 0 src, 1 dst (ip_address), 2 l4proto u8, 3 src_port u16,
//   4 dst_port u16, 5 echo_id u16, 6 icmp_type u8, 7 icmp_code u8, 8 zone
//   u16.
//
// The rows are listed once, in src/nflog/packed.cpp; a change of
// `log_event` changes them there (and `packed_version`). A decoder refuses
// another version or row count, unknown bits, short input and trailing
// bytes: an error, never an over-read.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nflog/event.hpp"

namespace nfactor::nflog {

/// The layout version `pack_events` writes and `unpack_events` reads.
inline constexpr std::uint8_t packed_version = 1;

/// Appends the packed form of `events` to `out`.
void pack_events(std::span<const log_event> events, byte_buffer& out);

/// The packed form of `events`.
[[nodiscard]] byte_buffer pack_events(std::span<const log_event> events);

/// The number of events in a packed batch (from its header), or an error if
/// `bytes` does not start with a header of this version.
[[nodiscard]] result<std::uint32_t> packed_count(byte_view bytes);

/// Appends the events of the packed batch `more` to the packed batch
/// `batch` (an empty `batch` becomes a copy of `more`): one copy of the
/// event bytes and a new count, no decoding. An error (and `batch`
/// unchanged) if either header is not of this version.
[[nodiscard]] result<void> append_packed(byte_buffer& batch, byte_view more);

/// Decodes a packed batch, appending its events to `out` (on error, `out`
/// keeps what it had before).
[[nodiscard]] result<void> unpack_events(byte_view bytes,
                                         std::vector<log_event>& out);

/// Decodes a packed batch.
[[nodiscard]] result<std::vector<log_event>> unpack_events(byte_view bytes);

} // namespace nfactor::nflog
