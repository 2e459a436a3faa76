// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Masquerade (NFTA_MASQ_*).
struct masq {
  /// NF_NAT_RANGE_* flags.
  std::optional<std::uint32_t> flags;
  /// Register of the lowest port.
  std::optional<std::uint32_t> reg_proto_min;
  /// Register of the highest port.
  std::optional<std::uint32_t> reg_proto_max;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const masq&, const masq&) = default;
};

} // namespace nfactor::nft::expr
