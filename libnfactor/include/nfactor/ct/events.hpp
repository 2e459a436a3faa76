// SPDX-License-Identifier: Apache-2.0
//
// Conntrack event subscription: which multicast groups to join, a
// kernel-side socket filter for them, and conntrackd's reliable mode.
//
// The kernel sends conntrack events only while somebody listens
// (net.netfilter.nf_conntrack_events = 2, the default since 5.x, turns
// event generation on when the first listener binds) and only for entries
// of the listener's network namespace.
#pragma once

#include <cstdint>
#include <vector>

#include <linux/filter.h>

#include "nfactor/ct/entry.hpp"
#include "nfactor/error.hpp"
#include "nfactor/sys/socket.hpp"

namespace nfactor::ct {

/// Which event groups to join.
///
/// UPDATE is off by default: a TCP connection alone produces an update for
/// every state change (SYN_RECV, ESTABLISHED, FIN_WAIT, ...), every mark
/// or label change and, with nf_conntrack_acct, nothing more, so a busy
/// host sees several UPDATEs per flow; they are what overruns readers
/// (`conntrack -E` users' top complaint). NEW + DESTROY give flow start
/// and flow end with its final counters and timestamps, which is what
/// exporters and accounting need. Turn `updates` on to follow state.
struct event_groups {
  /// NFNLGRP_CONNTRACK_NEW. Default on.
  bool created = true;
  /// NFNLGRP_CONNTRACK_UPDATE. Default off (see above).
  bool updated = false;
  /// NFNLGRP_CONNTRACK_DESTROY. Default on.
  bool destroyed = true;
  /// NFNLGRP_CONNTRACK_EXP_NEW / _EXP_UPDATE / _EXP_DESTROY: expectation
  /// events (helpers such as ftp). Default off.
  bool exp_created = false;
  bool exp_updated = false;
  bool exp_destroyed = false;

  friend bool operator==(const event_groups&, const event_groups&) = default;
};

/// The NFNLGRP_* numbers of `g`, for `socket_options::groups`.
[[nodiscard]] std::vector<unsigned> group_numbers(const event_groups& g);

/// An address prefix ("10.0.0.0/8", "::1/128").
struct prefix {
  ip_address address;
  /// Prefix length in bits; 32 (IPv4) or 128 (IPv6) for one address.
  std::uint8_t length = 32;

  friend bool operator==(const prefix&, const prefix&) = default;
};

/// Which conntrack events reach the socket at all: a classic BPF program
/// attached with SO_ATTACH_FILTER, run by the kernel for every event
/// before it is queued, so what it drops costs no receive-buffer space
/// and no reader CPU (and cannot overrun the buffer).
///
/// The program walks the message's attributes with the SKF_AD_NLATTR and
/// SKF_AD_NLATTR_NEST extensions (CTA_TUPLE_ORIG > CTA_TUPLE_PROTO >
/// CTA_PROTO_NUM, and so on). Each non-empty list must match (AND across
/// lists, OR within one); empty lists match everything. Messages of other
/// subsystems (expectation events, errors) always pass.
struct event_filter {
  /// Layer-3 families (AF_INET, AF_INET6), from the nfgenmsg. Default:
  /// any.
  std::vector<std::uint8_t> families;
  /// IP protocols of the original tuple (IPPROTO_TCP, ...). Default: any.
  std::vector<std::uint8_t> l4protos;
  /// Original source address within one of these prefixes. Default: any.
  std::vector<prefix> sources;
  /// Original destination address within one of these prefixes. Default:
  /// any.
  std::vector<prefix> destinations;
  /// TCP states (enum tcp_conntrack: 3 ESTABLISHED, ...). Only events
  /// that carry a TCP state are tested: DESTROY events, UDP and ICMP carry
  /// none and pass. Default: any.
  std::vector<std::uint8_t> tcp_states;

  /// True when nothing is filtered.
  [[nodiscard]] bool empty() const noexcept {
    return families.empty() && l4protos.empty() && sources.empty() &&
           destinations.empty() && tcp_states.empty();
  }

  friend bool operator==(const event_filter&, const event_filter&) = default;
};

/// Compiles `f` into a classic BPF program (at most BPF_MAXINSNS
/// instructions); an error for a bad prefix length or too many values.
[[nodiscard]] result<std::vector<sock_filter>>
compile_filter(const event_filter& f);

/// Attaches the program for `f` to `sock` (SO_ATTACH_FILTER), replacing
/// any earlier one; an empty filter detaches (SO_DETACH_FILTER).
[[nodiscard]] result<void> attach_filter(sys::socket& sock,
                                         const event_filter& f);

/// conntrackd's reliable event delivery, on `sock`:
/// NETLINK_BROADCAST_ERROR makes the kernel notice when an event could not
/// be queued to this socket, and ctnetlink then keeps what was missed: a
/// DESTROY event is retried (the entry waits on the dying list until it
/// is delivered), other missed event bits ride with the entry's next
/// event. NETLINK_NO_ENOBUFS stops the socket reporting ENOBUFS, since
/// nothing is dropped for good. The trade-off: under a sustained storm
/// the kernel holds dead entries (memory, table slots: new connections
/// may be refused when the table is full), events arrive late, and the
/// reader can no longer see that it fell behind. Off by default.
[[nodiscard]] result<void> set_reliable(sys::socket& sock, bool on);

} // namespace nfactor::ct
