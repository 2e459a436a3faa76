// SPDX-License-Identifier: Apache-2.0
#include "nfactor/actors/log_listener.hpp"

#include <chrono>
#include <ctime>
#include <optional>
#include <span>
#include <variant>

#include <caf/all.hpp>

#include "nfactor/actors/await_running.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/socket_actor.hpp"
#include "nfactor/nflog/listener.hpp"
#include "nfactor/nflog/packed.hpp"

#include "thread_cpu.hpp"

namespace nfactor::actors {

namespace {

using owner_handle =
    std::variant<log_batch_owner, log_event_owner, log_packed_owner>;

class listener_actor : public socket_actor<log_listener_impl, log_tick_atom> {
 public:
  listener_actor(caf::actor_config& cfg, owner_handle owner,
                 log_listener_options opts)
    : socket_actor(cfg), owner_(std::move(owner)), opts_(std::move(opts)) {
    set_credit_limit(opts_.max_in_flight);
  }

  const char* name() const override { return "nfactor.log_listener"; }

  behavior_type make_behavior() override {
    auto owner = std::visit(
        [](auto& o) { return caf::actor_cast<caf::actor>(o); }, owner_);
    if (start(owner, opts_.restarts)) // uptime from the bind
      std::visit(
          [this](auto& o) {
            send(o, log_started{opts_.nflog.group, listener_->portid(),
                                listener_->rcvbuf()});
          },
          owner_);
    return {
        [this](stats_atom) { return stats(); },
        stop_handler(),
        tick_handler(),
    };
  }

 private:
  // -- the socket-actor hooks ----------------------------------------------

  result<void> open_sockets() override {
    auto opened = nflog::listener::open(opts_.nflog);
    if (!opened)
      return std::move(opened).err();
    listener_.emplace(std::move(*opened));
    fd_ = listener_->fd();
    return {};
  }

  void close_sockets() override {
    if (listener_)
      (void)listener_->close();
    listener_.reset();
  }

  std::span<const int> socket_fds() const override { return {&fd_, 1}; }

  void on_readable(std::uint32_t) override { (void)read_socket(); }

  // Unacknowledged and pending events together stay within the bound.
  bool may_read() const override {
    return in_flight() + held() < opts_.max_in_flight;
  }

  // While events wait for the owner's ack, acks must end the wait.
  bool wake_on_ack() const override {
    return held() > 0 || in_flight() + held() >= opts_.max_in_flight;
  }

  void on_ack() override {
    if (in_flight() == 0 && held() > 0)
      deliver();
  }

  // One pass. Under load: read every queued datagram with one recvmmsg,
  // hand the events to the owner, then let the next datagrams queue up for
  // `coalesce` (a message still wakes the wait at once) and read them
  // together: a few system calls per millisecond instead of a few per
  // datagram. Idle: wait for the socket or a message. Either way, come back
  // through the mailbox (the core's tick), so messages are served between
  // passes.
  void pass() override {
    bool reading = may_read();
    if (reading) {
      auto got = read_socket();
      if (!running() || got == read_outcome::more)
        return;
      if (got == read_outcome::drained && opts_.coalesce.count() > 0) {
        wait(opts_.coalesce, false);
        return;
      }
      reading = may_read();
    }
    // While events wait for the owner's ack, an ack that raced with
    // setting the wake-on-ack flag is caught by the short time-out.
    bool waiting = !reading || held() > 0;
    wait(waiting ? std::chrono::microseconds{1000}
                 : std::chrono::microseconds{1000000},
         reading);
  }

  // -- the protocol ----------------------------------------------------------

  log_stats stats() {
    log_stats s;
    s.group = opts_.nflog.group;
    s.in_flight = in_flight() + held();
    s.filtered = filtered_;
    s.messages = messages();
    s.cpu_us = thread_cpu_us();
    if (listener_) {
      const auto& c = listener_->counters();
      s.portid = listener_->portid();
      s.decode_errors = c.decode_errors;
      s.datagrams = c.datagrams;
      auto& common = counters();
      common.received = c.received;
      common.lost = c.lost;
      common.enobufs = c.enobufs;
      common.rcvbuf = listener_->rcvbuf();
      common.foreign = listener_->socket().foreign_dropped();
    }
    s.common = counters_snapshot();
    return s;
  }

  enum class read_outcome {
    /// Nothing was queued.
    nothing,
    /// Read what was queued; the queue is empty now.
    drained,
    /// Read up to a bound; more may be queued.
    more,
  };

  // Reads what the socket holds (up to the batch and in-flight bounds) and
  // delivers or keeps collecting.
  read_outcome read_socket() {
    auto room = opts_.max_in_flight - in_flight() - held();
    auto cap = held() + std::min(opts_.max_batch, room);
    bool packed = std::holds_alternative<log_packed_owner>(owner_);
    // Size a new batch after the previous one: room for a burst, without
    // a maximal (mmap-sized) allocation per message.
    if (!packed && batch_.capacity() == 0)
      batch_.reserve(std::min(opts_.max_batch, 2 * last_batch_) +
                     opts_.nflog.qthresh);
    auto first_new = batch_.size();
    auto res = packed ? nflog::drain_packed(*listener_, packed_, cap,
                                            opts_.max_datagrams)
                      : listener_->drain_into(batch_, cap, opts_.max_datagrams);
    if (!res) {
      fail(res.err());
      return read_outcome::nothing;
    }
    if (opts_.filter)
      apply_filter(first_new);
    bool loss = res->overruns > 0 || res->lost > 0;
    // Send now if the owner is idle or the batch is full; otherwise keep
    // collecting until its ack (fewer, larger messages when it is busy).
    // Before a loss report, send what came before it.
    if (held() > 0 && (in_flight() == 0 || held() >= opts_.max_batch || loss))
      deliver();
    if (loss) {
      const auto& c = listener_->counters();
      log_loss msg{opts_.nflog.group,     res->overruns, res->lost,
                   opts_.nflog.flags.seq, c.enobufs,     c.lost,
                   res->uncounted_overrun};
      std::visit([&](auto& o) { send(o, msg); }, owner_);
    }
    if (res->datagrams == 0 && res->overruns == 0)
      return read_outcome::nothing;
    return res->would_block ? read_outcome::drained : read_outcome::more;
  }

  // Runs the owner's filter over the events from `first` on, dropping the
  // ones it refuses. What it throws ends the listener (exception handler).
  void apply_filter(std::size_t first) {
    auto keep = batch_.begin() + static_cast<std::ptrdiff_t>(first);
    for (auto it = keep; it != batch_.end(); ++it) {
      if (opts_.filter(*it)) {
        if (keep != it)
          *keep = std::move(*it);
        ++keep;
      } else {
        ++filtered_;
      }
    }
    batch_.erase(keep, batch_.end());
  }

  // Events read and not yet sent.
  std::size_t held() const noexcept { return batch_.size() + packed_.events(); }

  void deliver() {
    if (auto* o = std::get_if<log_packed_owner>(&owner_)) {
      auto n = std::size_t{packed_.events()};
      // The next batch reserves what this one took (one allocation).
      auto size = packed_.size();
      log_packed_batch b{opts_.nflog.group, packed_.events(),
                         packed_.take(size + size / 4)};
      socket_actor::deliver(*o, std::move(b), n, n);
      return;
    }
    auto n = batch_.size();
    if (auto* o = std::get_if<log_batch_owner>(&owner_)) {
      last_batch_ = n;
      log_batch b{opts_.nflog.group, std::move(batch_)};
      batch_ = {};
      socket_actor::deliver(*o, std::move(b), n, n);
      return;
    }
    auto& o = std::get<log_event_owner>(owner_);
    for (auto& ev : batch_)
      socket_actor::deliver(o, std::move(ev), 1, 1);
    batch_.clear();
  }

  owner_handle owner_;
  log_listener_options opts_;
  std::optional<nflog::listener> listener_;
  int fd_ = -1;
  std::vector<nflog::log_event> batch_;
  // For a packed owner: the events read, undecoded.
  nflog::netlink_batch packed_;
  std::size_t last_batch_ = 0;
  std::uint64_t filtered_ = 0;
};

template <class Owner>
caf::expected<log_listener> spawn_for(caf::actor_system& sys, Owner owner,
                                      log_listener_options opts) {
  if (!owner)
    return to_caf_error(make_error(errc::invalid_argument, "spawn log listener",
                                   "the owner handle is invalid"));
  if (auto st = opts.validate(); !st)
    return to_caf_error(st.err());
  if (std::is_same_v<Owner, log_packed_owner> && opts.filter)
    return to_caf_error(make_error(errc::invalid_argument, "spawn log listener",
                                   "a filter needs decoded events: not with "
                                   "an owner of packed batches"));
  auto h = sys.spawn<listener_actor, caf::detached>(owner_handle{owner},
                                                    std::move(opts));
  return caf::actor_cast<log_listener>(h);
}

template <class Owner>
caf::expected<log_listener> start_for(caf::actor_system& sys, Owner owner,
                                      log_listener_options opts) {
  auto h = spawn_for(sys, std::move(owner), std::move(opts));
  if (!h)
    return h;
  return await_running<log_stats>(sys, *h, "log listener");
}

} // namespace

result<void> log_listener_options::validate() const {
  if (auto st = nflog.validate(); !st)
    return st;
  auto bad = [](std::string detail) {
    return make_error(errc::invalid_argument, "validate log listener options",
                      std::move(detail));
  };
  if (max_batch == 0)
    return bad("max_batch must be at least 1");
  if (max_in_flight < max_batch)
    return bad("max_in_flight (" + std::to_string(max_in_flight) +
               ") must be at least max_batch (" + std::to_string(max_batch) +
               ")");
  if (max_datagrams == 0)
    return bad("max_datagrams must be at least 1");
  if (coalesce.count() < 0 || coalesce > std::chrono::seconds{1})
    return bad("coalesce must be between 0 and 1 s, not " +
               std::to_string(coalesce.count()) + " us");
  return {};
}

caf::expected<log_listener> spawn_log_listener(caf::actor_system& sys,
                                               log_batch_owner owner,
                                               log_listener_options opts) {
  return spawn_for(sys, std::move(owner), std::move(opts));
}

caf::expected<log_listener> spawn_log_listener(caf::actor_system& sys,
                                               log_event_owner owner,
                                               log_listener_options opts) {
  return spawn_for(sys, std::move(owner), std::move(opts));
}

caf::expected<log_listener> spawn_log_listener(caf::actor_system& sys,
                                               log_packed_owner owner,
                                               log_listener_options opts) {
  return spawn_for(sys, std::move(owner), std::move(opts));
}

caf::expected<log_listener> start_log_listener(caf::actor_system& sys,
                                               log_batch_owner owner,
                                               log_listener_options opts) {
  return start_for(sys, std::move(owner), std::move(opts));
}

caf::expected<log_listener> start_log_listener(caf::actor_system& sys,
                                               log_event_owner owner,
                                               log_listener_options opts) {
  return start_for(sys, std::move(owner), std::move(opts));
}

} // namespace nfactor::actors
