// SPDX-License-Identifier: Apache-2.0
#include <optional>
#include <unordered_set>

#include <caf/all.hpp>

#include "nfactor/actors/await_running.hpp"
#include "nfactor/actors/conntrack.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/socket_actor.hpp"
#include "nfactor/ct/events.hpp"
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

class conntrack_monitor_actor : public socket_actor<conntrack_monitor_impl> {
 public:
  conntrack_monitor_actor(caf::actor_config& cfg, ct_owner owner,
                          conntrack_monitor_options opts)
    : socket_actor(cfg), owner_(std::move(owner)), opts_(std::move(opts)),
      buf_(sys::default_recv_buffer) {
    set_credit_limit(opts_.max_in_flight);
  }

  const char* name() const override { return "nfactor.conntrack_monitor"; }

  behavior_type make_behavior() override {
    if (start(owner_)) {
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

  // Reads up to `max_datagrams` datagrams while credit is left; one batch
  // per `max_batch` events.
  void on_readable(std::uint32_t) override {
    for (std::size_t i = 0; i < opts_.max_datagrams && running() && may_read();
         ++i) {
      auto r = events_->recv(buf_);
      if (!r) {
        fail(r.err());
        return;
      }
      if (r->status == sys::recv_status::would_block) {
        // What queued during the last dump has been read: NEW events from
        // now on announce entries the snapshot cannot have listed.
        snapshot_ids_.clear();
        break;
      }
      if (r->status == sys::recv_status::overrun) {
        on_overrun();
        continue;
      }
      ++datagrams_;
      decode(byte_view{buf_}.first(r->size));
      if (batch_.size() >= opts_.max_batch)
        flush();
    }
    flush();
  }

  // -- the protocol ----------------------------------------------------------

  void decode(byte_view datagram) {
    nl::message_reader r{datagram};
    while (r.next()) {
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

  // Sends the collected events as one batch holding one credit per event.
  void flush() {
    if (batch_.empty())
      return;
    auto n = batch_.size();
    deliver(owner_, ct_batch{std::move(batch_)}, n, n);
    batch_.clear();
  }

  // ENOBUFS: at least one event lost. The events before it go out first,
  // then the notice, then (auto_resync) the table.
  void on_overrun() {
    ++counters().enobufs;
    ++counters().lost;
    flush();
    deliver(owner_, ct_resync_needed{1, opts_.auto_resync}, 0, 0);
    if (opts_.auto_resync)
      take_snapshot();
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
    return s;
  }

  ct_owner owner_;
  conntrack_monitor_options opts_;
  std::optional<sys::socket> events_;
  std::optional<sys::socket> table_;
  int fd_ = -1;
  std::vector<std::uint8_t> buf_;
  std::vector<ct::event> batch_;
  std::unordered_set<std::uint32_t> snapshot_ids_;
  std::uint64_t snapshots_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t decode_errors_ = 0;
  std::uint64_t datagrams_ = 0;
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
        return spawn_conntrack_monitor(ctx.sys, owner, std::move(o));
      },
      restart);
}

} // namespace nfactor::actors
