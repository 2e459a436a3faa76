// SPDX-License-Identifier: Apache-2.0
// Client side of nodes, for programs of their own: connect to a node
// (TLS or loopback-only plain TCP), or run a session that connects,
// subscribes, reconnects after the node restarts (or the network drops)
// and resubscribes, telling its handler that a resync happened.
//
// @par Example
// @code
// nfactor::actors::node::config cfg; // --openssl.* / --insecure
// if (auto err = cfg.parse(argc, argv)) ...
// auto ep = nfactor::actors::node::parse_endpoint("10.0.0.1:4242");
// if (auto ok = cfg.prepare_security(ep->host); !ok) ...
// caf::actor_system sys{cfg};
// nfactor::actors::node::session_options so{*ep, cfg.security().tls(), {5}};
// nfactor::actors::node::session_handler h;
// h.batch = [](const node_caps& n, log_batch& b) { ... };
// auto s = nfactor::actors::node::spawn_session(sys, so, h);
// @endcode
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/typed_actor.hpp>

#include "nfactor/actors/node/node.hpp"
#include "nfactor/actors/node/security.hpp"

namespace nfactor::actors::node {

/// Where a node listens.
struct endpoint {
  std::string host;
  std::uint16_t port = 0;

  /// "host:port" ("[v6]:port" for IPv6 addresses).
  [[nodiscard]] std::string to_string() const;
};

/// Parses "host:port" or "[v6addr]:port".
[[nodiscard]] result<endpoint> parse_endpoint(const std::string& text);

/// Connects to the node at `where` (blocking; for programs outside
/// actors). `tls` must match how the system was prepared.
[[nodiscard]] inline caf::expected<node_actor>
connect_node(caf::actor_system& sys, const endpoint& where, bool tls) {
  return connect<node_actor>(sys, where.host, where.port, tls);
}

/// What a session subscribes to and how it reconnects.
struct session_options {
  endpoint where;
  bool tls = true;
  /// NFLOG groups to subscribe to.
  std::vector<std::uint16_t> groups;
  /// Subscribe to ruleset changes too, and pull a snapshot after every
  /// (re)connect and after every `resync_needed`.
  bool ruleset = false;
  /// Unanswered batches per subscription (0: the node's default).
  std::uint32_t max_in_flight = 0;
  /// Pause between connection attempts.
  std::chrono::milliseconds retry{500};
};

/// What a session reports, in order, on its own thread. Returning from
/// `batch` acknowledges the batch (a slow handler makes the node drop and
/// report a `node_loss`). Unset members are ignored.
struct session_handler {
  /// Connected and subscribed. `previous` is the incarnation of the node
  /// before a reconnect (nullopt on the first connect): whatever was
  /// derived from the stream before must be resynchronised, because
  /// events were missed while disconnected.
  std::function<void(const node_caps&, std::optional<std::uint64_t> previous)>
      connected;
  std::function<void(const node_caps&, log_batch&)> batch;
  std::function<void(const node_caps&, const log_loss&)> kernel_loss;
  std::function<void(const node_caps&, const node_loss&)> network_loss;
  /// One ruleset commit (with `session_options::ruleset`).
  std::function<void(const node_caps&, nft::transaction&)> commit;
  /// The node restarted the source of a stream (a group's listener, the
  /// ruleset monitor) after it failed: events in between are lost, so
  /// whatever was derived from the stream must be resynchronised (for the
  /// ruleset, a snapshot follows).
  std::function<void(const node_caps&, const stream_restarted&)> restarted;
  /// The kernel dropped ruleset notifications; a snapshot follows.
  std::function<void(const node_caps&, const resync_needed&)> ruleset_loss;
  /// A consistent snapshot: after each (re)connect and `ruleset_loss`.
  /// Commits with `gen_id <= ruleset::gen_id` are already in it.
  std::function<void(const node_caps&, nft::ruleset&)> snapshot;
  /// A connection attempt failed, a subscription was refused, or the node
  /// went away (reported once per outage; the session keeps retrying).
  std::function<void(const endpoint&, const caf::error&)> trouble;
};

/// A running session (stop it with `caf::anon_send_exit`).
using session = caf::typed_actor<caf::replies_to<stats_atom>::with<node_caps>>;

/// Spawns a session. Its handlers run on CAF's scheduler: one that blocks
/// (a slow disk, a full pipe) holds a worker thread for that long, so hand
/// long work to a thread or actor of your own.
[[nodiscard]] session spawn_session(caf::actor_system& sys,
                                    session_options opts,
                                    session_handler handler);

} // namespace nfactor::actors::node
