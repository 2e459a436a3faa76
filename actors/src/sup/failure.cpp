// SPDX-License-Identifier: Apache-2.0
// Exit reasons that keep the cause, and the supervisor's error conditions.
#include "nfactor/actors/sup/failure.hpp"

#include <system_error>

#include <caf/make_message.hpp>
#include <caf/sec.hpp>

#include "nfactor/actors/sup/child_info.hpp"
#include "nfactor/actors/sup/errc.hpp"

namespace nfactor::actors::sup {

failure::failure(error e)
  : std::runtime_error(e.message()), err_(std::move(e)) {}

caf::error keep_cause(caf::scheduled_actor*, std::exception_ptr& ptr) {
  try {
    std::rethrow_exception(ptr);
  } catch (const failure& f) {
    return to_caf_error(f.err());
  } catch (const std::system_error& e) {
    const auto& cat = e.code().category();
    if (cat == std::system_category() || cat == std::generic_category())
      return to_caf_error(
          make_error(errno_code(e.code().value()), "exception", e.what()));
    return caf::make_error(caf::sec::runtime_error, std::string{e.what()});
  } catch (const std::exception& e) {
    return caf::make_error(caf::sec::runtime_error, std::string{e.what()});
  } catch (...) {
    return caf::make_error(caf::sec::runtime_error,
                           std::string{"unknown exception"});
  }
}

std::string_view to_string(child_state s) noexcept {
  switch (s) {
  case child_state::running:
    return "running";
  case child_state::stopping:
    return "stopping";
  case child_state::restarting:
    return "restarting";
  case child_state::stopped:
    return "stopped";
  }
  return "unknown";
}

caf::error make_restart_limit(const std::string& child, std::uint32_t restarts,
                              const caf::error& last_reason) {
  return caf::make_error(errc::restart_limit, child, restarts, last_reason);
}

std::optional<restart_limit_info> as_restart_limit(const caf::error& e) {
  if (e != errc::restart_limit)
    return std::nullopt;
  const auto& ctx = e.context();
  if (!ctx.match_elements<std::string, std::uint32_t, caf::error>())
    return std::nullopt;
  return restart_limit_info{ctx.get_as<std::string>(0),
                            ctx.get_as<std::uint32_t>(1),
                            ctx.get_as<caf::error>(2)};
}

std::string describe(const caf::error& e) {
  if (auto limit = as_restart_limit(e))
    return "supervisor gave up on child '" + limit->child + "' after " +
           std::to_string(limit->restarts) +
           " restarts; last reason: " + actors::describe(limit->last_reason);
  if (e == errc::unknown_child && e.context().match_elements<std::string>())
    return "no child named '" + e.context().get_as<std::string>(0) + "'";
  if (e == errc::start_failed && e.context().match_elements<std::string>())
    return "child '" + e.context().get_as<std::string>(0) +
           "': start function returned no actor";
  return actors::describe(e);
}

} // namespace nfactor::actors::sup
