// SPDX-License-Identifier: Apache-2.0
// Message types of the nf_tables monitor (type ID block `nfactor_nft`,
// 400..499) and their `inspect()` overloads. Transactions and snapshots
// cross CAF nodes in their netlink wire form (nft::encode_changes), so the
// inspectors stay small and every expression kind travels unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>
#include <caf/type_id.hpp>

#include "nfactor/actors/inspect.hpp"
#include "nfactor/actors/sup/stats.hpp"
#include "nfactor/actors/type_ids.hpp"
#include "nfactor/nft/event.hpp"
#include "nfactor/nft/snapshot.hpp"

namespace nfactor::actors {

/// Sent to the monitor's owner when the kernel dropped notifications
/// (ENOBUFS): the owner's view may be stale and needs a new snapshot
/// (or gets one, with `auto_resync`).
struct resync_needed {
  /// Overflow episodes so far (ENOBUFS is reported once per episode).
  std::uint64_t overruns = 0;
  /// The last generation delivered before the loss.
  std::uint32_t last_gen = 0;
  /// Changes of the unfinished commit that were dropped.
  std::uint64_t dropped_pending = 0;
  friend bool operator==(const resync_needed&, const resync_needed&) = default;
};

/// The flat per-event form of one commit (sent when asked for).
struct flat_batch {
  std::vector<nft::flat_event> events;
};

/// Counters of a monitor: the record every socket actor reports, plus the
/// monitor's own.
struct monitor_stats {
  /// received: notifications read; delivered: changes sent to the owner;
  /// lost: at least one per ENOBUFS episode plus the changes of the
  /// unfinished commit dropped with it; enobufs: overflow episodes;
  /// rcvbuf: the receive buffer the kernel granted.
  sup::stats common;
  std::uint64_t datagrams = 0;
  /// Commits delivered (their last part).
  std::uint64_t transactions = 0;
  /// Parts of large commits delivered before their last one.
  std::uint64_t parts = 0;
  /// Changes delivered.
  std::uint64_t changes = 0;
  /// Commits dropped because their gen_id was <= min_gen.
  std::uint64_t skipped = 0;
  std::uint64_t decode_errors = 0;
  /// Snapshots sent after a loss (auto_resync).
  std::uint64_t resyncs = 0;
  /// Transactions and parts sent to the owner but not yet acknowledged.
  std::uint32_t in_flight = 0;
  /// Times reading stopped because `max_in_flight` were unacknowledged.
  std::uint64_t stalls = 0;
  std::uint32_t last_gen = 0;
  std::uint32_t min_gen = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, resync_needed& x) {
  return f(caf::meta::type_name("nfactor::actors::resync_needed"), x.overruns,
           x.last_gen, x.dropped_pending);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, monitor_stats& x) {
  return f(caf::meta::type_name("nfactor::actors::monitor_stats"), x.common,
           x.datagrams, x.transactions, x.parts, x.changes, x.skipped,
           x.decode_errors, x.resyncs, x.in_flight, x.stalls, x.last_gen,
           x.min_gen);
}

namespace detail {

/// Turns a decoding failure into the error a load callback returns.
inline caf::error wire_error(const nfactor::error& e) {
  return caf::make_error(caf::sec::invalid_argument, e.message());
}

} // namespace detail

} // namespace nfactor::actors

namespace nfactor::nft {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, transaction& x) {
  std::vector<std::uint8_t> wire;
  if constexpr (Inspector::reads_state)
    encode_changes(wire, x.changes);
  auto load = caf::meta::load_callback([&]() -> caf::error {
    auto c = decode_changes(wire);
    if (!c)
      return actors::detail::wire_error(c.err());
    x.changes = std::move(*c);
    return caf::none;
  });
  return f(caf::meta::type_name("nfactor::nft::transaction"), x.gen_id,
           actors::opt(x.proc_pid), actors::opt(x.proc_name), x.partial, wire,
           load);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ruleset& x) {
  std::vector<std::uint8_t> wire;
  if constexpr (Inspector::reads_state)
    encode_changes(wire, x.as_changes());
  auto load = caf::meta::load_callback([&]() -> caf::error {
    auto c = decode_changes(wire);
    if (!c)
      return actors::detail::wire_error(c.err());
    auto attempts = x.attempts;
    auto origins = std::move(x.origins);
    x = from_changes(x.gen_id, std::move(*c));
    x.attempts = attempts;
    x.origins = std::move(origins);
    return caf::none;
  });
  auto& o = x.origins;
  return f(caf::meta::type_name("nfactor::nft::ruleset"), x.gen_id, x.attempts,
           o.tables, o.chains, o.rules, o.sets, o.objects, wire, load);
}

} // namespace nfactor::nft

namespace nfactor::actors {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, flat_batch& x) {
  // One transaction per batch: provenance once, changes in wire form.
  nft::transaction t;
  if constexpr (Inspector::reads_state) {
    if (!x.events.empty()) {
      t.gen_id = x.events.front().gen_id;
      t.proc_pid = x.events.front().proc_pid;
      t.proc_name = x.events.front().proc_name;
    }
    for (const auto& e : x.events)
      t.changes.push_back(e.change);
  }
  auto load = caf::meta::load_callback([&]() -> caf::error {
    x.events = nft::flatten(t);
    return caf::none;
  });
  return f(caf::meta::type_name("nfactor::actors::flat_batch"), t, load);
}

} // namespace nfactor::actors

CAF_BEGIN_TYPE_ID_BLOCK(nfactor_nft, 400)
CAF_ADD_TYPE_ID(nfactor_nft, (nfactor::nft::transaction))
CAF_ADD_TYPE_ID(nfactor_nft, (nfactor::nft::ruleset))
CAF_ADD_TYPE_ID(nfactor_nft, (nfactor::actors::resync_needed))
CAF_ADD_TYPE_ID(nfactor_nft, (nfactor::actors::flat_batch))
CAF_ADD_TYPE_ID(nfactor_nft, (nfactor::actors::monitor_stats))
CAF_END_TYPE_ID_BLOCK(nfactor_nft)

CAF_ADD_ATOM(nfactor_nft, nfactor::actors, set_min_gen_atom, "setmingen")
CAF_ADD_ATOM(nfactor_nft, nfactor::actors, pull_atom, "pull")
CAF_ADD_ATOM(nfactor_nft, nfactor::actors, monitor_tick_atom, "montick")
