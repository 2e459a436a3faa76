// SPDX-License-Identifier: Apache-2.0
#include "nfactor/actors/queue_listener.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <exception>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

#include <caf/all.hpp>

#include "nfactor/actors/await_running.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/socket_actor.hpp"
#include "nfactor/nfqueue/queue.hpp"

#include "thread_cpu.hpp"

namespace nfactor::actors {

namespace {

using clock_type = std::chrono::steady_clock;

class queue_actor : public socket_actor<queue_listener_impl, queue_tick_atom> {
 public:
  queue_actor(caf::actor_config& cfg, queue_owner owner,
              queue_listener_options opts)
    : socket_actor(cfg), owner_(std::move(owner)), opts_(std::move(opts)) {
    set_credit_limit(opts_.max_in_flight);
  }

  const char* name() const override { return "nfactor.queue_listener"; }

  behavior_type make_behavior() override {
    if (start(owner_, opts_.restarts)) // uptime from the bind
      send(owner_,
           queue_started{queue_->queue(), queue_->portid(), queue_->rcvbuf()});
    return {
        [this](stats_atom) { return stats(); },
        [this](queue_verdicts& v) {
          auto now = clock_type::now();
          for (auto& pv : v.verdicts)
            give(pv.id, pv.verdict, now);
          flush();
        },
        stop_handler(),
        tick_handler(),
    };
  }

 private:
  // -- the socket-actor hooks ----------------------------------------------

  result<void> open_sockets() override {
    auto opened = nfqueue::queue_handle::open(opts_.queue);
    if (!opened)
      return std::move(opened).err();
    queue_.emplace(std::move(*opened));
    fd_ = queue_->fd();
    return {};
  }

  // Gives every packet the kernel holds for us the default verdict, then
  // unbinds: whatever ends this incarnation (stop, owner down, failure,
  // exit) leaves no packet queued.
  void close_sockets() override {
    if (!queue_)
      return;
    (void)queue_->settle_all(opts_.default_verdict);
    pending_.clear();
    batch_.clear();
    (void)queue_->close();
    queue_.reset();
  }

  std::span<const int> socket_fds() const override { return {&fd_, 1}; }

  void on_readable(std::uint32_t) override { more_ = read_socket(); }

  // Packets with the owner and packets read but not yet sent together
  // stay within the bound.
  bool may_read() const override {
    return in_flight_ + batch_.size() < opts_.max_in_flight;
  }

  // One pass: time out overdue packets, read on while the socket may hold
  // more, else wait for the socket, a message (answers always wake it: the
  // kernel holds packets for them) or the next verdict deadline.
  void pass() override {
    expire();
    if (!running())
      return;
    bool reading = may_read();
    if (!reading) {
      throttled_ = true;
    } else if (throttled_) {
      throttled_ = false;
      report_loss(0, 0); // the kernel may have dropped while we paused
    }
    if (reading && more_) {
      more_ = read_socket();
      return;
    }
    auto timeout = idle_timeout;
    if (!pending_.empty() && opts_.verdict_timeout.count() > 0) {
      auto left = std::chrono::duration_cast<std::chrono::microseconds>(
          deadline_of(pending_.begin()->second) - clock_type::now());
      timeout = std::clamp(left, std::chrono::microseconds{0}, timeout);
    }
    auto ready = wait(timeout, reading);
    if (reading && ready != 0 && running())
      more_ = read_socket();
  }

  // A packet read and waiting for its verdict.
  struct waiting {
    clock_type::time_point read_at;
  };

  clock_type::time_point deadline_of(const waiting& w) const {
    return w.read_at + opts_.verdict_timeout;
  }

  queue_stats stats() {
    queue_stats s;
    s.queue = static_cast<std::uint16_t>(opts_.queue.queue);
    s.in_flight = in_flight_;
    s.pending = pending_.size();
    s.timed_out = timed_out_;
    s.late_verdicts = late_;
    s.messages = messages_;
    s.cpu_us = thread_cpu_us();
    s.verdict_latency = latency_;
    auto& common = counters();
    if (queue_) {
      const auto& c = queue_->counters();
      s.portid = queue_->portid();
      s.verdicts = c.verdicts;
      s.batch_verdicts = c.batch_verdicts;
      s.verdict_errors = c.verdict_errors;
      s.decode_errors = c.decode_errors;
      common.received = c.received;
      common.enobufs = c.enobufs;
      common.rcvbuf = queue_->rcvbuf();
      common.foreign = queue_->socket().foreign_dropped();
      if (auto b = queue_->binding()) {
        s.queue_total = b->queue_total;
        s.queue_dropped = b->queue_dropped;
        s.user_dropped = b->user_dropped;
        kernel_dropped_ = b->queue_dropped;
      }
      common.lost = c.id_gaps + kernel_dropped_;
    }
    s.common = counters_snapshot();
    return s;
  }

  // Reads what the socket holds (within the bounds); true when it may
  // hold more.
  bool read_socket() {
    auto room = opts_.max_in_flight - in_flight_ - batch_.size();
    auto cap = batch_.size() + std::min(opts_.max_batch, room);
    auto first_new = batch_.size();
    auto res = queue_->drain_into(batch_, cap, opts_.max_datagrams);
    if (!res) {
      fail(res.err());
      return false;
    }
    auto now = clock_type::now();
    for (auto i = first_new; i < batch_.size(); ++i)
      pending_.emplace(batch_[i].id, waiting{now});
    // A packet that failed to decode still waits in the kernel.
    for (auto id : res->undecodable_ids)
      (void)queue_->add_verdict(id, opts_.default_verdict);
    flush();
    if (!queue_)
      return false; // the verdicts found the socket broken
    if (!batch_.empty() &&
        (in_flight_ == 0 || batch_.size() >= opts_.max_batch))
      send_batch();
    if (res->overruns > 0 || res->id_gap > 0)
      report_loss(res->overruns, res->id_gap);
    return !res->would_block && (res->datagrams > 0 || res->overruns > 0);
  }

  // Sends the packets read so far to the owner as one request; its
  // answer carries their verdicts.
  void send_batch() {
    std::vector<std::uint32_t> ids;
    ids.reserve(batch_.size());
    for (const auto& p : batch_)
      ids.push_back(p.id);
    in_flight_ += ids.size();
    ++messages_;
    queue_batch b{queue_->queue(), std::move(batch_)};
    batch_ = {};
    request(owner_, caf::infinite, std::move(b))
        .then(
            [this, ids](queue_answer& a) {
              answered(ids);
              apply(ids, a);
            },
            [this, ids](caf::error&) {
              // The owner failed the batch: its packets get the default.
              answered(ids);
              for (auto id : ids)
                if (pending_.count(id))
                  give(id, opts_.default_verdict);
              flush();
            });
  }

  void answered(const std::vector<std::uint32_t>& ids) {
    in_flight_ -= ids.size();
    counters().delivered += ids.size();
    if (in_flight_ == 0 && !batch_.empty() && queue_)
      send_batch();
  }

  void apply(const std::vector<std::uint32_t>& ids, const queue_answer& a) {
    if (!queue_)
      return;
    auto now = clock_type::now();
    for (const auto& pv : a.verdicts)
      give(pv.id, pv.verdict, now);
    if (a.rest) {
      if (a.verdicts.empty() && covers_all_held(ids) &&
          queue_->add_batch_verdict(ids.back(), *a.rest)) {
        for (auto id : ids)
          if (auto it = pending_.find(id); it != pending_.end()) {
            latency_.add(now - it->second.read_at);
            pending_.erase(it);
          }
      } else {
        for (auto id : ids)
          if (pending_.count(id))
            give(id, *a.rest, now);
      }
    }
    flush();
  }

  // True when one batch verdict up to the last of `ids` reaches exactly
  // the packets `ids` names: every one still waits, and the kernel holds
  // no other packet with a lower id.
  bool covers_all_held(const std::vector<std::uint32_t>& ids) const {
    if (!opts_.batch_verdicts || ids.empty() || ids.front() > ids.back() ||
        pending_.empty() || pending_.begin()->first != ids.front())
      return false;
    auto end = pending_.upper_bound(ids.back());
    return static_cast<std::size_t>(std::distance(pending_.begin(), end)) ==
               ids.size() &&
           std::all_of(ids.begin(), ids.end(),
                       [&](std::uint32_t id) { return pending_.count(id); });
  }

  // Queues verdict `v` on packet `id` if it still waits for one. An
  // owner's verdict (`answered_at`: when its answer came) adds the time
  // since the packet was read to the latency record; the verdict leaves
  // with the flush that follows in the same handler.
  void give(std::uint32_t id, const nfqueue::verdict& v,
            std::optional<clock_type::time_point> answered_at = {}) {
    auto it = pending_.find(id);
    if (it == pending_.end() || !queue_) {
      ++late_;
      return;
    }
    if (answered_at)
      latency_.add(*answered_at - it->second.read_at);
    pending_.erase(it);
    if (auto st = queue_->add_verdict(id, v); !st)
      on_send_error(st.err());
  }

  void flush() {
    if (!queue_)
      return;
    if (auto st = queue_->flush_verdicts(); !st)
      on_send_error(st.err());
  }

  // Gives the default verdict to packets past their deadline (ids grow
  // with time, so the overdue ones come first).
  void expire() {
    if (opts_.verdict_timeout.count() == 0 || pending_.empty())
      return;
    auto now = clock_type::now();
    bool any = false;
    while (!pending_.empty() && deadline_of(pending_.begin()->second) <= now) {
      auto id = pending_.begin()->first;
      pending_.erase(pending_.begin());
      if (auto st = queue_->add_verdict(id, opts_.default_verdict); !st)
        return on_send_error(st.err());
      ++timed_out_;
      any = true;
    }
    if (any)
      flush();
  }

  // Tells the owner about lost packets: this pass's overruns and id gap,
  // and the kernel's drop counters when they moved.
  void report_loss(std::uint64_t overruns, std::uint64_t gap) {
    total_overruns_ += overruns;
    total_gap_ += gap;
    if (!queue_)
      return;
    auto b = queue_->binding();
    std::uint64_t queue_dropped = b ? b->queue_dropped : kernel_dropped_;
    std::uint64_t user_dropped = b ? b->user_dropped : user_dropped_;
    if (overruns == 0 && gap == 0 && queue_dropped == kernel_dropped_ &&
        user_dropped == user_dropped_)
      return;
    kernel_dropped_ = queue_dropped;
    user_dropped_ = user_dropped;
    send(owner_, queue_loss{queue_->queue(), overruns, gap, queue_dropped,
                            user_dropped, total_overruns_, total_gap_});
  }

  // A verdict that could not be sent: a broken socket ends this
  // incarnation (a supervisor restarts it); the rest is counted.
  void on_send_error(const error& e) {
    if (sys::is_socket_failure(e))
      fail(e);
  }

  queue_owner owner_;
  queue_listener_options opts_;
  std::optional<nfqueue::queue_handle> queue_;
  int fd_ = -1;
  // The last read stopped at a bound: the socket may hold more.
  bool more_ = false;
  // Packets read and not yet sent to the owner.
  std::vector<nfqueue::queue_packet> batch_;
  // Every packet read that waits for its verdict, by id.
  std::map<std::uint32_t, waiting> pending_;
  // Packets sent to the owner and not yet answered (the owner's answer
  // carries verdicts, so the core's credit-only `deliver()` does not fit).
  std::size_t in_flight_ = 0;
  bool throttled_ = false;
  std::uint64_t messages_ = 0;
  std::uint64_t timed_out_ = 0;
  std::uint64_t late_ = 0;
  std::uint64_t total_overruns_ = 0;
  std::uint64_t total_gap_ = 0;
  std::uint64_t kernel_dropped_ = 0;
  std::uint64_t user_dropped_ = 0;
  // Read to verdict, per packet the owner decided.
  latency_histogram latency_;
};

} // namespace

result<void> queue_listener_options::validate() const {
  if (auto st = queue.validate(); !st)
    return st;
  auto bad = [](std::string detail) {
    return make_error(errc::invalid_argument, "validate queue listener options",
                      std::move(detail));
  };
  if (max_batch == 0)
    return bad("max_batch must be at least 1");
  if (max_in_flight < max_batch)
    return bad("max_in_flight (" + std::to_string(max_in_flight) +
               ") must be at least max_batch (" + std::to_string(max_batch) +
               ")");
  if (max_in_flight > queue.max_queue_len)
    return bad("max_in_flight (" + std::to_string(max_in_flight) +
               ") must be at most queue.max_queue_len (" +
               std::to_string(queue.max_queue_len) +
               "): the kernel holds every packet in flight");
  if (max_datagrams == 0)
    return bad("max_datagrams must be at least 1");
  if (verdict_timeout.count() < 0)
    return bad("verdict_timeout must not be negative");
  if (!default_verdict.batchable())
    return bad("default_verdict must carry no connmark, labels or payload");
  return {};
}

caf::expected<queue_listener>
spawn_queue_listener(caf::actor_system& sys, queue_owner owner,
                     queue_listener_options opts) {
  if (!owner)
    return to_caf_error(make_error(errc::invalid_argument,
                                   "spawn queue listener",
                                   "the owner handle is invalid"));
  if (auto st = opts.validate(); !st)
    return to_caf_error(st.err());
  auto h =
      sys.spawn<queue_actor, caf::detached>(std::move(owner), std::move(opts));
  return caf::actor_cast<queue_listener>(h);
}

caf::expected<queue_listener>
start_queue_listener(caf::actor_system& sys, queue_owner owner,
                     queue_listener_options opts) {
  auto h = spawn_queue_listener(sys, std::move(owner), std::move(opts));
  if (!h)
    return h;
  return await_running<queue_stats>(sys, *h, "queue listener");
}

sup::child_spec queue_listener_child(std::string name, queue_owner owner,
                                     queue_listener_options opts,
                                     sup::restart_type restart) {
  return sup::child(
      std::move(name),
      [owner, opts = std::move(opts)](const sup::start_context& ctx) {
        auto o = opts;
        o.restarts = ctx.restarts;
        return spawn_queue_listener(ctx.sys, owner, std::move(o));
      },
      restart);
}

} // namespace nfactor::actors
