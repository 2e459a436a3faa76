// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Forwards the packet to a device (netdev, NFTA_FWD_*): the kernel's
/// "fwd" expression, nft's `fwd to` statement. (Named in full so it is
/// not taken for a forward-declarations header, `nft/fwd.hpp`.)
struct forward {
  /// Device register.
  std::optional<std::uint32_t> sreg_dev;
  /// Address register.
  std::optional<std::uint32_t> sreg_addr;
  /// NFPROTO_IPV4 or _IPV6.
  std::optional<std::uint32_t> nfproto;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const forward&, const forward&) = default;
};

} // namespace nfactor::nft::expr
