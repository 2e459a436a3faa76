// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Answers a TCP SYN with a SYN cookie on the backend's behalf
/// (NFTA_SYNPROXY_*). The kernel dumps all three attributes.
struct synproxy {
  /// MSS announced to the client.
  std::uint16_t mss = 0;
  /// Window scale announced to the client.
  std::uint8_t wscale = 0;
  /// NF_SYNPROXY_OPT_* (<linux/netfilter/nf_synproxy.h>).
  std::uint32_t flags = 0;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const synproxy&, const synproxy&) = default;
};

} // namespace nfactor::nft::expr
