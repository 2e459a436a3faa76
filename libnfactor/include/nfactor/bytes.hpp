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

/// Renders `bytes` as lowercase hex pairs separated by spaces ("00 0a").
std::string to_hex(byte_view bytes);

/// Renders `bytes` as rows of four hex pairs, one row per line, the way
/// netlink layouts are usually drawn (used by test failure messages).
std::string to_hex_rows(byte_view bytes);

} // namespace nfactor
