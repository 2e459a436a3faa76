// SPDX-License-Identifier: Apache-2.0
//
// The daemons' socket actors under a supervisor: the restart policy they
// share, and asking each supervised listener for its counters (stats
// lines, metrics pages).
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>

#include "nfactor/actors/sup/supervisor.hpp"
#include "nfactor/actors/sup/type_ids.hpp"
#include "nfactor/actors/type_ids.hpp"

namespace nfactor::app {

/// The daemons' restart policy: a failed listener is restarted after
/// 100 ms, doubling to 2 s, at most 5 restarts within 10 s; `observer`
/// gets every child's changes (the daemons print them).
inline actors::sup::options supervision(caf::actor observer) {
  using namespace std::chrono_literals;
  actors::sup::options so;
  so.max_restarts = 5;
  so.window = 10s;
  so.backoff = 100ms;
  so.max_backoff = 2s;
  so.observer = std::move(observer);
  return so;
}

/// One supervised listener and, if it answered, its counters.
template <class Stats>
struct listener_report {
  actors::sup::child_info child;
  caf::expected<Stats> stats = caf::error{};
};

/// Asks the supervisor for its children and each running child, as a
/// `Listener`, for its `Stats` (`stats_atom`); 2 s for each answer. A
/// child not running gets an error naming its state.
template <class Listener, class Stats>
std::vector<listener_report<Stats>>
ask_listeners(caf::scoped_actor& self,
              const actors::sup::supervisor& supervisor) {
  namespace sup = actors::sup;
  constexpr auto patience = std::chrono::seconds{2};
  std::vector<listener_report<Stats>> out;
  self->request(supervisor, patience, sup::children_atom_v)
      .receive(
          [&](std::vector<sup::child_info>& kids) {
            for (auto& k : kids)
              out.push_back({std::move(k)});
          },
          [](caf::error&) {});
  for (auto& r : out) {
    auto l = sup::handle_as<Listener>(r.child);
    if (!l) {
      r.stats = caf::make_error(caf::sec::invalid_argument,
                                std::string{sup::to_string(r.child.state)});
      continue;
    }
    self->request(l, patience, actors::stats_atom_v)
        .receive([&](const Stats& s) { r.stats = s; },
                 [&](caf::error& e) { r.stats = std::move(e); });
  }
  return out;
}

} // namespace nfactor::app
