// SPDX-License-Identifier: Apache-2.0
// The batch builder: envelope bytes, flags per verb, sequence stamping,
// operation records and input errors.
#include <boost/test/unit_test.hpp>

#include <linux/netlink.h>
#include <linux/netfilter/nf_tables.h>

#include <cstring>

#include "netns_fixture.hpp"
#include "nfactor/nft/batch.hpp"

namespace nft_batch {
using namespace nfactor;
using nfactor::test::bytes_equal;

void table_op(nft::batch& b, nft::verb v, const std::string& name) {
  auto& w = b.op(v, NFT_MSG_NEWTABLE, nfnl::family::inet, "table inet " + name);
  w.attr_str(NFTA_TABLE_NAME, name);
  b.done();
}

std::uint16_t flags_at(const nft::encoded_batch& e, std::size_t i) {
  std::uint16_t f = 0;
  std::memcpy(&f, e.body.data() + e.ops[i].offset + 6, 2);
  return f;
}

std::uint32_t seq_at(const nft::encoded_batch& e, std::size_t i) {
  std::uint32_t s = 0;
  std::memcpy(&s, e.body.data() + e.ops[i].offset + 8, 4);
  return s;
}

} // namespace nft_batch

BOOST_AUTO_TEST_SUITE(nft_batch)

BOOST_AUTO_TEST_CASE(envelope_matches_nft) {
  // `strace -e sendmsg -xx nft "add table inet t; add chain inet t c {...};
  // add rule inet t c ..."` (nft 1.0.6, kernel 6.18): the batch opened
  // with BEGIN seq 0 and closed with END seq 4 after three operations.
  const auto begin =
      test::bytes({0x14, 0x00, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00,
                   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a});
  const auto end =
      test::bytes({0x14, 0x00, 0x00, 0x00, 0x11, 0x00, 0x01, 0x00, 0x04, 0x00,
                   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a});
  nft::batch b;
  for (auto n : {"a", "b", "c"})
    table_op(b, nft::verb::add, n);
  auto e = std::move(b).finish();
  NFACTOR_REQUIRE_OK(e);
  BOOST_TEST(bytes_equal(e->begin_message(std::nullopt), begin));
  BOOST_TEST(bytes_equal(e->end_message(), end));
  auto d = e->datagram();
  BOOST_TEST(d.size() == begin.size() + e->body.size() + end.size());
  BOOST_TEST(bytes_equal(byte_view{d}.first(20), begin));
  BOOST_TEST(bytes_equal(byte_view{d}.last(20), end));
}

BOOST_AUTO_TEST_CASE(begin_carries_the_generation_guard) {
  // nfnetlink.h: NFNL_BATCH_GENID (type 1), u32 big-endian, after the
  // nfgenmsg; nft never sends it, so this is the uapi layout.
  const auto want =
      test::bytes({0x1c, 0x00, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00, 0x07, 0x00,
                   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a,
                   0x08, 0x00, 0x01, 0x00, 0x12, 0x34, 0x56, 0x78});
  nft::batch b;
  table_op(b, nft::verb::add, "a");
  auto e = std::move(b).finish();
  NFACTOR_REQUIRE_OK(e);
  e->stamp(7);
  BOOST_TEST(bytes_equal(e->begin_message(0x12345678), want));
}

BOOST_AUTO_TEST_CASE(verbs_set_the_kernel_flags) {
  using nft::verb;
  BOOST_TEST(nft::verb_flags(verb::add, NFT_MSG_NEWTABLE) == NLM_F_CREATE);
  BOOST_TEST(nft::verb_flags(verb::add, NFT_MSG_NEWRULE) ==
             (NLM_F_CREATE | NLM_F_APPEND));
  BOOST_TEST(nft::verb_flags(verb::create, NFT_MSG_NEWCHAIN) ==
             (NLM_F_CREATE | NLM_F_EXCL));
  BOOST_TEST(nft::verb_flags(verb::replace, NFT_MSG_NEWRULE) == NLM_F_REPLACE);
  BOOST_TEST(nft::verb_flags(verb::insert, NFT_MSG_NEWRULE) == NLM_F_CREATE);
  BOOST_TEST(nft::verb_flags(verb::remove, NFT_MSG_DELRULE) == 0);
  nft::batch b;
  table_op(b, verb::create, "x");
  auto& w = b.op(verb::remove, NFT_MSG_DELTABLE, nfnl::family::ipv4, "t");
  w.attr_str(NFTA_TABLE_NAME, "t");
  b.done();
  auto e = std::move(b).finish();
  NFACTOR_REQUIRE_OK(e);
  BOOST_TEST(flags_at(*e, 0) ==
             (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL));
  BOOST_TEST(flags_at(*e, 1) == (NLM_F_REQUEST | NLM_F_ACK));
}

BOOST_AUTO_TEST_CASE(stamping_renumbers_every_operation) {
  nft::batch b;
  for (auto n : {"a", "b", "c"})
    table_op(b, nft::verb::add, n);
  auto e = std::move(b).finish();
  NFACTOR_REQUIRE_OK(e);
  e->stamp(1000);
  BOOST_TEST(e->begin_seq == 1000u);
  BOOST_TEST(e->end_seq() == 1004u);
  for (std::size_t i = 0; i < 3; ++i) {
    BOOST_TEST(seq_at(*e, i) == 1001 + i);
    BOOST_TEST(e->find_seq(static_cast<std::uint32_t>(1001 + i)) == &e->ops[i]);
  }
  BOOST_TEST(e->find_seq(1000) == nullptr);
  BOOST_TEST(e->find_seq(1004) == nullptr);
  BOOST_TEST(e->ops[1].describe() == "NEWTABLE #1 table inet b");
}

BOOST_AUTO_TEST_CASE(first_input_error_wins_and_names_the_operation) {
  nft::batch b;
  table_op(b, nft::verb::add, "fine");
  auto& w = b.op(nft::verb::add, NFT_MSG_NEWTABLE, nfnl::family::ipv4,
                 "table ip <long>");
  std::string long_name(256, 'n');
  if (b.check_name("table", long_name))
    w.attr_str(NFTA_TABLE_NAME, long_name);
  b.done();
  b.check_name("chain", ""); // a second error does not replace the first
  BOOST_TEST(!b.ok());
  auto e = std::move(b).finish();
  BOOST_REQUIRE(!e);
  BOOST_TEST(e.err().code == make_error_code(errc::invalid_argument));
  BOOST_TEST(e.err().detail.find("operation #1") != std::string::npos);
  BOOST_TEST(e.err().detail.find("256 bytes") != std::string::npos);
  BOOST_TEST(nft::validate_name("set", std::string(255, 's')).has_value());
  BOOST_TEST(!nft::validate_name("set", std::string("a\0b", 3)).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
