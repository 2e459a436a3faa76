// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Bitwise operation on a register (NFTA_BITWISE_*): (reg & mask) ^ xor, or a
/// shift.
struct bitwise {
  /// Source register.
  std::uint32_t sreg = 0;
  /// Destination register.
  std::uint32_t dreg = 0;
  /// Length in bytes.
  std::uint32_t len = 0;
  /// NFT_BITWISE_BOOL (default), _LSHIFT, _RSHIFT.
  std::optional<std::uint32_t> op;
  /// Mask of a boolean operation.
  boxed<nft::data> mask;
  /// Xor of a boolean operation.
  boxed<nft::data> xor_;
  /// Shift amount (NFTA_BITWISE_DATA).
  boxed<nft::data> shift;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const bitwise&, const bitwise&) = default;
};

} // namespace nfactor::nft::expr
