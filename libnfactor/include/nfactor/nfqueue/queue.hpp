// SPDX-License-Identifier: Apache-2.0
//
// One bound NFQUEUE queue: a non-blocking socket, configured, decoding
// packets and sending verdicts. No threads and no CAF: the caller decides
// when to read (poll on `fd()`), which is what the queue listener actor
// does.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nflog/ifnames.hpp"
#include "nfactor/nflog/loss.hpp"
#include "nfactor/nfqueue/bindings.hpp"
#include "nfactor/nfqueue/config.hpp"
#include "nfactor/nfqueue/packet.hpp"
#include "nfactor/nfqueue/verdict.hpp"
#include "nfactor/nl/message.hpp"
#include "nfactor/sys/socket.hpp"

namespace nfactor::nfqueue {

/// Running totals of a queue handle.
struct queue_counters {
  /// Packets decoded and handed out.
  std::uint64_t received = 0;
  /// Datagrams read.
  std::uint64_t datagrams = 0;
  /// Receive buffer overrun episodes (ENOBUFS).
  std::uint64_t enobufs = 0;
  /// Packets whose ids were skipped: the kernel could not send them to
  /// the socket (its user_dropped count) and dropped them, or accepted
  /// them with fail-open.
  std::uint64_t id_gaps = 0;
  /// Packet messages that failed to decode (their ids, when readable, are
  /// reported by `drain_into` for a verdict).
  std::uint64_t decode_errors = 0;
  /// Verdict messages sent (a batch verdict counts once).
  std::uint64_t verdicts = 0;
  /// Batch verdict messages among them.
  std::uint64_t batch_verdicts = 0;
  /// Verdicts the kernel refused (e.g. ENOENT for an id it no longer
  /// holds).
  std::uint64_t verdict_errors = 0;
};

/// What one `drain_into()` did.
struct drain_result {
  std::size_t datagrams = 0;
  std::size_t packets = 0;
  /// ENOBUFS seen during this drain.
  std::size_t overruns = 0;
  /// Packet ids skipped during this drain (see `queue_counters::id_gaps`).
  std::uint64_t id_gap = 0;
  /// Verdicts the kernel refused during this drain.
  std::size_t verdict_errors = 0;
  /// Ids of packets that failed to decode: they still wait for a verdict,
  /// which the caller must give.
  std::vector<std::uint32_t> undecodable_ids;
  /// True when the socket had nothing more to read.
  bool would_block = false;
};

/// One bound NFQUEUE queue.
///
/// `open()` validates the options, creates the socket (in the namespace
/// when asked), PF_BINDs each family, then binds and configures the queue
/// in one acknowledged message (see `append_bind_configured`).
///
/// Verdicts are collected with `add_verdict()` / `add_batch_verdict()` and
/// sent together, one datagram, by `flush_verdicts()` (or by the add once
/// the pending bytes pass 64 KiB). They carry no NLM_F_ACK: the kernel
/// reports only a failing one, which `drain_into()` counts.
class queue_handle {
 public:
  /// Opens, binds and configures a queue, or says which step failed.
  [[nodiscard]] static result<queue_handle> open(options opts);

  queue_handle(queue_handle&&) noexcept;
  queue_handle& operator=(queue_handle&&) noexcept;
  /// Closes the socket (which makes the kernel drop the packets still
  /// waiting for a verdict); call `close()` for an orderly UNBIND.
  ~queue_handle();

  /// Reads datagrams without blocking, appending every packet to `out`,
  /// until `out` holds `max_packets`, `max_datagrams` were read, or the
  /// socket has no more. An overrun is counted and reading goes on; a
  /// packet that fails to decode is counted and its id reported. Fails
  /// only when the socket itself fails.
  [[nodiscard]] result<drain_result> drain_into(std::vector<queue_packet>& out,
                                                std::size_t max_packets,
                                                std::size_t max_datagrams = 64);

  /// Queues a verdict on packet `id` (see the class comment).
  [[nodiscard]] result<void> add_verdict(std::uint32_t id, const verdict& v);

  /// Queues a batch verdict on every packet with an id up to `max_id`
  /// (`v` must be `batchable()`).
  [[nodiscard]] result<void> add_batch_verdict(std::uint32_t max_id,
                                               const verdict& v);

  /// Sends the queued verdicts; nothing to do when none are queued.
  [[nodiscard]] result<void> flush_verdicts();

  /// Sends `v` for every packet the kernel holds for this queue: reads
  /// what is waiting in the socket (without handing it out), then one
  /// batch verdict up to the highest id seen. Returns how many packets it
  /// read. What arrives after it (rules still queueing) is not covered.
  [[nodiscard]] result<std::size_t> settle_all(const verdict& v);

  /// Waits until the socket is readable or `timeout` passes.
  [[nodiscard]] result<bool> wait_readable(std::chrono::milliseconds timeout);

  /// Unbinds the queue (acknowledged; the kernel drops packets still
  /// waiting) and closes the socket. Safe to call twice; the socket is
  /// closed even when the UNBIND fails.
  result<void> close();

  [[nodiscard]] bool is_open() const noexcept { return sock_.is_open(); }
  [[nodiscard]] int fd() const noexcept { return sock_.fd(); }
  [[nodiscard]] std::uint32_t portid() const noexcept { return sock_.portid(); }
  [[nodiscard]] std::uint16_t queue() const noexcept {
    return static_cast<std::uint16_t>(opts_.queue);
  }
  /// The receive buffer the kernel granted (SO_RCVBUF).
  [[nodiscard]] int rcvbuf() const noexcept { return sock_.rcvbuf(); }
  [[nodiscard]] const options& opts() const noexcept { return opts_; }
  [[nodiscard]] const queue_counters& counters() const noexcept {
    return counters_;
  }
  /// The highest packet id read so far, if any.
  [[nodiscard]] std::optional<std::uint32_t> last_id() const noexcept {
    return last_id_;
  }
  /// The most recent decode error, if any.
  [[nodiscard]] const std::optional<error>& last_decode_error() const noexcept {
    return last_decode_error_;
  }
  /// The most recent verdict the kernel refused, if any.
  [[nodiscard]] const std::optional<error>&
  last_verdict_error() const noexcept {
    return last_verdict_error_;
  }
  /// This queue's line of /proc/net/netfilter/nfnetlink_queue (queue_total,
  /// queue_dropped, user_dropped), if readable.
  [[nodiscard]] std::optional<queue_binding> binding() const {
    return find_binding(opts_.ns, queue());
  }
  /// The socket (for extra requests on the same port id).
  [[nodiscard]] sys::socket& socket() noexcept { return sock_; }

 private:
  queue_handle(options opts, sys::socket sock);

  void on_message(const nl::message& msg,
                  const std::shared_ptr<const void>& storage,
                  std::vector<queue_packet>& out, drain_result& res);
  // Reads one datagram into `out`; false when nothing was read.
  result<bool> read_one(std::vector<queue_packet>& out, drain_result& res);

  options opts_;
  sys::socket sock_;
  byte_buffer buf_;
  byte_buffer verdicts_;
  queue_counters counters_;
  nflog::seq_tracker ids_{1u};
  std::optional<std::uint32_t> last_id_;
  std::optional<nflog::ifname_cache> names_;
  std::optional<error> last_decode_error_;
  std::optional<error> last_verdict_error_;
  std::vector<queue_packet> pending_;
};

} // namespace nfactor::nfqueue
