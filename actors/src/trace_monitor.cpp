// SPDX-License-Identifier: Apache-2.0
#include "nfactor/actors/trace_monitor.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include <linux/netfilter/nfnetlink.h>

#include <caf/all.hpp>

#include "nfactor/actors/error.hpp"
#include "nfactor/actors/socket_actor.hpp"
#include "nfactor/nft/json.hpp"
#include "nfactor/nft/snapshot.hpp"
#include "nfactor/sys/socket.hpp"

namespace nfactor::actors {

namespace {

// The full interface: the public one plus the loop's tick.
using trace_impl_actor =
    trace_monitor_actor::extend<caf::reacts_to<trace_tick_atom>>;

static_assert(std::is_convertible_v<trace_impl_actor, trace_monitor_actor>,
              "owners get a narrow handle without the tick");

using clock_type = nft::trace_assembler::clock;

class trace_monitor_impl
  : public socket_actor<trace_impl_actor, trace_tick_atom> {
 public:
  trace_monitor_impl(caf::actor_config& cfg, caf::actor owner,
                     trace_options opts)
    : socket_actor(cfg), owner_(std::move(owner)), opts_(std::move(opts)),
      buf_(sys::default_recv_buffer * 4), assembler_(opts_.grouping) {
    set_credit_limit(opts_.max_in_flight);
  }

  const char* name() const override { return "nfactor.trace_monitor"; }

  behavior_type make_behavior() override {
    start(owner_, opts_.restarts);
    return {
        [this](stats_atom) { return stats(); },
        stop_handler(),
        tick_handler(),
    };
  }

  void on_exit() override {
    socket_actor::on_exit();
    ready_.clear();
    owner_ = nullptr;
    opts_.traced_sink = nullptr;
  }

 protected:
  // -- the socket-actor hooks ----------------------------------------------

  result<void> open_sockets() override {
    sys::socket_options o;
    o.ns = opts_.ns;
    o.rcvbuf = opts_.rcvbuf;
    o.groups = {NFNLGRP_NFTABLES, NFNLGRP_NFTRACE};
    auto s = sys::socket::open(o);
    if (!s)
      return std::move(s).err();
    sock_ = std::move(*s);
    fds_[0] = sock_->fd();
    counters().rcvbuf = sock_->rcvbuf();
    sys::socket_options ro;
    ro.ns = opts_.ns;
    auto r = sys::socket::open(ro);
    if (!r)
      return std::move(r).err();
    req_ = std::move(*r);
    // Subscribed first (above), then the snapshot: every commit after it
    // reaches the resolver exactly once.
    return snapshot();
  }

  void close_sockets() override {
    sock_.reset();
    req_.reset();
  }

  std::span<const int> socket_fds() const override {
    return sock_ ? std::span<const int>{fds_} : std::span<const int>{};
  }

  // Waits no longer than the first open trace may stay open.
  void pass() override {
    auto timeout = std::chrono::microseconds{idle_timeout};
    if (auto due = assembler_.next_expiry()) {
      auto left = std::chrono::duration_cast<std::chrono::microseconds>(
          *due - clock_type::now());
      timeout = std::clamp(left, std::chrono::microseconds{0}, timeout);
    }
    bool reading = may_read();
    auto ready = wait(timeout, reading);
    if (reading && ready != 0 && running())
      on_readable(ready);
    if (!running())
      return;
    assembler_.expire(clock_type::now(), closed_);
    collect();
    flush();
  }

  // Reads while credit is left and a batch is not full: closed traces
  // collect into batches of up to max_batch (memory stays bounded).
  bool may_read() const override {
    return ready_.size() < opts_.max_batch && socket_actor::may_read();
  }

  void on_ack() override { flush(); }

  void on_readable(std::uint32_t) override {
    for (int i = 0; i < opts_.max_reads && may_read(); ++i) {
      auto r = sock_->recv(buf_);
      if (!r) {
        fail(r.err());
        return;
      }
      if (r->status == sys::recv_status::would_block)
        break;
      if (r->status == sys::recv_status::overrun) {
        on_overrun();
        if (!running())
          return;
        continue;
      }
      handle(byte_view{buf_}.first(r->size));
      // Full batches go out as soon as they are full.
      if (ready_.size() >= opts_.max_batch)
        flush();
    }
  }

 private:
  result<void> snapshot() {
    tail_.reset();
    auto rs = nft::pull(*req_, tail_);
    if (!rs)
      return std::move(rs).err();
    resolver_.reset(std::move(*rs));
    ++area_.snapshots;
    return {};
  }

  void handle(byte_view datagram) {
    auto now = clock_type::now();
    nl::message_reader rd{datagram};
    while (rd.next()) {
      const auto& msg = rd.get();
      if (nft::is_trace(msg)) {
        ++counters().received;
        auto e = nft::decode_trace(msg);
        if (!e) {
          ++area_.decode_errors;
          continue;
        }
        if (is_hidden(*e) && e->carries_packet())
          ++traced_;
        assembler_.feed(std::move(*e), now, closed_);
        // Named at once: the commits read so far are the ruleset the
        // packet saw (a rule deleted right after would be unknown later).
        collect();
        continue;
      }
      auto t = tail_.feed(msg);
      if (!t) {
        ++area_.decode_errors;
        continue;
      }
      if (*t) {
        resolver_.apply(**t);
        ++area_.commits;
      }
    }
    if (!rd.status())
      ++area_.decode_errors;
  }

  bool is_hidden(const nft::trace_event& e) const {
    const auto& h = opts_.grouping.hidden_tables;
    return std::find(h.begin(), h.end(), e.table) != h.end();
  }

  // Names the rules of the traces just closed and queues them.
  void collect() {
    for (auto& t : closed_) {
      resolver_.resolve(t);
      for (const auto& s : t.steps)
        if (s.event.rule_handle)
          ++(s.rule ? area_.resolved : area_.unresolved);
      switch (t.end) {
      case nft::trace_end::verdict:
        ++area_.by_verdict;
        break;
      case nft::trace_end::timeout:
        ++area_.timed_out;
        break;
      default:
        ++area_.cut;
        break;
      }
      ready_.push_back(std::move(t));
    }
    closed_.clear();
  }

  // Sends the queued traces in batches of at most max_batch, while credit
  // lasts.
  void flush() {
    while (!ready_.empty() && owner_ && socket_actor::may_read()) {
      auto n = std::min(ready_.size(), opts_.max_batch);
      trace_batch b;
      b.traces.assign(std::make_move_iterator(ready_.begin()),
                      std::make_move_iterator(ready_.begin() + n));
      ready_.erase(ready_.begin(), ready_.begin() + n);
      deliver(owner_, std::move(b), 1, n);
    }
    if (!ready_.empty())
      ++area_.stalls;
    if (traced_ > 0 && opts_.traced_sink) {
      anon_send(opts_.traced_sink, traced_atom_v, traced_);
      traced_ = 0;
    }
  }

  void on_overrun() {
    ++counters().enobufs;
    ++counters().lost;
    std::vector<nft::packet_trace> cut;
    assembler_.close_all(nft::trace_end::lost, cut);
    trace_loss loss{counters().enobufs, cut.size()};
    for (auto& t : cut)
      closed_.push_back(std::move(t));
    collect();
    if (owner_)
      anon_send(owner_, loss);
    // Commits may be lost too: name rules from a fresh snapshot.
    if (auto st = snapshot(); !st)
      fail(st.err());
  }

  trace_stats stats() const {
    auto s = area_;
    s.common = counters_snapshot();
    s.common.foreign = (sock_ ? sock_->foreign_dropped() : 0) +
                       (req_ ? req_->foreign_dropped() : 0);
    s.hidden = assembler_.hidden();
    s.in_flight = static_cast<std::uint32_t>(in_flight());
    return s;
  }

  caf::actor owner_;
  trace_options opts_;
  std::optional<sys::socket> sock_;
  std::optional<sys::socket> req_;
  std::array<int, 1> fds_{-1};
  std::vector<std::uint8_t> buf_;
  nft::commit_framer tail_;
  // Rules named in nft syntax (nfactor::json).
  nft::trace_resolver resolver_{&nft::json::rule_name};
  nft::trace_assembler assembler_;
  std::vector<nft::packet_trace> closed_;
  std::vector<nft::packet_trace> ready_;
  std::uint64_t traced_ = 0;
  trace_stats area_;
};

} // namespace

result<void> trace_options::validate() const {
  auto bad = [](const char* what) -> result<void> {
    return make_error(errc::invalid_argument, "trace monitor options", what);
  };
  if (rcvbuf < 0)
    return bad("rcvbuf must not be negative");
  if (max_batch == 0)
    return bad("max_batch must be at least 1");
  if (max_in_flight == 0)
    return bad("max_in_flight must be at least 1");
  if (max_reads < 1)
    return bad("max_reads must be at least 1");
  if (grouping.timeout.count() <= 0)
    return bad("grouping.timeout must be positive");
  if (grouping.max_open == 0 || grouping.max_steps == 0)
    return bad("grouping.max_open and max_steps must be at least 1");
  return {};
}

caf::expected<trace_monitor_actor> start_trace_monitor(caf::actor_system& sys,
                                                       caf::actor owner,
                                                       trace_options opts) {
  if (auto st = opts.validate(); !st)
    return to_caf_error(st.err());
  auto full = sys.spawn<trace_monitor_impl, caf::detached>(std::move(owner),
                                                           std::move(opts));
  return caf::actor_cast<trace_monitor_actor>(full);
}

sup::child_spec trace_monitor_child(std::string name, caf::actor owner,
                                    trace_options opts,
                                    sup::restart_type restart) {
  return sup::child(
      std::move(name),
      [owner = std::move(owner),
       opts = std::move(opts)](const sup::start_context& ctx) {
        auto o = opts;
        o.restarts = ctx.restarts;
        return start_trace_monitor(ctx.sys, owner, std::move(o));
      },
      restart);
}

} // namespace nfactor::actors
