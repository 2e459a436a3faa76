// SPDX-License-Identifier: Apache-2.0
// For the actor suites (links CAF; header-only, so the support library
// stays CAF-free): an actor system with nfactor's message types, and the
// round trip every message type must survive between nodes (CAF's binary
// serializer, then its deserializer), and printers so BOOST_TEST can show
// CAF values.
#pragma once

#include <ostream>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/error.hpp>
#include <caf/exit_reason.hpp>
#include <caf/expected.hpp>

#include "nfactor/actors/error.hpp"
#include "nfactor/actors/system.hpp"
#include "watchdog.hpp"

namespace caf {
// An nfactor error with its operation, errno and extack; any other as CAF
// prints it.
inline std::ostream& boost_test_print_type(std::ostream& os, const error& e) {
  return os << nfactor::actors::describe(e);
}
inline std::ostream& boost_test_print_type(std::ostream& os, const actor& a) {
  return os << to_string(a);
}
inline std::ostream& boost_test_print_type(std::ostream& os, exit_reason r) {
  return os << to_string(r);
}
} // namespace caf

namespace nfactor::test {

/// `x` serialized and deserialized again with the types of `sys`.
template <class T>
T round_trip(caf::actor_system& sys, T x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  BOOST_REQUIRE(!sink(x));
  T out;
  caf::binary_deserializer source{sys, buf};
  BOOST_REQUIRE(!source(out));
  return out;
}

/// The handle a spawn function returned; fails the test with the error
/// when it returned none.
template <class Handle>
Handle require_spawned(caf::expected<Handle> x) {
  if (!x)
    BOOST_FAIL("spawn failed: " << caf::to_string(x.error()));
  return std::move(*x);
}

/// An actor system that knows nfactor's message types
/// (`actors::add_message_types`).
/// (~actor_system waits for every actor: one a test left running fails
/// the test within `watchdog_limit`, named, instead of hanging.)
struct actor_system_fixture {
  caf::actor_system_config cfg;
  watchdog shutdown; // destroyed after sys: disarms once sys is gone
  caf::actor_system sys;

  static caf::actor_system_config& prepare(caf::actor_system_config& c) {
    actors::add_message_types(c);
    return c;
  }
  actor_system_fixture() : sys(prepare(cfg)) {}
  ~actor_system_fixture() {
    shutdown.arm("the actor system's shutdown (every actor stopped?)");
  }
  actor_system_fixture(const actor_system_fixture&) = delete;
  actor_system_fixture& operator=(const actor_system_fixture&) = delete;

  /// `x` after a trip through this system's serializers.
  template <class T>
  T round_trip(T x) {
    return test::round_trip(sys, std::move(x));
  }
};

} // namespace nfactor::test
