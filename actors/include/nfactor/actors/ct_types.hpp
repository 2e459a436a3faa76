// SPDX-License-Identifier: Apache-2.0
// The conntrack actors' message types, their `inspect()` overloads and the
// type ID block `nfactor_ct` (900..999). libnfactor's conntrack value
// types get theirs in ct_values.hpp.
#pragma once

#include <cstdint>
#include <vector>

#include <caf/meta/type_name.hpp>
#include <caf/type_id.hpp>

#include "nfactor/actors/ct_values.hpp"
#include "nfactor/actors/inspect.hpp"
#include "nfactor/actors/sup/stats.hpp"
#include "nfactor/ct/events.hpp"
#include "nfactor/ct/expect.hpp"
#include "nfactor/ct/message.hpp"

namespace nfactor::actors {

/// Sent to the owner once the monitor has joined its event groups (and
/// before its first snapshot, if it takes one).
struct ct_started {
  /// The event socket's netlink port id.
  std::uint32_t portid = 0;
  /// The receive buffer the kernel granted, in bytes.
  std::int32_t rcvbuf = 0;
  /// The NFNLGRP_CONNTRACK_* groups joined.
  std::vector<std::uint32_t> groups;

  friend bool operator==(const ct_started&, const ct_started&) = default;
};

/// The events of one socket wake-up, in kernel order. The owner's handler
/// returning is the acknowledgement that gives the monitor its credits
/// back.
struct ct_batch {
  std::vector<ct::event> events;

  friend bool operator==(const ct_batch&, const ct_batch&) = default;
};

/// The expectation events of one socket wake-up, in kernel order (with
/// the expectation groups joined: `conntrack_monitor_options::groups`).
/// Acknowledged like a `ct_batch`.
struct ct_exp_batch {
  std::vector<ct::exp_event> events;

  friend bool operator==(const ct_exp_batch&, const ct_exp_batch&) = default;
};

/// The whole table (as the dump filter selects it), taken after the event
/// groups were joined: the owner replaces what it knows with it, then
/// applies the batches that follow (see conntrack.hpp for why nothing is
/// lost or counted twice). Acknowledged like a batch.
struct ct_snapshot {
  /// 1 for the first snapshot, +1 for each resynchronisation.
  std::uint64_t generation = 0;
  std::vector<ct::event> entries;

  friend bool operator==(const ct_snapshot&, const ct_snapshot&) = default;
};

/// Events were lost between the kernel and the monitor: the receive
/// buffer overflowed (ENOBUFS), or the kernel's drop counter for the event
/// socket moved (it drops silently while the buffer stays congested). The
/// monitor keeps listening; with `auto_resync` a fresh `ct_snapshot`
/// follows.
struct ct_resync_needed {
  /// ENOBUFS episodes since the previous report. May be 0: the drop
  /// counter can notice a loss before its ENOBUFS is read.
  std::uint64_t overruns = 0;
  /// Whether a snapshot follows (the monitor's `auto_resync` option).
  bool snapshot_follows = false;
  /// Events the kernel dropped since the previous report (the event
  /// socket's SO_MEMINFO drop counter: ctnetlink sends one event per
  /// message); 0 if unknown (the kernel offers no counter, or reliable
  /// mode).
  std::uint64_t dropped = 0;

  friend bool operator==(const ct_resync_needed&,
                         const ct_resync_needed&) = default;
};

/// Counters of a conntrack monitor.
struct ct_monitor_stats {
  /// What every socket actor reports (received, delivered, lost, enobufs,
  /// restarts, uptime, rcvbuf, foreign).
  sup::stats common;
  std::uint32_t portid = 0;
  /// Events read but not yet acknowledged by the owner.
  std::uint64_t in_flight = 0;
  /// Snapshots delivered (initial and resynchronisations).
  std::uint64_t snapshots = 0;
  /// NEW events dropped because the snapshot already listed their entry.
  std::uint64_t duplicates = 0;
  /// Messages that failed to decode and were skipped.
  std::uint64_t decode_errors = 0;
  /// Datagrams read.
  std::uint64_t datagrams = 0;
  /// Events the kernel dropped (the sum of `ct_resync_needed::dropped`).
  std::uint64_t dropped = 0;
  /// `ct_resync_needed` notices sent.
  std::uint64_t resyncs = 0;

  friend bool operator==(const ct_monitor_stats&,
                         const ct_monitor_stats&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ct_started& x) {
  return f(caf::meta::type_name("nfactor::actors::ct_started"), x.portid,
           x.rcvbuf, x.groups);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ct_batch& x) {
  return f(caf::meta::type_name("nfactor::actors::ct_batch"), x.events);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ct_exp_batch& x) {
  return f(caf::meta::type_name("nfactor::actors::ct_exp_batch"), x.events);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ct_snapshot& x) {
  return f(caf::meta::type_name("nfactor::actors::ct_snapshot"), x.generation,
           x.entries);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ct_resync_needed& x) {
  return f(caf::meta::type_name("nfactor::actors::ct_resync_needed"),
           x.overruns, x.snapshot_follows, x.dropped);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ct_monitor_stats& x) {
  return f(caf::meta::type_name("nfactor::actors::ct_monitor_stats"), x.common,
           x.portid, x.in_flight, x.snapshots, x.duplicates, x.decode_errors,
           x.datagrams, x.dropped, x.resyncs);
}

} // namespace nfactor::actors

namespace nfactor::ct {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event& x) {
  return f(caf::meta::type_name("nfactor::ct::event"),
           actors::as_number(x.kind), x.family, x.ct);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, exp_event& x) {
  return f(caf::meta::type_name("nfactor::ct::exp_event"),
           actors::as_number(x.kind), x.family, x.exp);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, filter& x) {
  using actors::opt;
  return f(caf::meta::type_name("nfactor::ct::filter"), x.family, opt(x.mark),
           opt(x.mark_mask), opt(x.status), opt(x.status_mask), opt(x.zone),
           opt(x.orig), opt(x.reply));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cpu_stats& x) {
  return f(caf::meta::type_name("nfactor::ct::cpu_stats"), x.cpu, x.found,
           x.invalid, x.insert, x.insert_failed, x.drop, x.early_drop, x.error,
           x.search_restart, x.clash_resolve, x.chain_toolong);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, global_stats& x) {
  return f(caf::meta::type_name("nfactor::ct::global_stats"), x.entries,
           x.max_entries);
}

} // namespace nfactor::ct

CAF_BEGIN_TYPE_ID_BLOCK(nfactor_ct, 900)
CAF_ADD_TYPE_ID(nfactor_ct, (nfactor::ct::entry))
CAF_ADD_TYPE_ID(nfactor_ct, (nfactor::ct::tuple))
CAF_ADD_TYPE_ID(nfactor_ct, (nfactor::ct::event))
CAF_ADD_TYPE_ID(nfactor_ct, (std::vector<nfactor::ct::event>))
CAF_ADD_TYPE_ID(nfactor_ct, (nfactor::ct::filter))
CAF_ADD_TYPE_ID(nfactor_ct, (nfactor::ct::cpu_stats))
CAF_ADD_TYPE_ID(nfactor_ct, (std::vector<nfactor::ct::cpu_stats>))
CAF_ADD_TYPE_ID(nfactor_ct, (nfactor::ct::global_stats))
CAF_ADD_TYPE_ID(nfactor_ct, (nfactor::actors::ct_started))
CAF_ADD_TYPE_ID(nfactor_ct, (nfactor::actors::ct_batch))
CAF_ADD_TYPE_ID(nfactor_ct, (nfactor::actors::ct_snapshot))
CAF_ADD_TYPE_ID(nfactor_ct, (nfactor::actors::ct_resync_needed))
CAF_ADD_TYPE_ID(nfactor_ct, (nfactor::actors::ct_monitor_stats))
CAF_ADD_TYPE_ID(nfactor_ct, (nfactor::ct::expectation))
CAF_ADD_TYPE_ID(nfactor_ct, (nfactor::ct::exp_event))
CAF_ADD_TYPE_ID(nfactor_ct, (std::vector<nfactor::ct::exp_event>))
CAF_ADD_TYPE_ID(nfactor_ct, (nfactor::actors::ct_exp_batch))
CAF_END_TYPE_ID_BLOCK(nfactor_ct)

CAF_ADD_ATOM(nfactor_ct, nfactor::actors, ct_dump_atom, "ctdump")
CAF_ADD_ATOM(nfactor_ct, nfactor::actors, ct_get_atom, "ctget")
CAF_ADD_ATOM(nfactor_ct, nfactor::actors, ct_create_atom, "ctcreate")
CAF_ADD_ATOM(nfactor_ct, nfactor::actors, ct_update_atom, "ctupdate")
CAF_ADD_ATOM(nfactor_ct, nfactor::actors, ct_delete_atom, "ctdelete")
CAF_ADD_ATOM(nfactor_ct, nfactor::actors, ct_flush_atom, "ctflush")
CAF_ADD_ATOM(nfactor_ct, nfactor::actors, ct_count_atom, "ctcount")
CAF_ADD_ATOM(nfactor_ct, nfactor::actors, ct_cpu_atom, "ctcpu")
CAF_ADD_ATOM(nfactor_ct, nfactor::actors, ct_resync_atom, "ctresync")
CAF_ADD_ATOM(nfactor_ct, nfactor::actors, ct_exp_dump_atom, "ctexpdump")
CAF_ADD_ATOM(nfactor_ct, nfactor::actors, ct_exp_delete_atom, "ctexpdel")
CAF_ADD_ATOM(nfactor_ct, nfactor::actors, ct_exp_flush_atom, "ctexpflush")
