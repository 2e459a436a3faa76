// SPDX-License-Identifier: Apache-2.0
// The nf_tables monitor: one detached actor owning a NETLINK_NETFILTER
// socket subscribed to NFNLGRP_NFTABLES (optionally inside a netns). It
// frames the notifications into commits (object events first, NEWGEN
// last) and sends its owner:
//
//   nft::transaction         one per commit, with gen id and committer
//   actors::flat_batch       the same as flat events (when `flat` is set)
//   actors::resync_needed    after the kernel dropped notifications
//   nft::ruleset             a fresh snapshot after a loss (`auto_resync`)
//
// Commits with gen_id <= min_gen are dropped (`since_gen`, `set_min_gen`).
// `pull` takes a snapshot on the monitor's own thread and raises min_gen
// to its generation before reading on: every later commit reaches the
// owner exactly once, none before it. The monitor stops when its owner
// goes down.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "nfactor/actors/nft_types.hpp"
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
  /// the stats). 32 MiB holds a 50k-rule commit's notifications; larger
  /// commits overflow it and are signalled (resync_needed).
  int rcvbuf = 32 << 20;
  /// Send `nft::transaction` per commit.
  bool transactions = true;
  /// Send `flat_batch` per commit.
  bool flat = false;
  /// Drop commits with gen_id <= since_gen.
  std::optional<std::uint32_t> since_gen;
  /// After a loss, take a snapshot and send it (after resync_needed).
  bool auto_resync = false;
  /// Datagrams read per wake-up before serving the mailbox again.
  int max_reads = 256;
};

/// Spawns a monitor (detached) that reports to `owner`.
[[nodiscard]] monitor_actor spawn_monitor(caf::actor_system& sys,
                                          caf::actor owner,
                                          monitor_options opts = {});

} // namespace nfactor::actors
