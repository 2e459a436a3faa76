// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Hash of a register or of the packet (NFTA_HASH_*).
struct hash {
  /// Source register (jhash).
  std::optional<std::uint32_t> sreg;
  /// Destination register.
  std::uint32_t dreg = 0;
  /// Length hashed (jhash).
  std::optional<std::uint32_t> len;
  /// Modulus.
  std::uint32_t modulus = 0;
  /// Seed (jhash).
  std::optional<std::uint32_t> seed;
  /// Offset added.
  std::optional<std::uint32_t> offset;
  /// NFT_HASH_JENKINS or NFT_HASH_SYM.
  std::uint32_t type = 0;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const hash&, const hash&) = default;
};

} // namespace nfactor::nft::expr
