// SPDX-License-Identifier: Apache-2.0
// A scoped `meta nftrace set 1` on the transactor side: an actor that
// commits the tracing table (nft/nftrace.hpp) through a transactor, and
// removes it through the same transactor after a time limit, after a
// packet limit, on `stop_atom`, or when its owner goes down, so tracing
// never floods the trace group or lingers. It then stops normally; a
// failed commit ends it with that error as its exit reason.
//
//   owner -- start_nftrace(sys, tx, owner, opts) --> scoped actor
//         -- armed_atom --> nft::commit_result (once the rule is in place)
//   trace monitor -- traced_atom, n --> scoped actor  (packet limit)
//   owner -- stop_atom --> removal, then exit
//
// Packets are counted by the trace monitor (`trace_options::traced_sink`
// with the scope's table in `grouping.hidden_tables`): one per packet the
// scope's chains marked, i.e. per hook (a ping to 127.0.0.1 is marked at
// output and again at prerouting). Counting lags the kernel by a batch,
// so a few packets beyond the limit may be traced; `scope.max_rate` bounds
// the rate in the kernel itself.
//
// With `scope.owned` (default) the table belongs to the transactor's
// socket: if the transactor dies, the kernel removes the table with it.
#pragma once

#include <chrono>
#include <cstdint>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "nfactor/actors/trace_types.hpp"
#include "nfactor/actors/transactor.hpp"
#include "nfactor/nft/nftrace.hpp"

namespace nfactor::actors {

/// The scoped nftrace actor's interface.
using nftrace_actor = caf::typed_actor<
    /// Replies once the tracing rule is committed (at once if it is).
    caf::replies_to<armed_atom>::with<nft::commit_result>,
    /// `n` more packets were marked (from a trace monitor).
    caf::reacts_to<traced_atom, std::uint64_t>,
    /// Removes the rule now, then stops.
    caf::reacts_to<stop_atom>>;

/// How long and how much to trace.
struct nftrace_options {
  /// What to trace and where the rules go (table, hooks, match, rate).
  nft::nftrace_scope scope;
  /// Removed after this long. Default 60 s; 0 means no time limit.
  std::chrono::milliseconds duration{60000};
  /// Removed once this many packets were marked (reported with
  /// `traced_atom`). Default 1000; 0 means no packet limit.
  std::uint64_t max_packets = 1000;
};

/// Spawns the scoped nftrace actor: it commits `opts.scope` through `tx`
/// at once and removes it as described above. Stops (removing the rule)
/// when `owner` goes down; a null owner: none.
[[nodiscard]] nftrace_actor start_nftrace(caf::actor_system& sys, transactor tx,
                                          caf::actor owner,
                                          nftrace_options opts = {});

} // namespace nfactor::actors
