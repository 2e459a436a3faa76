// SPDX-License-Identifier: Apache-2.0
// How the node supervises its sources (private to the node's sources).
#pragma once

#include <caf/actor_cast.hpp>

#include "nfactor/actors/node/node.hpp"
#include "nfactor/actors/sup/supervisor.hpp"

namespace nfactor::actors::node::detail {

/// The options of every supervisor the node spawns: one child each,
/// restarted as `opts` says, reporting to the node (`node`).
[[nodiscard]] inline sup::options supervision(node_impl::base& node,
                                              const node_options& opts) {
  sup::options o;
  o.strat = sup::strategy::one_for_one;
  o.max_restarts = opts.max_restarts;
  o.window = opts.restart_window;
  o.backoff = opts.restart_backoff;
  o.observer = caf::actor_cast<caf::actor>(&node);
  return o;
}

} // namespace nfactor::actors::node::detail
