// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Converts a register between host and network order (NFTA_BYTEORDER_*).
struct byteorder {
  /// Source register.
  std::uint32_t sreg = 0;
  /// Destination register.
  std::uint32_t dreg = 0;
  /// NFT_BYTEORDER_NTOH or _HTON.
  std::uint32_t op = 0;
  /// Length in bytes.
  std::uint32_t len = 0;
  /// Element size (2, 4 or 8).
  std::uint32_t size = 0;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const byteorder&, const byteorder&) = default;
};

} // namespace nfactor::nft::expr
