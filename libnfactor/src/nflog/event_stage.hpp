// SPDX-License-Identifier: Apache-2.0
// The decoding stage of a listener (private to libnfactor): what `drain`,
// `drain_into` and the configuration steps do with packet messages.
#pragma once

#include <optional>
#include <vector>

#include "nfactor/nflog/listener.hpp"

namespace nfactor::nflog::detail {

/// Decodes each packet message into an event at the end of `out`, counts
/// its loss and names its interfaces; with a sink, hands the event to it
/// and holds nothing.
class event_stage final : public packet_stage {
 public:
  explicit event_stage(std::vector<log_event>& out,
                       const event_sink* sink = nullptr) noexcept
    : out_(out), sink_(sink) {}

  [[nodiscard]] std::size_t held() const noexcept override {
    return out_.size();
  }
  [[nodiscard]] bool keeps_bytes() const noexcept override { return true; }
  void take_configured(std::vector<log_event>& events) override;
  bool packet(const nl::message& msg,
              const std::shared_ptr<const void>& storage, listener& l,
              std::optional<error>& err) override;

 private:
  std::vector<log_event>& out_;
  const event_sink* sink_;
};

} // namespace nfactor::nflog::detail
