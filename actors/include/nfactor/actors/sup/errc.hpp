// SPDX-License-Identifier: Apache-2.0
// The supervisor's own error conditions, as `caf::error`s of category
// "nfsup". The restart-limit error is the supervisor's exit reason when it
// gives up; its context names the child and carries the child's last exit
// reason, so the real cause (errno, op, extack) reaches whoever watches the
// supervisor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <caf/error.hpp>

namespace nfactor::actors::sup {

/// Stable numbers: never renumber or reuse (they cross nodes).
enum class errc : std::uint8_t {
  /// More than `max_restarts` restarts within `window`: the supervisor
  /// stopped. Context: (child name, restarts of that child, last reason).
  restart_limit = 1,
  /// A request named a child the supervisor does not have. Context: (name).
  unknown_child = 2,
  /// A child's start function returned an error instead of an actor.
  /// Context: (name, the error). Used as that child's exit reason.
  start_failed = 3,
};

/// The details of a restart-limit error.
struct restart_limit_info {
  /// The child whose failure exhausted the restart budget.
  std::string child;
  /// How often that child had been restarted.
  std::uint32_t restarts = 0;
  /// That child's last exit reason (its real cause).
  caf::error last_reason;
};

/// The supervisor's exit reason when it gives up on `child`.
[[nodiscard]] caf::error make_restart_limit(const std::string& child,
                                            std::uint32_t restarts,
                                            const caf::error& last_reason);

/// The details of `e` if it is a restart-limit error.
[[nodiscard]] std::optional<restart_limit_info>
as_restart_limit(const caf::error& e);

/// One line for any supervision error, e.g. `supervisor gave up on child
/// 'log' after 3 restarts; last reason: NFULNL_CFG_CMD_BIND group 7:
/// Operation not permitted`; other errors as `actors::describe()`.
[[nodiscard]] std::string describe(const caf::error& e);

} // namespace nfactor::actors::sup

CAF_ERROR_CODE_ENUM(nfactor::actors::sup::errc, "nfsup")
