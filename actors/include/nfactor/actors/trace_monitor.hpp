// SPDX-License-Identifier: Apache-2.0
// The trace monitor: `nft monitor trace` as typed messages. One detached
// socket actor (socket_actor.hpp) owning a NETLINK_NETFILTER socket
// subscribed to NFNLGRP_NFTRACE and NFNLGRP_NFTABLES (optionally inside a
// netns). It decodes every trace event (nft/trace.hpp), groups them into one
// `nft::packet_trace` per packet and base chain (nft/packet_trace.hpp),
// names every rule, and sends its owner:
//
//   actors::trace_batch   the traces closed since the last batch (a
//                         request: the owner's handler returning is the
//                         acknowledgement, see "Flow control")
//   actors::trace_loss    after the kernel dropped events (ENOBUFS)
//
// Naming rules: the monitor takes a consistent snapshot of the ruleset
// when it starts, after subscribing ("subscribe first, then snapshot"), and
// applies every later commit it reads on the same socket. Commits and
// trace events come through one socket in the order the kernel sent them,
// so a rule added after tracing started is named by the time a packet
// hits it (`nft monitor trace` prints "unknown rule handle" for it). A
// trace's rules are named when it closes.
//
// Flow control: every batch is a request holding one credit; with
// `max_in_flight` unanswered the monitor stops reading, the kernel queues
// up to the receive buffer, then drops and reports ENOBUFS. The monitor
// then closes its open traces with `trace_end::lost`, sends `trace_loss`
// and takes a new snapshot (commits may have been dropped as well).
// Memory stays bounded: at most `max_in_flight` batches of at most
// `max_batch` traces, and `grouping.max_open` open traces.
//
// Supervision: `trace_monitor_child` restarts it with a new socket and a
// new snapshot. It stops when its owner goes down.
#pragma once

#include <cstdint>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "nfactor/actors/sup/supervisor.hpp"
#include "nfactor/actors/trace_types.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nft/packet_trace.hpp"
#include "nfactor/sys/netns.hpp"

namespace nfactor::actors {

/// The trace monitor's interface.
using trace_monitor_actor =
    caf::typed_actor<caf::replies_to<stats_atom>::with<trace_stats>,
                     caf::reacts_to<stop_atom>>;

/// How to run a trace monitor.
struct trace_options {
  /// The namespace whose packets to trace. Default: the caller's.
  sys::netns ns = sys::netns::current();
  /// Receive buffer to ask for (bytes). Default 8 MiB: a traced packet
  /// costs one event per rule it passes (~100-200 bytes each).
  int rcvbuf = 8 << 20;
  /// Grouping: time-out of a trace without its verdict (default 1 s),
  /// open traces and steps at most, hidden tables (see
  /// `nft::assembler_options`).
  nft::assembler_options grouping;
  /// Traces per batch at most. Default 256.
  std::size_t max_batch = 256;
  /// Batches sent but not yet acknowledged before the monitor stops
  /// reading (at least 1). Default 8.
  std::uint32_t max_in_flight = 8;
  /// Datagrams read per wake-up before serving the mailbox (at least 1).
  /// Default 256.
  int max_reads = 256;
  /// Told `traced_atom, n` after each batch with the number of packets
  /// the hidden tables' chains marked since the last report (a scoped
  /// nftrace actor counting toward its packet limit, nftrace.hpp).
  /// Default: none.
  caf::actor traced_sink;
  /// How often the supervisor restarted it (from `start_context`).
  std::uint32_t restarts = 0;

  /// Success, or the first option out of range (`errc::invalid_argument`).
  [[nodiscard]] result<void> validate() const;
};

/// Spawns a trace monitor (detached) that reports to `owner`. Invalid
/// options give the error at once; a failure to open the socket or take
/// the snapshot ends the monitor with that error as its exit reason.
[[nodiscard]] caf::expected<trace_monitor_actor>
start_trace_monitor(caf::actor_system& sys, caf::actor owner,
                    trace_options opts = {});

/// A supervisor's child spec for a trace monitor reporting to `owner`.
[[nodiscard]] sup::child_spec
trace_monitor_child(std::string name, caf::actor owner, trace_options opts = {},
                    sup::restart_type restart = sup::restart_type::transient);

} // namespace nfactor::actors
