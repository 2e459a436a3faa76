// SPDX-License-Identifier: Apache-2.0
// Message types of the trace monitor (type ID block `nfactor_trace`,
// 1000..1099) and their `inspect()` overloads. A trace event crosses CAF
// nodes in its netlink wire form (nft::append / nft::decode_trace), like
// the monitor's transactions, so every attribute travels unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>
#include <caf/type_id.hpp>

#include <linux/netfilter/nf_tables.h>

#include "nfactor/actors/inspect.hpp"
#include "nfactor/actors/nft_types.hpp"
#include "nfactor/actors/sup/stats.hpp"
#include "nfactor/nft/packet_trace.hpp"

namespace nfactor::actors {

/// Packet traces closed since the last batch, in the order they closed
/// (one message per wake-up of the trace monitor).
struct trace_batch {
  std::vector<nft::packet_trace> traces;
  friend bool operator==(const trace_batch&, const trace_batch&) = default;
};

/// Sent to the trace monitor's owner when trace events were lost: the
/// kernel dropped some (ENOBUFS, the owner lagging or a burst), or the
/// ruleset stream lost commits (rules may be named from a stale ruleset
/// until the new snapshot, taken at once, arrives).
struct trace_loss {
  /// Overflow episodes so far (ENOBUFS is reported once per episode).
  std::uint64_t overruns = 0;
  /// Open traces closed with `trace_end::lost` because of it.
  std::uint64_t cut_traces = 0;
  friend bool operator==(const trace_loss&, const trace_loss&) = default;
};

/// Counters of a trace monitor: the record every socket actor reports,
/// plus its own.
struct trace_stats {
  /// received: trace events read; delivered: packet traces sent; lost: at
  /// least one per ENOBUFS episode; enobufs: overflow episodes.
  sup::stats common;
  /// Packet traces by how they ended.
  std::uint64_t by_verdict = 0;
  std::uint64_t timed_out = 0;
  std::uint64_t cut = 0;
  /// Events of hidden tables (the scoped nftrace table) dropped.
  std::uint64_t hidden = 0;
  /// Rule steps whose rule was named, and those that were not.
  std::uint64_t resolved = 0;
  std::uint64_t unresolved = 0;
  /// Commits applied to the monitor's ruleset after its snapshot.
  std::uint64_t commits = 0;
  /// Snapshots taken (the first, and one after each loss).
  std::uint64_t snapshots = 0;
  std::uint64_t decode_errors = 0;
  /// Batches sent but not yet acknowledged by the owner.
  std::uint32_t in_flight = 0;
  /// Times reading stopped because `max_in_flight` were unacknowledged.
  std::uint64_t stalls = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trace_batch& x) {
  return f(caf::meta::type_name("nfactor::actors::trace_batch"), x.traces);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trace_loss& x) {
  return f(caf::meta::type_name("nfactor::actors::trace_loss"), x.overruns,
           x.cut_traces);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trace_stats& x) {
  return f(caf::meta::type_name("nfactor::actors::trace_stats"), x.common,
           x.by_verdict, x.timed_out, x.cut, x.hidden, x.resolved, x.unresolved,
           x.commits, x.snapshots, x.decode_errors, x.in_flight, x.stalls);
}

} // namespace nfactor::actors

namespace nfactor::nft {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trace_step& x) {
  std::vector<std::uint8_t> wire;
  if constexpr (Inspector::reads_state)
    append(wire, NFT_MSG_TRACE, 0, 0, x.event);
  auto load = caf::meta::load_callback([&]() -> caf::error {
    nl::message_reader rd{wire};
    if (!rd.next())
      return caf::make_error(caf::sec::invalid_argument, "empty trace event");
    auto e = decode_trace(rd.get());
    if (!e)
      return actors::detail::wire_error(e.err());
    x.event = std::move(*e);
    return caf::none;
  });
  return f(caf::meta::type_name("nfactor::nft::trace_step"), wire,
           actors::opt(x.rule), load);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, packet_trace& x) {
  return f(caf::meta::type_name("nfactor::nft::packet_trace"), x.id, x.steps,
           actors::as_number(x.end, trace_end::stopped, "bad trace end"));
}

} // namespace nfactor::nft

CAF_BEGIN_TYPE_ID_BLOCK(nfactor_trace, 1000)
CAF_ADD_TYPE_ID(nfactor_trace, (nfactor::nft::packet_trace))
CAF_ADD_TYPE_ID(nfactor_trace, (nfactor::actors::trace_batch))
CAF_ADD_TYPE_ID(nfactor_trace, (nfactor::actors::trace_loss))
CAF_ADD_TYPE_ID(nfactor_trace, (nfactor::actors::trace_stats))
CAF_END_TYPE_ID_BLOCK(nfactor_trace)

CAF_ADD_ATOM(nfactor_trace, nfactor::actors, trace_tick_atom, "trctick")
CAF_ADD_ATOM(nfactor_trace, nfactor::actors, traced_atom, "traced")
CAF_ADD_ATOM(nfactor_trace, nfactor::actors, untrace_atom, "untrace")
CAF_ADD_ATOM(nfactor_trace, nfactor::actors, armed_atom, "armed")
