// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Loads packet metadata into a register, or sets it from one (NFTA_META_*).
struct meta {
  /// NFT_META_MARK, NFT_META_IIFNAME, ....
  std::uint32_t key = 0;
  /// Destination register (load).
  std::optional<std::uint32_t> dreg;
  /// Source register (set).
  std::optional<std::uint32_t> sreg;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const meta&, const meta&) = default;
};

} // namespace nfactor::nft::expr
