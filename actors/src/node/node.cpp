// SPDX-License-Identifier: Apache-2.0
// The node actor: its interface, wired to the parts that do the work
// (subscriptions.cpp: credit and relaying; log_groups.cpp: the life cycle
// of NFLOG groups; services.cpp: the monitor and the transactor), and
// what it tells its observer.
#include "nfactor/actors/node/node.hpp"

#include <cstdio>
#include <random>
#include <utility>

#include <unistd.h>

#include <caf/all.hpp>

#include "nfactor/actors/error.hpp"
#include "nfactor/actors/sup/errc.hpp"

#include "log_groups.hpp"
#include "services.hpp"
#include "stream_key.hpp"
#include "subscriptions.hpp"

namespace nfactor::actors::node {

std::string to_string(const node_report& r) {
  if (r.kind == report_kind::gave_up)
    return r.source + ": gave up: " + r.reason;
  return r.source + " restarted (" + std::to_string(r.restarts) +
         "): " + r.reason;
}

namespace {

using detail::service;
using detail::stream_key;

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

class node_impl_actor : public node_impl::base {
 public:
  using super = node_impl::base;

  node_impl_actor(caf::actor_config& cfg, node_options opts)
    : super(cfg), opts_(std::move(opts)), subs_(*this, opts_),
      groups_(*this, opts_, subs_), services_(*this, opts_) {
    std::random_device rd;
    incarnation_ = (std::uint64_t{rd()} << 32) | rd();
    if (incarnation_ == 0)
      incarnation_ = 1;
  }

  const char* name() const override { return "nfactor.node"; }

  behavior_type make_behavior() override {
    set_down_handler([this](caf::down_msg& dm) { on_down(dm); });
    services_.start();
    return {
        [this](commit_atom,
               nft::encoded_batch& b) -> caf::result<nft::commit_result> {
          if (!services_.tx())
            return no_commits();
          return delegate(services_.tx(), commit_atom_v, std::move(b));
        },
        [this](commit_atom, nft::encoded_batch& b,
               std::uint32_t gen) -> caf::result<nft::commit_result> {
          if (!services_.tx())
            return no_commits();
          return delegate(services_.tx(), commit_atom_v, std::move(b), gen);
        },
        [this](caps_atom) { return caps(); },
        [this](subscribe_atom, ruleset_atom, subscriber sub,
               std::uint32_t in_flight) -> caf::result<node_subscription> {
          if (!services_.available(service::monitor))
            return to_caf_error(
                make_error(errc::invalid_argument, "subscribe",
                           "node " + opts_.name + " offers no ruleset stream"));
          if (!sub)
            return to_caf_error(make_error(errc::invalid_argument, "subscribe",
                                           "no subscriber"));
          auto id = subs_.add(stream_key::ruleset(), std::move(sub), in_flight);
          return subs_.grant(id);
        },
        [this](snapshot_atom, std::uint8_t family,
               std::string table) -> caf::result<nft::ruleset> {
          if (!services_.monitor())
            return to_caf_error(make_error(
                errc::invalid_argument, "snapshot",
                "node " + opts_.name +
                    (opts_.ruleset ? "'s ruleset monitor is not running"
                                   : " offers no ruleset")));
          return delegate(services_.monitor(), pull_atom_v, family,
                          std::move(table));
        },
        [this](nft::transaction& t) { subs_.relay(t); },
        [this](resync_needed& r) { subs_.tell(stream_key::ruleset(), r); },
        [](nft::ruleset&) {
          // Only sent with monitor_options::auto_resync; subscribers pull
          // snapshots themselves.
        },
        [this](subscribe_atom, log_atom, std::uint16_t group, subscriber sub,
               std::uint32_t in_flight) -> caf::result<node_subscription> {
          return groups_.subscribe(group, std::move(sub), in_flight);
        },
        [this](unsubscribe_atom, std::uint64_t id) { return unsubscribe(id); },
        [this](stats_atom) { return stats(); },
        [this](log_started& s) { groups_.on_started(s); },
        [this](log_batch& b) { subs_.fan_out(pack(b)); },
        [this](log_packed_batch& b) {
          subs_.fan_out({b.group, b.events, std::move(b.bytes)});
        },
        [this](log_loss& l) {
          kernel_overruns_ += l.overruns;
          subs_.tell(stream_key::log(l.group), l);
        },
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
    groups_.stop_all();
    subs_.clear();
    services_.stop_all();
  }

 private:
  caf::error no_commits() const {
    return to_caf_error(
        make_error(errc::invalid_argument, "commit",
                   "node " + opts_.name +
                       (opts_.commit ? "'s transactor is not running"
                                     : " offers no commits")));
  }

  node_caps caps() const {
    node_caps c;
    c.name = opts_.name;
    c.netns = opts_.netns_name;
    c.groups = opts_.groups;
    c.services = {"log"};
    if (services_.available(service::monitor)) {
      c.services.emplace_back("ruleset");
      c.services.emplace_back("snapshot");
    }
    if (services_.available(service::transactor))
      c.services.emplace_back("commit");
    c.incarnation = incarnation_;
    return c;
  }

  caf::result<bool> unsubscribe(std::uint64_t id) {
    auto key = subs_.erase(id);
    if (!key)
      return false;
    if (key->kind == detail::stream_kind::log)
      groups_.release_if_unused(key->group);
    return true;
  }

  void report(std::string source, report_kind kind, std::uint32_t restarts,
              const caf::error& reason) {
    if (opts_.observer)
      caf::anon_send(opts_.observer,
                     node_report{std::move(source), kind, restarts,
                                 sup::describe(reason)});
  }

  // A supervisor reports a child's state change; the sender says which.
  void on_child(const sup::child_info& c) {
    auto from = current_sender();
    auto sup_addr = from ? from->address() : caf::actor_addr{};
    bool restarted = c.state == sup::child_state::running && c.restarts > 0;
    if (restarted)
      ++restarts_;
    if (auto s = services_.service_of(sup_addr)) {
      services_.on_child(*s, c);
      if (!restarted)
        return;
      if (*s == service::monitor) {
        auto key = stream_key::ruleset();
        subs_.tell(key, restart_notice(key, c));
        subs_.tell(key, resync_needed{});
      }
      report(detail::service_source(*s), report_kind::restarted, c.restarts,
             c.last_reason);
      return;
    }
    if (auto group = groups_.group_of(sup_addr)) {
      groups_.on_child(*group, c);
      if (!restarted)
        return;
      auto key = stream_key::log(*group);
      subs_.tell(key, restart_notice(key, c));
      report(key.source(), report_kind::restarted, c.restarts, c.last_reason);
    }
  }

  static stream_restarted restart_notice(stream_key key,
                                         const sup::child_info& c) {
    return {key.source(), c.restarts, describe(c.last_reason)};
  }

  void on_down(const caf::down_msg& dm) {
    if (auto s = services_.service_of(dm.source)) {
      // The supervisor gave up on the monitor or the transactor.
      services_.on_gave_up(*s);
      if (*s == service::monitor)
        subs_.erase_stream(stream_key::ruleset());
      report(detail::service_source(*s), report_kind::gave_up, 0, dm.reason);
      return;
    }
    if (auto group = groups_.group_of(dm.source)) {
      // The group's supervisor gave up: the stream ends.
      groups_.on_gave_up(*group, dm.reason);
      report(stream_key::log(*group).source(), report_kind::gave_up, 0,
             dm.reason);
      return;
    }
    // A subscriber went away (or its node's connection dropped).
    for (auto key : subs_.erase_subscriber(dm.source))
      if (key.kind == detail::stream_kind::log)
        groups_.release_if_unused(key.group);
  }

  node_stats stats() const {
    node_stats st;
    st.name = opts_.name;
    st.incarnation = incarnation_;
    subs_.add_stats(st);
    groups_.add_bound(st.bound_groups);
    st.kernel_overruns = kernel_overruns_;
    st.rss_bytes = rss_bytes();
    st.restarts = restarts_;
    return st;
  }

  node_options opts_;
  detail::subscriptions subs_;
  detail::log_groups groups_;
  detail::services services_;
  std::uint64_t restarts_ = 0;
  std::uint64_t incarnation_ = 0;
  std::uint64_t kernel_overruns_ = 0;
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
