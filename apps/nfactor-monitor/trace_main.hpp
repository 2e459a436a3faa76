// SPDX-License-Identifier: Apache-2.0
//
// nfactor-monitor --trace: prints packet traces (the trace monitor's
// batches) like `nft monitor trace`, or as JSON lines, instead of commits.
// With --nftrace it also installs a scoped `meta nftrace set 1` table for
// every packet (rate-limited) through a transactor, hides that table's own
// events, and ends when the scope is removed (time or packet limit).
#pragma once

#include <csignal>
#include <cstdint>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "nfactor/sys/netns.hpp"

namespace nfactor::app {

/// The command line of the trace mode.
struct trace_cli {
  /// One JSON object per trace and line (default: nft's text).
  bool json = false;
  /// Receive buffer, bytes (default 8 MiB).
  int rcvbuf = 8 << 20;
  /// Install a scoped nftrace table for every packet (default off: trace
  /// what the ruleset marks itself).
  bool nftrace = false;
  /// Packets per second the scoped table marks at most (default 100).
  std::uint32_t nftrace_rate = 100;
  /// The scope is removed after this many seconds (default 60).
  std::uint32_t nftrace_seconds = 60;
  /// ... or after this many marked packets (default 1000).
  std::uint64_t nftrace_packets = 1000;
};

/// Runs the trace mode until a signal in `sigs` (or, with --nftrace, the
/// end of the scope); returns the exit code.
int run_trace(caf::actor_system& sys, caf::scoped_actor& self,
              const sys::netns& ns, const trace_cli& cli, const sigset_t& sigs);

} // namespace nfactor::app
