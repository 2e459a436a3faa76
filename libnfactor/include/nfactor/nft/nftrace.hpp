// SPDX-License-Identifier: Apache-2.0
//
// A scoped `meta nftrace set 1`: the batch operations that make the kernel
// trace the packets a match selects, and the one that stops it. The rules
// live in a table of their own, so stopping is one DELTABLE however many
// hooks were traced, and nothing of the user's ruleset is touched:
//
//   table inet nfactor_trace {            # flags owner (default)
//     chain prerouting {
//       type filter hook prerouting priority -350; policy accept;
//       <match> [limit rate ...] meta nftrace set 1
//     }
//     chain output {
//       type filter hook output priority -350; policy accept;
//       <match> [limit rate ...] meta nftrace set 1
//     }
//   }
//
// Priority -350 runs before conntrack (-200) and raw (-300), so every
// chain the packet passes afterwards is traced. With `owned`, the kernel
// deletes the table when the committing socket closes (NFT_TABLE_F_OWNER),
// so a trace cannot outlive the process that started it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <arpa/inet.h>

#include <linux/netfilter.h>

#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nft/batch.hpp"
#include "nfactor/nft/expr.hpp"
#include "nfactor/nft/rule_builder.hpp"

namespace nfactor::nft {

/// What to trace, and where the tracing rules go.
struct nftrace_scope {
  /// Family of the table. Default inet (IPv4 and IPv6); ip, ip6 and
  /// bridge work the same way.
  nfnl::family family = nfnl::family::inet;
  /// Name of the table the rules live in; it must not exist. Default
  /// "nfactor_trace"; give concurrent traces distinct names.
  std::string table = "nfactor_trace";
  /// Hooks to set nftrace at (NF_INET_*). Default prerouting and output:
  /// every packet that enters or leaves through this namespace's stack.
  std::vector<std::uint32_t> hooks = {NF_INET_PRE_ROUTING, NF_INET_LOCAL_OUT};
  /// Priority of the chains. Default -350: before conntrack and raw.
  std::int32_t priority = -350;
  /// The packets to trace, as expressions (e.g. the `exprs` of a
  /// `front::rule_builder` with matches only). Default empty: every packet.
  std::vector<expression> match;
  /// At most this many packets per second get nftrace set (an in-kernel
  /// `limit`, so a busy match cannot flood the trace group). Default 0: no
  /// limit.
  std::uint32_t max_rate = 0;
  /// Table flag NFT_TABLE_F_OWNER: the table goes away with the socket
  /// that committed it. Default on.
  bool owned = true;
};

/// Adds the operations that start tracing (table, one base chain and one
/// rule per hook, each chain named after its hook) to `b`; a bad scope (no
/// hooks, bad names) records an error in `b`.
void add_nftrace(batch& b, const nftrace_scope& s);

/// Adds the operation that stops tracing (DELTABLE of `s.table`) to `b`.
void remove_nftrace(batch& b, const nftrace_scope& s);

} // namespace nfactor::nft
