// SPDX-License-Identifier: Apache-2.0
// Message types of the node interface and the type ID block `nfactor_node`
// (700..799). Registered by `nfactor::actors::add_message_types(cfg)`, like
// every other block, so every node and client agrees on them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/type_id.hpp>
#include <caf/typed_actor.hpp>

#include "nfactor/actors/log_types.hpp"
#include "nfactor/actors/nft_types.hpp"
#include "nfactor/nflog/packed.hpp"

namespace nfactor::actors::node {

/// What a node offers (the reply to `caps_atom`).
struct node_caps {
  /// The node's name (`--name`, default the host name); clients tag what
  /// they receive with it.
  std::string name;
  /// The network namespace the node's sockets live in ("" = its own).
  std::string netns;
  /// NFLOG groups a client may subscribe to.
  std::vector<std::uint16_t> groups;
  /// Other services: "ruleset" (monitor stream), "commit", "snapshot".
  std::vector<std::string> services;
  /// Identifies this run of the node: a client that sees it change knows
  /// the node restarted and that its state must be resynchronised.
  std::uint64_t incarnation = 0;

  friend bool operator==(const node_caps&, const node_caps&) = default;
};

/// A subscription granted by a node (the reply to `subscribe_atom`).
struct node_subscription {
  /// Names it in `unsubscribe_atom` and in loss notices.
  std::uint64_t id = 0;
  /// "log:GROUP" or "ruleset".
  std::string source;
  /// Batches the node sends before it waits for replies.
  std::uint32_t max_in_flight = 0;

  friend bool operator==(const node_subscription&,
                         const node_subscription&) = default;
};

/// A `log_batch` as it crosses the network: the events in one byte buffer
/// (nflog/packed.hpp), which BASP copies in one piece instead of
/// inspecting 27 optional fields per event: the kernel's messages, from a
/// node's listener undecoded (the receiver decodes them, once); `pack`
/// encodes decoded events into the same form. `unpack` decodes.
struct packed_log_batch {
  std::uint16_t group = 0;
  /// Events in `bytes` (also in its header).
  std::uint32_t events = 0;
  byte_buffer bytes;

  friend bool operator==(const packed_log_batch&,
                         const packed_log_batch&) = default;
};

/// Packs `b` for the network.
[[nodiscard]] inline packed_log_batch pack(const log_batch& b) {
  return {b.group, static_cast<std::uint32_t>(b.events.size()),
          nflog::pack_events(b.events)};
}

/// Unpacks a batch from the network (an error if its bytes are malformed
/// or of an unknown layout). The events' byte fields share one copy of
/// `p.bytes`.
[[nodiscard]] inline result<log_batch> unpack(const packed_log_batch& p) {
  log_batch out;
  out.group = p.group;
  if (auto ok = nflog::unpack_events(p.bytes, out.events); !ok)
    return std::move(ok).err();
  return out;
}

/// Unpacks a batch without copying its bytes: the events' byte fields
/// point into them (and keep them alive).
[[nodiscard]] inline result<log_batch> unpack(packed_log_batch&& p) {
  log_batch out;
  out.group = p.group;
  auto bytes = std::make_shared<const byte_buffer>(std::move(p.bytes));
  if (auto ok = nflog::unpack_events(std::move(bytes), out.events); !ok)
    return std::move(ok).err();
  return out;
}

/// Batches the node dropped for a subscriber that did not reply fast
/// enough (no credit left). Sent before the next batch that does go out.
struct node_loss {
  std::uint64_t subscription = 0;
  std::string source;
  /// Dropped since the previous notice.
  std::uint64_t batches = 0;
  std::uint64_t events = 0;
  /// Dropped since the subscription began.
  std::uint64_t total_batches = 0;
  std::uint64_t total_events = 0;

  friend bool operator==(const node_loss&, const node_loss&) = default;
};

/// The source of a stream (the listener of an NFLOG group, the ruleset
/// monitor) failed and the node's supervisor restarted it with the same
/// configuration. Events between the failure and the restart are lost
/// without a count, so whatever a subscriber derives from the stream must
/// be resynchronised. Ruleset subscribers also get a `resync_needed` (pull
/// a snapshot). The subscription itself goes on.
struct stream_restarted {
  /// "log:GROUP" or "ruleset".
  std::string source;
  /// How often the node's supervisor restarted this source.
  std::uint32_t restarts = 0;
  /// Why the previous incarnation failed (CAF's rendering).
  std::string reason;

  friend bool operator==(const stream_restarted&,
                         const stream_restarted&) = default;
};

/// What happened to a node's source (see `node_report`).
enum class report_kind : std::uint8_t {
  /// Failed and restarted by its supervisor with the same configuration.
  restarted = 0,
  /// Its supervisor gave up (`max_restarts` within `restart_window`): the
  /// source is gone, and so are the subscriptions of its stream.
  gave_up = 1,
};

/// What a node tells its observer (`node_options::observer`): what its
/// operator should hear of, and what the node app prints. The node itself
/// prints nothing.
struct node_report {
  /// "log:GROUP" (a group's listener), "ruleset" (the monitor) or
  /// "commit" (the transactor).
  std::string source;
  report_kind kind = report_kind::restarted;
  /// How often the source was restarted.
  std::uint32_t restarts = 0;
  /// Why it failed (CAF's rendering of the exit reason).
  std::string reason;

  friend bool operator==(const node_report&, const node_report&) = default;
};

/// "log:7 restarted (1): REASON" or "ruleset: gave up: REASON".
[[nodiscard]] std::string to_string(const node_report& r);

/// Counters of one subscription.
struct subscription_stats {
  std::uint64_t id = 0;
  std::string source;
  /// The subscriber (CAF's rendering of its address, with its node).
  std::string subscriber;
  std::uint64_t batches_sent = 0;
  std::uint64_t events_sent = 0;
  std::uint64_t batches_dropped = 0;
  std::uint64_t events_dropped = 0;
  std::uint32_t in_flight = 0;
  std::uint32_t max_in_flight = 0;

  friend bool operator==(const subscription_stats&,
                         const subscription_stats&) = default;
};

/// The node's counters (the reply to `stats_atom`).
struct node_stats {
  std::string name;
  std::uint64_t incarnation = 0;
  std::vector<subscription_stats> subscriptions;
  /// NFLOG groups bound now.
  std::vector<std::uint16_t> bound_groups;
  /// Kernel-side losses reported by the listeners (ENOBUFS episodes).
  std::uint64_t kernel_overruns = 0;
  /// Resident set size of the node process, bytes (0 if unknown).
  std::uint64_t rss_bytes = 0;
  /// Restarts of the node's listeners, monitor and transactor by its
  /// supervisors.
  std::uint64_t restarts = 0;

  friend bool operator==(const node_stats&, const node_stats&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_caps& x) {
  return f(caf::meta::type_name("nfactor::actors::node::node_caps"), x.name,
           x.netns, x.groups, x.services, x.incarnation);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_subscription& x) {
  return f(caf::meta::type_name("nfactor::actors::node::node_subscription"),
           x.id, x.source, x.max_in_flight);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, packed_log_batch& x) {
  return f(caf::meta::type_name("nfactor::actors::node::packed_log_batch"),
           x.group, x.events, x.bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_loss& x) {
  return f(caf::meta::type_name("nfactor::actors::node::node_loss"),
           x.subscription, x.source, x.batches, x.events, x.total_batches,
           x.total_events);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_restarted& x) {
  return f(caf::meta::type_name("nfactor::actors::node::stream_restarted"),
           x.source, x.restarts, x.reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_report& x) {
  return f(caf::meta::type_name("nfactor::actors::node::node_report"), x.source,
           x.kind, x.restarts, x.reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, subscription_stats& x) {
  return f(caf::meta::type_name("nfactor::actors::node::subscription_stats"),
           x.id, x.source, x.subscriber, x.batches_sent, x.events_sent,
           x.batches_dropped, x.events_dropped, x.in_flight, x.max_in_flight);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_stats& x) {
  return f(caf::meta::type_name("nfactor::actors::node::node_stats"), x.name,
           x.incarnation, x.subscriptions, x.bound_groups, x.kernel_overruns,
           x.rss_bytes, x.restarts);
}

/// What a subscriber of a node handles. `packed_log_batch` (see `unpack`)
/// and `nft::transaction`
/// (one per ruleset commit) arrive as requests: returning from the handler
/// is the acknowledgement that gives the node its credit back. `log_loss`
/// reports events the kernel dropped before the node read them,
/// `resync_needed` ruleset notifications the kernel dropped (pull a
/// snapshot), `node_loss` batches the node dropped because the subscriber
/// was slow, `stream_restarted` that the node restarted the stream's
/// source after a failure (resynchronise).
using subscriber =
    caf::typed_actor<caf::reacts_to<log_started>,
                     caf::reacts_to<packed_log_batch>, caf::reacts_to<log_loss>,
                     caf::reacts_to<nft::transaction>,
                     caf::reacts_to<resync_needed>, caf::reacts_to<node_loss>,
                     caf::reacts_to<stream_restarted>>;

} // namespace nfactor::actors::node

CAF_BEGIN_TYPE_ID_BLOCK(nfactor_node, 700)
CAF_ADD_TYPE_ID(nfactor_node, (nfactor::actors::node::node_caps))
CAF_ADD_TYPE_ID(nfactor_node, (nfactor::actors::node::node_subscription))
CAF_ADD_TYPE_ID(nfactor_node, (nfactor::actors::node::node_loss))
CAF_ADD_TYPE_ID(nfactor_node, (nfactor::actors::node::subscription_stats))
CAF_ADD_TYPE_ID(nfactor_node, (nfactor::actors::node::node_stats))
CAF_ADD_TYPE_ID(nfactor_node, (nfactor::actors::node::subscriber))
CAF_ADD_TYPE_ID(nfactor_node, (nfactor::actors::node::packed_log_batch))
CAF_ADD_TYPE_ID(nfactor_node, (nfactor::actors::node::stream_restarted))
CAF_ADD_TYPE_ID(nfactor_node, (nfactor::actors::node::node_report))
CAF_END_TYPE_ID_BLOCK(nfactor_node)

// Requests of the node interface (≤ 10 characters each).
CAF_ADD_ATOM(nfactor_node, nfactor::actors::node, caps_atom, "caps")
CAF_ADD_ATOM(nfactor_node, nfactor::actors::node, subscribe_atom, "subscribe")
CAF_ADD_ATOM(nfactor_node, nfactor::actors::node, unsubscribe_atom, "unsubscr")
CAF_ADD_ATOM(nfactor_node, nfactor::actors::node, log_atom, "log")
CAF_ADD_ATOM(nfactor_node, nfactor::actors::node, ruleset_atom, "ruleset")
CAF_ADD_ATOM(nfactor_node, nfactor::actors::node, commit_atom, "commit")
CAF_ADD_ATOM(nfactor_node, nfactor::actors::node, snapshot_atom, "snapshot")
CAF_ADD_ATOM(nfactor_node, nfactor::actors::node, reconnect_atom, "reconnect")
