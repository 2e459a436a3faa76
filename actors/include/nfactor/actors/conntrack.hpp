// SPDX-License-Identifier: Apache-2.0
// The conntrack actors: connection events as typed batches, and the
// conntrack table's operations as typed requests.
//
//   owner  <-- ct_started, ct_snapshot, ct_batch, ct_exp_batch,
//              ct_resync_needed --                   conntrack monitor
//   owner  -- stats_atom -> ct_monitor_stats, ct_resync_atom, stop_atom -->
//
//   client -- ct_dump_atom, filter -> vector<event>;  ct_get_atom, tuple ->
//             entry;  ct_create_atom / ct_update_atom, entry -> ok;
//             ct_delete_atom, tuple, id -> ok;  ct_flush_atom, filter -> ok;
//             ct_count_atom -> global_stats;  ct_cpu_atom -> cpu stats;
//             ct_exp_dump_atom, family -> vector<exp_event>;
//             ct_exp_delete_atom, tuple, id -> ok;  ct_exp_flush_atom -> ok;
//             stats_atom -> sup::stats  -->   conntrack table
//
// The monitor is a socket actor on the shared core (socket_actor.hpp): a
// detached thread polling its event socket, one `ct_batch` per wake-up,
// each a request whose answer returns its credits; with `max_in_flight`
// events unanswered it stops reading, and the kernel's drops become
// ENOBUFS, reported as `ct_resync_needed` (never silent). The kernel
// reports one ENOBUFS per episode and then drops silently until the
// queue is empty, so the monitor also reads the socket's drop counter
// (SO_MEMINFO) after each read pass: a counter that moved is a loss too,
// and the notice says how many events were dropped. Each wake-up drains
// up to `max_datagrams` datagrams with `sys::socket::recv_batch`
// (recvmmsg). It keeps listening after a loss; with `auto_resync` it then
// dumps the table and delivers a fresh `ct_snapshot`, one per notice.
//
// Snapshot + tail without loss or double counting: the monitor joins the
// event groups first, then dumps the table on a second socket (blocking
// its thread; events queue in the event socket meanwhile), delivers the
// dump as a `ct_snapshot`, and then reads what queued. Every entry in the
// table when the dump ends is either in the snapshot or announced by a
// NEW event queued before the dump ended (the kernel sends NEW when it
// confirms the entry). A NEW whose entry id is already in the snapshot is
// dropped (counted in `ct_monitor_stats::duplicates`) until the first read
// that finds the event socket empty; UPDATE and DESTROY events pass
// unchanged. So an owner that starts from the snapshot and applies the
// batches by entry id (NEW adds, DESTROY removes, a DESTROY of an unknown
// id is a flow that ended before the dump reached it, still with its final
// counters) holds the kernel's table, and counts every flow's start once.
// An overrun during the dump starts the procedure again.
//
// The table actor is a plain detached request/reply actor (like the
// transactor: the kernel answers inside each exchange, there is no poll
// loop); each request is one ctnetlink exchange on its own socket, in
// mailbox order. The kernel's refusal (ENOENT, EEXIST, EINVAL with extack)
// is that request's error; a broken socket ends the actor for its
// supervisor to restart.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "nfactor/actors/ct_types.hpp"
#include "nfactor/actors/sup/supervisor.hpp"
#include "nfactor/actors/type_ids.hpp"
#include "nfactor/sys/netns.hpp"

namespace nfactor::actors {

/// What the owner of a conntrack monitor must handle.
using ct_owner =
    caf::typed_actor<caf::reacts_to<ct_started>, caf::reacts_to<ct_snapshot>,
                     caf::reacts_to<ct_batch>, caf::reacts_to<ct_exp_batch>,
                     caf::reacts_to<ct_resync_needed>>;

/// The monitor as its owner (and anyone else) sees it. `ct_resync_atom`
/// asks for a fresh snapshot now.
using conntrack_monitor =
    caf::typed_actor<caf::replies_to<stats_atom>::with<ct_monitor_stats>,
                     caf::reacts_to<ct_resync_atom>, caf::reacts_to<stop_atom>>;

/// Options of the conntrack monitor.
struct conntrack_monitor_options {
  /// The namespace whose connections to watch. Default: the caller's.
  sys::netns ns = sys::netns::current();
  /// Event groups. Default NEW + DESTROY (UPDATE off: see
  /// ct::event_groups for why), no expectations. With `exp_created` /
  /// `exp_destroyed` on (default off) the owner also gets the helpers'
  /// expectations (ftp, sip, ...) as `ct_exp_batch`es, in the same credit
  /// budget as the entry events; snapshots and resyncs cover the entry
  /// table only (dump expectations with the table actor's
  /// `ct_exp_dump_atom`).
  ct::event_groups groups;
  /// Kernel-side event filter (a BPF program, see ct::event_filter).
  /// Default: every event.
  ct::event_filter filter;
  /// Receive buffer of the event socket in bytes. Default 8 MiB, which
  /// holds ~40k events: a burst of short flows fills the kernel default
  /// (208 KiB, ~1k events) in milliseconds.
  int rcvbuf = 8 << 20;
  /// Deliver a `ct_snapshot` of the table before the first batch.
  /// Default off: events only.
  bool snapshot = false;
  /// After an overrun, deliver a fresh snapshot after the
  /// `ct_resync_needed`. Default on.
  bool auto_resync = true;
  /// Which entries snapshots list (the kernel filters; default: all).
  ct::filter snapshot_filter;
  /// Reliable delivery (NETLINK_BROADCAST_ERROR + NETLINK_NO_ENOBUFS; see
  /// ct::set_reliable for the trade-off: no overruns reported, so no
  /// resynchronisation either, but the kernel holds dying entries until
  /// their DESTROY gets through). Default off.
  bool reliable = false;
  /// Most events per `ct_batch`. Default 1024.
  std::size_t max_batch = 1024;
  /// Most events delivered but not yet acknowledged before the monitor
  /// stops reading. Default 65536.
  std::size_t max_in_flight = 65536;
  /// Most datagrams read per wake-up. Default 64.
  std::size_t max_datagrams = 64;
  /// How often a supervisor restarted this monitor, for `stats`.
  std::uint32_t restarts = 0;

  /// Success, or the first option out of range (errc::invalid_argument).
  [[nodiscard]] result<void> validate() const;
};

/// Spawns a conntrack monitor (detached) for `owner`. Invalid options
/// give the error at once; a failure to open the sockets, join the groups
/// or attach the filter ends the monitor with that error as its exit
/// reason.
[[nodiscard]] caf::expected<conntrack_monitor>
spawn_conntrack_monitor(caf::actor_system& sys, ct_owner owner,
                        conntrack_monitor_options opts = {});

/// Spawns a monitor and waits until it has joined its groups (the owner
/// gets `ct_started`), or failed (the failure). For programs and tests
/// that start monitors from outside an actor.
[[nodiscard]] caf::expected<conntrack_monitor>
start_conntrack_monitor(caf::actor_system& sys, ct_owner owner,
                        conntrack_monitor_options opts = {});

/// A supervisor's child spec for a monitor of `owner`: every restart
/// spawns a new one (new sockets, counted in `stats`). Events between the
/// failure and the restart are lost, so a restart first sends the owner a
/// `ct_resync_needed` (overruns and dropped 0), and with `auto_resync` the
/// new monitor delivers a snapshot after its `ct_started`.
[[nodiscard]] sup::child_spec conntrack_monitor_child(
    std::string name, ct_owner owner, conntrack_monitor_options opts = {},
    sup::restart_type restart = sup::restart_type::transient);

/// The conntrack table's operations as typed requests.
using conntrack_table = caf::typed_actor<
    caf::replies_to<ct_dump_atom, ct::filter>::with<std::vector<ct::event>>,
    caf::replies_to<ct_get_atom, ct::tuple>::with<ct::entry>,
    caf::replies_to<ct_create_atom, ct::entry>::with<caf::ok_atom>,
    caf::replies_to<ct_update_atom, ct::entry>::with<caf::ok_atom>,
    caf::replies_to<ct_delete_atom, ct::tuple,
                    std::uint32_t>::with<caf::ok_atom>,
    caf::replies_to<ct_flush_atom, ct::filter>::with<caf::ok_atom>,
    caf::replies_to<ct_count_atom>::with<ct::global_stats>,
    caf::replies_to<ct_cpu_atom>::with<std::vector<ct::cpu_stats>>,
    // Expectations of a family (AF_INET, AF_INET6; 0: both).
    caf::replies_to<ct_exp_dump_atom,
                    std::uint8_t>::with<std::vector<ct::exp_event>>,
    // The expectation with this expected tuple (and id; 0: any id).
    caf::replies_to<ct_exp_delete_atom, ct::tuple,
                    std::uint32_t>::with<caf::ok_atom>,
    // Every expectation.
    caf::replies_to<ct_exp_flush_atom>::with<caf::ok_atom>,
    caf::replies_to<stats_atom>::with<sup::stats>>;

/// Options of the conntrack table actor.
struct conntrack_table_options {
  /// The namespace whose table to work on. Default: the caller's.
  sys::netns ns = sys::netns::current();
  /// Longest gap between two reply datagrams of one exchange. Default 5 s.
  std::chrono::milliseconds timeout{5000};
  /// How often a supervisor restarted this actor, for `stats`.
  std::uint32_t restarts = 0;
};

/// Spawns a conntrack table actor (detached). `ct_delete_atom` takes the
/// entry's id as well; 0 deletes whatever entry has the tuple. A failure
/// to open the socket ends it with that error as its exit reason.
[[nodiscard]] conntrack_table
spawn_conntrack_table(caf::actor_system& sys,
                      conntrack_table_options opts = {});

/// A supervisor's child spec for a table actor.
[[nodiscard]] sup::child_spec
conntrack_table_child(std::string name, conntrack_table_options opts = {},
                      sup::restart_type restart = sup::restart_type::transient);

} // namespace nfactor::actors
