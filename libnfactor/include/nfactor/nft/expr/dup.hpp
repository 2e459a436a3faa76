// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Duplicates the packet to an address / device (NFTA_DUP_*).
struct dup {
  /// Address register.
  std::optional<std::uint32_t> sreg_addr;
  /// Device register.
  std::optional<std::uint32_t> sreg_dev;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const dup&, const dup&) = default;
};

} // namespace nfactor::nft::expr
