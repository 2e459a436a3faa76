// SPDX-License-Identifier: Apache-2.0
// Keeps an actor system's shutdown waiting until a detached actor has sent
// its last down and exit messages.
//
// Why (CAF 0.17.6): a detached actor's thread ends only once the actor
// object is destroyed, and ~actor_system waits for that thread. An actor
// leaves the system's running count at the start of its cleanup, before it
// sends the down messages of its monitors, so the system's shutdown may
// already be stopping the middleman while they go out. One for the BASP
// broker (which monitors every local actor a remote node holds a proxy
// of) then lands in the mailbox of a broker that has stopped: brokers do
// not empty their mailbox when they stop, and the message's sender is a
// strong reference to the actor, so the actor is never destroyed and
// ~actor_system waits forever (seen: a queue listener whose owner was on
// another node, about 1 stop in 30 on two loaded cores). An actor with a
// barrier counts as running until the barrier, attached first and hence
// run last, has run: every down message is out by then, and the broker
// reads it before its stop.
#pragma once

#include <caf/abstract_actor.hpp>
#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>

namespace nfactor::actors {

/// Call in the constructor of a detached actor, before anything else
/// attaches to it (monitors, links): the system's shutdown then waits
/// until the actor has sent all its down and exit messages.
inline void attach_shutdown_barrier(caf::abstract_actor& self) {
  auto& registry = self.home_system().registry();
  registry.inc_running();
  self.attach_functor([&registry] { registry.dec_running(); });
}

} // namespace nfactor::actors
