// SPDX-License-Identifier: Apache-2.0
// The queue listener actor: one NFQUEUE queue as batches of packets for an
// owner, and the owner's verdicts back to the kernel.
//
//   owner  <-- queue_started, queue_batch (request), queue_loss -- listener
//   owner  -- queue_answer (the reply), queue_verdicts ----------> listener
//   owner  -- stats_atom -> queue_stats, stop_atom -> () -------> listener
//
// The listener owns one netlink socket on its own thread (spawned
// detached): it polls the socket and a wake-up eventfd (every message from
// someone else wakes it, so answers and control messages never wait), reads
// what is queued and sends the owner one `queue_batch` per wake-up (while
// the owner is busy with one batch, the next collects up to `max_batch`).
// The owner answers with a verdict per packet id, in any order, or one
// verdict for the whole batch (sent as one NFQNL_MSG_VERDICT_BATCH when
// the kernel holds no older packet), or defers packets and sends their
// verdicts later in `queue_verdicts`. Verdicts of one answer go to the
// kernel in one datagram.
//
// Backpressure: at most `max_in_flight` packets are sent and unanswered;
// then the listener stops reading, the kernel's queue fills up to
// `max_queue_len` and drops (or, with fail-open, accepts) new packets. A
// receive buffer overrun, a gap in the packet ids and the kernel's drop
// counters (/proc/net/netfilter/nfnetlink_queue) reach the owner as a
// `queue_loss`.
//
// Never a stuck queue: a packet that gets no verdict within
// `verdict_timeout` gets `default_verdict`; when the owner goes down, on
// `stop_atom`, and when the listener exits for any reason (a supervisor
// then restarts it), every packet it read gets `default_verdict` (one
// batch verdict) before the queue is unbound, so the kernel holds none.
//
// Built on the socket-actor core (socket_actor.hpp): the thread, the
// wake-up, the tick, owner monitoring and failures are the core's; this
// file adds the queue protocol. It keeps its own in-flight count because
// the owner's answer carries verdicts (the core's `deliver()` only counts
// credits).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "nfactor/actors/queue_types.hpp"
#include "nfactor/actors/sup/supervisor.hpp"
#include "nfactor/actors/type_ids.hpp"
#include "nfactor/nfqueue/config.hpp"
#include "nfactor/nfqueue/verdict.hpp"

namespace nfactor::actors {

/// What an owner of a queue must handle.
using queue_owner =
    caf::typed_actor<caf::reacts_to<queue_started>,
                     caf::replies_to<queue_batch>::with<queue_answer>,
                     caf::reacts_to<queue_loss>>;

/// The listener as its owner (and anyone else) sees it.
using queue_listener =
    caf::typed_actor<caf::replies_to<stats_atom>::with<queue_stats>,
                     caf::reacts_to<queue_verdicts>, caf::reacts_to<stop_atom>>;

/// The listener's full interface, including its self-sent tick.
using queue_listener_impl =
    queue_listener::extend<caf::reacts_to<queue_tick_atom>>;

static_assert(std::is_convertible_v<queue_listener_impl, queue_listener>,
              "owners get the narrow view of the listener");

/// Options of the listener actor: the NFQUEUE options plus delivery and
/// verdict bounds.
struct queue_listener_options {
  /// Queue number, namespace, copy mode, queue length, flags, rcvbuf.
  nfqueue::options queue;
  /// Most packets per `queue_batch`. Default 256: one message per wake-up
  /// under load, short handlers for the owner.
  std::size_t max_batch = 256;
  /// Most packets sent to the owner and not yet answered before the
  /// listener stops reading. Default 4096; at most `queue.max_queue_len`
  /// (the kernel holds every one of them).
  std::size_t max_in_flight = 4096;
  /// Most datagrams (one packet each) read per wake-up. Default 256.
  std::size_t max_datagrams = 256;
  /// How long a packet may wait for its verdict once read; then it gets
  /// `default_verdict`. Default 1 s; 0 waits for ever (not recommended:
  /// an owner that forgets a packet then holds it until it stops).
  std::chrono::milliseconds verdict_timeout{1000};
  /// The verdict for packets whose verdict did not come in time, that
  /// failed to decode, or that the listener still holds when it stops or
  /// its owner goes down. Default drop (fail closed, like the kernel with
  /// `fail_open` off); use `nfqueue::verdict::accept()` to fail open.
  /// Must be `batchable()` (no connmark, labels or payload).
  nfqueue::verdict default_verdict = nfqueue::verdict::drop();
  /// Send an answer of one verdict for a whole batch as one batch verdict
  /// where the kernel allows it. Default on; off sends one message per
  /// packet (for comparison).
  bool batch_verdicts = true;
  /// How often a supervisor restarted this listener (its
  /// `start_context`'s `restarts`), reported in `queue_stats::common`.
  std::uint32_t restarts = 0;

  /// Success, or the first option out of range.
  [[nodiscard]] result<void> validate() const;
};

/// Spawns a listener (detached) for `owner`. Invalid options give the
/// error at once; a failure to open or bind (`errc::busy`: another socket
/// holds the queue, naming its port id) ends the listener with that error
/// as its exit reason.
[[nodiscard]] caf::expected<queue_listener>
spawn_queue_listener(caf::actor_system& sys, queue_owner owner,
                     queue_listener_options opts);

/// Spawns a listener and waits until its queue is bound (or it failed,
/// returning the failure). For programs and tests that start listeners
/// from outside an actor.
[[nodiscard]] caf::expected<queue_listener>
start_queue_listener(caf::actor_system& sys, queue_owner owner,
                     queue_listener_options opts);

/// A supervisor's child spec for a queue listener of `owner` with `opts`:
/// every restart spawns a new listener (new socket, queue bound again)
/// and counts in its stats.
[[nodiscard]] sup::child_spec
queue_listener_child(std::string name, queue_owner owner,
                     queue_listener_options opts,
                     sup::restart_type restart = sup::restart_type::transient);

} // namespace nfactor::actors
