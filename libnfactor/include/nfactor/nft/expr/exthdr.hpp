// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Extension header / option load or write (NFTA_EXTHDR_*).
struct exthdr {
  /// Destination register (load).
  std::optional<std::uint32_t> dreg;
  /// Source register (write).
  std::optional<std::uint32_t> sreg;
  /// Option or header type.
  std::uint8_t type = 0;
  /// Offset within the option.
  std::uint32_t offset = 0;
  /// Length in bytes.
  std::uint32_t len = 0;
  /// NFT_EXTHDR_F_PRESENT.
  std::optional<std::uint32_t> flags;
  /// NFT_EXTHDR_OP_IPV6, _TCPOPT, _IPV4, _SCTP, _DCCP.
  std::optional<std::uint32_t> op;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const exthdr&, const exthdr&) = default;
};

} // namespace nfactor::nft::expr
