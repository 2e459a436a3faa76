// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>

namespace nfactor::nflog {

/// Counts events lost between sequence numbers (NFULA_SEQ or
/// NFULA_SEQ_GLOBAL).
///
/// The kernel numbers an event when it queues it for the socket, so an
/// event dropped in a receive buffer overrun leaves a gap: the gaps sum to
/// the exact number of events lost. ENOBUFS, in contrast, is reported once
/// per overflow episode, not per event. NFULA_SEQ starts at 0 when the
/// group is bound; NFULA_SEQ_GLOBAL is shared by every group of the
/// namespace, so its gaps also count other groups' events (an upper bound
/// unless this group is the only one).
class seq_tracker {
 public:
  /// Expects `first` next; without it the first number seen starts the
  /// count.
  explicit seq_tracker(std::optional<std::uint32_t> first = std::nullopt)
    : next_(first) {}

  /// Records `seq` and returns how many numbers were skipped before it
  /// (0 when it is the expected one). Wraps around at 2^32. A number that
  /// goes backwards (the group was re-bound) restarts the count without a
  /// loss.
  std::uint64_t observe(std::uint32_t seq) noexcept {
    std::uint64_t gap = 0;
    if (next_) {
      auto d = static_cast<std::uint32_t>(seq - *next_);
      if (d < 0x80000000u)
        gap = d;
      else
        ++restarts_;
    }
    next_ = seq + 1;
    lost_ += gap;
    return gap;
  }

  /// Total numbers skipped so far.
  [[nodiscard]] std::uint64_t lost() const noexcept { return lost_; }

  /// How often the numbers went backwards.
  [[nodiscard]] std::uint64_t restarts() const noexcept { return restarts_; }

  /// The number expected next, if known.
  [[nodiscard]] std::optional<std::uint32_t> expected() const noexcept {
    return next_;
  }

 private:
  std::optional<std::uint32_t> next_;
  std::uint64_t lost_ = 0;
  std::uint64_t restarts_ = 0;
};

} // namespace nfactor::nflog
