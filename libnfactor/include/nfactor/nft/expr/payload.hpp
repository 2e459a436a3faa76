// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Loads packet bytes into a register, or writes a register into the packet
/// (NFTA_PAYLOAD_*).
struct payload {
  /// Destination register (load).
  std::optional<std::uint32_t> dreg;
  /// Source register (write).
  std::optional<std::uint32_t> sreg;
  /// NFT_PAYLOAD_LL_HEADER, _NETWORK_HEADER, _TRANSPORT_HEADER, _INNER_HEADER.
  std::uint32_t base = 0;
  /// Offset from the base, in bytes.
  std::uint32_t offset = 0;
  /// Length in bytes.
  std::uint32_t len = 0;
  /// NFT_PAYLOAD_CSUM_* (write).
  std::optional<std::uint32_t> csum_type;
  /// Checksum offset (write).
  std::optional<std::uint32_t> csum_offset;
  /// NFT_PAYLOAD_L4CSUM_PSEUDOHDR (write).
  std::optional<std::uint32_t> csum_flags;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const payload&, const payload&) = default;
};

} // namespace nfactor::nft::expr
