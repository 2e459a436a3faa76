// SPDX-License-Identifier: Apache-2.0
// Starting a socket actor from outside an actor: wait until it has opened
// and bound its sockets, or learn why it could not.
#pragma once

#include <chrono>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/scoped_actor.hpp>

#include "nfactor/actors/type_ids.hpp"

namespace nfactor::actors {

/// Waits until the freshly spawned socket actor `h` answers `stats_atom`
/// with a `Stats` (it answers only once its sockets are open and bound) and
/// returns `h`; if it ends instead, returns its exit reason (e.g. EPERM or
/// `errc::busy` naming the port id that holds the group or queue). `what`
/// names the actor in the error for one that neither answers nor ends.
template <class Stats, class Handle>
caf::expected<Handle> await_running(caf::actor_system& sys, Handle h,
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
  // The actor failed to open: its exit reason says why.
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
