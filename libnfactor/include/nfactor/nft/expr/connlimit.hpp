// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Limits connections per key (NFTA_CONNLIMIT_*).
struct connlimit {
  /// Connection count.
  std::uint32_t count = 0;
  /// NFT_CONNLIMIT_F_INV.
  std::uint32_t flags = 0;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const connlimit&, const connlimit&) = default;
};

} // namespace nfactor::nft::expr
