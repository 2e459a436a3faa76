// SPDX-License-Identifier: Apache-2.0
// A supervisor in the manner of OTP: it starts children from specs, watches
// them, restarts the ones that fail (one_for_one or rest_for_one) and gives
// up, with a typed error naming the child and its last exit reason, when
// they fail more than `max_restarts` times within `window`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/typed_actor.hpp>

#include "nfactor/actors/sup/child_info.hpp"
#include "nfactor/actors/sup/errc.hpp"
#include "nfactor/actors/sup/type_ids.hpp"
#include "nfactor/actors/type_ids.hpp"

namespace nfactor::actors::sup {

/// Which children a failure takes down with it.
enum class strategy : std::uint8_t {
  /// Restart only the failed child.
  one_for_one,
  /// Stop the children started after the failed one (last first), then
  /// restart the failed child and those, in start order.
  rest_for_one,
};

/// When a child that exited is started again (OTP's restart types).
enum class restart_type : std::uint8_t {
  /// Always, whatever the exit reason.
  permanent,
  /// Only after a failure: not after a normal exit or `user_shutdown`
  /// (see `is_normal_exit`), e.g. a socket actor whose owner went down.
  transient,
  /// Never.
  temporary,
};

/// What a start function is told about the incarnation it starts.
struct start_context {
  /// The system to spawn in.
  caf::actor_system& sys;
  /// The child's name.
  const std::string& name;
  /// How often this child has been restarted (0 on the first start), e.g.
  /// for `stats::restarts`.
  std::uint32_t restarts;
};

/// Spawns one incarnation of a child; called again, with the same captured
/// configuration, on every restart.
using start_fn =
    std::function<caf::expected<caf::strong_actor_ptr>(const start_context&)>;

/// A child: a unique name, how to start it and when to restart it.
struct child_spec {
  std::string name;
  start_fn start;
  restart_type restart = restart_type::transient;
};

/// Makes a `child_spec` from a factory that returns any actor handle (typed
/// or not), or a `caf::expected` of one, and takes either the
/// `caf::actor_system&` or the `const start_context&`.
///
/// @par Example
/// @code
/// auto spec = sup::child("log-5", [=](caf::actor_system& sys) {
///   return sys.spawn<caf::detached>(my_listener, owner, opts);
/// });
/// @endcode
template <class F>
child_spec child(std::string name, F factory,
                 restart_type restart = restart_type::transient) {
  start_fn fn =
      [f = std::move(factory)](
          const start_context& ctx) -> caf::expected<caf::strong_actor_ptr> {
    auto call = [&] {
      if constexpr (std::is_invocable_v<F&, const start_context&>)
        return f(ctx);
      else
        return f(ctx.sys);
    };
    auto h = call();
    using handle = decltype(h);
    if constexpr (requires {
                    h.error();
                    *h;
                  }) {
      if (!h)
        return std::move(h.error());
      return caf::actor_cast<caf::strong_actor_ptr>(std::move(*h));
    } else {
      static_assert(caf::is_handle<handle>::value,
                    "a child factory returns an actor handle");
      return caf::actor_cast<caf::strong_actor_ptr>(std::move(h));
    }
  };
  return {std::move(name), std::move(fn), restart};
}

/// How a supervisor restarts.
struct options {
  strategy strat = strategy::one_for_one;
  /// At most this many restarts (all children together) within `window`;
  /// one more failure stops the supervisor with `errc::restart_limit`.
  std::uint32_t max_restarts = 3;
  std::chrono::milliseconds window{5000};
  /// Delay before a restart; 0 restarts at once.
  std::chrono::milliseconds backoff{0};
  /// When non-zero, the delay doubles with each restart counted in the
  /// current window, up to this value.
  std::chrono::milliseconds max_backoff{0};
  /// When set, receives a `child_info` after every change of a child's
  /// state (started, stopping, waiting for restart, stopped), in order,
  /// sent by the supervisor (an observer of several supervisors tells
  /// them apart by the sender): for logs, metrics and tests that wait for
  /// a restart.
  caf::actor observer;
};

/// The supervisor's interface: inspect children, stop and start them.
/// Unknown names give `errc::unknown_child`.
using supervisor = caf::typed_actor<
    // Every child in start order.
    caf::replies_to<children_atom>::with<std::vector<child_info>>,
    // One child.
    caf::replies_to<whereis_atom, std::string>::with<child_info>,
    // Stops a child (not restarted until started again); the reply comes
    // once it is down.
    caf::replies_to<stop_atom, std::string>::with<child_info>,
    // Starts a stopped child, or one waiting for its restart, now.
    caf::replies_to<start_child_atom, std::string>::with<child_info>>;

/// The supervisor's full interface, with its internal restart timer.
using supervisor_impl =
    supervisor::extend<caf::reacts_to<restart_atom, std::uint64_t>>;

static_assert(std::is_convertible_v<supervisor_impl, supervisor>);

/// Spawns a supervisor that starts `children` in order. It monitors each
/// child, and when it stops (for whatever reason) it stops its children
/// with `exit_reason::user_shutdown`, last first.
[[nodiscard]] supervisor spawn_supervisor(caf::actor_system& sys, options opts,
                                          std::vector<child_spec> children);

/// The handle of `info` as the typed handle `Handle` (null if not running).
template <class Handle>
[[nodiscard]] Handle handle_as(const child_info& info) {
  return caf::actor_cast<Handle>(info.handle);
}

} // namespace nfactor::actors::sup
