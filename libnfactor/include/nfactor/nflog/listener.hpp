// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nflog/config.hpp"
#include "nfactor/nflog/event.hpp"
#include "nfactor/nflog/ifnames.hpp"
#include "nfactor/nflog/loss.hpp"
#include "nfactor/nflog/packed.hpp"
#include "nfactor/nl/message.hpp"
#include "nfactor/sys/socket.hpp"

namespace nfactor::nflog {

/// Running totals of a listener.
struct listener_counters {
  /// Events decoded and handed out.
  std::uint64_t received = 0;
  /// Events lost, counted from sequence-number gaps (exact with the seq
  /// flag; see `seq_tracker`).
  std::uint64_t lost = 0;
  /// Receive buffer overrun episodes (ENOBUFS).
  std::uint64_t enobufs = 0;
  /// Messages that failed to decode (skipped).
  std::uint64_t decode_errors = 0;
  /// Datagrams read.
  std::uint64_t datagrams = 0;
};

/// What one `drain()` did.
struct drain_result {
  std::size_t datagrams = 0;
  std::size_t events = 0;
  /// ENOBUFS seen during this drain.
  std::size_t overruns = 0;
  /// Events found lost (sequence gaps) during this drain.
  std::uint64_t lost = 0;
  /// Messages skipped because they failed to decode.
  std::size_t decode_errors = 0;
  /// True when the socket had nothing more to read.
  bool would_block = false;
};

/// Called for each decoded event; the event may be moved from.
using event_sink = std::function<void(log_event&)>;

/// One bound NFLOG group: a non-blocking socket, configured, decoding
/// events. No threads and no CAF: the caller decides when to read (poll on
/// `fd()`), which is what the log listener actor does.
///
/// `open()` validates the options, creates the socket (in the namespace
/// when asked), then, each step acknowledged: PF_BIND per family, BIND the
/// group, MODE, FLAGS, QTHRESH, TIMEOUT, NLBUFSIZ. Events that arrive while
/// it waits for those acks are kept and handed out by the first `drain()`.
class listener {
 public:
  /// Opens and configures a listener, or says which step failed.
  [[nodiscard]] static result<listener> open(options opts);

  listener(listener&&) noexcept;
  listener& operator=(listener&&) noexcept;
  ~listener();

  /// Reads up to `max_datagrams` datagrams without blocking and gives every
  /// event to `sink`. A receive buffer overrun is counted and reading goes
  /// on; a message that fails to decode is counted and skipped (see
  /// `last_decode_error()`). Fails only when the socket itself fails.
  [[nodiscard]] result<drain_result> drain(const event_sink& sink,
                                           std::size_t max_datagrams = 64);

  /// Like `drain()`, appending events to `out`, and stopping before the
  /// next datagram once `out` holds `max_events` (so `out` grows by at
  /// most `max_events` plus one datagram's events, i.e. `qthresh`).
  [[nodiscard]] result<drain_result> drain_into(std::vector<log_event>& out,
                                                std::size_t max_events,
                                                std::size_t max_datagrams = 64);

  /// Like `drain_into()`, for a node that forwards events without
  /// decoding them: appends each event's message, as read, to `out`
  /// (layout 2 of nflog/packed.hpp), after name records for its
  /// interfaces. Only what the listener itself needs is read from a
  /// message (sequence numbers for the loss count, interface indexes for
  /// the names); one whose attributes are not well framed is counted as a
  /// decode error and skipped. The receiver decodes the rest.
  [[nodiscard]] result<drain_result> drain_packed(netlink_batch& out,
                                                  std::size_t max_events,
                                                  std::size_t max_datagrams = 64);

  /// Decodes one datagram (as read from the socket) and gives every event
  /// to `sink`, with loss accounting and interface names; for callers that
  /// read the socket themselves.
  drain_result decode_datagram(byte_view datagram, const event_sink& sink);

  /// Waits until the socket is readable or `timeout` passes.
  [[nodiscard]] result<bool> wait_readable(std::chrono::milliseconds timeout);

  /// Unbinds the group (acknowledged) and closes the socket. Safe to call
  /// twice; the socket is closed even when the UNBIND fails.
  result<void> close();

  [[nodiscard]] bool is_open() const noexcept { return sock_.is_open(); }
  [[nodiscard]] int fd() const noexcept { return sock_.fd(); }
  [[nodiscard]] std::uint32_t portid() const noexcept { return sock_.portid(); }
  /// The receive buffer the kernel granted (SO_RCVBUF).
  [[nodiscard]] int rcvbuf() const noexcept { return sock_.rcvbuf(); }
  [[nodiscard]] const options& opts() const noexcept { return opts_; }
  [[nodiscard]] const listener_counters& counters() const noexcept {
    return counters_;
  }
  /// The most recent decode error, if any.
  [[nodiscard]] const std::optional<error>& last_decode_error() const noexcept {
    return last_decode_error_;
  }
  /// The socket (for extra requests on the same port id).
  [[nodiscard]] sys::socket& socket() noexcept { return sock_; }

 private:
  listener(options opts, sys::socket sock);

  // Datagrams read per recvmmsg call at most.
  static constexpr std::size_t recv_slots = 16;

  result<void> configure();
  // Accounts and names one decoded event.
  void finish(log_event& ev, drain_result& res);
  // Counts the loss a message's sequence numbers reveal.
  void account(const std::optional<std::uint32_t>& seq,
               const std::optional<std::uint32_t>& seq_global,
               drain_result& res);
  // Reads datagrams (decoding or copying them) until `held()` events are
  // held, `max_datagrams` were read, or the socket has no more.
  template <class Held>
  result<void> read_up_to(std::size_t max_events, std::size_t max_datagrams,
                          Held held, drain_result& total);
  // Appends a packet message to `*packed_`, after name records.
  void scan_message(const nl::message& msg, drain_result& res);
  void decode_message(const nl::message& msg,
                      const std::shared_ptr<const void>& storage,
                      const event_sink& sink, drain_result& res);
  // Copies `datagram` into a block of its own and decodes its events.
  void decode_block(byte_view datagram, const event_sink& sink,
                    drain_result& res);
  // Reads and decodes up to `want` queued datagrams with one recvmmsg;
  // returns how many were read (0: would block, or an overrun).
  result<std::size_t> recv_some(std::size_t want, const event_sink& sink,
                                drain_result& total);

  options opts_;
  sys::socket sock_;
  byte_buffer buf_;
  listener_counters counters_;
  seq_tracker seq_{0u};
  seq_tracker seq_global_;
  std::optional<ifname_cache> names_;
  std::chrono::steady_clock::time_point now_{};
  std::vector<log_event> pending_;
  std::optional<error> last_decode_error_;
  log_event scratch_;
  // Set by drain_into(): decode straight into this vector.
  std::vector<log_event>* into_ = nullptr;
  // Set by drain_packed(): copy messages into this batch, undecoded.
  netlink_batch* packed_ = nullptr;
};

} // namespace nfactor::nflog
