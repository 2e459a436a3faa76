// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Looks a register up in a set or map (NFTA_LOOKUP_*).
struct lookup {
  /// Set name.
  std::string set;
  /// Set id (a set created in the same batch).
  std::optional<std::uint32_t> set_id;
  /// Key register.
  std::uint32_t sreg = 0;
  /// Data register (maps).
  std::optional<std::uint32_t> dreg;
  /// NFT_LOOKUP_F_INV.
  std::optional<std::uint32_t> flags;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const lookup&, const lookup&) = default;
};

} // namespace nfactor::nft::expr
