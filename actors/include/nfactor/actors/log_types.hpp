// SPDX-License-Identifier: Apache-2.0
// The log listener's message types, their `inspect()` overloads and the
// type ID block `nfactor_log` (300..399). libnfactor's NFLOG value types
// get their `inspect()` here, in their own namespace, so libnfactor stays
// free of CAF.
#pragma once

#include <cstdint>
#include <vector>

#include <caf/meta/type_name.hpp>
#include <caf/type_id.hpp>

#include "nfactor/actors/ct_values.hpp"
#include "nfactor/actors/inspect.hpp"
#include "nfactor/actors/sup/stats.hpp"
#include "nfactor/nflog/event.hpp"

namespace nfactor::actors {

/// Sent to the owner once the group is bound and configured.
struct log_started {
  std::uint16_t group = 0;
  /// The listener socket's netlink port id (as /proc/net/netfilter/
  /// nfnetlink_log shows it).
  std::uint32_t portid = 0;
  /// The receive buffer the kernel granted, in bytes.
  std::int32_t rcvbuf = 0;

  friend bool operator==(const log_started&, const log_started&) = default;
};

/// The events of one socket wake-up, in kernel order. The owner's reply
/// (returning from its handler) gives the listener its credit back.
struct log_batch {
  std::uint16_t group = 0;
  std::vector<nflog::log_event> events;

  friend bool operator==(const log_batch&, const log_batch&) = default;
};

/// The events of one socket wake-up undecoded, as the kernel sent them
/// (nflog/packed.hpp, interface names included), for an owner
/// that forwards them (a node); `nflog::unpack_events` decodes them.
/// Acknowledged like a `log_batch`.
struct log_packed_batch {
  std::uint16_t group = 0;
  /// Events in `bytes`.
  std::uint32_t events = 0;
  byte_buffer bytes;

  friend bool operator==(const log_packed_batch&,
                         const log_packed_batch&) = default;
};

/// Events were lost between the kernel and the listener (the receive
/// buffer overflowed: ENOBUFS). The listener keeps reading; the owner may
/// resynchronise whatever state it derives from the events.
struct log_loss {
  std::uint16_t group = 0;
  /// ENOBUFS episodes since the previous report.
  std::uint64_t overruns = 0;
  /// Events lost since the previous report, from sequence-number gaps.
  std::uint64_t lost = 0;
  /// True when `lost` is exact (the seq flag is on); otherwise only
  /// `overruns` says that something was lost.
  bool exact = false;
  /// Totals since the listener started.
  std::uint64_t total_overruns = 0;
  std::uint64_t total_lost = 0;
  /// True when an overrun's drops are not in `lost` yet: the kernel's
  /// sequence numbers show them at the first event queued after the drops,
  /// and none has been read since. A later report (with `overruns` 0 when
  /// nothing else overflowed) counts them.
  bool uncounted = false;

  friend bool operator==(const log_loss&, const log_loss&) = default;
};

/// The listener's counters (the reply to `stats_atom`).
///
/// `common` is the record every socket actor reports (issue 7): received =
/// events read and decoded; delivered = events the owner acknowledged (its
/// handler returned); lost = events lost, from sequence gaps (exact with the
/// seq flag); enobufs = receive buffer overrun episodes; restarts = the
/// incarnation's `log_listener_options::restarts`; uptime = time since the
/// group was bound; rcvbuf = receive buffer granted by the kernel.
struct log_stats {
  /// The counters every socket-owning actor reports.
  sup::stats common;
  std::uint16_t group = 0;
  std::uint32_t portid = 0;
  /// Events read but not yet acknowledged by the owner (sent, or held
  /// back while the owner is busy with the previous batch).
  std::uint64_t in_flight = 0;
  /// Events the `filter` dropped.
  std::uint64_t filtered = 0;
  /// Messages that failed to decode and were skipped.
  std::uint64_t decode_errors = 0;
  /// Datagrams read.
  std::uint64_t datagrams = 0;
  /// Batches (or, per-event owners, events) sent to the owner.
  std::uint64_t messages = 0;
  /// CPU time of the listener's thread, microseconds.
  std::int64_t cpu_us = 0;

  friend bool operator==(const log_stats&, const log_stats&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, log_started& x) {
  return f(caf::meta::type_name("nfactor::actors::log_started"), x.group,
           x.portid, x.rcvbuf);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, log_batch& x) {
  return f(caf::meta::type_name("nfactor::actors::log_batch"), x.group,
           x.events);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, log_packed_batch& x) {
  return f(caf::meta::type_name("nfactor::actors::log_packed_batch"), x.group,
           x.events, x.bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, log_loss& x) {
  return f(caf::meta::type_name("nfactor::actors::log_loss"), x.group,
           x.overruns, x.lost, x.exact, x.total_overruns, x.total_lost,
           x.uncounted);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, log_stats& x) {
  return f(caf::meta::type_name("nfactor::actors::log_stats"), x.common,
           x.group, x.portid, x.in_flight, x.filtered, x.decode_errors,
           x.datagrams, x.messages, x.cpu_us);
}

} // namespace nfactor::actors

namespace nfactor::nflog {

/// Inspected as bytes; loading makes a block of its own.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shared_bytes& x) {
  byte_buffer bytes = x.to_buffer();
  auto restore = caf::meta::load_callback([&]() -> caf::error {
    x = shared_bytes{bytes};
    return caf::none;
  });
  return f(bytes, restore);
}

// ip_address, ct_tuple and conntrack are ct:: types: ct_values.hpp.

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, timestamp& x) {
  return f(caf::meta::type_name("nfactor::nflog::timestamp"), x.sec, x.usec);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hw_address& x) {
  return f(caf::meta::type_name("nfactor::nflog::hw_address"), x.len, x.bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, vlan_tag& x) {
  return f(caf::meta::type_name("nfactor::nflog::vlan_tag"), x.proto, x.tci);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, log_event& x) {
  using actors::opt;
  return f(caf::meta::type_name("nfactor::nflog::log_event"), x.family, x.group,
           opt(x.hw_protocol), opt(x.hook), opt(x.mark), opt(x.timestamp),
           opt(x.indev), opt(x.outdev), opt(x.physindev), opt(x.physoutdev),
           opt(x.indev_name), opt(x.outdev_name), opt(x.physindev_name),
           opt(x.physoutdev_name), opt(x.hwaddr), opt(x.payload), opt(x.prefix),
           opt(x.uid), opt(x.gid), opt(x.seq), opt(x.seq_global), opt(x.hwtype),
           opt(x.hwlen), opt(x.hwheader), opt(x.ct), opt(x.conntrack),
           opt(x.ctinfo), opt(x.vlan), opt(x.l2hdr));
}

} // namespace nfactor::nflog

CAF_BEGIN_TYPE_ID_BLOCK(nfactor_log, 300)
CAF_ADD_TYPE_ID(nfactor_log, (nfactor::nflog::log_event))
CAF_ADD_TYPE_ID(nfactor_log, (nfactor::actors::log_started))
CAF_ADD_TYPE_ID(nfactor_log, (nfactor::actors::log_batch))
CAF_ADD_TYPE_ID(nfactor_log, (nfactor::actors::log_loss))
CAF_ADD_TYPE_ID(nfactor_log, (nfactor::actors::log_stats))
CAF_ADD_TYPE_ID(nfactor_log, (nfactor::actors::log_packed_batch))
CAF_END_TYPE_ID_BLOCK(nfactor_log)

// The listener's self-sent wake-up (internal; not in the owners' view).
CAF_ADD_ATOM(nfactor_log, nfactor::actors, log_tick_atom, "logtick")
