// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Counts packets and bytes (NFTA_COUNTER_*).
struct counter {
  /// Bytes seen.
  std::uint64_t bytes = 0;
  /// Packets seen.
  std::uint64_t packets = 0;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const counter&, const counter&) = default;
};

} // namespace nfactor::nft::expr
