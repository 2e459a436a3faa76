// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// References a named object, directly or through a map (NFTA_OBJREF_*).
struct objref {
  /// NFT_OBJECT_* of the object.
  std::optional<std::uint32_t> imm_type;
  /// Object name.
  std::optional<std::string> imm_name;
  /// Key register (map).
  std::optional<std::uint32_t> set_sreg;
  /// Map name.
  std::optional<std::string> set_name;
  /// Map id.
  std::optional<std::uint32_t> set_id;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const objref&, const objref&) = default;
};

} // namespace nfactor::nft::expr
