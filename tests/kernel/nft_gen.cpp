// SPDX-License-Identifier: Apache-2.0
// get_gen, request/ack and dump against nf_tables in a scratch namespace,
// with `nft` as the peer that changes the ruleset.
#include <boost/test/unit_test.hpp>

#include <set>

#include <unistd.h>

#include <linux/netlink.h>
#include <linux/netfilter/nf_tables.h>

#include "netns_fixture.hpp"
#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nft/gen.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/sys/request.hpp"
#include "tx_helpers.hpp"

namespace nft_gen {
using namespace nfactor;
using nfactor::test::needs_kernel;
using nfactor::test::netns_fixture;
using nfactor::test::open_socket;

byte_buffer table_request(std::uint16_t flags, std::uint32_t seq,
                          const char* name = nullptr) {
  byte_buffer req;
  nl::message_writer w{req};
  w.begin(nfnl::nlmsg_type(nfnl::subsys::nftables, NFT_MSG_GETTABLE),
          NLM_F_REQUEST | flags, seq);
  w.put_nfgenmsg(NFPROTO_INET);
  if (name)
    w.attr_str(NFTA_TABLE_NAME, name);
  w.end();
  BOOST_REQUIRE(w.status());
  return req;
}

} // namespace nft_gen

BOOST_AUTO_TEST_SUITE(nft_gen, *boost::unit_test::precondition(needs_kernel))

BOOST_FIXTURE_TEST_CASE(gen_moves_with_each_commit, netns_fixture) {
  auto s = open_socket(netns);
  auto g0 = nft::get_gen(s);
  NFACTOR_REQUIRE_OK(g0);
  netns.nft("add table inet demo");
  auto g1 = nft::get_gen(s);
  BOOST_REQUIRE(g1);
  BOOST_TEST(g1->id == g0->id + 1);
  // In a GETGEN reply the kernel names the asking process (the committer
  // is named only in commit notifications).
  BOOST_REQUIRE(g1->proc_pid);
  BOOST_TEST(*g1->proc_pid == static_cast<std::uint32_t>(::getpid()));
  BOOST_REQUIRE(g1->proc_name);
  BOOST_TEST(std::string{"nfactor_kernel_tests"}.starts_with(*g1->proc_name));
  netns.nft("add table inet demo2; add table ip demo3");
  auto g2 = nft::get_gen(s);
  BOOST_REQUIRE(g2);
  BOOST_TEST(g2->id == g1->id + 1); // one nft invocation, one commit
}

BOOST_FIXTURE_TEST_CASE(dump_sees_tables_and_gen_in_res_id, netns_fixture) {
  netns.nft("add table inet alpha; add table inet beta");
  auto s = open_socket(netns);
  auto gen = nft::get_gen(s);
  BOOST_REQUIRE(gen);
  std::set<std::string> names;
  std::set<std::uint16_t> res_ids;
  auto seq = s.next_seq();
  auto req = table_request(NLM_F_DUMP, seq);
  auto st = sys::dump(s, req, seq, "NFT_MSG_GETTABLE dump",
                      [&](const nl::message& m) -> result<void> {
                        auto h = nfnl::decode_nfgenmsg(m.payload);
                        if (!h)
                          return std::move(h).err();
                        res_ids.insert(h->res_id);
                        nl::attr_reader a{h->rest};
                        while (a.next())
                          if (a.type() == NFTA_TABLE_NAME)
                            names.insert(a.string());
                        return a.status();
                      });
  NFACTOR_REQUIRE_OK(st);
  BOOST_TEST((names == std::set<std::string>{"alpha", "beta"}));
  // Dump messages carry the low 16 bits of the generation.
  BOOST_TEST((res_ids == std::set<std::uint16_t>{
                             static_cast<std::uint16_t>(gen->id & 0xffff)}));
}

BOOST_FIXTURE_TEST_CASE(failed_request_carries_errno_and_op, netns_fixture) {
  auto s = open_socket(netns);
  auto seq = s.next_seq();
  auto req = table_request(NLM_F_ACK, seq, "missing");
  auto st = sys::request(s, req, seq, "NFT_MSG_GETTABLE missing");
  BOOST_REQUIRE(!st);
  BOOST_TEST(st.err().errno_value() == ENOENT);
  BOOST_TEST(st.err().seq == seq);
  BOOST_TEST(st.err().message().find("NFT_MSG_GETTABLE missing") !=
             std::string::npos);
  // The socket stays usable.
  BOOST_TEST(nft::get_gen(s));
}

BOOST_FIXTURE_TEST_CASE(handler_error_is_returned_after_draining,
                        netns_fixture) {
  netns.nft("add table inet a; add table inet b; add table inet c");
  auto s = open_socket(netns);
  auto seq = s.next_seq();
  auto req = table_request(NLM_F_DUMP, seq);
  int calls = 0;
  auto st =
      sys::dump(s, req, seq, "dump", [&](const nl::message&) -> result<void> {
        ++calls;
        return make_error(errc::bad_attribute, "handler");
      });
  BOOST_REQUIRE(!st);
  BOOST_TEST(st.err().op == "handler");
  BOOST_TEST(calls == 1);      // no further parts after the first error
  BOOST_TEST(nft::get_gen(s)); // and nothing stale is left on the socket
}

BOOST_AUTO_TEST_SUITE_END()
