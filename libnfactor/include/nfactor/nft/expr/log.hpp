// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nfactor/nft/data.hpp"
#include "nfactor/nft/fwd.hpp"

namespace nfactor::nft::expr {

/// Logs the packet to the kernel log or an NFLOG group (NFTA_LOG_*).
struct log {
  /// Log prefix.
  std::optional<std::string> prefix;
  /// NFLOG group.
  std::optional<std::uint16_t> group;
  /// Bytes copied to NFLOG.
  std::optional<std::uint32_t> snaplen;
  /// NFLOG queue threshold.
  std::optional<std::uint16_t> qthreshold;
  /// Syslog level (kernel log).
  std::optional<std::uint32_t> level;
  /// NF_LOG_* flags (kernel log).
  std::optional<std::uint32_t> flags;

  /// The descriptor of this kind in `expr_kinds()`.
  static const expr_kind& kind();

  friend bool operator==(const log&, const log&) = default;
};

} // namespace nfactor::nft::expr
