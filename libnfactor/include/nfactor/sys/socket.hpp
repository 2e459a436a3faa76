// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/sys/netns.hpp"

struct msghdr;

struct mnl_socket;

namespace nfactor::sys {

/// Options of a netfilter netlink socket. Every field has a default that
/// suits a request/reply socket; listeners raise `rcvbuf`.
struct socket_options {
  /// Namespace to create the socket in. Default: the caller's.
  netns ns = netns::current();
  /// Receive buffer to ask for, in bytes; 0 keeps the kernel default
  /// (net.core.rmem_default, usually 208 KiB). Set with SO_RCVBUFFORCE
  /// (root may exceed net.core.rmem_max), falling back to SO_RCVBUF.
  int rcvbuf = 0;
  /// Send buffer to ask for, in bytes; 0 keeps the kernel default. A
  /// batch is one datagram, so large batches need a large send buffer.
  int sndbuf = 0;
  /// Multicast groups to join right away (e.g. NFNLGRP_NFTABLES).
  std::vector<unsigned> groups;
  /// Ask the kernel for extended ACK text in errors (NETLINK_EXT_ACK).
  /// Default on: the text is what makes an error actionable.
  bool ext_ack = true;
  /// Do not echo the request's payload in error messages
  /// (NETLINK_CAP_ACK). Default on: errors for large batch messages would
  /// otherwise repeat the whole message.
  bool cap_ack = true;
};

/// What a `recv()` found.
enum class recv_status {
  /// A datagram was read.
  data,
  /// Nothing to read (non-blocking socket).
  would_block,
  /// The receive buffer overflowed and the kernel dropped messages
  /// (ENOBUFS). Not fatal: the socket keeps working, but the reader has
  /// lost messages and must resynchronise.
  overrun,
};

/// The outcome of one `recv()`.
struct recv_outcome {
  recv_status status = recv_status::would_block;
  /// Bytes read when `status == data`.
  std::size_t size = 0;
};

/// What one `socket::recv_batch()` read.
struct batch_outcome {
  /// Kernel datagrams handed to the callback.
  std::size_t datagrams = 0;
  /// The read found ENOBUFS instead of data: the receive buffer overflowed
  /// and the kernel dropped messages (see `recv_status::overrun`).
  bool overrun = false;
  /// The queue is empty now: fewer datagrams were queued than asked for.
  bool would_block = false;
};

/// An owned NETLINK_NETFILTER socket: non-blocking, close-on-exec, bound
/// to a kernel-assigned port id. Move-only; closed on destruction.
///
/// Only the kernel is believed: a datagram whose sender (`sockaddr_nl`
/// `nl_pid`) is not 0 comes from another process (any process with
/// CAP_NET_ADMIN in the namespace may unicast to our port id or send to a
/// group we joined) and is dropped unread by `recv()`, and by every reader
/// in nfactor that reads `fd()` itself (the NFLOG listener's recvmmsg), and
/// counted in `foreign_dropped()`. Replies, acks, dumps and events are only
/// ever parsed from kernel datagrams. There is no switch to turn this off;
/// tests feed crafted replies to `reply_reader` (request.hpp) instead.
class socket {
 public:
  /// Creates a socket as `opts` says.
  [[nodiscard]] static result<socket> open(const socket_options& opts = {});

  socket(socket&&) noexcept;
  socket& operator=(socket&&) noexcept;
  ~socket();

  /// The descriptor (for poll); -1 once closed.
  [[nodiscard]] int fd() const noexcept;

  /// The port id the kernel assigned at bind time.
  [[nodiscard]] std::uint32_t portid() const noexcept { return portid_; }

  /// A fresh sequence number for the next request.
  [[nodiscard]] std::uint32_t next_seq() noexcept { return seq_++; }

  /// The receive buffer the kernel granted, as SO_RCVBUF reports it (the
  /// kernel doubles the requested size for bookkeeping).
  [[nodiscard]] int rcvbuf() const noexcept { return rcvbuf_; }

  /// Asks for a receive buffer of `bytes`; returns what was granted.
  [[nodiscard]] result<int> set_rcvbuf(int bytes);

  /// Asks for a send buffer of `bytes`; returns what was granted.
  [[nodiscard]] result<int> set_sndbuf(int bytes);

  /// Joins multicast group `group`.
  [[nodiscard]] result<void> join(unsigned group);

  /// Leaves multicast group `group`.
  [[nodiscard]] result<void> leave(unsigned group);

  /// Sends one datagram (one or more netlink messages) to the kernel.
  [[nodiscard]] result<void> send(byte_view datagram);

  /// Reads one datagram from the kernel into `buf` without blocking. A
  /// datagram larger than `buf` is an error (ENOSPC), never silently
  /// truncated. Datagrams from other senders are dropped and counted
  /// (`foreign_dropped()`), and reading goes on: `would_block` means no
  /// kernel datagram is queued. Each dropped datagram costs one recvmsg,
  /// so the loop ends as soon as the foreign sender stops.
  [[nodiscard]] result<recv_outcome> recv(std::span<std::uint8_t> buf);

  /// Reads the queued datagrams, up to `buf.size() / slot_size` of them,
  /// with one recvmmsg into `buf`, one `slot_size` slot each, and hands
  /// every kernel datagram to `each` in order (the view dies when `each`
  /// returns). Foreign datagrams are dropped and counted as by `recv()`;
  /// a kernel datagram larger than `slot_size` is an error (ENOSPC). The
  /// one batch reader of nfactor: a listener that drains many datagrams
  /// per wake-up calls this rather than a loop of its own.
  [[nodiscard]] result<batch_outcome>
  recv_batch(std::span<std::uint8_t> buf, std::size_t slot_size,
             const std::function<void(byte_view)>& each);

  /// The kernel's count of messages it dropped for this socket because
  /// its receive buffer was full (or congested), since it was opened:
  /// SO_MEMINFO's SK_MEMINFO_DROPS (Linux >= 4.6), as /proc/net/netlink
  /// shows it in "Drops". One per message, where ENOBUFS is one per
  /// overflow episode: the difference of two readings is how many
  /// messages were lost in between (modulo 2^32). An error if the kernel
  /// does not offer it.
  [[nodiscard]] result<std::uint32_t> drops() const;

  /// Datagrams dropped because their sender was not the kernel
  /// (`nl_pid != 0`), since the socket was opened.
  [[nodiscard]] std::uint64_t foreign_dropped() const noexcept {
    return foreign_;
  }

  /// The check every datagram read from `fd()` passes before it is
  /// parsed (`recv()` and readers calling recvmsg/recvmmsg themselves):
  /// the sender first (`from_kernel()` on `hdr.msg_name`), then the size.
  /// True: a kernel datagram to parse. False: another sender's, dropped
  /// unparsed whatever its size and counted (`foreign_dropped()`). An
  /// error: a kernel datagram cut off at `buffer_size` (MSG_TRUNC),
  /// `truncated_datagram(op, buffer_size)`.
  [[nodiscard]] result<bool>
  check_datagram(const ::msghdr& hdr, std::size_t buffer_size, const char* op);

  /// Waits up to `timeout` for the socket to become readable; false on
  /// time-out.
  [[nodiscard]] result<bool> wait_readable(std::chrono::milliseconds timeout);

  /// Closes the socket now (also done by the destructor).
  void close() noexcept;

  [[nodiscard]] bool is_open() const noexcept { return nl_ != nullptr; }

  /// The namespace the socket was created in.
  [[nodiscard]] const netns& ns() const noexcept { return ns_; }

 private:
  struct closer {
    void operator()(mnl_socket* s) const noexcept;
  };

  socket() = default;

  result<void> membership(int opt, unsigned group, const char* verb);

  std::unique_ptr<mnl_socket, closer> nl_;
  std::uint32_t portid_ = 0;
  std::uint32_t seq_ = 1;
  int rcvbuf_ = 0;
  std::uint64_t foreign_ = 0;
  netns ns_ = netns::current();
};

/// True when a datagram's source address says the kernel sent it: a
/// netlink address with port id 0. Readers that call recvmsg/recvmmsg on
/// `socket::fd()` themselves must pass `msg_name` and drop the datagram
/// unparsed when this is false.
[[nodiscard]] bool from_kernel(const void* addr, std::size_t addr_len) noexcept;

/// The error for a kernel datagram that did not fit (MSG_TRUNC): ENOSPC,
/// naming `op` and the `buffer_size` it did not fit. What was cut off
/// cannot be known, so every reader treats it as a failure.
[[nodiscard]] error truncated_datagram(std::string op, std::size_t buffer_size);

/// Receive buffer size that holds any single netfilter netlink datagram a
/// reply or dump produces (dumps use at most 32 KiB skbs; NFLOG batches
/// are bounded by nlbufsiz, which callers must add on top).
inline constexpr std::size_t default_recv_buffer = 64 * 1024;

/// True when `e` says the socket itself is broken, so only a new socket
/// helps: it is closed (`errc::closed`), or a send, recv, poll or
/// setsockopt on it failed with EBADF, ENOTSOCK, ENOTCONN, ECONNREFUSED,
/// ECONNRESET, EPIPE or EDESTADDRREQ. False for the kernel's answer to a
/// request (those carry the request's seq: EINVAL, ENOENT, ERESTART, ...)
/// and for conditions the socket survives (ENOBUFS, EMSGSIZE, a timeout).
/// A supervised socket actor fails on these and is restarted.
[[nodiscard]] bool is_socket_failure(const error& e) noexcept;

} // namespace nfactor::sys
