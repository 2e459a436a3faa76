// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Adds or updates an element of a set from the packet path
/// (NFTA_DYNSET_*), optionally with per-element expressions.
struct dynset {
  /// Set name.
  std::string set_name;
  /// Set id (a set created in the same batch).
  std::optional<std::uint32_t> set_id;
  /// NFT_DYNSET_OP_ADD, _UPDATE or _DELETE.
  std::uint32_t op = 0;
  /// Key register.
  std::uint32_t sreg_key = 0;
  /// Data register (maps).
  std::optional<std::uint32_t> sreg_data;
  /// Element timeout in milliseconds.
  std::optional<std::uint64_t> timeout;
  /// NFT_DYNSET_F_INV, NFT_DYNSET_F_EXPR.
  std::optional<std::uint32_t> flags;
  /// Expressions attached to the element (NFTA_DYNSET_EXPR when one,
  /// NFTA_DYNSET_EXPRESSIONS when more).
  std::vector<expression> exprs;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const dynset&, const dynset&);
};

} // namespace nfactor::nft::expr
