// SPDX-License-Identifier: Apache-2.0
//
// Keeping a rewritten packet valid. A verdict's NFQA_PAYLOAD replaces the
// packet from the network header on, and the kernel then marks it
// CHECKSUM_NONE (net/netfilter/nfnetlink_queue.c, nfqnl_mangle): it fixes
// neither lengths nor checksums, and a receiver drops a packet whose
// checksums are wrong. An owner that changes bytes calls
// `fix_lengths_and_checksums` on the new packet before sending it.
#pragma once

#include <cstdint>
#include <span>

#include "nfactor/error.hpp"

namespace nfactor::nfqueue {

/// Sets the length fields of `packet` (IPv4 total length or IPv6 payload
/// length, and the UDP length) to match its size, and recomputes the IPv4
/// header checksum and the TCP, UDP, ICMP or ICMPv6 checksum (RFC 1071
/// ones' complement sums, with the RFC 768/793/8200 pseudo header). The
/// transport checksum is left alone for IPv4 fragments and other
/// protocols. An `errc::invalid_argument` error, with the packet
/// unchanged, when it is not IPv4 or IPv6, its headers are cut short, or
/// an IPv6 extension header precedes the transport header (not handled).
[[nodiscard]] result<void>
fix_lengths_and_checksums(std::span<std::uint8_t> packet);

/// The RFC 1071 ones' complement sum of `bytes` folded to 16 bits, added
/// to `initial` (not inverted).
[[nodiscard]] std::uint16_t
ones_complement_sum(std::span<const std::uint8_t> bytes,
                    std::uint32_t initial = 0) noexcept;

} // namespace nfactor::nfqueue
