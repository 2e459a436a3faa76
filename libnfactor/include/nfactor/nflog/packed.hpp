// SPDX-License-Identifier: Apache-2.0
// The node's packed transport of NFLOG events: a batch of events as one
// byte buffer, shipped between processes (nodes) in one piece instead of
// field by field. The batch holds the kernel's NFULNL_MSG_PACKET messages
// as read, undecoded (the receiver decodes them with nflog/decode.hpp, as
// a local listener does); decoded events (a node with a filter) are
// encoded back into such messages (`append_packet`). A sequence of netlink
// messages, each 4-byte aligned, after an 8-byte header; their headers
// (and attribute headers) are in the byte order `order` of the host that
// wrote them (1 little-endian, 2 big-endian; a reader of the other order
// refuses the batch):
//
//   batch    | version u8 = 2 | order u8 | reserved u16 = 0 | count u32 |
//            | message ... |  (nothing after; count little-endian)
//   message  NFULNL_MSG_PACKET  one event, byte for byte as the kernel sent
//                               it (`count` of them)
//            name_record_type   | nlmsghdr | ifindex u32 | name bytes |
//                               (padded): interface `ifindex` is called
//                               `name` (empty: has no name) for the events
//                               after it; an event's *_name fields come
//                               from the records before it in the batch
//
// Version 1 (rows of decoded events) is gone: version 2 carries decoded
// events too. A decoder refuses another version or byte order, reserved
// bits, short input, trailing bytes, messages of other types and events
// that do not decode: an error, never an over-read.
//
// `drain_packed` fills a batch straight from a listener's socket: the
// listener's `packet_stage` for a node that forwards events.
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

class listener;
struct drain_result;

/// The layout version `netlink_batch` writes (2; version 1 is retired).
inline constexpr std::uint8_t netlink_version = 2;

/// The netlink message type of an interface name record (no
/// nfnetlink subsystem uses it: their types are `subsys << 8 | msg`, and
/// subsystems end below 0x20).
inline constexpr std::uint16_t name_record_type = 0x7e01;

/// Builds a batch from the kernel's NFULNL_MSG_PACKET messages: one copy
/// of each message's bytes, no decoding. What a node's listener does
/// instead of decoding events it only forwards.
class netlink_batch {
 public:
  netlink_batch();

  /// Interface `ifindex` is called `name` ("": has no name) for the events
  /// added after this call. Writes a record only when that differs from
  /// what is in force in this batch.
  void name(std::uint32_t ifindex, std::string_view name);

  /// Appends one NFULNL_MSG_PACKET message (header included), as read.
  void add_event(byte_view message);

  /// Appends a decoded event, encoded again (`append_packet`, header seq
  /// = its `seq`), after name records for its interfaces: it decodes to
  /// an equal event (the parsed conntrack comes from the raw `ct` bytes;
  /// an empty name reads back as none).
  void add_event(const log_event& ev);

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

/// A batch of `events` (see `netlink_batch::add_event`).
[[nodiscard]] byte_buffer pack_events(std::span<const log_event> events);

/// Reads like `listener::drain_into()`, appending each event's message,
/// as read, to `out`, after name records for its interfaces (when the
/// listener resolves names). Only what the listener needs is read from a
/// message (sequence numbers for the loss count, interface indexes for
/// the names); one whose attributes are not well framed is counted as a
/// decode error and skipped. The receiver decodes the rest.
[[nodiscard]] result<drain_result> drain_packed(listener& l, netlink_batch& out,
                                                std::size_t max_events,
                                                std::size_t max_datagrams = 64);

/// The number of events in a packed batch (from its header), or an error
/// if `bytes` does not start with a header this reader knows.
[[nodiscard]] result<std::uint32_t> packed_count(byte_view bytes);

/// Appends the events of the packed batch `more` to the packed batch
/// `batch` (an empty `batch` becomes a copy of `more`): one copy of the
/// event bytes and a new count, no decoding. An error (and `batch`
/// unchanged) if either header is not of a known layout, or the byte
/// orders differ.
[[nodiscard]] result<void> append_packed(byte_buffer& batch, byte_view more);

/// Decodes a packed batch, appending its events to `out`
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
