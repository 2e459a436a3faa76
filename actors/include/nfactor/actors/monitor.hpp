// SPDX-License-Identifier: Apache-2.0
// The nf_tables monitor: one detached actor owning a NETLINK_NETFILTER
// socket subscribed to NFNLGRP_NFTABLES (optionally inside a netns). It
// frames the notifications into commits (object events first, NEWGEN
// last) and sends its owner:
//
//   nft::transaction         one per commit, with gen id and committer
//                            (a request: the owner's handler returning is
//                            the acknowledgement, see "Flow control")
//   actors::flat_batch       the same as flat events (when `flat` is set)
//   actors::resync_needed    after the kernel dropped notifications
//   nft::ruleset             a fresh snapshot after a loss (`auto_resync`)
//
// Large commits in parts (`max_part` > 0): a commit with more changes than
// `max_part` is sent as it is read, in `nft::transaction`s with `partial`
// set (changes only; the kernel sends the commit's NEWGEN last, so gen id
// and committer are not known yet), followed by the last part with
// `partial` false carrying gen id, pid and name for the whole commit. The
// owner applies parts as they come (delivery overlaps the kernel's
// sending, and no message holds more than `max_part` changes) and treats
// the last part as the commit boundary. A snapshot (the `pull` reply or an
// auto-resync `nft::ruleset`) and `resync_needed` supersede parts whose
// last part has not arrived: the owner drops them. Parts are only sent
// once the monitor knows the commit is newer than min_gen, so the parts
// of a commit that min_gen excludes are never sent (but raising min_gen
// with set_min_gen while a commit is partly sent does not cut it: its
// last part still comes). With `flat` set, commits are never split.
//
// Flow control: every transaction (or part) is a request; the owner's
// handler returning gives the credit back. With `max_in_flight`
// unacknowledged, the monitor stops reading the socket: memory stays
// bounded (at most max_in_flight messages of at most max_part changes, or
// of one commit when parts are off), the kernel queues up to the receive
// buffer, then drops and reports ENOBUFS, which becomes `resync_needed`
// (and a snapshot with `auto_resync`). Loss is never silent. The first
// transaction after a `resync_needed` may lack the changes that were lost
// (the kernel does not say which commit they belonged to): the owner
// re-snapshots rather than applying it (with `auto_resync` the snapshot
// follows at once, and commits it contains are dropped).
//
// Commits with gen_id <= min_gen are dropped (`since_gen`, `set_min_gen`;
// min_gen 0, the default, drops none: the kernel never uses generation 0).
// `pull` is "subscribe first, then snapshot" in one call: the monitor is
// subscribed from its start; the request takes a consistent snapshot on the
// monitor's own thread (GETGEN, dumps, GETGEN), raises min_gen to its
// generation and drops what it read before that is not yet sent, all
// before it reads the socket again. So every commit after the snapshot
// reaches the owner exactly once, and none it contains arrives after the
// reply. (Without actors: `nft::pull(sock, framer)` in snapshot.hpp.)
// The monitor stops when its owner goes down.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "nfactor/actors/nft_types.hpp"
#include "nfactor/error.hpp"
#include "nfactor/sys/netns.hpp"

namespace nfactor::actors {

/// The monitor's interface.
using monitor_actor = caf::typed_actor<
    /// Drops commits with gen_id <= gen from now on; replies the new minimum.
    caf::replies_to<set_min_gen_atom, std::uint32_t>::with<std::uint32_t>,
    /// Takes a consistent snapshot (family, NFPROTO_UNSPEC for all; table,
    /// "" for all) and raises min_gen to its generation.
    caf::replies_to<pull_atom, std::uint8_t, std::string>::with<nft::ruleset>,
    /// Counters.
    caf::replies_to<stats_atom>::with<monitor_stats>,
    /// Stops the monitor.
    caf::reacts_to<stop_atom>>;

/// How to run a monitor.
struct monitor_options {
  /// The namespace whose ruleset to watch.
  sys::netns ns = sys::netns::current();
  /// Receive buffer to ask for (bytes; the kernel grants twice that, see
  /// the stats). Default 128 MiB: the kernel writes a commit's
  /// notifications all at once at its end, far faster than any reader
  /// decodes them, so the buffer must hold most of the largest commit.
  /// Measured (bench/monitor): a 200k-rule commit (~87 MB of messages)
  /// loses ~190k events with 32 MiB, none with 64 MiB, and none with a
  /// margin with 128 MiB. The memory is charged only while events sit
  /// unread; an idle monitor holds none. Larger commits overflow it and
  /// are signalled (resync_needed).
  int rcvbuf = 128 << 20;
  /// Send `nft::transaction` per commit.
  bool transactions = true;
  /// Send `flat_batch` per commit.
  bool flat = false;
  /// Drop commits with gen_id <= since_gen.
  std::optional<std::uint32_t> since_gen;
  /// After a loss, take a snapshot and send it (after resync_needed).
  bool auto_resync = false;
  /// Datagrams read per wake-up before serving the mailbox again (at
  /// least 1). Default 256.
  int max_reads = 256;
  /// Send a commit with more changes than this in parts as it is read
  /// (see above); 0 sends every commit whole. 1024 keeps a 50k-rule
  /// commit's delivery within 0.2 s of its end (bench/monitor) and a
  /// message near 1 MiB.
  std::size_t max_part = 1024;
  /// Transactions and parts sent but not yet acknowledged by the owner
  /// before the monitor stops reading (at least 1). Default 16.
  std::uint32_t max_in_flight = 16;
  /// How often a supervisor restarted this monitor (its start function
  /// passes `start_context::restarts`), reported in
  /// `monitor_stats::common.restarts`. Default 0.
  std::uint32_t restarts = 0;

  /// Success, or the first option out of range (`errc::invalid_argument`).
  [[nodiscard]] result<void> validate() const;
};

/// Spawns a monitor (detached) that reports to `owner`. Invalid options
/// (see `monitor_options::validate`) give the error at once; a failure to
/// open the socket ends the monitor with that error as its exit reason.
[[nodiscard]] caf::expected<monitor_actor>
spawn_monitor(caf::actor_system& sys, caf::actor owner,
              monitor_options opts = {});

} // namespace nfactor::actors
