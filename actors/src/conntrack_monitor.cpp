// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <optional>
#include <unordered_set>

#include <caf/all.hpp>

#include "nfactor/actors/await_running.hpp"
#include "nfactor/actors/conntrack.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/socket_actor.hpp"
#include "nfactor/ct/events.hpp"
#include "nfactor/ct/expect.hpp"
#include "nfactor/ct/ops.hpp"
#include "nfactor/nl/message.hpp"
#include "nfactor/sys/socket.hpp"

namespace nfactor::actors {

namespace {

// The monitor's full interface: the public one plus the core's tick.
using conntrack_monitor_impl =
    conntrack_monitor::extend<caf::reacts_to<socket_tick_atom>>;

static_assert(std::is_convertible_v<conntrack_monitor_impl, conntrack_monitor>,
              "owners get a narrow handle without the tick");

// How often a snapshot dump is retried when it was interrupted or lost
// replies before the monitor gives up (and fails, for its supervisor).
constexpr int snapshot_attempts = 3;

// Datagrams read per system call at most, and the room for each: a
// ctnetlink event is one message in a datagram of its own, well under
// 4 KiB even with labels, helper and security context.
constexpr std::size_t event_slots = 32;
constexpr std::size_t event_slot_size = 16 * 1024;

class conntrack_monitor_actor : public socket_actor<conntrack_monitor_impl> {
 public:
  conntrack_monitor_actor(caf::actor_config& cfg, ct_owner owner,
                          conntrack_monitor_options opts)
    : socket_actor(cfg), owner_(std::move(owner)), opts_(std::move(opts)),
      buf_(event_slots * event_slot_size) {
    set_credit_limit(opts_.max_in_flight);
  }

  const char* name() const override { return "nfactor.conntrack_monitor"; }

  behavior_type make_behavior() override {
    if (start(owner_, opts_.restarts)) {
      ct_started hello;
      hello.portid = events_->portid();
      hello.rcvbuf = events_->rcvbuf();
      for (auto g : ct::group_numbers(opts_.groups))
        hello.groups.push_back(g);
      send(owner_, std::move(hello));
      if (opts_.snapshot)
        take_snapshot();
    }
    return {
        [this](stats_atom) { return stats(); },
        [this](ct_resync_atom) {
          if (running())
            take_snapshot();
        },
        stop_handler(),
        tick_handler(),
    };
  }

  void on_exit() override {
    socket_actor::on_exit();
    owner_ = nullptr;
  }

 private:
  // -- the socket-actor hooks ----------------------------------------------

  result<void> open_sockets() override {
    sys::socket_options o;
    o.ns = opts_.ns;
    o.rcvbuf = opts_.rcvbuf;
    o.groups = ct::group_numbers(opts_.groups);
    auto s = sys::socket::open(o);
    if (!s)
      return std::move(s).err();
    events_.emplace(std::move(*s));
    fd_ = events_->fd();
    counters().rcvbuf = events_->rcvbuf();
    drops_seen_ = kernel_drops().value_or(0);
    if (auto st = ct::attach_filter(*events_, opts_.filter); !st)
      return st;
    if (opts_.reliable)
      if (auto st = ct::set_reliable(*events_, true); !st)
        return st;
    // The dump socket: opened now, so a snapshot never fails for lack of
    // one (and the namespace is entered once).
    sys::socket_options t;
    t.ns = opts_.ns;
    auto d = sys::socket::open(t);
    if (!d)
      return std::move(d).err();
    table_.emplace(std::move(*d));
    return {};
  }

  void close_sockets() override {
    events_.reset();
    table_.reset();
    fd_ = -1;
  }

  std::span<const int> socket_fds() const override { return {&fd_, 1}; }

  // Reads up to `max_datagrams` datagrams while credit is left, many per
  // system call (the socket's one batch reader, recvmmsg); one batch per
  // `max_batch` events. Then asks the kernel's drop counter whether events
  // were lost without an ENOBUFS (see `check_drops`).
  void on_readable(std::uint32_t) override {
    std::size_t done = 0;
    auto each = [this](byte_view datagram) {
      ++datagrams_;
      decode(datagram);
      if (batch_.size() + exp_batch_.size() >= opts_.max_batch)
        flush();
    };
    while (done < opts_.max_datagrams && running() && may_read()) {
      // ctnetlink sends one event per datagram: read no more at once than
      // there are credits left.
      auto held = in_flight() + batch_.size() + exp_batch_.size();
      auto room = held < credit_limit() ? credit_limit() - held : 1;
      auto want = std::min({event_slots, opts_.max_datagrams - done, room});
      auto r = events_->recv_batch(
          std::span{buf_}.first(want * event_slot_size), event_slot_size, each);
      if (!r) {
        fail(r.err());
        return;
      }
      if (r->overrun) {
        on_loss(true);
        ++done; // an overrun counts as a read
        continue;
      }
      done += r->datagrams;
      if (r->would_block) {
        // What queued during the last dump has been read: NEW events from
        // now on announce entries the snapshot cannot have listed.
        snapshot_ids_.clear();
        break;
      }
    }
    flush();
    // Only while reading is allowed: a snapshot waiting for its answer
    // holds the credits, so resyncs cannot pile up in the owner's mailbox.
    if (may_read())
      check_drops();
  }

  // -- the protocol ----------------------------------------------------------

  void decode(byte_view datagram) {
    nl::message_reader r{datagram};
    while (r.next()) {
      if (ct::is_expectation_message(r.get())) {
        decode_expectation(r.get());
        continue;
      }
      auto ev = ct::decode_event(r.get());
      if (!ev) {
        ++decode_errors_;
        continue;
      }
      ++counters().received;
      if (ev->kind == ct::change::created && ev->ct.id &&
          snapshot_ids_.count(*ev->ct.id) != 0) {
        ++duplicates_;
        continue;
      }
      batch_.push_back(std::move(*ev));
    }
    if (!r.status())
      ++decode_errors_;
  }

  void decode_expectation(const nl::message& msg) {
    auto ev = ct::decode_exp_event(msg);
    if (!ev) {
      ++decode_errors_;
      return;
    }
    ++counters().received;
    exp_batch_.push_back(std::move(*ev));
  }

  // Sends the collected events as one batch holding one credit per event
  // (entries first: an expectation's master was announced before it).
  void flush() {
    if (!batch_.empty()) {
      auto n = batch_.size();
      deliver(owner_, ct_batch{std::move(batch_)}, n, n);
      batch_.clear();
    }
    if (!exp_batch_.empty()) {
      auto n = exp_batch_.size();
      deliver(owner_, ct_exp_batch{std::move(exp_batch_)}, n, n);
      exp_batch_.clear();
    }
  }

  // Events were lost: the read found ENOBUFS (`enobufs`), or the drop
  // counter moved. The events read before go out first, then the notice
  // with the count, then (auto_resync) the table. The counter is read
  // before the dump, so drops while the dump runs move it again and give
  // another resync. An ENOBUFS whose drops were reported already (the
  // counter noticed them first) is only counted.
  void on_loss(bool enobufs) {
    if (enobufs) {
      ++counters().enobufs;
      ++unreported_overruns_;
    }
    std::uint64_t dropped = 0;
    if (auto now = kernel_drops()) {
      dropped = static_cast<std::uint32_t>(*now - drops_seen_);
      drops_seen_ = *now;
      if (dropped == 0)
        return;
    }
    counters().lost += std::max<std::uint64_t>(dropped, 1);
    dropped_ += dropped;
    ++resyncs_;
    flush();
    deliver(owner_,
            ct_resync_needed{unreported_overruns_, opts_.auto_resync, dropped},
            0, 0);
    unreported_overruns_ = 0;
    if (opts_.auto_resync)
      take_snapshot();
  }

  // The kernel reports ENOBUFS once per episode: while the buffer stays
  // congested (until the reader empties it) it drops every event without
  // another error. Its drop counter moves for each, so a counter that
  // moved since the last report is a loss too.
  void check_drops() {
    if (!running())
      return;
    if (auto now = kernel_drops(); now && *now != drops_seen_)
      on_loss(false);
  }

  // The event socket's drop counter (SO_MEMINFO); none in reliable mode
  // (the kernel retries what it could not queue) or where the kernel does
  // not offer it.
  std::optional<std::uint32_t> kernel_drops() const {
    if (opts_.reliable || !events_)
      return std::nullopt;
    auto d = events_->drops();
    if (!d)
      return std::nullopt;
    return *d;
  }

  // Dumps the table (the event groups are joined already: see the header)
  // and delivers it; NEW events for its entries that queued meanwhile are
  // dropped when read.
  void take_snapshot() {
    flush();
    std::vector<ct::event> entries;
    error last;
    for (int attempt = 0; attempt < snapshot_attempts; ++attempt) {
      entries.clear();
      auto st = ct::dump(*table_, opts_.snapshot_filter, [&](ct::event&& ev) {
        entries.push_back(std::move(ev));
      });
      if (st) {
        snapshot_ids_.clear();
        for (const auto& ev : entries)
          if (ev.ct.id)
            snapshot_ids_.insert(*ev.ct.id);
        ++snapshots_;
        auto n = entries.size();
        deliver(owner_, ct_snapshot{snapshots_, std::move(entries)}, n, n);
        return;
      }
      last = std::move(st).err();
      if (sys::is_socket_failure(last))
        break;
    }
    fail(last);
  }

  ct_monitor_stats stats() {
    ct_monitor_stats s;
    s.common = counters_snapshot();
    if (events_) {
      s.common.foreign = events_->foreign_dropped();
      s.portid = events_->portid();
    }
    s.in_flight = in_flight();
    s.snapshots = snapshots_;
    s.duplicates = duplicates_;
    s.decode_errors = decode_errors_;
    s.datagrams = datagrams_;
    s.dropped = dropped_;
    s.resyncs = resyncs_;
    return s;
  }

  ct_owner owner_;
  conntrack_monitor_options opts_;
  std::optional<sys::socket> events_;
  std::optional<sys::socket> table_;
  int fd_ = -1;
  std::vector<std::uint8_t> buf_;
  std::vector<ct::event> batch_;
  std::vector<ct::exp_event> exp_batch_;
  std::unordered_set<std::uint32_t> snapshot_ids_;
  std::uint64_t snapshots_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t decode_errors_ = 0;
  std::uint64_t datagrams_ = 0;
  // The drop counter as of the last report (or the open).
  std::uint32_t drops_seen_ = 0;
  std::uint64_t unreported_overruns_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t resyncs_ = 0;
};

} // namespace

result<void> conntrack_monitor_options::validate() const {
  auto bad = [](std::string detail) {
    return make_error(errc::invalid_argument,
                      "validate conntrack monitor options", std::move(detail));
  };
  if (ct::group_numbers(groups).empty())
    return bad("no event group selected");
  if (rcvbuf < 0)
    return bad("rcvbuf must not be negative, not " + std::to_string(rcvbuf));
  if (max_batch == 0)
    return bad("max_batch must be at least 1");
  if (max_in_flight < max_batch)
    return bad("max_in_flight (" + std::to_string(max_in_flight) +
               ") must be at least max_batch (" + std::to_string(max_batch) +
               ")");
  if (max_datagrams == 0)
    return bad("max_datagrams must be at least 1");
  if (auto prog = ct::compile_filter(filter); !prog)
    return std::move(prog).err();
  if (snapshot || auto_resync)
    if (auto req = ct::dump_request(snapshot_filter, 0); !req)
      return std::move(req).err();
  return {};
}

caf::expected<conntrack_monitor>
spawn_conntrack_monitor(caf::actor_system& sys, ct_owner owner,
                        conntrack_monitor_options opts) {
  if (auto st = opts.validate(); !st)
    return to_caf_error(st.err());
  auto h = sys.spawn<conntrack_monitor_actor, caf::detached>(std::move(owner),
                                                             std::move(opts));
  return caf::actor_cast<conntrack_monitor>(h);
}

caf::expected<conntrack_monitor>
start_conntrack_monitor(caf::actor_system& sys, ct_owner owner,
                        conntrack_monitor_options opts) {
  auto h = spawn_conntrack_monitor(sys, std::move(owner), std::move(opts));
  if (!h)
    return h;
  return await_running<ct_monitor_stats>(sys, std::move(*h),
                                         "conntrack monitor");
}

sup::child_spec conntrack_monitor_child(std::string name, ct_owner owner,
                                        conntrack_monitor_options opts,
                                        sup::restart_type restart) {
  return sup::child(
      std::move(name),
      [owner = std::move(owner),
       opts = std::move(opts)](const sup::start_context& ctx) {
        auto o = opts;
        o.restarts = ctx.restarts;
        if (ctx.restarts > 0) {
          // Events of the gap are lost: tell the owner before the new
          // incarnation reports anything, and (auto_resync) follow with
          // a snapshot.
          o.snapshot = o.snapshot || o.auto_resync;
          caf::anon_send(owner, ct_resync_needed{0, o.auto_resync, 0});
        }
        return spawn_conntrack_monitor(ctx.sys, owner, std::move(o));
      },
      restart);
}

} // namespace nfactor::actors
