// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Disables connection tracking for the packet (no attributes).
struct notrack {

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const notrack&, const notrack&) = default;
};

} // namespace nfactor::nft::expr
