// SPDX-License-Identifier: Apache-2.0
// The log listener actor: one NFLOG group as a stream of typed events.
//
//   owner  <-- log_started, log_batch | log_event, log_loss --  listener
//   owner  -- stats_atom -> log_stats, stop_atom -> () -->      listener
//
// The listener owns one netlink socket on its own thread (spawned
// detached): it polls the socket and an eventfd (written for every
// incoming message, so control messages never wait), reads everything
// available per wake-up and sends the owner one `log_batch` (or, for
// per-event owners, one `log_event` per event). Each batch/event is a
// request; the owner's handler returning is the acknowledgement. While the
// owner is still busy with a batch, new events are collected into the next
// one (up to `max_batch`), so a busy owner gets fewer, larger messages. Once
// `max_in_flight` events are unacknowledged the listener stops reading:
// the kernel drops, reports ENOBUFS, and the owner gets a `log_loss`
// (with the exact count when the seq flag is on). Memory stays bounded and
// loss is never silent.
//
// It monitors its owner: when the owner goes down, it unbinds the group,
// closes the socket and stops (normal exit). `stop_atom` does the same and
// replies once the group is free again.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "nfactor/actors/log_types.hpp"
#include "nfactor/actors/type_ids.hpp"
#include "nfactor/nflog/config.hpp"

namespace nfactor::actors {

/// What an owner that takes batches must handle.
using log_batch_owner =
    caf::typed_actor<caf::reacts_to<log_started>, caf::reacts_to<log_batch>,
                     caf::reacts_to<log_loss>>;

/// What an owner that takes one event per message must handle.
using log_event_owner = caf::typed_actor<caf::reacts_to<log_started>,
                                         caf::reacts_to<nflog::log_event>,
                                         caf::reacts_to<log_loss>>;

/// What an owner that forwards events undecoded must handle (a node: it
/// ships the kernel's bytes and the receiver decodes them). Such a
/// listener takes no `filter`.
using log_packed_owner = caf::typed_actor<caf::reacts_to<log_started>,
                                          caf::reacts_to<log_packed_batch>,
                                          caf::reacts_to<log_loss>>;

/// The listener as its owner (and anyone else) sees it.
using log_listener =
    caf::typed_actor<caf::replies_to<stats_atom>::with<log_stats>,
                     caf::reacts_to<stop_atom>>;

/// The listener's full interface, including its self-sent tick.
using log_listener_impl = log_listener::extend<caf::reacts_to<log_tick_atom>>;

static_assert(std::is_convertible_v<log_listener_impl, log_listener>,
              "owners get the narrow view of the listener");

/// Options of the listener actor: the NFLOG options plus delivery bounds.
struct log_listener_options {
  /// Group, namespace, copy mode, kernel batching, flags, rcvbuf.
  nflog::options nflog;
  /// Most events per `log_batch`. Default 1024: large enough to amortise a
  /// message per wake-up at ~1 Mpps, small enough to keep an owner's
  /// handler short. A batch may exceed it by one datagram (`qthresh`).
  std::size_t max_batch = 1024;
  /// Most events sent but not yet acknowledged before the listener stops
  /// reading. Default 65536 (a few MiB of events): several wake-ups of
  /// slack, bounded memory.
  std::size_t max_in_flight = 65536;
  /// Most datagrams read per wake-up. Default 64.
  std::size_t max_datagrams = 64;
  /// Read coalescing: after a read that emptied the socket, the listener
  /// lets the next datagrams queue for this long before it reads them all
  /// with one system call (a message to the listener still wakes it at
  /// once). Under load that is a few system calls per interval instead of
  /// two or three per datagram, the largest share of the listener's CPU;
  /// it adds at most this much latency to an event (on top of the kernel's
  /// flush timeout, 10 ms by default). Default 1 ms; 0 reads each datagram
  /// as soon as it arrives. Keep it well below what `rcvbuf` can absorb.
  std::chrono::microseconds coalesce{1000};
  /// Optional: called on the listener's thread for every event before it
  /// is delivered; returning false drops the event (counted in
  /// `log_stats::filtered`). It may also enrich the event. An exception it
  /// throws stops the listener, with the exception's `what()` text in the
  /// exit reason (`sec::runtime_error`) that the owner's monitor and a
  /// supervisor see.
  std::function<bool(nflog::log_event&)> filter;
  /// How often a supervisor restarted this listener (its `start_context`'s
  /// `restarts`), reported in `log_stats::common.restarts`.
  std::uint32_t restarts = 0;

  /// Success, or the first option out of range.
  [[nodiscard]] result<void> validate() const;
};

/// Spawns a listener (detached) for an owner of batches. Invalid options
/// give the error at once; a failure to open or bind (EPERM: another
/// socket owns the group) ends the listener with that error as its exit
/// reason.
[[nodiscard]] caf::expected<log_listener>
spawn_log_listener(caf::actor_system& sys, log_batch_owner owner,
                   log_listener_options opts);

/// Spawns a listener (detached) for an owner of single events.
[[nodiscard]] caf::expected<log_listener>
spawn_log_listener(caf::actor_system& sys, log_event_owner owner,
                   log_listener_options opts);

/// Spawns a listener (detached) for an owner of undecoded batches (an
/// error if `opts.filter` is set: filters need decoded events).
[[nodiscard]] caf::expected<log_listener>
spawn_log_listener(caf::actor_system& sys, log_packed_owner owner,
                   log_listener_options opts);

/// Spawns a listener and waits until its group is bound (or it failed,
/// returning the failure, e.g. EPERM with the owning port id). For
/// programs and tests that start listeners from outside an actor.
[[nodiscard]] caf::expected<log_listener>
start_log_listener(caf::actor_system& sys, log_batch_owner owner,
                   log_listener_options opts);

/// `start_log_listener` for an owner of single events.
[[nodiscard]] caf::expected<log_listener>
start_log_listener(caf::actor_system& sys, log_event_owner owner,
                   log_listener_options opts);

} // namespace nfactor::actors
