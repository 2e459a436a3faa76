// SPDX-License-Identifier: Apache-2.0
// The node's services (private to the node's sources): the ruleset
// monitor and the transactor, each under a supervisor of its own that
// identifies it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <caf/typed_event_based_actor.hpp>

#include "nfactor/actors/node/node.hpp"
#include "nfactor/actors/sup/supervisor.hpp"

namespace nfactor::actors::node::detail {

/// A service of the node.
enum class service : std::uint8_t {
  /// The nf_tables monitor: ruleset stream and snapshots.
  monitor,
  /// The transactor: commits.
  transactor,
};

/// How the node names `s` to its observer: "ruleset" or "commit".
[[nodiscard]] const char* service_source(service s) noexcept;

/// The monitor and the transactor of a node, in the node actor `self`.
class services {
 public:
  services(node_impl::base& self, const node_options& opts) noexcept
    : self_(self), opts_(opts) {}

  /// Starts the offered services, each under a supervisor of its own; the
  /// handles arrive with the supervisors' reports (`on_child`).
  void start();

  /// The service whose supervisor is `supervisor`, if any.
  [[nodiscard]] std::optional<service>
  service_of(const caf::actor_addr& supervisor) const;

  /// The supervisor of `s` reports the service's state.
  void on_child(service s, const sup::child_info& c);

  /// The supervisor of `s` gave up: the service is gone.
  void on_gave_up(service s);

  /// True while `s` is offered and its supervisor has not given up.
  [[nodiscard]] bool available(service s) const;

  /// The running monitor, or null.
  [[nodiscard]] const monitor_actor& monitor() const noexcept {
    return monitor_;
  }
  /// The running transactor, or null.
  [[nodiscard]] const transactor& tx() const noexcept { return tx_; }

  /// Stops both (the node stops).
  void stop_all();

 private:
  sup::supervisor& supervisor_of(service s) noexcept {
    return s == service::monitor ? monitor_sup_ : tx_sup_;
  }

  node_impl::base& self_;
  const node_options& opts_;
  sup::supervisor monitor_sup_;
  sup::supervisor tx_sup_;
  monitor_actor monitor_;
  transactor tx_;
};

} // namespace nfactor::actors::node::detail
