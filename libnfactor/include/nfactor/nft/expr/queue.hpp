// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Queues the packet to user space (NFTA_QUEUE_*).
struct queue {
  /// First queue number.
  std::optional<std::uint16_t> num;
  /// Number of queues.
  std::optional<std::uint16_t> total;
  /// NFT_QUEUE_FLAG_BYPASS, _CPU_FANOUT.
  std::optional<std::uint16_t> flags;
  /// Register with the queue number.
  std::optional<std::uint32_t> sreg_qnum;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const queue&, const queue&) = default;
};

} // namespace nfactor::nft::expr
