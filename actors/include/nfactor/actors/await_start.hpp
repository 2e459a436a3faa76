// SPDX-License-Identifier: Apache-2.0
// Waiting, from outside an actor, until a freshly spawned socket actor has
// opened its sockets or failed: for the `start_*` functions of programs and
// tests.
#pragma once

#include <chrono>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/after.hpp>
#include <caf/system_messages.hpp>
#include <caf/expected.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>

#include "nfactor/actors/type_ids.hpp"

namespace nfactor::actors {

/// Asks `h` for `stats_atom` (answered with `Stats` once its sockets are
/// open) and returns `h`; if it ends first, returns its exit reason (e.g.
/// EPERM from a bind). `what` names the actor in a time-out error.
template <class Stats, class Handle>
caf::expected<Handle> await_start(caf::actor_system& sys, Handle h,
                                  const std::string& what) {
  caf::scoped_actor self{sys};
  self->monitor(h);
  caf::error failure;
  bool ready = false;
  self->request(h, std::chrono::seconds{60}, stats_atom_v)
      .receive([&](const Stats&) { ready = true; },
               [&](caf::error& e) { failure = std::move(e); });
  if (ready) {
    self->demonitor(h.address());
    return h;
  }
  self->receive(
      [&](caf::down_msg& dm) {
        if (dm.reason)
          failure = std::move(dm.reason);
      },
      caf::after(std::chrono::seconds{10}) >> [] {});
  if (!failure)
    failure =
        caf::make_error(caf::sec::request_timeout, what + " did not start");
  return failure;
}

} // namespace nfactor::actors
