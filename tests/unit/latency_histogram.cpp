// SPDX-License-Identifier: Apache-2.0
// latency_histogram: exact below 8 µs, buckets at most 12.5% wide above,
// quantiles read as the upper bound of the bucket that holds them.
#include <boost/test/unit_test.hpp>

#include <chrono>

#include "nfactor/latency_histogram.hpp"

namespace latency_histogram {
using namespace nfactor;
using namespace std::chrono_literals;
} // namespace latency_histogram

BOOST_AUTO_TEST_SUITE(latency_histogram)

BOOST_AUTO_TEST_CASE(an_empty_histogram_has_no_quantiles) {
  nfactor::latency_histogram h;
  BOOST_TEST(h.total() == 0u);
  BOOST_TEST(h.quantile(0.5).count() == 0);
}

BOOST_AUTO_TEST_CASE(small_values_are_exact) {
  nfactor::latency_histogram h;
  for (int us = 0; us < 8; ++us)
    h.add(std::chrono::microseconds{us});
  h.add(-5us); // counts as 0
  BOOST_TEST(h.total() == 9u);
  BOOST_TEST(h.quantile(0.2).count() == 0); // rank 2 of 9: the two zeros
  BOOST_TEST(h.quantile(0.5).count() == 3); // rank 5
  BOOST_TEST(h.quantile(1.0).count() == 7);
}

BOOST_AUTO_TEST_CASE(quantiles_are_bucket_upper_bounds_within_an_eighth) {
  for (std::int64_t us :
       {8, 9, 15, 16, 17, 100, 1000, 12345, 999999, 5000000}) {
    nfactor::latency_histogram h;
    h.add(std::chrono::microseconds{us});
    auto q = h.quantile(0.5).count();
    BOOST_TEST(q >= us, us << " read as " << q);
    BOOST_TEST(q <= us + us / 8, us << " read as " << q);
  }
}

BOOST_AUTO_TEST_CASE(median_and_p99_of_a_spread_weighted_by_count) {
  nfactor::latency_histogram h;
  h.add(100us, 98); // 98 samples near 100 µs
  h.add(2ms, 1);
  h.add(40ms, 1);
  BOOST_TEST(h.total() == 100u);
  BOOST_TEST(h.quantile(0.5).count() == 103);   // bucket 96..103
  BOOST_TEST(h.quantile(0.99).count() == 2047); // bucket 1920..2047
  BOOST_TEST(h.quantile(1.0).count() >= 40000);
}

BOOST_AUTO_TEST_CASE(huge_values_land_in_the_last_bucket) {
  nfactor::latency_histogram h;
  h.add(std::chrono::hours{24 * 365});
  BOOST_TEST(h.total() == 1u);
  BOOST_TEST(h.quantile(0.5) > std::chrono::hours{19});
}

BOOST_AUTO_TEST_SUITE_END()
