// SPDX-License-Identifier: Apache-2.0
// How a socket-owning actor fails so that its supervisor (and the user
// reading the supervisor's final error) sees the real cause: errno,
// operation and the kernel's extack text, not "unhandled exception".
//
//   * From a message handler or `make_behavior`: `sup::fail_with(self, e)`
//     stops the actor with `to_caf_error(e)` as its exit reason.
//   * From code deep inside (or code that throws): `throw sup::failure{e}`,
//     and install `sup::keep_cause` with `set_exception_handler` so the
//     exception becomes the same exit reason. It also keeps `what()` of any
//     other exception (CAF's default handler drops it).
#pragma once

#include <exception>
#include <stdexcept>

#include <caf/error.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scheduled_actor.hpp>

#include "nfactor/actors/error.hpp"
#include "nfactor/error.hpp"

namespace nfactor::actors::sup {

/// An exception carrying an `nfactor::error`; `keep_cause` turns it into the
/// actor's exit reason without losing errno, op or extack.
class failure : public std::runtime_error {
 public:
  explicit failure(error e);

  /// The error this failure carries.
  [[nodiscard]] const nfactor::error& err() const noexcept { return err_; }

 private:
  nfactor::error err_;
};

/// The exit reason for an actor that fails with `e` (`to_caf_error(e)`).
[[nodiscard]] inline caf::error exit_reason_of(const error& e) {
  return to_caf_error(e);
}

/// Stops `self` with `e` as its exit reason (errno, op, extack kept).
inline void fail_with(caf::scheduled_actor* self, const error& e) {
  self->quit(to_caf_error(e));
}

/// An exception handler for `set_exception_handler` that keeps the cause:
/// `failure` → its error (`to_caf_error`); `std::system_error` with the
/// system category → that errno, op = `what()`; any other exception →
/// `sec::runtime_error` with `what()` in the context.
caf::error keep_cause(caf::scheduled_actor* self, std::exception_ptr& ptr);

/// True for exit reasons that mean "stopped on purpose": none,
/// `exit_reason::normal` and `exit_reason::user_shutdown` (OTP's `normal`
/// and `shutdown`). A transient child is not restarted after these.
[[nodiscard]] inline bool is_normal_exit(const caf::error& reason) noexcept {
  return !reason || reason == caf::exit_reason::normal ||
         reason == caf::exit_reason::user_shutdown;
}

} // namespace nfactor::actors::sup
