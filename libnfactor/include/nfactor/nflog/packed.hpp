// SPDX-License-Identifier: Apache-2.0
// Compact, self-describing byte forms of a batch of NFLOG events, for
// shipping batches between processes (nodes) as one byte buffer instead of
// field by field. Two layouts share one 8-byte header (count and reserved
// little-endian); `unpack_events` reads both.
//
// Layout 1 ("rows", from decoded `log_event`s). Little-endian throughout;
// every optional member is one bit in a presence mask and, when set, its
// value in row order:
//
//   batch    | version u8 = 3 | rows u8 = 27 | reserved u16 = 0 | count u32 |
//            | event 0 | event 1 | ... | event count-1 |  (nothing after)
//   event    | family u8 | group u16 | present u32 | field ... |
//   field    one per set bit i of `present`, in bit order (rows below):
//     u8, u16, u32          the value
//     string, bytes         length u32 | bytes
//     timestamp             sec i64 | usec i64
//     hw_address            len u16 | bytes[8]
//     vlan_tag              proto u16 | tci u16
//     conntrack             present u32 | field ... (its 31 rows)
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
//   conntrack rows (ct::entry): 0 orig, 1 reply (ct_tuple), 2 status u32,
//   3 tcp_state u8, 4 id u32, 5 mark u32, 6 timeout u32, 7 use u32, 8 zone
//   u16, 9 master (ct_tuple), 10 tcp_wscale_orig u8, 11 tcp_wscale_reply
//   u8, 12 tcp_flags_orig, 13 tcp_flags_reply (flags u8 | mask u8), 14
//   sctp_state u8, 15 sctp_vtag_orig u32, 16 sctp_vtag_reply u32, 17
//   dccp_state u8, 18 dccp_role u8, 19 counters_orig, 20 counters_reply
//   (packets u64 | bytes u64), 21 timestamp_start u64, 22 timestamp_stop
//   u64, 23 labels, 24 labels_mask (bytes), 25 mark_mask u32, 26
//   status_mask u32, 27 secctx, 28 helper (strings), 29 seq_adj_orig, 30
//   seq_adj_reply (correction_pos u32 | offset_before i32 | offset_after
//   i32).
//   ct_tuple rows: 0 src, 1 dst (ip_address), 2 l4proto u8, 3 src_port u16,
//   4 dst_port u16, 5 echo_id u16, 6 icmp_type u8, 7 icmp_code u8, 8 zone
//   u16.
//
// The rows are listed once, in src/nflog/packed.cpp; a change of
// `log_event` changes them there (and `packed_version`).
//
// Layout 2 ("netlink", written by `netlink_batch` from what the kernel
// sent, undecoded; the reader decodes with nflog/decode.hpp, as a local
// listener does). A sequence of netlink messages, each 4-byte aligned,
// their headers (and attribute headers) in the byte order `order` of the
// host that read them from its kernel (1 little-endian, 2 big-endian; a
// reader of the other order refuses the batch):
//
//   batch    | version u8 = 2 | order u8 | reserved u16 = 0 | count u32 |
//            | message ... |  (nothing after)
//   message  NFULNL_MSG_PACKET  one event, byte for byte as the kernel sent
//                               it (`count` of them)
//            name_record_type   | nlmsghdr | ifindex u32 | name bytes |
//                               (padded): interface `ifindex` is called
//                               `name` (empty: has no name) for the events
//                               after it; an event's *_name fields come
//                               from the records before it in the batch
//
// A decoder refuses another version or row count (or byte order), unknown
// bits, short input, trailing bytes and, in layout 2, messages of other
// types and events that do not decode: an error, never an over-read.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nflog/event.hpp"

namespace nfactor::nflog {

/// The layout version `pack_events` writes (layout 1): 3 since the
/// conntrack entry is the shared ct::entry of 31 rows (1 had 9 rows; 2 is
/// the netlink layout's number).
inline constexpr std::uint8_t packed_version = 3;

/// The layout version `netlink_batch` writes (layout 2).
inline constexpr std::uint8_t netlink_version = 2;

/// The netlink message type of a layout-2 interface name record (no
/// nfnetlink subsystem uses it: their types are `subsys << 8 | msg`, and
/// subsystems end below 0x20).
inline constexpr std::uint16_t name_record_type = 0x7e01;

/// Builds a layout-2 batch from the kernel's NFULNL_MSG_PACKET messages:
/// one copy of each message's bytes, no decoding. What a node's listener
/// does instead of decoding events it only forwards.
class netlink_batch {
 public:
  netlink_batch();

  /// Interface `ifindex` is called `name` ("": has no name) for the events
  /// added after this call. Writes a record only when that differs from
  /// what is in force in this batch.
  void name(std::uint32_t ifindex, std::string_view name);

  /// Appends one NFULNL_MSG_PACKET message (header included), as read.
  void add_event(byte_view message);

  /// Events added since the last `take()`.
  [[nodiscard]] std::uint32_t events() const noexcept { return events_; }
  [[nodiscard]] bool empty() const noexcept { return events_ == 0; }
  /// Bytes the batch has now (header included).
  [[nodiscard]] std::size_t size() const noexcept { return buf_.size(); }

  /// The batch; the builder starts a new, empty one (no names in force).
  /// `reserve` bytes are reserved for the next batch.
  [[nodiscard]] byte_buffer take(std::size_t reserve = 0);

 private:
  void start(std::size_t reserve);

  byte_buffer buf_;
  std::uint32_t events_ = 0;
  // Names in force in this batch (few: the interfaces of one host).
  std::vector<std::pair<std::uint32_t, std::string>> names_;
};

/// Appends the packed form of `events` to `out`.
void pack_events(std::span<const log_event> events, byte_buffer& out);

/// The packed form of `events`.
[[nodiscard]] byte_buffer pack_events(std::span<const log_event> events);

/// The number of events in a packed batch of either layout (from its
/// header), or an error if `bytes` does not start with a header this
/// reader knows.
[[nodiscard]] result<std::uint32_t> packed_count(byte_view bytes);

/// Appends the events of the packed batch `more` to the packed batch
/// `batch` (an empty `batch` becomes a copy of `more`): one copy of the
/// event bytes and a new count, no decoding. An error (and `batch`
/// unchanged) if either header is not of a known layout, or the layouts
/// (or byte orders) differ.
[[nodiscard]] result<void> append_packed(byte_buffer& batch, byte_view more);

/// Decodes a packed batch of either layout, appending its events to `out`
/// (on error, `out` keeps what it had before). The events' byte fields
/// share one copy of `bytes`.
[[nodiscard]] result<void> unpack_events(byte_view bytes,
                                         std::vector<log_event>& out);

/// Decodes a packed batch without copying it: the events' byte fields
/// (payload, headers) point into `*bytes`, which they keep alive.
[[nodiscard]] result<void>
unpack_events(std::shared_ptr<const byte_buffer> bytes,
              std::vector<log_event>& out);

/// Decodes a packed batch.
[[nodiscard]] result<std::vector<log_event>> unpack_events(byte_view bytes);

} // namespace nfactor::nflog
