// SPDX-License-Identifier: Apache-2.0
#include "nfactor/actors/node/node.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <map>
#include <random>
#include <set>

#include <unistd.h>

#include <caf/all.hpp>

#include "nfactor/actors/error.hpp"
#include "nfactor/actors/node/credit.hpp"
#include "nfactor/actors/sup/supervisor.hpp"

namespace nfactor::actors::node {

namespace {

std::uint64_t rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f)
    return 0;
  unsigned long long pages = 0, resident = 0;
  int n = std::fscanf(f, "%llu %llu", &pages, &resident);
  std::fclose(f);
  if (n != 2)
    return 0;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

// Streams are keyed by NFLOG group; key 0 (not a group) is the ruleset.
constexpr std::uint16_t ruleset_key = 0;

std::string log_source(std::uint16_t group) {
  return group == ruleset_key ? "ruleset" : "log:" + std::to_string(group);
}

// Children of the node's supervisors.
constexpr const char* monitor_child = "monitor";
constexpr const char* tx_child = "transactor";

std::string listener_child(std::uint16_t group) {
  return "log-" + std::to_string(group);
}

// One subscriber's interest in one stream.
struct subscription {
  std::uint64_t id = 0;
  /// The NFLOG group, or `ruleset_key`.
  std::uint16_t group = 0;
  subscriber sub;
  credit_window window;
  std::uint64_t events_sent = 0;
  /// Log events that came while no credit was left, packed into one batch
  /// that goes out with the next credit (bounded: `max_held_events`).
  packed_log_batch held;
};

// A listener request waiting for the group to be bound.
struct pending_subscribe {
  std::uint64_t id = 0;
  caf::typed_response_promise<node_subscription> promise;
};

// One NFLOG group: its listener, under a supervisor of its own, while
// somebody listens.
struct group_state {
  sup::supervisor supervisor;
  log_listener listener;
  bool started = false;
  // Stop sent, reply not yet seen: a new listener must wait for the old
  // one to release the group (else EPERM).
  bool stopping = false;
  std::vector<pending_subscribe> pending;
};

class node_impl_actor : public node_impl::base {
 public:
  using super = node_impl::base;

  node_impl_actor(caf::actor_config& cfg, node_options opts)
    : super(cfg), opts_(std::move(opts)) {
    std::random_device rd;
    incarnation_ = (std::uint64_t{rd()} << 32) | rd();
    if (incarnation_ == 0)
      incarnation_ = 1;
  }

  const char* name() const override { return "nfactor.node"; }

  behavior_type make_behavior() override {
    set_down_handler([this](caf::down_msg& dm) { on_down(dm); });
    start_services();
    return {
        [this](commit_atom,
               nft::encoded_batch& b) -> caf::result<nft::commit_result> {
          if (!tx_)
            return no_commits();
          return delegate(tx_, commit_atom_v, std::move(b));
        },
        [this](commit_atom, nft::encoded_batch& b,
               std::uint32_t gen) -> caf::result<nft::commit_result> {
          if (!tx_)
            return no_commits();
          return delegate(tx_, commit_atom_v, std::move(b), gen);
        },
        [this](caps_atom) { return caps(); },
        [this](subscribe_atom, ruleset_atom, subscriber sub,
               std::uint32_t in_flight) -> caf::result<node_subscription> {
          if (!opts_.ruleset || !services_)
            return to_caf_error(
                make_error(errc::invalid_argument, "subscribe",
                           "node " + opts_.name + " offers no ruleset stream"));
          if (!sub)
            return to_caf_error(make_error(errc::invalid_argument, "subscribe",
                                           "no subscriber"));
          auto id = add_subscription(ruleset_key, std::move(sub), in_flight);
          return grant(id);
        },
        [this](snapshot_atom, std::uint8_t family,
               std::string table) -> caf::result<nft::ruleset> {
          if (!monitor_)
            return to_caf_error(make_error(
                errc::invalid_argument, "snapshot",
                "node " + opts_.name +
                    (opts_.ruleset ? "'s ruleset monitor is not running"
                                   : " offers no ruleset")));
          return delegate(monitor_, pull_atom_v, family, std::move(table));
        },
        [this](nft::transaction& t) {
          auto n = t.changes.size();
          relay(ruleset_key, t, n);
        },
        [this](resync_needed& r) {
          for (auto& [id, s] : subs_)
            if (s.group == ruleset_key)
              send(s.sub, r);
        },
        [](nft::ruleset&) {
          // Only sent with monitor_options::auto_resync; subscribers pull
          // snapshots themselves.
        },
        [this](subscribe_atom, log_atom, std::uint16_t group, subscriber sub,
               std::uint32_t in_flight) -> caf::result<node_subscription> {
          return subscribe_log(group, std::move(sub), in_flight);
        },
        [this](unsubscribe_atom, std::uint64_t id) { return unsubscribe(id); },
        [this](stats_atom) { return stats(); },
        [this](log_started& s) { on_started(s); },
        [this](log_batch& b) { fan_out(pack(b)); },
        [this](log_packed_batch& b) {
          fan_out({b.group, b.events, std::move(b.bytes)});
        },
        [this](log_loss& l) { on_kernel_loss(l); },
        [this](sup::child_info& c) { on_child(c); },
    };
  }

  // Handles are strong references: a listener holds its owner (us), so
  // ours must go when we exit, or neither is ever destroyed (and the
  // detached listener's thread keeps ~actor_system waiting).
  // The supervisors go with us (and stop their children); the listeners
  // and the monitor would stop anyway, as their owner is gone. A waiting
  // subscribe is answered: its promise holds us too.
  void on_exit() override {
    for (auto& [group, g] : groups_) {
      if (g.supervisor)
        caf::anon_send_exit(g.supervisor, caf::exit_reason::user_shutdown);
      for (auto& p : g.pending)
        p.promise.deliver(caf::make_error(caf::sec::request_receiver_down));
    }
    groups_.clear();
    subs_.clear();
    if (services_)
      caf::anon_send_exit(services_, caf::exit_reason::user_shutdown);
    services_ = nullptr;
    monitor_ = nullptr;
    tx_ = nullptr;
  }

  caf::error no_commits() const {
    return to_caf_error(
        make_error(errc::invalid_argument, "commit",
                   "node " + opts_.name +
                       (opts_.commit ? "'s transactor is not running"
                                     : " offers no commits")));
  }

 private:
  sup::options supervision() {
    sup::options o;
    o.strat = sup::strategy::one_for_one;
    o.max_restarts = opts_.max_restarts;
    o.window = opts_.restart_window;
    o.backoff = opts_.restart_backoff;
    o.observer = caf::actor_cast<caf::actor>(this);
    return o;
  }

  // The monitor and the transactor under one supervisor; their handles
  // arrive with the supervisor's reports (`on_child`).
  void start_services() {
    std::vector<sup::child_spec> specs;
    if (opts_.ruleset) {
      auto owner = caf::actor_cast<caf::actor>(this);
      specs.push_back(sup::child(
          monitor_child, [owner, mo = opts_.monitor](caf::actor_system& sys) {
            return spawn_monitor(sys, owner, mo);
          }));
    }
    if (opts_.commit)
      specs.push_back(
          sup::child(tx_child, [to = opts_.tx](caf::actor_system& sys) {
            return spawn_transactor(sys, to);
          }));
    if (specs.empty())
      return;
    services_ =
        sup::spawn_supervisor(system(), supervision(), std::move(specs));
    monitor(services_);
  }

  node_caps caps() const {
    node_caps c;
    c.name = opts_.name;
    c.netns = opts_.netns_name;
    c.groups = opts_.groups;
    c.services = {"log"};
    if (opts_.ruleset && services_) {
      c.services.emplace_back("ruleset");
      c.services.emplace_back("snapshot");
    }
    if (opts_.commit && services_)
      c.services.emplace_back("commit");
    c.incarnation = incarnation_;
    return c;
  }

  caf::result<node_subscription>
  subscribe_log(std::uint16_t group, subscriber sub, std::uint32_t in_flight) {
    if (std::find(opts_.groups.begin(), opts_.groups.end(), group) ==
        opts_.groups.end())
      return to_caf_error(make_error(errc::invalid_argument, "subscribe",
                                     "NFLOG group " + std::to_string(group) +
                                         " is not offered by node " +
                                         opts_.name));
    if (!sub)
      return to_caf_error(
          make_error(errc::invalid_argument, "subscribe", "no subscriber"));
    auto id = add_subscription(group, std::move(sub), in_flight);
    auto& g = groups_[group];
    if (g.started && !g.stopping)
      return grant(id);
    auto promise = make_response_promise<node_subscription>();
    g.pending.push_back({id, promise});
    if (!g.supervisor && !g.stopping)
      start_listener(group, g);
    return promise;
  }

  std::uint64_t add_subscription(std::uint16_t key, subscriber sub,
                                 std::uint32_t in_flight) {
    if (in_flight == 0)
      in_flight = opts_.default_in_flight;
    in_flight = std::min(in_flight, opts_.max_in_flight);
    auto id = next_id_++;
    monitor(sub);
    subs_.emplace(
        id,
        subscription{id, key, std::move(sub), credit_window{in_flight}, 0, {}});
    return id;
  }

  node_subscription grant(std::uint64_t id) const {
    const auto& s = subs_.at(id);
    return {id, log_source(s.group), s.window.limit()};
  }

  // The group's listener under a supervisor of its own; the listener's
  // handle arrives with the supervisor's report, `log_started` once bound.
  void start_listener(std::uint16_t group, group_state& g) {
    auto lopts = opts_.log;
    lopts.nflog.group = group;
    // Undecoded unless a filter needs the events.
    auto packed = caf::actor_cast<log_packed_owner>(this);
    auto decoded = caf::actor_cast<log_batch_owner>(this);
    auto spec = sup::child(
        listener_child(group), [packed, decoded, lopts](caf::actor_system& sys) {
          return lopts.filter ? spawn_log_listener(sys, decoded, lopts)
                              : spawn_log_listener(sys, packed, lopts);
        });
    g.supervisor = sup::spawn_supervisor(system(), supervision(), {spec});
    g.started = false;
    monitor(g.supervisor);
  }

  // A supervisor reports a child's state change.
  void on_child(const sup::child_info& c) {
    bool restarted = c.state == sup::child_state::running && c.restarts > 0;
    if (restarted)
      ++restarts_;
    if (c.name == monitor_child) {
      monitor_ = c.state == sup::child_state::running
                     ? caf::actor_cast<monitor_actor>(c.handle)
                     : monitor_actor{};
      if (restarted)
        for (auto& [id, s] : subs_)
          if (s.group == ruleset_key) {
            send(s.sub, restart_notice(ruleset_key, c));
            send(s.sub, resync_needed{});
          }
      return;
    }
    if (c.name == tx_child) {
      tx_ = c.state == sup::child_state::running
                ? caf::actor_cast<transactor>(c.handle)
                : transactor{};
      return;
    }
    for (auto& [group, g] : groups_) {
      if (c.name != listener_child(group))
        continue;
      g.listener = c.state == sup::child_state::running
                       ? caf::actor_cast<log_listener>(c.handle)
                       : log_listener{};
      if (c.state == sup::child_state::restarting && !g.started) {
        // It never bound the group (EPERM: another socket owns it):
        // the subscribe requests fail with the real cause at once.
        fail_pending(group, c.last_reason);
        release_if_unused(group);
      }
      if (restarted) {
        std::fprintf(stderr,
                     "nfactor-node: listener of group %u restarted (%u): %s\n",
                     group, c.restarts, describe(c.last_reason).c_str());
        for (auto& [id, s] : subs_)
          if (s.group == group)
            send(s.sub, restart_notice(group, c));
      }
      return;
    }
  }

  static stream_restarted restart_notice(std::uint16_t key,
                                         const sup::child_info& c) {
    return {log_source(key), c.restarts, describe(c.last_reason)};
  }

  // Every waiting subscribe of `group` fails with `err`.
  void fail_pending(std::uint16_t group, const caf::error& err) {
    auto& g = groups_[group];
    for (auto& p : g.pending) {
      subs_.erase(p.id);
      p.promise.deliver(err);
    }
    g.pending.clear();
  }

  void on_started(const log_started& s) {
    auto i = groups_.find(s.group);
    if (i == groups_.end())
      return;
    auto& g = i->second;
    if (g.started) {
      // A restarted listener bound the group again: its subscribers learn
      // the new port id (after the `stream_restarted`).
      for (auto& [id, sub] : subs_)
        if (sub.group == s.group)
          send(sub.sub, s);
    }
    g.started = true;
    auto pending = std::move(g.pending);
    g.pending.clear();
    for (auto& p : pending) {
      auto j = subs_.find(p.id);
      if (j == subs_.end())
        continue; // the subscriber left meanwhile
      send(j->second.sub, s);
      p.promise.deliver(grant(p.id));
    }
  }

  caf::result<bool> unsubscribe(std::uint64_t id) {
    auto i = subs_.find(id);
    if (i == subs_.end())
      return false;
    auto group = i->second.group;
    subs_.erase(i);
    release_if_unused(group);
    return true;
  }

  // Stops the listener of `group` if no subscription needs it.
  void release_if_unused(std::uint16_t group) {
    if (group == ruleset_key)
      return;
    for (auto& [id, s] : subs_)
      if (s.group == group)
        return;
    auto i = groups_.find(group);
    if (i == groups_.end() || !i->second.supervisor || i->second.stopping)
      return;
    // The supervisor replies once the listener is down (its on_exit has
    // unbound the group); then the supervisor goes too.
    auto s = i->second.supervisor;
    auto freed = [this, group, s] {
      caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
      on_group_free(group, s);
    };
    request(s, caf::infinite, stop_atom_v, listener_child(group))
        .then([freed](sup::child_info&) { freed(); },
              [freed](caf::error&) { freed(); });
    i->second.stopping = true;
  }

  // The listener of `group` (under `s`) is gone and the group unbound.
  void on_group_free(std::uint16_t group, const sup::supervisor& s) {
    auto i = groups_.find(group);
    if (i == groups_.end() || i->second.supervisor != s)
      return;
    auto& g = i->second;
    demonitor(s.address());
    g.supervisor = nullptr;
    g.listener = nullptr;
    g.started = false;
    g.stopping = false;
    if (!g.pending.empty())
      start_listener(group, g); // a subscriber came while it stopped
  }

  // Relays a batch packed once (one byte buffer crosses the network, not
  // every field of every event; from the listener it comes packed): sent
  // at once to a subscriber with
  // credit; otherwise held, merged with what it already holds, and sent as
  // one larger batch when a credit returns. Under load batches grow
  // instead of being dropped; only beyond `max_held_events` held events is
  // a batch dropped, counted and reported.
  void fan_out(packed_log_batch p) {
    std::vector<subscription*> targets;
    for (auto& [id, s] : subs_)
      if (s.group == p.group)
        targets.push_back(&s);
    if (targets.empty())
      return;
    for (std::size_t k = 0; k < targets.size(); ++k) {
      auto& s = *targets[k];
      auto n = p.events;
      if (s.window.in_flight() < s.window.limit() && s.held.events == 0) {
        if (k + 1 == targets.size())
          send_counted(s, std::move(p), n);
        else
          send_counted(s, packed_log_batch{p}, n);
      } else if (s.held.events + std::uint64_t{p.events} <=
                 opts_.max_held_events) {
        hold(s, p);
        flush_held(s);
      } else {
        (void)s.window.take(p.events); // no credit: dropped and counted
      }
    }
  }

  void hold(subscription& s, const packed_log_batch& p) {
    if (auto ok = nflog::append_packed(s.held.bytes, p.bytes); !ok) {
      (void)s.window.take(p.events); // cannot happen: we packed both
      return;
    }
    s.held.group = p.group;
    s.held.events += p.events;
  }

  // Sends what `s` holds if it has a credit.
  void flush_held(subscription& s) {
    if (s.held.events == 0 || s.window.in_flight() >= s.window.limit())
      return;
    auto n = s.held.events;
    send_counted(s, std::exchange(s.held, packed_log_batch{}), n);
  }

  // Sends `b` (`n` events) to every subscriber of stream `key` that has
  // credit; counts it as dropped for the others.
  template <class Batch>
  void relay(std::uint16_t key, Batch& b, std::size_t n) {
    std::vector<subscription*> targets;
    for (auto& [id, s] : subs_)
      if (s.group == key)
        targets.push_back(&s);
    for (std::size_t k = 0; k < targets.size(); ++k) {
      // The last target may have the batch itself.
      send_counted(*targets[k], k + 1 == targets.size() ? std::move(b) : b, n);
    }
  }

  // Takes a credit of `s` and sends `batch` (`n` events) as a request
  // whose reply returns the credit (and sends what was held meanwhile),
  // after a loss notice if batches were dropped since the last one.
  // Without credit the batch is dropped and counted.
  template <class Batch>
  void send_counted(subscription& s, Batch&& batch, std::size_t n) {
    if (!s.window.take(n))
      return;
    if (auto loss = s.window.take_loss())
      send(s.sub, node_loss{s.id, log_source(s.group), loss->batches,
                            loss->events, s.window.total_dropped().batches,
                            s.window.total_dropped().events});
    s.events_sent += n;
    auto id = s.id;
    auto release = [this, id] {
      if (auto j = subs_.find(id); j != subs_.end()) {
        j->second.window.release();
        flush_held(j->second);
      }
    };
    request(s.sub, caf::infinite, std::forward<Batch>(batch))
        .then([release] { release(); }, [release](caf::error&) { release(); });
  }

  void on_kernel_loss(const log_loss& l) {
    kernel_overruns_ += l.overruns;
    for (auto& [id, s] : subs_)
      if (s.group == l.group)
        send(s.sub, l);
  }

  void on_down(const caf::down_msg& dm) {
    if (services_ && dm.source == services_.address()) {
      // The supervisor gave up on the monitor or the transactor.
      std::fprintf(stderr, "nfactor-node: services: %s\n",
                   sup::describe(dm.reason).c_str());
      services_ = nullptr;
      monitor_ = nullptr;
      tx_ = nullptr;
      for (auto j = subs_.begin(); j != subs_.end();)
        j = j->second.group == ruleset_key ? subs_.erase(j) : std::next(j);
      return;
    }
    for (auto i = groups_.begin(); i != groups_.end(); ++i) {
      auto& g = i->second;
      if (!g.supervisor || g.supervisor.address() != dm.source)
        continue;
      // The group's supervisor gave up: the stream ends.
      auto group = i->first;
      std::fprintf(stderr, "nfactor-node: listener of group %u: %s\n", group,
                   sup::describe(dm.reason).c_str());
      g.supervisor = nullptr;
      g.listener = nullptr;
      g.started = false;
      g.stopping = false;
      fail_pending(group, dm.reason);
      for (auto j = subs_.begin(); j != subs_.end();)
        j = j->second.group == group ? subs_.erase(j) : std::next(j);
      return;
    }
    // A subscriber went away (or its node's connection dropped).
    std::set<std::uint16_t> touched;
    for (auto j = subs_.begin(); j != subs_.end();) {
      if (j->second.sub.address() == dm.source) {
        touched.insert(j->second.group);
        j = subs_.erase(j);
      } else {
        ++j;
      }
    }
    for (auto group : touched)
      release_if_unused(group);
  }

  node_stats stats() const {
    node_stats st;
    st.name = opts_.name;
    st.incarnation = incarnation_;
    for (const auto& [id, s] : subs_) {
      subscription_stats x;
      x.id = id;
      x.source = log_source(s.group);
      x.subscriber = caf::to_string(s.sub.address());
      x.batches_sent = s.window.sent();
      x.events_sent = s.events_sent;
      x.batches_dropped = s.window.total_dropped().batches;
      x.events_dropped = s.window.total_dropped().events;
      x.in_flight = s.window.in_flight();
      x.max_in_flight = s.window.limit();
      st.subscriptions.push_back(std::move(x));
    }
    for (const auto& [group, g] : groups_)
      if (g.started && g.listener && !g.stopping)
        st.bound_groups.push_back(group);
    st.kernel_overruns = kernel_overruns_;
    st.rss_bytes = rss_bytes();
    st.restarts = restarts_;
    return st;
  }

  node_options opts_;
  sup::supervisor services_;
  monitor_actor monitor_;
  transactor tx_;
  std::uint64_t restarts_ = 0;
  std::uint64_t incarnation_ = 0;
  std::uint64_t next_id_ = 1;
  std::uint64_t kernel_overruns_ = 0;
  std::map<std::uint64_t, subscription> subs_;
  std::map<std::uint16_t, group_state> groups_;
};

} // namespace

result<void> node_options::validate() const {
  if (groups.empty())
    return make_error(errc::invalid_argument, "node options",
                      "no NFLOG group offered (--group)");
  for (auto g : groups)
    if (g == 0)
      return make_error(errc::invalid_argument, "node options",
                        "NFLOG group 0 is not a group (1..65535)");
  if (default_in_flight == 0 || max_in_flight == 0 ||
      default_in_flight > max_in_flight)
    return make_error(errc::invalid_argument, "node options",
                      "need 1 <= default_in_flight <= max_in_flight");
  auto lopts = log;
  lopts.nflog.group = groups.front();
  return lopts.validate();
}

caf::expected<node_actor> spawn_node(caf::actor_system& sys,
                                     node_options opts) {
  if (auto r = opts.validate(); !r)
    return to_caf_error(r.err());
  return sys.spawn<node_impl_actor>(std::move(opts));
}

} // namespace nfactor::actors::node
