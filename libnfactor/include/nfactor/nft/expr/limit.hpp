// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Rate limit (NFTA_LIMIT_*).
struct limit {
  /// Rate per unit.
  std::uint64_t rate = 0;
  /// Unit in seconds.
  std::uint64_t unit = 0;
  /// Burst.
  std::uint32_t burst = 0;
  /// NFT_LIMIT_PKTS or NFT_LIMIT_PKT_BYTES.
  std::uint32_t type = 0;
  /// NFT_LIMIT_F_INV.
  std::uint32_t flags = 0;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const limit&, const limit&) = default;
};

} // namespace nfactor::nft::expr
