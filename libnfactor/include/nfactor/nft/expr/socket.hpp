// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Loads socket data into a register (NFTA_SOCKET_*).
struct socket {
  /// NFT_SOCKET_TRANSPARENT, _MARK, ....
  std::uint32_t key = 0;
  /// Destination register.
  std::uint32_t dreg = 0;
  /// Cgroupv2 level.
  std::optional<std::uint32_t> level;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const socket&, const socket&) = default;
};

} // namespace nfactor::nft::expr
