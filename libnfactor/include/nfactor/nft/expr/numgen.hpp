// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Number generator (NFTA_NG_*).
struct numgen {
  /// Destination register.
  std::uint32_t dreg = 0;
  /// Modulus.
  std::uint32_t modulus = 0;
  /// NFT_NG_INCREMENTAL or NFT_NG_RANDOM.
  std::uint32_t type = 0;
  /// Offset added.
  std::optional<std::uint32_t> offset;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const numgen&, const numgen&) = default;
};

} // namespace nfactor::nft::expr
