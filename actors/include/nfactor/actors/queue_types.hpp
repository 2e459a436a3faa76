// SPDX-License-Identifier: Apache-2.0
// The queue listener's message types, their `inspect()` overloads and the
// type ID block `nfactor_queue` (800..899). libnfactor's NFQUEUE value
// types get their `inspect()` here, in their own namespace, so libnfactor
// stays free of CAF.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <caf/meta/type_name.hpp>
#include <caf/type_id.hpp>

#include "nfactor/actors/inspect.hpp"
#include "nfactor/actors/log_types.hpp" // inspect() of the shared NFLOG types
#include "nfactor/actors/sup/stats.hpp"
#include "nfactor/latency_histogram.hpp"
#include "nfactor/nfqueue/packet.hpp"
#include "nfactor/nfqueue/verdict.hpp"

namespace nfactor::actors {

/// Sent to the owner once the queue is bound and configured.
struct queue_started {
  std::uint16_t queue = 0;
  /// The listener socket's netlink port id (as /proc/net/netfilter/
  /// nfnetlink_queue shows it).
  std::uint32_t portid = 0;
  /// The receive buffer the kernel granted, in bytes.
  std::int32_t rcvbuf = 0;

  friend bool operator==(const queue_started&, const queue_started&) = default;
};

/// The packets of one socket wake-up, in id order: a request whose answer
/// (`queue_answer`) gives their verdicts and the listener its credit back.
struct queue_batch {
  std::uint16_t queue = 0;
  std::vector<nfqueue::queue_packet> packets;

  friend bool operator==(const queue_batch&, const queue_batch&) = default;
};

/// A verdict on one packet, named by its id.
struct packet_verdict {
  std::uint32_t id = 0;
  nfqueue::verdict verdict;

  friend bool operator==(const packet_verdict&,
                         const packet_verdict&) = default;
};

/// The owner's answer to a `queue_batch`.
///
/// `verdicts` name packets by id, in any order. `rest`, when set, is the
/// verdict on every packet of the batch that `verdicts` does not name: an
/// answer of only `rest` is one verdict for the whole batch, which the
/// listener sends as one NFQNL_MSG_VERDICT_BATCH when the kernel holds no
/// older packet of the queue (otherwise, and for verdicts a batch cannot
/// carry, one message per packet, all in one datagram). Packets named by
/// neither wait for a later `queue_verdicts` (or the verdict timeout).
struct queue_answer {
  std::vector<packet_verdict> verdicts;
  std::optional<nfqueue::verdict> rest;

  /// One verdict for every packet of the batch.
  static queue_answer all(nfqueue::verdict v) {
    queue_answer a;
    a.rest = std::move(v);
    return a;
  }
  /// No verdict yet: every packet waits for a `queue_verdicts`.
  static queue_answer later() { return {}; }

  friend bool operator==(const queue_answer&, const queue_answer&) = default;
};

/// Verdicts an owner sends on its own, after it answered the batch
/// (packets it deferred), in any order.
struct queue_verdicts {
  std::vector<packet_verdict> verdicts;

  friend bool operator==(const queue_verdicts&,
                         const queue_verdicts&) = default;
};

/// Packets were lost on their way to the listener, or dropped by a full
/// queue. The figures from /proc/net/netfilter/nfnetlink_queue are the
/// kernel's totals for this binding; the others count since the previous
/// report.
struct queue_loss {
  std::uint16_t queue = 0;
  /// Receive buffer overrun (ENOBUFS) episodes since the previous report.
  std::uint64_t overruns = 0;
  /// Packet ids skipped since the previous report: packets the kernel
  /// could not send to the socket (dropped, or accepted with fail-open).
  std::uint64_t id_gap = 0;
  /// Packets the kernel dropped because the queue was full (queue_dropped;
  /// with fail-open they were accepted instead and are not counted).
  std::uint64_t queue_dropped = 0;
  /// Packets the kernel could not send to the socket (user_dropped).
  std::uint64_t user_dropped = 0;
  /// Totals since the listener started.
  std::uint64_t total_overruns = 0;
  std::uint64_t total_id_gap = 0;

  friend bool operator==(const queue_loss&, const queue_loss&) = default;
};

/// The listener's counters (the reply to `stats_atom`).
///
/// `common`: received = packets read and decoded; delivered = packets the
/// owner answered; lost = packet ids skipped (id gaps) plus packets a full
/// queue dropped; enobufs = receive buffer overrun episodes; restarts,
/// uptime and rcvbuf as for every socket actor.
struct queue_stats {
  /// The counters every socket-owning actor reports.
  sup::stats common;
  std::uint16_t queue = 0;
  std::uint32_t portid = 0;
  /// Packets sent to the owner and not yet answered.
  std::uint64_t in_flight = 0;
  /// Packets waiting for a verdict (answered "later" or in flight).
  std::uint64_t pending = 0;
  /// Verdict messages sent, and batch verdicts among them.
  std::uint64_t verdicts = 0;
  std::uint64_t batch_verdicts = 0;
  /// Packets that got the default verdict because none came in time.
  std::uint64_t timed_out = 0;
  /// Verdicts for packets no longer waiting (already settled, unknown).
  std::uint64_t late_verdicts = 0;
  /// Verdicts the kernel refused.
  std::uint64_t verdict_errors = 0;
  /// Packet messages that failed to decode (given the default verdict).
  std::uint64_t decode_errors = 0;
  /// Batches sent to the owner.
  std::uint64_t messages = 0;
  /// The kernel's view (/proc/net/netfilter/nfnetlink_queue) when the
  /// stats were taken: packets it holds, and its drop counters.
  std::uint64_t queue_total = 0;
  std::uint64_t queue_dropped = 0;
  std::uint64_t user_dropped = 0;
  /// CPU time of the listener's thread, microseconds.
  std::int64_t cpu_us = 0;
  /// Per packet the owner decided (in an answer or a `queue_verdicts`):
  /// the time from the listener reading it off the socket to its verdict
  /// going out, which is the owner's round trip plus the wait for an
  /// earlier batch to be answered. Timed-out packets are not in it.
  latency_histogram verdict_latency;

  friend bool operator==(const queue_stats&, const queue_stats&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_started& x) {
  return f(caf::meta::type_name("nfactor::actors::queue_started"), x.queue,
           x.portid, x.rcvbuf);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_batch& x) {
  return f(caf::meta::type_name("nfactor::actors::queue_batch"), x.queue,
           x.packets);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, packet_verdict& x) {
  return f(caf::meta::type_name("nfactor::actors::packet_verdict"), x.id,
           x.verdict);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_answer& x) {
  return f(caf::meta::type_name("nfactor::actors::queue_answer"), x.verdicts,
           opt(x.rest));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_verdicts& x) {
  return f(caf::meta::type_name("nfactor::actors::queue_verdicts"), x.verdicts);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_loss& x) {
  return f(caf::meta::type_name("nfactor::actors::queue_loss"), x.queue,
           x.overruns, x.id_gap, x.queue_dropped, x.user_dropped,
           x.total_overruns, x.total_id_gap);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_stats& x) {
  return f(caf::meta::type_name("nfactor::actors::queue_stats"), x.common,
           x.queue, x.portid, x.in_flight, x.pending, x.verdicts,
           x.batch_verdicts, x.timed_out, x.late_verdicts, x.verdict_errors,
           x.decode_errors, x.messages, x.queue_total, x.queue_dropped,
           x.user_dropped, x.cpu_us, x.verdict_latency);
}

} // namespace nfactor::actors

namespace nfactor {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, latency_histogram& x) {
  return f(caf::meta::type_name("nfactor::latency_histogram"), x.counts);
}

} // namespace nfactor

namespace nfactor::nfqueue {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_packet& x) {
  using actors::opt;
  return f(caf::meta::type_name("nfactor::nfqueue::queue_packet"), x.family,
           x.queue, x.id, x.hw_protocol, x.hook, opt(x.mark), opt(x.priority),
           opt(x.timestamp), opt(x.indev), opt(x.outdev), opt(x.physindev),
           opt(x.physoutdev), opt(x.indev_name), opt(x.outdev_name),
           opt(x.physindev_name), opt(x.physoutdev_name), opt(x.hwaddr),
           opt(x.payload), opt(x.uid), opt(x.gid), opt(x.secctx), opt(x.ct),
           opt(x.conntrack), opt(x.ctinfo), opt(x.exp), opt(x.cap_len),
           opt(x.skb_info), opt(x.vlan), opt(x.l2hdr));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, verdict& x) {
  using actors::opt;
  return f(caf::meta::type_name("nfactor::nfqueue::verdict"), x.kind,
           x.target_queue, x.queue_bypass, opt(x.mark), opt(x.priority),
           opt(x.connmark), opt(x.labels), opt(x.labels_mask), opt(x.payload));
}

} // namespace nfactor::nfqueue

CAF_BEGIN_TYPE_ID_BLOCK(nfactor_queue, 800)
CAF_ADD_TYPE_ID(nfactor_queue, (nfactor::nfqueue::queue_packet))
CAF_ADD_TYPE_ID(nfactor_queue, (nfactor::nfqueue::verdict))
CAF_ADD_TYPE_ID(nfactor_queue, (nfactor::actors::queue_started))
CAF_ADD_TYPE_ID(nfactor_queue, (nfactor::actors::queue_batch))
CAF_ADD_TYPE_ID(nfactor_queue, (nfactor::actors::packet_verdict))
CAF_ADD_TYPE_ID(nfactor_queue, (nfactor::actors::queue_answer))
CAF_ADD_TYPE_ID(nfactor_queue, (nfactor::actors::queue_verdicts))
CAF_ADD_TYPE_ID(nfactor_queue, (nfactor::actors::queue_loss))
CAF_ADD_TYPE_ID(nfactor_queue, (nfactor::actors::queue_stats))
CAF_END_TYPE_ID_BLOCK(nfactor_queue)

// The listener's self-sent wake-up (internal; not in the owners' view).
CAF_ADD_ATOM(nfactor_queue, nfactor::actors, queue_tick_atom, "qtick")
