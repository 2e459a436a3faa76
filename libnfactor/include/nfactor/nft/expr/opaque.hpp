// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "nfactor/bytes.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// An expression nfactor has no row for: its kernel name and the raw
/// NFTA_EXPR_DATA payload, re-encoded unchanged (STYLE rule 6).
struct opaque {
  /// Kernel name (NFTA_EXPR_NAME).
  std::string name;
  /// The NFTA_EXPR_DATA payload as received (may be empty).
  byte_buffer bytes;
  /// Whether NFTA_EXPR_DATA was present at all.
  bool has_data = true;

  /// The descriptor used for opaque expressions (not in `expr_kinds()`).
  static const expr_kind& kind();

  friend bool operator==(const opaque&, const opaque&) = default;
};

} // namespace nfactor::nft::expr
