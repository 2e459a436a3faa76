// SPDX-License-Identifier: Apache-2.0
// The life cycle of the node's NFLOG groups (private to the node's
// sources): a group is bound, by a listener under a supervisor of its
// own, while somebody subscribes to it, and unbound when nobody does.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include <caf/typed_event_based_actor.hpp>

#include "nfactor/actors/node/node.hpp"
#include "nfactor/actors/sup/supervisor.hpp"

#include "subscriptions.hpp"

namespace nfactor::actors::node::detail {

/// The NFLOG groups of a node, in the node actor `self`.
class log_groups {
 public:
  log_groups(node_impl::base& self, const node_options& opts,
             subscriptions& subs) noexcept
    : self_(self), opts_(opts), subs_(subs) {}

  /// Subscribes `sub` to `group`: granted once the group is bound
  /// (starting its listener if needed), an error if it is not offered.
  caf::result<node_subscription> subscribe(std::uint16_t group, subscriber sub,
                                           std::uint32_t in_flight);

  /// A listener bound its group: waiting subscribes are granted; after a
  /// restart the subscribers learn the new port id.
  void on_started(const log_started& s);

  /// The group whose supervisor is `supervisor`, if any.
  [[nodiscard]] std::optional<std::uint16_t>
  group_of(const caf::actor_addr& supervisor) const;

  /// The supervisor of `group` reports its listener's state.
  void on_child(std::uint16_t group, const sup::child_info& c);

  /// The supervisor of `group` gave up with `reason`: the stream ends.
  void on_gave_up(std::uint16_t group, const caf::error& reason);

  /// Stops the listener of `group` if no subscription needs it.
  void release_if_unused(std::uint16_t group);

  /// Stops every listener; waiting subscribes fail (the node stops).
  void stop_all();

  /// Appends the groups bound now to `out`.
  void add_bound(std::vector<std::uint16_t>& out) const;

 private:
  // A subscribe waiting for the group to be bound.
  struct pending_subscribe {
    std::uint64_t id = 0;
    caf::typed_response_promise<node_subscription> promise;
  };

  // One group: its listener, under a supervisor of its own, while
  // somebody listens.
  struct group_state {
    sup::supervisor supervisor;
    log_listener listener;
    bool started = false;
    // Stop sent, reply not yet seen: a new listener must wait for the old
    // one to release the group (else EPERM).
    bool stopping = false;
    std::vector<pending_subscribe> pending;
  };

  // Starts the listener of `group` under a supervisor of its own; its
  // handle arrives with the supervisor's report, `log_started` once bound.
  void start_listener(std::uint16_t group, group_state& g);
  // Every waiting subscribe of `group` fails with `err`.
  void fail_pending(group_state& g, const caf::error& err);
  // The listener of `group` (under `s`) is gone and the group unbound.
  void on_group_free(std::uint16_t group, const sup::supervisor& s);

  node_impl::base& self_;
  const node_options& opts_;
  subscriptions& subs_;
  std::map<std::uint16_t, group_state> groups_;
};

} // namespace nfactor::actors::node::detail
