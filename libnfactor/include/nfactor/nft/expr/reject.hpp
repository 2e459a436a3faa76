// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Rejects the packet (NFTA_REJECT_*).
struct reject {
  /// NFT_REJECT_ICMP_UNREACH, _TCP_RST, _ICMPX_UNREACH.
  std::uint32_t type = 0;
  /// ICMP code.
  std::optional<std::uint8_t> icmp_code;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const reject&, const reject&) = default;
};

} // namespace nfactor::nft::expr
