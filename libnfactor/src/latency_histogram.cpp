// SPDX-License-Identifier: Apache-2.0
#include "nfactor/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>

namespace nfactor {

namespace {

// Buckets per doubling, as a power of two.
constexpr unsigned sub_bits = 3;
constexpr std::uint64_t sub_buckets = 1u << sub_bits;
// Doublings above the exact buckets before the last bucket.
constexpr unsigned doublings = 34;
constexpr std::size_t bucket_count = sub_buckets + doublings * sub_buckets;

// The bucket of `us` microseconds.
std::size_t bucket_of(std::uint64_t us) {
  if (us < sub_buckets)
    return static_cast<std::size_t>(us);
  auto top = static_cast<unsigned>(std::bit_width(us)) - 1; // >= sub_bits
  auto sub = (us >> (top - sub_bits)) & (sub_buckets - 1);
  auto i = sub_buckets + (top - sub_bits) * sub_buckets + sub;
  return static_cast<std::size_t>(std::min<std::uint64_t>(i, bucket_count - 1));
}

// The largest value bucket `i` holds.
std::uint64_t upper_bound_of(std::size_t i) {
  if (i < sub_buckets)
    return i;
  auto top = (i - sub_buckets) / sub_buckets + sub_bits;
  auto sub = (i - sub_buckets) % sub_buckets;
  auto low = (std::uint64_t{1} << top) | (sub << (top - sub_bits));
  return low + (std::uint64_t{1} << (top - sub_bits)) - 1;
}

} // namespace

void latency_histogram::add(std::chrono::nanoseconds d, std::uint64_t n) {
  auto us = d.count() > 0 ? static_cast<std::uint64_t>(d.count()) / 1000 : 0;
  auto i = bucket_of(us);
  if (counts.size() <= i)
    counts.resize(i + 1);
  counts[i] += n;
}

std::uint64_t latency_histogram::total() const noexcept {
  return std::accumulate(counts.begin(), counts.end(), std::uint64_t{0});
}

std::chrono::microseconds latency_histogram::quantile(double q) const noexcept {
  auto n = total();
  if (n == 0)
    return {};
  // The rank of the quantile's sample, 1-based.
  auto rank = static_cast<std::uint64_t>(
      std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(n)));
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    seen += counts[i];
    if (seen >= rank)
      return std::chrono::microseconds{
          static_cast<std::int64_t>(upper_bound_of(i))};
  }
  return std::chrono::microseconds{
      static_cast<std::int64_t>(upper_bound_of(counts.size() - 1))};
}

} // namespace nfactor
