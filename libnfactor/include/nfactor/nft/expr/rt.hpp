// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Loads routing data into a register (NFTA_RT_*).
struct rt {
  /// NFT_RT_CLASSID, _NEXTHOP4, ....
  std::uint32_t key = 0;
  /// Destination register.
  std::uint32_t dreg = 0;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const rt&, const rt&) = default;
};

} // namespace nfactor::nft::expr
