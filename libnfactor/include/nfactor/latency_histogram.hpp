// SPDX-License-Identifier: Apache-2.0
//
// `latency_histogram`: how many samples took how long, in buckets a few
// percent wide, so that a listener can record every packet's latency at
// the cost of one increment and a reader can ask for the median or p99
// long after (an exact record would keep every sample).
//
// Buckets, in microseconds: 0..7 one each, then 8 per doubling (8-8, 9,
// ..., 15; 16-17, ..., 30-31; ...): a bucket is at most 1/8 of its lower
// bound wide, so a quantile read as a bucket's upper bound is at most
// 12.5% above the true value. The last bucket holds everything from
// about 2^36 µs (19 hours) on.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace nfactor {

/// Counts of durations in buckets of at most 12.5% width (see the file
/// comment); empty until the first sample.
struct latency_histogram {
  /// Samples per bucket; trailing empty buckets may be missing.
  std::vector<std::uint64_t> counts;

  /// Adds `n` samples of `d` (negative durations count as 0).
  void add(std::chrono::nanoseconds d, std::uint64_t n = 1);

  /// Samples recorded.
  [[nodiscard]] std::uint64_t total() const noexcept;

  /// The upper bound of the bucket that holds the `q`-quantile (0 < q
  /// <= 1: 0.5 the median, 0.99 the p99), so at most 12.5% above the true
  /// value; 0 without samples.
  [[nodiscard]] std::chrono::microseconds quantile(double q) const noexcept;

  friend bool operator==(const latency_histogram&,
                         const latency_histogram&) = default;
};

} // namespace nfactor
