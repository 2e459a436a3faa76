// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Loads conntrack state into a register, or sets it (NFTA_CT_*).
struct ct {
  /// Destination register (load).
  std::optional<std::uint32_t> dreg;
  /// NFT_CT_STATE, NFT_CT_MARK, ....
  std::uint32_t key = 0;
  /// IP_CT_DIR_ORIGINAL or _REPLY.
  std::optional<std::uint8_t> direction;
  /// Source register (set).
  std::optional<std::uint32_t> sreg;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const ct&, const ct&) = default;
};

} // namespace nfactor::nft::expr
