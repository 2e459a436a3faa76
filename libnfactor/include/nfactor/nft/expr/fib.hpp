// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Forwarding information base lookup (NFTA_FIB_*).
struct fib {
  /// Destination register.
  std::uint32_t dreg = 0;
  /// NFT_FIB_RESULT_OIF, _OIFNAME, _ADDRTYPE.
  std::uint32_t result = 0;
  /// NFTA_FIB_F_* flags.
  std::uint32_t flags = 0;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const fib&, const fib&) = default;
};

} // namespace nfactor::nft::expr
