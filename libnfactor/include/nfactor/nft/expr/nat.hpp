// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Source or destination NAT (NFTA_NAT_*).
struct nat {
  /// NFT_NAT_SNAT or NFT_NAT_DNAT.
  std::uint32_t type = 0;
  /// NFPROTO_IPV4 or NFPROTO_IPV6.
  std::uint32_t family = 0;
  /// Register of the lowest address.
  std::optional<std::uint32_t> reg_addr_min;
  /// Register of the highest address.
  std::optional<std::uint32_t> reg_addr_max;
  /// Register of the lowest port.
  std::optional<std::uint32_t> reg_proto_min;
  /// Register of the highest port.
  std::optional<std::uint32_t> reg_proto_max;
  /// NF_NAT_RANGE_* flags.
  std::optional<std::uint32_t> flags;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const nat&, const nat&) = default;
};

} // namespace nfactor::nft::expr
