// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nflog/config.hpp"
#include "nfactor/nflog/event.hpp"
#include "nfactor/nflog/ifnames.hpp"
#include "nfactor/nflog/loss.hpp"
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
  /// True when an overrun's drops have not shown as a sequence gap yet
  /// (this drain's or an earlier one's). The kernel reports ENOBUFS before
  /// the events it kept, and the gap shows only at the first event queued
  /// after the drops: until such an event is read, `lost` lacks them.
  bool uncounted_overrun = false;
  /// Messages skipped because they failed to decode.
  std::size_t decode_errors = 0;
  /// True when the socket had nothing more to read.
  bool would_block = false;
};

/// Called for each decoded event; the event may be moved from.
using event_sink = std::function<void(log_event&)>;

class listener;

/// What a listener does with the NFULNL_MSG_PACKET messages it reads:
/// decode them into events (`listener::drain`, `drain_into`), or forward
/// them as read (the node's packer, `drain_packed` in nflog/packed.hpp).
/// The listener reads, checks and counts; the stage handles the messages.
class packet_stage {
 public:
  virtual ~packet_stage() = default;

  /// Events the stage holds: a read stops before the next datagram once
  /// it holds the read's `max_events`.
  [[nodiscard]] virtual std::size_t held() const noexcept = 0;

  /// True when the stage keeps references into the datagrams (decoded
  /// events' `shared_bytes`): the listener then copies each datagram into
  /// a block of its own, once, and passes it as `storage`.
  [[nodiscard]] virtual bool keeps_bytes() const noexcept = 0;

  /// Takes the events that arrived while the group was being configured
  /// (decoded then, named and counted); called once per read, first.
  virtual void take_configured(std::vector<log_event>& events) = 0;

  /// Handles one packet message; `storage` keeps its bytes alive (null
  /// unless `keeps_bytes()`). It reports the message's sequence numbers
  /// with `l.note_sequence()` and may name its interfaces with
  /// `l.interface_name()`. False, with `err` set, when the message is
  /// malformed: the listener counts it as a decode error and goes on.
  virtual bool packet(const nl::message& msg,
                      const std::shared_ptr<const void>& storage, listener& l,
                      std::optional<error>& err) = 0;
};

/// One bound NFLOG group: a non-blocking socket, configured, decoding
/// events. No threads and no CAF: the caller decides when to read (poll on
/// `fd()`), which is what the log listener actor does.
///
/// `open()` validates the options, creates the socket (in the namespace
/// when asked), then, each step acknowledged: PF_BIND per family, BIND the
/// group, MODE, FLAGS, QTHRESH, TIMEOUT, NLBUFSIZ. Events that arrive while
/// it waits for those acks are kept and handed out by the first `drain()`.
///
/// `close()` unbinds the group (acknowledged) and closes the socket; the
/// owner calls it when it stops (the log listener actor in `on_exit`).
/// The destructor only closes the socket, without a request: the kernel
/// releases the group with the socket (nfnetlink_log's netlink notifier
/// on NETLINK_URELEASE), so a new socket can bind it at once.
///
/// Split by job: socket, configuration and reading in listener.cpp;
/// decoding (`drain`, `drain_into`, `decode_datagram`) in
/// listener_decode.cpp; the node's packed transport, a `packet_stage` of
/// its own, in packed.cpp.
class listener {
 public:
  /// Opens and configures a listener, or says which step failed.
  [[nodiscard]] static result<listener> open(options opts);

  listener(listener&&) noexcept;
  listener& operator=(listener&&) noexcept;
  /// Closes the socket (no UNBIND: see the class comment).
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

  /// Reads like `drain_into()`, handing the configured events and then
  /// every packet message to `stage`, and stopping before the next
  /// datagram once the stage holds `max_events`. A receive buffer overrun
  /// is counted and reading goes on. Fails only when the socket fails.
  [[nodiscard]] result<drain_result> read(packet_stage& stage,
                                          std::size_t max_events,
                                          std::size_t max_datagrams = 64);

  /// For stages: counts the events lost before a message with these
  /// sequence numbers (per group, else global) and returns how many.
  std::uint64_t note_sequence(const std::optional<std::uint32_t>& seq,
                              const std::optional<std::uint32_t>& seq_global);

  /// For stages: true when the options ask for interface names.
  [[nodiscard]] bool resolves_names() const noexcept {
    return names_.has_value();
  }

  /// For stages: the name of interface `ifindex`, or nullptr when names
  /// are not resolved or there is no such interface (now).
  const std::string* interface_name(std::uint32_t ifindex);

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
  // Hands one message to `stage` if it is a packet, counting.
  void handle_packet(const nl::message& msg,
                     const std::shared_ptr<const void>& storage,
                     packet_stage& stage, drain_result& res);
  // Hands the packet messages of `datagram` to `stage`, counting.
  void handle_datagram(byte_view datagram, packet_stage& stage,
                       drain_result& res);
  // Reads up to `want` queued datagrams with one recvmmsg and hands them
  // to `stage`; returns how many were read (0: would block, or an
  // overrun).
  result<std::size_t> recv_some(std::size_t want, packet_stage& stage,
                                drain_result& total);

  // Bytes of one receive slot: the largest datagram the group sends.
  [[nodiscard]] std::size_t slot_size() const noexcept {
    return largest_datagram(opts_.nlbufsiz);
  }

  options opts_;
  sys::socket sock_;
  // recv_slots receive slots of slot_size() bytes, one datagram each.
  std::unique_ptr<std::uint8_t[]> buf_;
  listener_counters counters_;
  seq_tracker seq_{0u};
  seq_tracker seq_global_;
  std::optional<ifname_cache> names_;
  std::chrono::steady_clock::time_point now_{};
  // Events decoded while the group was being configured.
  std::vector<log_event> pending_;
  std::optional<error> last_decode_error_;
  // The result of the read in progress (`note_sequence` adds to it).
  drain_result* reading_ = nullptr;
  // An overrun was seen and no sequence gap after it (drain_result's
  // `uncounted_overrun`).
  bool uncounted_overrun_ = false;
};

} // namespace nfactor::nflog
