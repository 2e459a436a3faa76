// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Compares a register with a constant (NFTA_CMP_*).
struct cmp {
  /// Register compared.
  std::uint32_t sreg = 0;
  /// NFT_CMP_EQ, _NEQ, _LT, _LTE, _GT, _GTE.
  std::uint32_t op = 0;
  /// The constant.
  nft::data value;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const cmp&, const cmp&) = default;
};

} // namespace nfactor::nft::expr
