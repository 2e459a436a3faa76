// SPDX-License-Identifier: Apache-2.0
//
// A verdict policy for queued packets: an ordered list of rules, each a
// verdict and the matches a packet must pass, plus a default verdict. The
// first rule whose matches all hold decides. Pure: no I/O, no CAF.
//
//   rule    = action { match }
//   action  = "accept" | "drop" | "repeat" [ "mark" NUM ]
//           | "mark" NUM | "queue" NUM [ "bypass" ]
//   match   = "ip" | "ip6" | PROTO | "proto" (PROTO | NUM)
//           | ("saddr" | "daddr") ADDR [ "/" LEN ]
//           | ("sport" | "dport") NUM [ "-" NUM ]
//           | ("uid" | "gid") NUM | "mark" NUM [ "/" NUM ]
//           | ("iif" | "oif") NAME | "payload" (STRING | HEX)
//   PROTO   = tcp udp udplite sctp icmp icmpv6 gre esp ah
//   NUM     = decimal or 0x hex;  STRING = "..." with \" \\ \n \t \xHH
//   HEX     = 0x followed by an even number of hex digits (bytes)
//
// `mark 7 saddr 10.0.0.0/8` accepts packets from 10/8 with mark 7;
// `drop udp dport 53 payload "evil"` drops DNS queries that contain
// "evil". The same rules as JSON objects: docs/apps/nfactor-queue.md.
//
// src/nfqueue/: policy_values.cpp (the value readers both forms share),
// policy.cpp (text form), policy_match.cpp (headers, matching),
// policy_json.cpp (JSON form, built into nfactor::json).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/nfqueue/packet.hpp"
#include "nfactor/nfqueue/verdict.hpp"

namespace nfactor::nfqueue {

/// An IPv4 or IPv6 address prefix ("10.0.0.0/8", "2001:db8::/32").
struct ip_prefix {
  /// 4 or 6.
  std::uint8_t version = 4;
  /// The address, network order; IPv4 in the first 4 bytes.
  std::array<std::uint8_t, 16> bytes{};
  /// Prefix length in bits (0..32 or 0..128).
  std::uint8_t length = 32;

  /// True when the `version` address `addr` (4 or 16 bytes) lies inside.
  [[nodiscard]] bool contains(std::uint8_t addr_version,
                              const std::uint8_t* addr) const noexcept;

  friend bool operator==(const ip_prefix&, const ip_prefix&) = default;
};

/// "10.0.0.0/8"; a whole address without "/LEN".
[[nodiscard]] std::string to_string(const ip_prefix& p);

/// An inclusive port range (one port: `lo == hi`).
struct port_range {
  std::uint16_t lo = 0;
  std::uint16_t hi = 0;

  friend bool operator==(const port_range&, const port_range&) = default;
};

/// A mark to match: `(mark & mask) == value`.
struct mark_match {
  std::uint32_t value = 0;
  std::uint32_t mask = 0xffffffff;

  friend bool operator==(const mark_match&, const mark_match&) = default;
};

/// What a rule does to the packets it matches.
struct policy_action {
  enum class kind : std::uint8_t { accept, drop, mark, queue, repeat };
  kind what = kind::accept;
  /// `mark`: the mark to set; `repeat`: optionally one.
  std::optional<std::uint32_t> set_mark;
  /// `queue`: the queue to hand the packet to, and whether it passes
  /// when nobody listens there.
  std::uint16_t target_queue = 0;
  bool bypass = false;

  /// The verdict it gives.
  [[nodiscard]] verdict to_verdict() const;

  friend bool operator==(const policy_action&, const policy_action&) = default;
};

/// One rule: an action and the matches (all must hold; none: every
/// packet). A match on something a packet does not carry (ports of an
/// ICMP packet, the uid of a forwarded packet, an interface name not
/// resolved) does not hold.
struct policy_rule {
  policy_action action;
  /// NFPROTO_IPV4 or NFPROTO_IPV6 (the packet's family).
  std::optional<std::uint8_t> family;
  /// IPPROTO_* of the transport header (after IPv6 extension headers).
  std::optional<std::uint8_t> protocol;
  std::optional<ip_prefix> saddr;
  std::optional<ip_prefix> daddr;
  /// TCP, UDP, UDP-Lite or SCTP ports.
  std::optional<port_range> sport;
  std::optional<port_range> dport;
  /// The owning socket's uid and gid (locally generated packets).
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
  /// The packet's mark (0 when it has none).
  std::optional<mark_match> mark;
  /// Input and output interface names.
  std::optional<std::string> iif;
  std::optional<std::string> oif;
  /// Byte strings the transport payload must each contain (as far as
  /// copied: see the copy range).
  std::vector<byte_buffer> payload;

  /// True when the rule needs the owning socket's uid/gid (the queue's
  /// uid_gid flag).
  [[nodiscard]] bool needs_uid_gid() const noexcept { return uid || gid; }
  /// True when the rule needs interface names resolved.
  [[nodiscard]] bool needs_names() const noexcept { return iif || oif; }

  friend bool operator==(const policy_rule&, const policy_rule&) = default;
};

/// The rule in the text syntax, canonical: `parse_rule(to_string(r))`
/// gives `r` back.
[[nodiscard]] std::string to_string(const policy_rule& r);

/// What a packet's network and transport headers say, read once for all
/// rules.
struct packet_headers {
  /// 4, 6, or 0 when the payload is no IP packet (or missing).
  std::uint8_t version = 0;
  std::array<std::uint8_t, 16> saddr{};
  std::array<std::uint8_t, 16> daddr{};
  /// IPPROTO_* of the transport header; nothing when not found.
  std::optional<std::uint8_t> protocol;
  std::optional<std::uint16_t> sport;
  std::optional<std::uint16_t> dport;
  /// The transport payload (after the TCP/UDP/SCTP/ICMP header; for other
  /// protocols after the IP headers); empty for a non-first fragment.
  byte_view l4_payload;

  /// Reads `payload` (from the network header on); fields it cannot find
  /// in a truncated or non-IP packet stay unset.
  [[nodiscard]] static packet_headers read(byte_view payload) noexcept;
};

/// True when every match of `r` holds for packet `p` with headers `h`.
[[nodiscard]] bool matches(const policy_rule& r, const queue_packet& p,
                           const packet_headers& h) noexcept;

/// A decision and the rule that made it.
struct decision {
  nfqueue::verdict verdict;
  /// The index of the deciding rule in `policy::rules`; nothing for the
  /// default verdict.
  std::optional<std::size_t> rule;
};

/// Rules in order and the verdict when none matches.
struct policy {
  std::vector<policy_rule> rules;
  /// Default: accept (a policy that names what to stop).
  policy_action fallback;

  /// The verdict on `p`: the first matching rule's, else `fallback`'s.
  [[nodiscard]] decision decide(const queue_packet& p) const;

  /// True when some rule needs uid/gid, or interface names.
  [[nodiscard]] bool needs_uid_gid() const noexcept;
  [[nodiscard]] bool needs_names() const noexcept;

  friend bool operator==(const policy&, const policy&) = default;
};

/// Parses one rule of the text syntax. An error (`errc::invalid_argument`)
/// names the rule, the 1-based column and what was expected there:
/// `rule "drop udp dport x": invalid argument: column 15: expected a port
/// or port range (N or N-M), found "x"`.
[[nodiscard]] result<policy_rule> parse_rule(std::string_view text);

/// Parses a verdict name for `--default`: "accept" or "drop" (and the
/// other actions of the syntax: "mark 7", "queue 3").
[[nodiscard]] result<policy_action> parse_action(std::string_view text);

/// Parses a JSON policy (see docs/apps/nfactor-queue.md): a list of
/// rules, or an object with "rules" and "default". Each rule is an object
/// (`{"action": "drop", "proto": "udp", "dport": 53}`) or a string in the
/// text syntax. An error names the rule (1-based), the key and what was
/// expected; JSON syntax errors name the byte offset. `source` names the
/// file in errors.
[[nodiscard]] result<policy> parse_policy_json(std::string_view json,
                                               std::string_view source = {});

} // namespace nfactor::nfqueue
