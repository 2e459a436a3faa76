// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
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
