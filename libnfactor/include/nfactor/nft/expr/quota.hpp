// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Byte quota (NFTA_QUOTA_*).
struct quota {
  /// Quota in bytes.
  std::uint64_t bytes = 0;
  /// NFT_QUOTA_F_INV.
  std::uint32_t flags = 0;
  /// Bytes consumed.
  std::optional<std::uint64_t> consumed;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const quota&, const quota&) = default;
};

} // namespace nfactor::nft::expr
