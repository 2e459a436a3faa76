// SPDX-License-Identifier: Apache-2.0
#include "log_groups.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include <caf/all.hpp>

#include "nfactor/actors/error.hpp"

#include "supervision.hpp"

namespace nfactor::actors::node::detail {

namespace {

// The one child of a group's supervisor.
constexpr const char* listener_child = "listener";

} // namespace

caf::result<node_subscription> log_groups::subscribe(std::uint16_t group,
                                                     subscriber sub,
                                                     std::uint32_t in_flight) {
  if (std::find(opts_.groups.begin(), opts_.groups.end(), group) ==
      opts_.groups.end())
    return to_caf_error(make_error(errc::invalid_argument, "subscribe",
                                   "NFLOG group " + std::to_string(group) +
                                       " is not offered by node " +
                                       opts_.name));
  if (!sub)
    return to_caf_error(
        make_error(errc::invalid_argument, "subscribe", "no subscriber"));
  auto id = subs_.add(stream_key::log(group), std::move(sub), in_flight);
  auto& g = groups_[group];
  if (g.started && !g.stopping)
    return subs_.grant(id);
  auto promise = self_.make_response_promise<node_subscription>();
  g.pending.push_back({id, promise});
  if (!g.supervisor && !g.stopping)
    start_listener(group, g);
  return promise;
}

void log_groups::start_listener(std::uint16_t group, group_state& g) {
  auto lopts = opts_.log;
  lopts.nflog.group = group;
  // Undecoded unless a filter needs the events.
  auto packed = caf::actor_cast<log_packed_owner>(&self_);
  auto decoded = caf::actor_cast<log_batch_owner>(&self_);
  auto spec = sup::child(
      listener_child, [packed, decoded, lopts](caf::actor_system& sys) {
        return lopts.filter ? spawn_log_listener(sys, decoded, lopts)
                            : spawn_log_listener(sys, packed, lopts);
      });
  g.supervisor =
      sup::spawn_supervisor(self_.system(), supervision(self_, opts_), {spec});
  g.started = false;
  self_.monitor(g.supervisor);
}

std::optional<std::uint16_t>
log_groups::group_of(const caf::actor_addr& supervisor) const {
  for (const auto& [group, g] : groups_)
    if (g.supervisor && g.supervisor.address() == supervisor)
      return group;
  return std::nullopt;
}

void log_groups::on_child(std::uint16_t group, const sup::child_info& c) {
  auto& g = groups_[group];
  g.listener = c.state == sup::child_state::running
                   ? caf::actor_cast<log_listener>(c.handle)
                   : log_listener{};
  if (c.state == sup::child_state::restarting && !g.started) {
    // It never bound the group (EPERM: another socket owns it): the
    // subscribe requests fail with the real cause at once.
    fail_pending(g, c.last_reason);
    release_if_unused(group);
  }
}

void log_groups::fail_pending(group_state& g, const caf::error& err) {
  for (auto& p : g.pending) {
    (void)subs_.erase(p.id);
    p.promise.deliver(err);
  }
  g.pending.clear();
}

void log_groups::on_started(const log_started& s) {
  auto i = groups_.find(s.group);
  if (i == groups_.end())
    return;
  auto& g = i->second;
  if (g.started)
    subs_.tell(stream_key::log(s.group), s); // bound again after a restart
  g.started = true;
  auto pending = std::move(g.pending);
  g.pending.clear();
  for (auto& p : pending) {
    auto sub = subs_.find(p.id);
    if (!sub)
      continue; // the subscriber left meanwhile
    self_.send(sub, s);
    p.promise.deliver(subs_.grant(p.id));
  }
}

void log_groups::on_gave_up(std::uint16_t group, const caf::error& reason) {
  auto& g = groups_[group];
  g.supervisor = nullptr;
  g.listener = nullptr;
  g.started = false;
  g.stopping = false;
  fail_pending(g, reason);
  subs_.erase_stream(stream_key::log(group));
}

void log_groups::release_if_unused(std::uint16_t group) {
  if (subs_.has_stream(stream_key::log(group)))
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
  self_.request(s, caf::infinite, stop_atom_v, std::string{listener_child})
      .then([freed](sup::child_info&) { freed(); },
            [freed](caf::error&) { freed(); });
  i->second.stopping = true;
}

void log_groups::on_group_free(std::uint16_t group, const sup::supervisor& s) {
  auto i = groups_.find(group);
  if (i == groups_.end() || i->second.supervisor != s)
    return;
  auto& g = i->second;
  self_.demonitor(s.address());
  g.supervisor = nullptr;
  g.listener = nullptr;
  g.started = false;
  g.stopping = false;
  if (!g.pending.empty())
    start_listener(group, g); // a subscriber came while it stopped
}

void log_groups::stop_all() {
  for (auto& [group, g] : groups_) {
    if (g.supervisor)
      caf::anon_send_exit(g.supervisor, caf::exit_reason::user_shutdown);
    for (auto& p : g.pending)
      p.promise.deliver(caf::make_error(caf::sec::request_receiver_down));
  }
  groups_.clear();
}

void log_groups::add_bound(std::vector<std::uint16_t>& out) const {
  for (const auto& [group, g] : groups_)
    if (g.started && g.listener && !g.stopping)
      out.push_back(group);
}

} // namespace nfactor::actors::node::detail
