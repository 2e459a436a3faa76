// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Compares a register with a range (NFTA_RANGE_*).
struct range {
  /// Register compared.
  std::uint32_t sreg = 0;
  /// NFT_RANGE_EQ or NFT_RANGE_NEQ.
  std::uint32_t op = 0;
  /// Lower bound.
  nft::data from;
  /// Upper bound.
  nft::data to;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const range&, const range&) = default;
};

} // namespace nfactor::nft::expr
