// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Loads a constant or a verdict into a register (NFTA_IMMEDIATE_*).
struct immediate {
  /// Destination register (NFT_REG_VERDICT = 0 for verdicts).
  std::uint32_t dreg = 0;
  /// The constant or verdict.
  nft::data value;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const immediate&, const immediate&) = default;
};

} // namespace nfactor::nft::expr
