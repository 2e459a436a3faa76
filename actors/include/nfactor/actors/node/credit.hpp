// SPDX-License-Identifier: Apache-2.0
// Flow control of one stream across the network. BASP buffers without
// bound, so a relay may have at most `limit` batches on the way to a
// subscriber; the subscriber's reply to each batch returns its credit.
// Without credit a batch is dropped and counted, and the count is reported
// to the subscriber (a loss notice) before the next batch it receives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace nfactor::actors::node {

/// What was dropped since the last loss notice.
struct dropped {
  std::uint64_t batches = 0;
  std::uint64_t events = 0;
};

/// The credit accounting of one relay (no I/O; the caller sends).
class credit_window {
 public:
  /// A window of `limit` batches in flight (at least 1).
  explicit credit_window(std::uint32_t limit) noexcept
    : limit_(limit == 0 ? 1 : limit) {}

  /// Takes a credit for a batch of `events` events: true when it may be
  /// sent; false when it was dropped (and counted).
  [[nodiscard]] bool take(std::size_t events) noexcept {
    if (in_flight_ >= limit_) {
      ++pending_.batches;
      pending_.events += events;
      ++total_.batches;
      total_.events += events;
      return false;
    }
    ++in_flight_;
    ++sent_;
    return true;
  }

  /// Returns the credit of one acknowledged (or failed) batch.
  void release() noexcept {
    if (in_flight_ > 0)
      --in_flight_;
  }

  /// The loss to report now, if any (cleared by the call). Call when a
  /// batch is about to be sent, so the notice precedes it.
  [[nodiscard]] std::optional<dropped> take_loss() noexcept {
    if (pending_.batches == 0)
      return std::nullopt;
    auto out = pending_;
    pending_ = {};
    return out;
  }

  [[nodiscard]] std::uint32_t limit() const noexcept { return limit_; }
  [[nodiscard]] std::uint32_t in_flight() const noexcept { return in_flight_; }
  /// Batches sent (credits taken) since the start.
  [[nodiscard]] std::uint64_t sent() const noexcept { return sent_; }
  /// Everything dropped since the start.
  [[nodiscard]] const dropped& total_dropped() const noexcept { return total_; }

 private:
  std::uint32_t limit_;
  std::uint32_t in_flight_ = 0;
  std::uint64_t sent_ = 0;
  dropped pending_;
  dropped total_;
};

} // namespace nfactor::actors::node
