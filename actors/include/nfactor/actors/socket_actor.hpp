// SPDX-License-Identifier: Apache-2.0
// The socket-actor core: everything a detached actor that owns netlink
// sockets needs besides its protocol, written once. The log listener and
// the nf_tables monitor are built on it; a new socket actor is one file
// with its protocol logic.
//
// What the core does (see DESIGN.md, "Socket-owning actor"):
//   * the thread: spawn the actor `caf::detached`; it blocks in `ppoll` on
//     its sockets and a wake-up eventfd (`wake_signal`); a shutdown barrier
//     keeps the system's shutdown from overtaking its last messages;
//   * the wake-up: `enqueue()` writes the eventfd for every message the
//     actor did not send itself, so control messages, `exit_msg` and
//     `down_msg` end the poll at once. The owner's answers (responses) wake
//     it only while `wake_on_ack()` says the actor waits for one (saves a
//     wake-up per batch); an answer that raced with that flag is seen by
//     `wait()` itself, which does not block while the mailbox is not empty;
//   * the loop: after each pass the actor sends itself `Tick`, so the
//     mailbox is served between polls;
//   * failures: the exception handler `sup::keep_cause` (an exception's
//     `what()` or `sup::failure`'s error becomes the exit reason), `fail()`
//     (= `sup::fail_with`) for a broken socket or a failed open;
//   * the owner: `start()` monitors it; when it goes down the actor stops
//     normally (`sup::stop_with_owner`) and closes its sockets;
//   * flow control: `deliver()` sends a request that holds `credits` until
//     the owner's handler returns (or fails); `may_read()` is false while
//     `credit_limit()` credits are held, so the kernel drops and reports
//     ENOBUFS instead of the mailbox growing without bound;
//   * counters: `counters()` is the `sup::stats` record (`received`,
//     `lost`, `enobufs`, `rcvbuf` are the protocol's to fill; `delivered`
//     is counted by `deliver()`), restarted with the uptime clock by
//     `start()`.
//
// Threading contract: sender threads call only `enqueue()`, which reads the
// eventfd (opened in the constructor, closed in the destructor: after the
// last possible enqueue, as every sender holds a strong reference) and the
// atomic wake-on-ack flag. Everything else, the hooks included, runs on the
// actor's own thread. Sockets are opened in `start()` (from
// `make_behavior()`) and closed in `on_exit()` at the latest, never in the
// destructor (it runs late: a restart would find a group still bound).
//
// A protocol derives from `socket_actor<Impl>` (`Impl`: its full typed
// interface including `reacts_to<socket_tick_atom>`, or another `Tick` as
// the second argument, and `reacts_to<stop_atom>`) and
//   * implements `open_sockets()`, `close_sockets()`, `socket_fds()` and
//     `on_readable()`;
//   * in `make_behavior()` calls `start(owner, restarts)` and returns its
//     handlers plus `tick_handler()` and `stop_handler()`;
//   * optionally overrides `may_read()`, `wake_on_ack()`, `on_ack()` and
//     `pass()` (one turn of the loop: the default waits up to
//     `idle_timeout` for the sockets, while `may_read()`, or a message, and
//     calls `on_readable()`).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include <caf/actor_cast.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "nfactor/actors/shutdown_barrier.hpp"
#include "nfactor/actors/sup/failure.hpp"
#include "nfactor/actors/sup/owner.hpp"
#include "nfactor/actors/sup/stats.hpp"
#include "nfactor/actors/type_ids.hpp"
#include "nfactor/error.hpp"

namespace nfactor::actors {

/// The eventfd that wakes a socket actor's poll from other threads.
/// Opened on construction, closed on destruction; `notify()` is safe from
/// any thread while the object lives.
class wake_signal {
 public:
  /// Opens the eventfd; on failure `fd()` is -1 and `status()` says why.
  wake_signal() noexcept;
  ~wake_signal();
  wake_signal(const wake_signal&) = delete;
  wake_signal& operator=(const wake_signal&) = delete;

  /// Success, or why the eventfd could not be opened.
  [[nodiscard]] result<void> status() const;
  /// The eventfd (-1 if it could not be opened).
  [[nodiscard]] int fd() const noexcept { return fd_; }
  /// Makes the next (or current) `wait_readable` return. Any thread.
  void notify() const noexcept;
  /// Consumes the pending notifications. The owner's thread.
  void clear() const noexcept;

 private:
  int fd_ = -1;
  int errno_ = 0;
};

/// The most sockets one socket actor polls.
inline constexpr std::size_t max_socket_fds = 8;

/// Waits up to `timeout` until `wake` is notified or one of `fds` (at most
/// `max_socket_fds`) is readable or in error, and clears `wake`. Returns
/// the readable sockets as a mask (bit i: `fds[i]`; 0 when only woken or
/// timed out); an interrupted wait returns 0. A failing `ppoll` is an
/// error.
[[nodiscard]] result<std::uint32_t>
wait_readable(const wake_signal& wake, std::span<const int> fds,
              std::chrono::microseconds timeout);

/// The core of a detached socket-owning actor (see the file comment).
/// `Impl` is the actor's full typed interface, `Tick` its self-sent atom
/// (which `Impl` must include).
template <class Impl, class Tick = socket_tick_atom>
class socket_actor : public Impl::base {
 public:
  using super = typename Impl::base;
  using behavior_type = typename super::behavior_type;

  explicit socket_actor(caf::actor_config& cfg) : super(cfg) {
    attach_shutdown_barrier(*this); // detached: see shutdown_barrier.hpp
    // Keep the exception's cause in the exit reason (CAF drops it).
    this->set_exception_handler(sup::keep_cause);
  }

  // Wakes the poll for every message this actor did not send itself; the
  // owner's answers only while the protocol waits for one (see file).
  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* eu) override {
    bool quiet = ptr && ((ptr->sender && ptr->sender.get() == this->ctrl()) ||
                         (ptr->mid.is_response() && !wake_on_ack_.load()));
    super::enqueue(std::move(ptr), eu);
    if (!quiet)
      wake_.notify();
  }

  void on_exit() override {
    close();
    super::on_exit();
  }

 protected:
  // -- hooks the protocol implements ---------------------------------------

  /// Opens the sockets (called once, by `start()`); an error ends the
  /// actor with it as the exit reason.
  virtual result<void> open_sockets() = 0;

  /// Closes the sockets and releases the kernel side (unbind): on stop,
  /// owner down, failure and exit. May be called more than once and after
  /// a failed (partial) open.
  virtual void close_sockets() = 0;

  /// The sockets to poll (at most `max_socket_fds`), while open.
  [[nodiscard]] virtual std::span<const int> socket_fds() const = 0;

  /// Reads what the sockets hold; bit i of `ready` is `socket_fds()[i]`.
  /// Called by the default `pass()` only while `may_read()`.
  virtual void on_readable(std::uint32_t ready) = 0;

  // -- hooks with defaults -------------------------------------------------

  /// Whether the sockets may be read now. Default: a credit is left.
  [[nodiscard]] virtual bool may_read() const {
    return in_flight_ < credit_limit_;
  }

  /// Whether an owner's answer must wake the poll now. Default: always.
  /// A protocol that returns false at times must keep its waits short
  /// while answers may matter (or rely on the mailbox check in `wait()`).
  [[nodiscard]] virtual bool wake_on_ack() const { return true; }

  /// Called after an answer of the owner returned credits.
  virtual void on_ack() {}

  /// One turn of the loop, on each tick. Default: wait up to
  /// `idle_timeout` for a message or, while `may_read()`, the sockets;
  /// read what is readable.
  virtual void pass() {
    bool reading = may_read();
    auto ready = wait(idle_timeout, reading);
    if (reading && ready != 0 && running())
      on_readable(ready);
  }

  // -- helpers -------------------------------------------------------------

  /// How long the default pass waits when nothing happens (the loop turns
  /// at least this often).
  static constexpr std::chrono::microseconds idle_timeout{1000000};

  /// Opens the sockets, restarts the counters (`restarts` from the
  /// supervisor), monitors `owner` (a null handle: none) and sends the
  /// first tick. Returns false, with the actor ending, if it failed.
  template <class Handle>
  bool start(const Handle& owner, std::uint32_t restarts = 0) {
    stats_ = sup::stats_keeper{restarts};
    auto opened = wake_.status();
    if (opened)
      opened = open_sockets();
    if (!opened) {
      fail(opened.err());
      return false;
    }
    open_ = true;
    sup::stop_with_owner(this, owner);
    this->send(this, Tick{});
    return true;
  }

  /// The handler of the self-sent tick: one `pass()`, then the next tick.
  auto tick_handler() {
    return [this](Tick) {
      if (!open_)
        return;
      pass();
      if (open_)
        this->send(this, Tick{});
    };
  }

  /// The handler of `stop_atom`: closes the sockets (the kernel side is
  /// released before the reply), then stops normally.
  auto stop_handler() {
    return [this](stop_atom) {
      stop();
    };
  }

  /// Closes the sockets and stops normally.
  void stop() {
    close();
    this->quit();
  }

  /// Closes the sockets and stops with `e` as the exit reason.
  void fail(const error& e) {
    close();
    sup::fail_with(this, e);
  }

  /// Whether the sockets are open (after `start()`, before a stop).
  [[nodiscard]] bool running() const noexcept { return open_; }

  /// Waits up to `timeout` for a message and, if `with_sockets`, for the
  /// sockets; returns the readable ones (see `wait_readable`). A failing
  /// poll fails the actor (and returns 0).
  std::uint32_t wait(std::chrono::microseconds timeout, bool with_sockets) {
    bool acks = wake_on_ack();
    wake_on_ack_.store(acks);
    // An answer enqueued before the flag was set did not signal: do not
    // sleep on it.
    if (acks && !this->mailbox().empty())
      timeout = std::chrono::microseconds{0};
    auto fds = with_sockets ? socket_fds() : std::span<const int>{};
    auto r = wait_readable(wake_, fds, timeout);
    if (!r) {
      fail(r.err());
      return 0;
    }
    return *r;
  }

  /// Sends `msg` to `to` as a request holding `credits` until the owner's
  /// handler returns or fails; then `events` count as delivered and
  /// `on_ack()` runs.
  template <class Handle, class Message>
  void deliver(const Handle& to, Message&& msg, std::size_t credits,
               std::size_t events) {
    in_flight_ += credits;
    ++messages_;
    auto settle = [this, credits, events] {
      in_flight_ -= credits;
      stats_->delivered += events;
      on_ack();
    };
    this->request(to, caf::infinite, std::forward<Message>(msg))
        .then([settle] { settle(); }, [settle](caf::error&) { settle(); });
  }

  /// Sets how many credits may be held (0 stops reading).
  void set_credit_limit(std::size_t limit) noexcept { credit_limit_ = limit; }
  [[nodiscard]] std::size_t credit_limit() const noexcept {
    return credit_limit_;
  }
  /// Credits held by delivered messages not yet answered.
  [[nodiscard]] std::size_t in_flight() const noexcept { return in_flight_; }
  /// Messages sent with `deliver()`.
  [[nodiscard]] std::uint64_t messages() const noexcept { return messages_; }

  /// The common counters, for updating (the protocol's part).
  [[nodiscard]] sup::stats& counters() noexcept { return *stats_; }
  /// The common counters with the uptime.
  [[nodiscard]] sup::stats counters_snapshot() const {
    return stats_.snapshot();
  }

 private:
  void close() {
    open_ = false;
    close_sockets();
  }

  wake_signal wake_;
  // Read by sender threads in enqueue(): answers wake the poll when set.
  std::atomic<bool> wake_on_ack_{true};
  bool open_ = false;
  std::size_t credit_limit_ = 1;
  std::size_t in_flight_ = 0;
  std::uint64_t messages_ = 0;
  sup::stats_keeper stats_;
};

} // namespace nfactor::actors
