// SPDX-License-Identifier: Apache-2.0
//
// Netlink messages (struct nlmsghdr, <linux/netlink.h>):
//
//   0               4       6       8               12              16
//   +---------------+-------+-------+---------------+---------------+- - -
//   |  nlmsg_len    | type  | flags |  nlmsg_seq    |  nlmsg_pid    | payload
//   +---------------+-------+-------+---------------+---------------+- - -
//   Messages in one datagram follow each other on 4-byte boundaries.
//
// An error/ack (NLMSG_ERROR) carries struct nlmsgerr: a negative errno (0 for
// an ack), the request's header, the request's payload unless NLM_F_CAPPED,
// then, with NLM_F_ACK_TLVS, extended-ACK attributes (NLMSGERR_ATTR_MSG,
// NLMSGERR_ATTR_OFFS).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"

namespace nfactor::nl {

/// One netlink message, borrowed from a receive buffer.
struct message {
  std::uint16_t type = 0;
  std::uint16_t flags = 0;
  std::uint32_t seq = 0;
  std::uint32_t portid = 0;
  /// Everything after the 16-byte header, up to nlmsg_len.
  byte_view payload;
  /// The whole message including its header.
  byte_view bytes;
};

/// Iterates over the messages packed in one datagram, checking each
/// header's length against the bytes that remain.
class message_reader {
 public:
  explicit message_reader(byte_view datagram) noexcept : rest_(datagram) {}

  /// Moves to the next message; false at the end or after an error.
  bool next() noexcept;

  /// The current message.
  [[nodiscard]] const message& get() const noexcept { return msg_; }

  /// Success, or the first framing error.
  [[nodiscard]] result<void> status() const {
    if (err_)
      return *err_;
    return {};
  }

 private:
  byte_view rest_;
  std::size_t offset_ = 0;
  message msg_;
  std::optional<error> err_;
};

/// The decoded content of an NLMSG_ERROR message.
struct ack {
  /// Positive errno; 0 for a plain acknowledgement.
  int error = 0;
  /// Header fields of the request this answers.
  std::uint32_t seq = 0;
  std::uint16_t request_type = 0;
  /// The kernel's extended ACK text (empty if none).
  std::string extack;
  /// Offset of the offending attribute within the request, if reported.
  std::optional<std::uint32_t> extack_offset;
};

/// Decodes an NLMSG_ERROR message (`msg.type` must be NLMSG_ERROR).
[[nodiscard]] result<ack> decode_ack(const message& msg);

/// Turns a failing `ack` into an `error` for `op`.
[[nodiscard]] error ack_error(const ack& a, std::string op);

} // namespace nfactor::nl
