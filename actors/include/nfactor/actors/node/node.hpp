// SPDX-License-Identifier: Apache-2.0
// The node: one host's netfilter actors behind one typed interface that
// remote programs reach through CAF's middleman (BASP over TLS).
//
//   client --caps / subscribe / unsubscribe / snapshot / stats--> node
//   node   --log_started, log_batch (request), log_loss, node_loss--> sub
//   node   --nft::transaction (request), resync_needed--> ruleset sub
//   node   <--owner of-- log listener per bound group (spawned on demand)
//   node   <--owner of-- the nf_tables monitor (commits, snapshots)
//   node   --observes--> one supervisor each for the monitor, the
//                        transactor and every bound group's listener
//   node   --node_report--> observer (node_options::observer)
//
// Every listener, the monitor and the transactor run under an nfactor
// supervisor of their own (sup/supervisor.hpp), which identifies them: a
// child that fails is restarted with the same configuration, and the
// subscribers of its stream get a `stream_restarted` (ruleset subscribers
// also a `resync_needed`). When a supervisor gives up (`max_restarts`
// within `restart_window`), the service is gone: its stream's
// subscriptions end, and further requests for it get an error. Both go to
// the observer as a `node_report`; the node prints nothing.
//
// Streams cross the network as batches only, with at most `max_in_flight`
// unanswered batches per subscription (BASP itself buffers without bound).
// Log events that arrive while a subscriber has no credit are held (up to
// `max_held_events`) and go out as one larger batch with the next credit,
// so batches grow with the load; beyond that bound a batch is dropped,
// counted and reported to the subscriber with a `node_loss` before its
// next batch. The node monitors
// every subscriber: when one goes down (or its connection drops) its
// subscriptions end, and a group nobody listens to any more is unbound
// (its listener stopped).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "nfactor/actors/log_listener.hpp"
#include "nfactor/actors/log_types.hpp"
#include "nfactor/actors/monitor.hpp"
#include "nfactor/actors/transactor.hpp"
#include "nfactor/actors/node/types.hpp"
#include "nfactor/actors/sup/type_ids.hpp"
#include "nfactor/actors/type_ids.hpp"

namespace nfactor::actors::node {

/// The node as clients see it.
using node_actor = caf::typed_actor<
    // What the node offers.
    caf::replies_to<caps_atom>::with<node_caps>,
    // Subscribes `subscriber` to NFLOG group `group` with at most
    // `max_in_flight` unanswered batches (0: the node's default; capped by
    // the node's maximum). The reply comes once the group is bound; an
    // error if the group is not offered or cannot be bound (EPERM).
    caf::replies_to<subscribe_atom, log_atom, std::uint16_t, subscriber,
                    std::uint32_t>::with<node_subscription>,
    // Subscribes `subscriber` to ruleset changes: one `nft::transaction`
    // per commit (object events with the committer's pid and name, the
    // generation it produced). An error if the node offers no ruleset.
    caf::replies_to<subscribe_atom, ruleset_atom, subscriber,
                    std::uint32_t>::with<node_subscription>,
    // A consistent snapshot of the ruleset (family: NFPROTO_UNSPEC for
    // all; table: "" for all). Commits after it reach ruleset
    // subscribers; none before it.
    caf::replies_to<snapshot_atom, std::uint8_t,
                    std::string>::with<nft::ruleset>,
    // Applies a batch atomically through the node's transactor (all or
    // nothing); with a generation, only if the ruleset is still at it
    // (else errc::conflict). An error if the node offers no commits.
    caf::replies_to<commit_atom, nft::encoded_batch>::with<nft::commit_result>,
    caf::replies_to<commit_atom, nft::encoded_batch,
                    std::uint32_t>::with<nft::commit_result>,
    // Ends a subscription; the reply says whether it existed.
    caf::replies_to<unsubscribe_atom, std::uint64_t>::with<bool>,
    // Counters.
    caf::replies_to<stats_atom>::with<node_stats>>;

/// The node's full interface: it owns the log listeners and observes its
/// supervisors.
using node_impl = node_actor::extend<
    caf::reacts_to<log_started>, caf::reacts_to<log_batch>,
    caf::reacts_to<log_packed_batch>, caf::reacts_to<log_loss>,
    caf::reacts_to<nft::transaction>, caf::reacts_to<resync_needed>,
    caf::reacts_to<nft::ruleset>, caf::reacts_to<sup::child_info>>;

static_assert(std::is_convertible_v<node_impl, node_actor>,
              "clients get the narrow view of the node");
static_assert(std::is_convertible_v<node_impl, log_batch_owner> &&
                  std::is_convertible_v<node_impl, log_packed_owner>,
              "the node owns its log listeners");

/// How a node runs.
struct node_options {
  /// Reported in `node_caps::name`.
  std::string name;
  /// The namespace's name for `node_caps::netns` ("" = own).
  std::string netns_name;
  /// NFLOG groups clients may subscribe to; each is bound while somebody
  /// listens to it.
  std::vector<std::uint16_t> groups;
  /// Template of every group's listener (its `nflog.group` is set per
  /// group; `nflog.ns` says where the sockets live). Listeners hand the
  /// node the kernel's messages undecoded (nflog/packed.hpp), which go to
  /// subscribers as they are and are decoded there; with a `filter`, they
  /// decode (the filter needs events) and the node encodes the events
  /// again into the same form.
  log_listener_options log;
  /// Offer ruleset changes and snapshots (a monitor runs for the node's
  /// whole life).
  bool ruleset = true;
  /// The monitor's options (`ns` says whose ruleset).
  monitor_options monitor;
  /// Offer commits (a transactor runs for the node's whole life).
  bool commit = true;
  /// The transactor's options (`ns` says whose ruleset).
  transactor_options tx;
  /// Unanswered batches per subscription when the subscriber asks for 0.
  std::uint32_t default_in_flight = 32;
  /// Most unanswered batches a subscriber may ask for.
  std::uint32_t max_in_flight = 256;
  /// Log events held per subscription while it has no credit left; they
  /// go out as one batch with the next credit. Beyond this, batches are
  /// dropped and reported (`node_loss`). Bounds the node's memory per
  /// subscriber (~150 bytes per event with 64-byte packets). Default two
  /// full listener batches: measured (bench/node), 16384 made multi-MiB
  /// BASP messages that crossed slower than the events came, so most were
  /// dropped; 2048 cut the loss under a flood from ~10% to ~3%.
  std::uint64_t max_held_events = 2048;
  /// Restarts of a failed listener, monitor or transactor: at most
  /// `max_restarts` within `restart_window` (per supervisor), each after
  /// `restart_backoff`; one more failure and the supervisor gives up.
  std::uint32_t max_restarts = 3;
  std::chrono::milliseconds restart_window{5000};
  std::chrono::milliseconds restart_backoff{100};
  /// Receives a `node_report` when a listener, the monitor or the
  /// transactor is restarted or its supervisor gives up (the node app
  /// prints them). Default none: nobody is told but the subscribers.
  caf::actor observer;

  /// Success, or the first option out of range.
  [[nodiscard]] result<void> validate() const;
};

/// Spawns a node. Invalid options give the error at once.
[[nodiscard]] caf::expected<node_actor> spawn_node(caf::actor_system& sys,
                                                   node_options opts);

} // namespace nfactor::actors::node
