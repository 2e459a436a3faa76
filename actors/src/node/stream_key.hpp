// SPDX-License-Identifier: Apache-2.0
// The key of a node's stream (private to the node's sources).
#pragma once

#include <compare>
#include <cstdint>
#include <string>

namespace nfactor::actors::node::detail {

/// What a stream carries.
enum class stream_kind : std::uint8_t {
  /// Log events of one NFLOG group.
  log,
  /// Ruleset changes (the monitor's transactions).
  ruleset,
};

/// A stream of the node: a kind and, for logs, the NFLOG group.
struct stream_key {
  stream_kind kind = stream_kind::log;
  /// The NFLOG group of a log stream; 0 for the ruleset.
  std::uint16_t group = 0;

  [[nodiscard]] static stream_key log(std::uint16_t group) noexcept {
    return {stream_kind::log, group};
  }
  [[nodiscard]] static stream_key ruleset() noexcept {
    return {stream_kind::ruleset, 0};
  }

  /// How subscribers see it: "log:GROUP" or "ruleset".
  [[nodiscard]] std::string source() const {
    return kind == stream_kind::ruleset ? "ruleset"
                                        : "log:" + std::to_string(group);
  }

  friend auto operator<=>(const stream_key&, const stream_key&) = default;
};

} // namespace nfactor::actors::node::detail
