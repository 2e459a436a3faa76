// SPDX-License-Identifier: Apache-2.0
// What a supervisor reports about one child.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

namespace nfactor::actors::sup {

/// Where a child is in its life cycle.
enum class child_state : std::uint8_t {
  /// Started and not known to have exited.
  running = 0,
  /// Asked to stop; the supervisor waits for its down message.
  stopping = 1,
  /// Failed and waiting for its restart (backoff, or a sibling stopping).
  restarting = 2,
  /// Not running and not going to be restarted: stopped on request, exited
  /// normally (transient), or exited at all (temporary).
  stopped = 3,
};

/// "running", "stopping", "restarting" or "stopped".
[[nodiscard]] std::string_view to_string(child_state s) noexcept;

/// One child as the supervisor sees it.
struct child_info {
  /// The name from its `child_spec`.
  std::string name;
  /// The current incarnation; null unless `state == running` or `stopping`.
  caf::actor handle;
  child_state state = child_state::stopped;
  /// How often the supervisor restarted it.
  std::uint32_t restarts = 0;
  /// The exit reason of the previous incarnation (none before any exit).
  caf::error last_reason;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_info& x) {
  return f(caf::meta::type_name("nfactor::actors::sup::child_info"), x.name,
           x.handle, x.state, x.restarts, x.last_reason);
}

} // namespace nfactor::actors::sup
