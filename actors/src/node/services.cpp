// SPDX-License-Identifier: Apache-2.0
#include "services.hpp"

#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "supervision.hpp"

namespace nfactor::actors::node::detail {

const char* service_source(service s) noexcept {
  return s == service::monitor ? "ruleset" : "commit";
}

void services::start() {
  auto supervise = [this](sup::child_spec spec) {
    auto s = sup::spawn_supervisor(self_.system(), supervision(self_, opts_),
                                   {std::move(spec)});
    self_.monitor(s);
    return s;
  };
  if (opts_.ruleset) {
    auto owner = caf::actor_cast<caf::actor>(&self_);
    monitor_sup_ = supervise(sup::child(
        "monitor", [owner, mo = opts_.monitor](caf::actor_system& sys) {
          return spawn_monitor(sys, owner, mo);
        }));
  }
  if (opts_.commit)
    tx_sup_ = supervise(
        sup::child("transactor", [to = opts_.tx](caf::actor_system& sys) {
          return spawn_transactor(sys, to);
        }));
}

std::optional<service>
services::service_of(const caf::actor_addr& supervisor) const {
  if (monitor_sup_ && monitor_sup_.address() == supervisor)
    return service::monitor;
  if (tx_sup_ && tx_sup_.address() == supervisor)
    return service::transactor;
  return std::nullopt;
}

void services::on_child(service s, const sup::child_info& c) {
  bool running = c.state == sup::child_state::running;
  if (s == service::monitor)
    monitor_ =
        running ? caf::actor_cast<monitor_actor>(c.handle) : monitor_actor{};
  else
    tx_ = running ? caf::actor_cast<transactor>(c.handle) : transactor{};
}

void services::on_gave_up(service s) {
  supervisor_of(s) = nullptr;
  if (s == service::monitor)
    monitor_ = nullptr;
  else
    tx_ = nullptr;
}

bool services::available(service s) const {
  return s == service::monitor ? static_cast<bool>(monitor_sup_)
                               : static_cast<bool>(tx_sup_);
}

void services::stop_all() {
  for (auto* s : {&monitor_sup_, &tx_sup_})
    if (*s)
      caf::anon_send_exit(*s, caf::exit_reason::user_shutdown);
  monitor_sup_ = nullptr;
  tx_sup_ = nullptr;
  monitor_ = nullptr;
  tx_ = nullptr;
}

} // namespace nfactor::actors::node::detail
