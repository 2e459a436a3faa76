// SPDX-License-Identifier: Apache-2.0
// Byte order where integers meet bytes: store_uint/load_uint pinned byte for
// byte, and the rule front's host-order values (meta mark set, iiftype,
// ct state bits) equal to the native integer's bytes, its network-order
// values to the big-endian bytes, whatever the host.
#include <boost/test/unit_test.hpp>

#include <array>
#include <bit>
#include <cstring>
#include <vector>

#include <arpa/inet.h>
#include <net/if_arp.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "bytes_check.hpp"
#include "netns_fixture.hpp"
#include "nfactor/bytes.hpp"
#include "nfactor/nft/expr.hpp"
#include "nfactor/nft/rule_builder.hpp"

namespace byte_order {
using namespace nfactor;
using nfactor::test::bytes_equal;

constexpr bool little = std::endian::native == std::endian::little;

// The bytes of native integer `v` as the CPU stores it.
template <class Int>
byte_buffer native(Int v) {
  byte_buffer out(sizeof(Int));
  std::memcpy(out.data(), &v, sizeof(Int));
  return out;
}

// The data values of the rule's cmp and immediate expressions, in order.
std::vector<byte_buffer> values_of(const nft::rule& r) {
  std::vector<byte_buffer> out;
  for (auto& e : r.exprs) {
    if (auto* c = std::get_if<nft::expr::cmp>(&e.value))
      out.push_back(c->value.value);
    if (auto* i = std::get_if<nft::expr::immediate>(&e.value))
      out.push_back(i->value.value);
  }
  return out;
}

} // namespace byte_order

BOOST_AUTO_TEST_SUITE(byte_order)

BOOST_AUTO_TEST_CASE(store_and_load_are_pinned_byte_for_byte) {
  std::array<std::uint8_t, 4> be{};
  store_uint(be, 0x11223344, nfactor::byte_order::big);
  BOOST_TEST(
      bytes_equal(be, std::vector<std::uint8_t>{0x11, 0x22, 0x33, 0x44}));
  std::array<std::uint8_t, 4> host{};
  store_uint(host, 0x11223344, nfactor::byte_order::host);
  auto want = little ? byte_buffer{0x44, 0x33, 0x22, 0x11}
                     : byte_buffer{0x11, 0x22, 0x33, 0x44};
  BOOST_TEST(bytes_equal(host, want));
  BOOST_TEST(bytes_equal(host, native(std::uint32_t{0x11223344})));
  // Narrow widths keep the low bytes; 3 bytes (ip6 flowlabel) too.
  std::array<std::uint8_t, 2> h2{};
  store_uint(h2, 0xabcd, nfactor::byte_order::host);
  BOOST_TEST(bytes_equal(h2, native(std::uint16_t{0xabcd})));
  std::array<std::uint8_t, 3> b3{};
  store_uint(b3, 0x0a0b0c, nfactor::byte_order::big);
  BOOST_TEST(bytes_equal(b3, std::vector<std::uint8_t>{0x0a, 0x0b, 0x0c}));
  // Loading reads back what was stored, in either order.
  BOOST_TEST(load_uint(be, nfactor::byte_order::big) == 0x11223344u);
  BOOST_TEST(load_uint(host, nfactor::byte_order::host) == 0x11223344u);
  BOOST_TEST(load_uint(b3, nfactor::byte_order::big) == 0x0a0b0cu);
  BOOST_TEST(load_uint(native(std::uint64_t{0x0102030405060708}),
                       nfactor::byte_order::host) == 0x0102030405060708u);
  // Wider than 8 bytes: the value sits in the least significant positions.
  std::array<std::uint8_t, 10> wide{};
  store_uint(wide, 0x0102, nfactor::byte_order::big);
  BOOST_TEST(wide[8] == 0x01);
  BOOST_TEST(wide[9] == 0x02);
  BOOST_TEST(load_uint(wide, nfactor::byte_order::big) == 0x0102u);
}

BOOST_AUTO_TEST_CASE(rule_front_host_values_are_native_integers) {
  using namespace nft::front;
  // meta mark (4 bytes, host order) matched; ct state bits; meta mark
  // set (host order).
  auto r = rule_builder{nfnl::family::inet, "t", "c"}
               .match(meta::mark, 0x11223344)
               .match(ct::state, 0x0a)
               .set_mark(0x01020304)
               .build();
  NFACTOR_REQUIRE_OK(r);
  auto v = values_of(*r);
  BOOST_REQUIRE(v.size() == 3u);
  BOOST_TEST(bytes_equal(v[0], native(std::uint32_t{0x11223344})));
  // ct state: bitwise with the bits, then cmp != 0.
  BOOST_TEST(bytes_equal(v[1], byte_buffer{0, 0, 0, 0}));
  BOOST_TEST(bytes_equal(v[2], native(std::uint32_t{0x01020304})));
  bool seen_mask = false;
  for (auto& e : r->exprs)
    if (auto* b = std::get_if<nft::expr::bitwise>(&e.value)) {
      BOOST_REQUIRE(b->mask);
      BOOST_TEST(bytes_equal(b->mask->value, native(std::uint32_t{0x0a})));
      seen_mask = true;
    }
  BOOST_TEST(seen_mask);

  // Network-order fields stay big-endian; the iiftype dependency of an
  // Ethernet field is ARPHRD_ETHER as a native 16-bit integer.
  constexpr auto ether_type =
      detail::ether("ether type", 12, 2, detail::shape::integer_be);
  auto n = rule_builder{nfnl::family::inet, "t", "c"}
               .match(ether_type, 0x0800)
               .match(tcp::dport, 0x1234)
               .build();
  NFACTOR_REQUIRE_OK(n);
  auto nv = values_of(*n);
  BOOST_REQUIRE(!nv.empty());
  BOOST_TEST(bytes_equal(nv.front(), native(std::uint16_t{ARPHRD_ETHER})));
  BOOST_TEST(bytes_equal(nv[1], byte_buffer{0x08, 0x00}));
  BOOST_TEST(bytes_equal(nv.back(), byte_buffer{0x12, 0x34}));
}

BOOST_AUTO_TEST_SUITE_END()
