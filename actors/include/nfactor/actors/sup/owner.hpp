// SPDX-License-Identifier: Apache-2.0
// The owner contract of socket-owning actors: every socket actor monitors
// its owner; when the owner goes down the actor stops *normally*, its
// `on_exit()` releases the kernel side (UNBIND, close), and a supervisor
// does not restart it (a normal exit is not a failure).
#pragma once

#include <functional>
#include <utility>

#include <caf/actor_addr.hpp>
#include <caf/actor_cast.hpp>
#include <caf/system_messages.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scheduled_actor.hpp>

namespace nfactor::actors::sup {

/// Handles the down messages that are not the owner's.
using other_down_handler = std::function<void(caf::down_msg&)>;

/// Monitors `owner` from `self` and installs a down handler that stops
/// `self` with `exit_reason::normal` when the owner goes down; other down
/// messages go to `others` (ignored when empty). A null `owner` means
/// "unowned" and monitors nothing. Call from `make_behavior()`.
template <class Handle>
void stop_with_owner(caf::scheduled_actor* self, const Handle& owner,
                     other_down_handler others = {}) {
  auto addr = caf::actor_cast<caf::actor_addr>(owner);
  if (addr)
    self->monitor(owner);
  self->set_down_handler([addr, others = std::move(others)](
                             caf::scheduled_actor* s, caf::down_msg& dm) {
    if (addr && dm.source == addr)
      s->quit(caf::exit_reason::normal);
    else if (others)
      others(dm);
  });
}

} // namespace nfactor::actors::sup
