// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace nfactor {

/// A borrowed, read-only run of bytes (valid as long as its owner).
using byte_view = std::span<const std::uint8_t>;

/// An owned, growable run of bytes.
using byte_buffer = std::vector<std::uint8_t>;

/// The order of an integer's bytes on the wire.
enum class byte_order {
  /// Network byte order: most significant byte first.
  big,
  /// The host's order, as a native integer of the same width holds it
  /// (kernel fields such as meta mark, ct state, libnftnl user data).
  host,
};

/// Writes `v` into `out` as an integer `out.size()` bytes wide in `order`
/// (its low bytes when narrower than 8; wider, the 8 least significant
/// byte positions get `v` and the rest are left as they are). Byte-wise,
/// so the result does not depend on the host except where `order` asks.
void store_uint(std::span<std::uint8_t> out, std::uint64_t v,
                byte_order order) noexcept;

/// Reads the integer that `in` holds in `order` (wider than 8 bytes: its
/// 8 least significant byte positions).
[[nodiscard]] std::uint64_t load_uint(byte_view in, byte_order order) noexcept;

/// Renders `bytes` as lowercase hex pairs separated by spaces ("00 0a").
std::string to_hex(byte_view bytes);

/// Renders `bytes` as rows of four hex pairs, one row per line, the way
/// netlink layouts are usually drawn (used by test failure messages).
std::string to_hex_rows(byte_view bytes);

} // namespace nfactor
