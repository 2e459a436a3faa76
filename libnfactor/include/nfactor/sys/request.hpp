// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nl/message.hpp"
#include "nfactor/sys/socket.hpp"

namespace nfactor::sys {

/// Called for each reply message of a request or dump. The view is only
/// valid during the call. Returning an error stops delivery; the exchange
/// still reads to the end so the socket stays in step.
using reply_handler = std::function<result<void>(const nl::message&)>;

/// How long to wait and how much to buffer in a request/reply exchange.
struct exchange_options {
  /// The longest gap allowed between two reply datagrams. Default 5 s.
  std::chrono::milliseconds timeout{5000};
  /// Receive buffer for one datagram. Default 64 KiB.
  std::size_t buffer_size = default_recv_buffer;
  /// Called for messages that do not answer this exchange (another
  /// sequence number: multicast notifications, NFLOG events) that arrive
  /// while it waits, so a caller that shares the socket loses none of
  /// them. Default: they are skipped.
  std::function<void(const nl::message&)> on_other;
};

/// What an exchange does with the datagrams that answer it: the reply
/// side of `request()` and `dump()`, on bytes. Both read kernel datagrams
/// (see `socket`) and feed each one here; callers that read the socket
/// themselves, and tests with crafted replies, can do the same.
///
/// Messages with another sequence number go to `on_other`. NLMSG_NOOP is
/// skipped. An NLMSG_ERROR that fails to decode, or carries an error,
/// ends the exchange with that error; a plain ack ends a request. A dump
/// ends at NLMSG_DONE: a negative status in it is the dump's errno, and
/// NLM_F_DUMP_INTR on any part gives `errc::dump_interrupted`.
/// NLMSG_OVERRUN and a framing error (e.g. a lying nlmsg_len) end it too.
/// Everything else goes to `on_reply`, until `on_reply` fails; its first
/// error is the result once the exchange ends.
class reply_reader {
 public:
  /// What ends the exchange: the ack of a request, or a dump's NLMSG_DONE.
  enum class until { ack, done };

  /// The handlers are borrowed and must outlive the reader.
  reply_reader(std::uint32_t seq, std::string op, until end,
               const reply_handler& on_reply,
               const std::function<void(const nl::message&)>& on_other);

  /// Feeds one datagram. Empty while the exchange expects more replies;
  /// otherwise its result, after which nothing more may be fed.
  [[nodiscard]] std::optional<result<void>> feed(byte_view datagram);

  /// The error for an exchange that heard nothing for `timeout`
  /// (`errc::timeout`, named `op`).
  [[nodiscard]] error timed_out(std::chrono::milliseconds timeout) const;

  /// The error for a reply lost to a receive-buffer overrun (ENOBUFS).
  [[nodiscard]] error overrun() const;

 private:
  std::uint32_t seq_;
  std::string op_;
  until end_;
  const reply_handler& on_reply_;
  const std::function<void(const nl::message&)>& on_other_;
  std::optional<error> first_error_;
  bool interrupted_ = false;
};

/// Sends `request` (one message that carries NLM_F_ACK and sequence
/// number `seq`) and waits for its acknowledgement. Replies that come
/// before the ack (e.g. NEWGEN for GETGEN) go to `on_reply`. A negative
/// ack becomes an error with the errno and the kernel's extack text,
/// named `op`.
[[nodiscard]] result<void> request(socket& sock, byte_view request,
                                   std::uint32_t seq, std::string_view op,
                                   const reply_handler& on_reply = {},
                                   const exchange_options& opts = {});

/// Sends a dump request (NLM_F_DUMP, sequence number `seq`) and feeds
/// every part to `on_reply` until NLMSG_DONE. NLM_F_DUMP_INTR on any part
/// gives `errc::dump_interrupted` (after the dump is drained), a lost
/// datagram gives an overrun error (`is_overrun()`), and a missing DONE
/// a time-out.
[[nodiscard]] result<void> dump(socket& sock, byte_view request,
                                std::uint32_t seq, std::string_view op,
                                const reply_handler& on_reply,
                                const exchange_options& opts = {});

} // namespace nfactor::sys
