// SPDX-License-Identifier: Apache-2.0
//
// Binding NFQUEUE queues, and who holds them. The kernel lists the bound
// queues of a namespace in /proc/net/netfilter/nfnetlink_queue, one line per
// queue (net/netfilter/nfnetlink_queue.c, seq_show):
//
//   queue portid queue_total copy_mode copy_range queue_dropped
//   user_dropped id_sequence 1
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "nfactor/error.hpp"
#include "nfactor/nfqueue/config.hpp"
#include "nfactor/sys/netns.hpp"
#include "nfactor/sys/request.hpp"
#include "nfactor/sys/socket.hpp"

namespace nfactor::nfqueue {

/// One line of /proc/net/netfilter/nfnetlink_queue.
struct queue_binding {
  std::uint16_t queue = 0;
  /// Netlink port id of the socket that bound the queue.
  std::uint32_t portid = 0;
  /// Packets waiting for a verdict in the kernel.
  std::uint32_t queue_total = 0;
  std::uint8_t copy_mode = 0;
  std::uint32_t copy_range = 0;
  /// Packets dropped because the queue was full (max_queue_len).
  std::uint32_t queue_dropped = 0;
  /// Packets dropped because they could not be sent to the socket (its
  /// receive buffer was full): each leaves a gap in the packet ids.
  std::uint32_t user_dropped = 0;
  /// The last packet id handed out.
  std::uint32_t id_sequence = 0;

  friend bool operator==(const queue_binding&, const queue_binding&) = default;
};

/// Reads the bound queues of namespace `ns`.
[[nodiscard]] result<std::vector<queue_binding>>
read_bindings(const sys::netns& ns);

/// The binding of `queue` in `ns`, if the queue is bound (and the file is
/// readable).
[[nodiscard]] std::optional<queue_binding> find_binding(const sys::netns& ns,
                                                        std::uint16_t queue);

/// Appends one NFQNL_MSG_CONFIG message (NLM_F_REQUEST | NLM_F_ACK) that
/// binds `o.queue` and configures it as `o` says: NFQNL_CFG_CMD_BIND,
/// NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN, NFQA_CFG_FLAGS + MASK. The
/// kernel checks the flags before it binds and applies the rest right
/// after, so no packet meets the queue bound but unconfigured (copy mode
/// none, which drops it).
void append_bind_configured(byte_buffer& out, std::uint32_t seq,
                            const options& o);

/// Sends `append_bind_configured(o)` on `sock` and waits for the ack. A
/// queue that another socket holds (EPERM), or that this socket already
/// holds (EBUSY), gives `errc::busy` naming the queue and the owner's
/// netlink port id (from /proc/net/netfilter/nfnetlink_queue); flags the
/// kernel cannot honour give EOPNOTSUPP naming them.
[[nodiscard]] result<void> bind_queue(sys::socket& sock, const options& o,
                                      const sys::exchange_options& ex = {});

/// Unbinds `queue` from `sock` (NFQNL_CFG_CMD_UNBIND, acknowledged). The
/// kernel drops the packets still waiting for a verdict.
[[nodiscard]] result<void> unbind_queue(sys::socket& sock, std::uint16_t queue,
                                        const sys::exchange_options& ex = {});

} // namespace nfactor::nfqueue
