// SPDX-License-Identifier: Apache-2.0
//
// What nfactor-queue reports about itself: the listener's counters with
// the decider's, as a Prometheus page (--metrics), a stats line
// (--stats-interval) and the totals line at the end.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "nfactor/actors/queue_listener.hpp"
#include "nfactor/actors/sup/supervisor.hpp"
#include "policy_state.hpp"

namespace nfactor::app {

/// The counters of the queue's listener, if it runs and answered.
[[nodiscard]] std::optional<actors::queue_stats>
ask_listener(caf::scoped_actor& self,
             const actors::sup::supervisor& supervisor);

/// The metrics page (docs/apps/nfactor-queue.md, "Metrics"), labelled
/// with `queue`.
[[nodiscard]] std::string
metrics_page(caf::actor_system& system,
             const actors::sup::supervisor& supervisor, const shared_state& st,
             std::uint16_t queue);

/// "queue N: received ..., verdicts accept A drop D ..., kernel ...".
[[nodiscard]] std::string stats_line(const actors::queue_stats& s,
                                     const shared_state& st);

/// "decided accept A drop D mark M queue Q repeat R (first to last batch
/// S s)": the decisions since the start (bench/queue reads it).
[[nodiscard]] std::string totals_line(const shared_state& st);

} // namespace nfactor::app
