// SPDX-License-Identifier: Apache-2.0
//
// ctnetlink messages (NFNL_SUBSYS_CTNETLINK, <linux/netfilter/
// nfnetlink_conntrack.h>): what the kernel sends (events, dump parts,
// statistics) and the requests nfactor sends. Every message is
//
//   nlmsghdr | nfgenmsg (family = AF_INET/AF_INET6/AF_UNSPEC, res_id) |
//   CTA_* attributes (ct/entry.hpp)
//
// nlmsghdr.type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_*. An event
// is IPCTNL_MSG_CT_NEW (NLM_F_CREATE|NLM_F_EXCL for a new entry, neither
// for an update) or IPCTNL_MSG_CT_DELETE (destroyed); dump parts are
// IPCTNL_MSG_CT_NEW with NLM_F_MULTI.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nfactor/bytes.hpp"
#include "nfactor/ct/entry.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nl/message.hpp"

namespace nfactor::ct {

/// What happened to an entry.
enum class change : std::uint8_t {
  /// A new connection was confirmed (NFNLGRP_CONNTRACK_NEW), or a dump
  /// listed an existing one.
  created = 0,
  /// An entry changed (NFNLGRP_CONNTRACK_UPDATE): state, mark, labels...
  updated = 1,
  /// An entry went away (NFNLGRP_CONNTRACK_DESTROY): timed out, closed,
  /// deleted or flushed. Carries the final counters and timestamps.
  destroyed = 2,
};

/// "NEW", "UPDATE" or "DESTROY", as `conntrack -E` prints it.
[[nodiscard]] const char* to_string(change c) noexcept;

/// One ctnetlink entry message: an event or a part of a dump.
struct event {
  change kind = change::created;
  /// The entry's layer-3 family (AF_INET, AF_INET6), from the nfgenmsg.
  std::uint8_t family = 0;
  entry ct;

  friend bool operator==(const event&, const event&) = default;
};

/// Decodes an IPCTNL_MSG_CT_NEW or _DELETE message; an error for other
/// types, a short header or a malformed attribute.
[[nodiscard]] result<event> decode_event(const nl::message& msg);

/// Appends `ev` as the kernel would send it (the inverse of
/// `decode_event`: an event message, or a dump part when `multi`).
void append_event(byte_buffer& out, const event& ev, std::uint32_t seq = 0,
                  bool multi = false);

/// Which entries a dump or a flush selects. Every member is optional and
/// defaults to "all"; what is set is matched in the kernel.
struct filter {
  /// Only entries of this layer-3 family (AF_INET or AF_INET6; nfgenmsg).
  /// Default 0: both.
  std::uint8_t family = 0;
  /// Only entries with `(mark & mark_mask) == mark` (CTA_MARK and
  /// CTA_MARK_MASK). Default: any mark.
  std::optional<std::uint32_t> mark;
  /// Default with `mark`: 0xffffffff.
  std::optional<std::uint32_t> mark_mask;
  /// Only entries with `(status & status_mask) == status` (CTA_STATUS and
  /// CTA_STATUS_MASK, IPS_* bits; kernel >= 5.19). Default: any.
  std::optional<std::uint32_t> status;
  std::optional<std::uint32_t> status_mask;
  /// Only entries of this zone (CTA_ZONE; sent with CTA_FILTER, kernel
  /// >= 5.8). Default: any.
  std::optional<std::uint16_t> zone;
  /// Only entries whose original (reply) tuple matches the fields set
  /// here (CTA_FILTER with CTA_FILTER_ORIG_FLAGS/_REPLY_FLAGS naming the
  /// set fields, kernel >= 5.8). Addresses need `family`, ports and ICMP
  /// fields need `l4proto`. Default: any.
  std::optional<tuple> orig;
  std::optional<tuple> reply;

  friend bool operator==(const filter&, const filter&) = default;
};

/// A dump request for the entries `f` selects (IPCTNL_MSG_CT_GET,
/// NLM_F_DUMP); an error for an inconsistent filter.
[[nodiscard]] result<byte_buffer> dump_request(const filter& f,
                                               std::uint32_t seq);

/// A request for the one entry whose original tuple is `orig` (complete:
/// addresses, l4proto and ports or ICMP id/type/code) in `zone`
/// (IPCTNL_MSG_CT_GET, NLM_F_ACK); the reply is one entry message.
[[nodiscard]] result<byte_buffer> get_request(const tuple& orig,
                                              std::optional<std::uint16_t> zone,
                                              std::uint32_t seq);

/// A request that creates `e` (IPCTNL_MSG_CT_NEW, NLM_F_CREATE|NLM_F_EXCL|
/// NLM_F_ACK): `orig`, `reply` and `timeout` are required; status, mark,
/// labels, zone and the TCP state are taken when set.
[[nodiscard]] result<byte_buffer> create_request(const entry& e,
                                                 std::uint32_t seq);

/// A request that changes the entry whose original tuple is `e.orig`
/// (IPCTNL_MSG_CT_NEW without NLM_F_CREATE, NLM_F_ACK): mark (with
/// `mark_mask`), timeout, labels (with `labels_mask`) and status bits, as
/// far as they are set. At least one of them must be.
[[nodiscard]] result<byte_buffer> update_request(const entry& e,
                                                 std::uint32_t seq);

/// A request that deletes the entry whose original tuple is `orig`
/// (IPCTNL_MSG_CT_DELETE, NLM_F_ACK); with `id`, only if the entry still
/// has that id (CTA_ID), so a reused tuple is not deleted by mistake.
[[nodiscard]] result<byte_buffer>
delete_request(const tuple& orig, std::optional<std::uint32_t> id,
               std::optional<std::uint16_t> zone, std::uint32_t seq);

/// A request that deletes every entry `f` selects (IPCTNL_MSG_CT_DELETE
/// without a tuple, NLM_F_ACK). Kernel 6.18 applies every filter member
/// to flushes as to dumps; older kernels refuse zone and tuple filters
/// for flushes (EOPNOTSUPP) or, before 5.8, flush the whole family.
[[nodiscard]] result<byte_buffer> flush_request(const filter& f,
                                                std::uint32_t seq);

/// Per-CPU table statistics (IPCTNL_MSG_CT_GET_STATS_CPU, `conntrack -S`).
/// Counters the kernel no longer maintains (searched, new, delete...) are
/// left out.
struct cpu_stats {
  /// The CPU (nfgenmsg res_id).
  std::uint16_t cpu = 0;
  std::uint32_t found = 0;
  std::uint32_t invalid = 0;
  std::uint32_t insert = 0;
  std::uint32_t insert_failed = 0;
  std::uint32_t drop = 0;
  std::uint32_t early_drop = 0;
  std::uint32_t error = 0;
  std::uint32_t search_restart = 0;
  std::uint32_t clash_resolve = 0;
  std::uint32_t chain_toolong = 0;

  friend bool operator==(const cpu_stats&, const cpu_stats&) = default;
};

/// Table size (IPCTNL_MSG_CT_GET_STATS, `conntrack -C`).
struct global_stats {
  /// Entries in the table now (CTA_STATS_GLOBAL_ENTRIES).
  std::uint32_t entries = 0;
  /// net.netfilter.nf_conntrack_max (CTA_STATS_GLOBAL_MAX_ENTRIES).
  std::uint32_t max_entries = 0;

  friend bool operator==(const global_stats&, const global_stats&) = default;
};

/// A dump request for per-CPU statistics.
[[nodiscard]] byte_buffer stats_cpu_request(std::uint32_t seq);

/// A request for the global statistics (answered by one message, then
/// the ack).
[[nodiscard]] byte_buffer stats_request(std::uint32_t seq);

/// Decodes one part of a per-CPU statistics dump.
[[nodiscard]] result<cpu_stats> decode_cpu_stats(const nl::message& msg);

/// Decodes the reply to `stats_request`.
[[nodiscard]] result<global_stats> decode_global_stats(const nl::message& msg);

/// Appends a per-CPU statistics message as the kernel sends it.
void append_cpu_stats(byte_buffer& out, const cpu_stats& s,
                      std::uint32_t seq = 0);

/// Appends a global statistics message as the kernel sends it.
void append_global_stats(byte_buffer& out, const global_stats& s,
                         std::uint32_t seq = 0);

} // namespace nfactor::ct
