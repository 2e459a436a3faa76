// SPDX-License-Identifier: Apache-2.0
//
// The value readers the text and JSON forms of a queue policy share (one
// spelling of each value and of what a reader expected).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nfactor/nfqueue/policy.hpp"

namespace nfactor::nfqueue::detail {

// What each reader expects, as error texts say it.
inline constexpr const char* expect_action =
    "an action (accept, drop, mark N, queue N, repeat)";
inline constexpr const char* expect_match =
    "a match (ip, ip6, tcp, udp, icmp, proto, saddr, daddr, sport, dport, "
    "uid, gid, mark, iif, oif, payload)";
inline constexpr const char* expect_prefix =
    "an IPv4 or IPv6 address or prefix (ADDR or ADDR/LEN)";
inline constexpr const char* expect_ports =
    "a port or port range (N or N-M, 0-65535, N <= M)";
inline constexpr const char* expect_id = "a number 0-4294967295";
inline constexpr const char* expect_mark = "a mark (N or N/MASK, 0-0xffffffff)";
inline constexpr const char* expect_queue = "a queue number 0-65535";
inline constexpr const char* expect_ifname =
    "an interface name (1-15 characters)";
inline constexpr const char* expect_proto =
    "a protocol (tcp, udp, udplite, sctp, icmp, icmpv6, gre, esp, ah) or "
    "a number 0-255";
inline constexpr const char* expect_hex =
    "hex bytes (0x followed by pairs of hex digits)";
inline constexpr const char* expect_family = "a family (ip or ip6)";

/// A decimal or 0x-hex number up to `max`.
std::optional<std::uint64_t> number(std::string_view s, std::uint64_t max);
/// "ADDR" or "ADDR/LEN".
std::optional<ip_prefix> prefix(std::string_view s);
/// "N" or "N-M".
std::optional<port_range> ports(std::string_view s);
/// "N" or "N/MASK".
std::optional<mark_match> mark(std::string_view s);
/// A protocol name or number.
std::optional<std::uint8_t> protocol(std::string_view s);
/// The name of a protocol the syntax knows, or nullptr.
const char* protocol_name(std::uint8_t p) noexcept;
/// "ip" → NFPROTO_IPV4, "ip6" → NFPROTO_IPV6.
std::optional<std::uint8_t> family(std::string_view s);
/// "0x6576" → bytes (non-empty).
std::optional<byte_buffer> hex_bytes(std::string_view s);
/// A valid interface name.
bool ifname(std::string_view s);

/// Whether a port match is possible with `r`'s protocol.
bool ports_possible(const policy_rule& r);

/// The error of a policy: `op`, and "WHERE: expected WHAT, found
/// FOUND" as its detail.
error fail(std::string op, std::string where, std::string_view expected,
           std::string found);

/// `s` quoted for an error text (`"x"`), or "end of rule" when empty.
std::string quoted(std::string_view s);

} // namespace nfactor::nfqueue::detail
