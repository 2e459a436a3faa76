// SPDX-License-Identifier: Apache-2.0
// Every match and statement of the rule front, committed to a scratch
// namespace and read back by nft: nft decodes what we encoded, so its
// listing is the oracle.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include <linux/netfilter/nf_tables.h>

#include "netns_fixture.hpp"
#include "tx_helpers.hpp"
#include "nfactor/nft/batch_ops.hpp"
#include "nfactor/nft/datatype.hpp"
#include "nfactor/nft/rule_builder.hpp"
#include "nfactor/nft/transaction.hpp"

namespace nft_rule_builder {
using namespace nfactor;
using namespace nfactor::nft::front;
using nfactor::test::needs_kernel;
using nfactor::test::netns_fixture;

struct case_ {
  const char* chain;
  result<nft::rule> rule;
  const char* want; // the rule as `nft list` prints it
};

nft::rule must(result<nft::rule> r) {
  NFACTOR_REQUIRE_OK(r);
  return std::move(*r);
}

nft::chain base_chain(std::uint8_t family, const char* name, std::uint32_t hook,
                      std::int32_t prio, const char* type = "filter") {
  nft::chain c;
  c.family = family;
  c.table = "t";
  c.name = name;
  c.hook =
      nft::hook{.num = hook, .priority = prio, .device = {}, .devices = {}};
  c.type = type;
  c.policy = NF_ACCEPT;
  return c;
}

// Table "t" of `family` and its base chain "in" (input hook).
void add_table_with_input(nft::batch& b, std::uint8_t family) {
  nft::table t;
  t.family = family;
  t.name = "t";
  nft::add(b, t);
  nft::add(b, base_chain(family, "in", NF_INET_LOCAL_IN, 0));
}

rule_builder in(std::uint8_t family, const char* chain) {
  return rule_builder{static_cast<nfnl::family>(family), "t", chain};
}

void check_listing(const nfactor::test::scratch_netns& ns, std::uint8_t family,
                   std::vector<case_>& cases) {
  auto listing =
      ns.nft(std::string{"list table "} +
             nfnl::to_string(static_cast<nfnl::family>(family)) + " t");
  for (auto& c : cases)
    BOOST_TEST(listing.find(std::string{"\t"} + c.want + "\n") !=
                   std::string::npos,
               "rule `" << c.want << "` missing from\n"
                        << listing);
}

} // namespace nft_rule_builder

BOOST_AUTO_TEST_SUITE(nft_rule_builder,
                      *boost::unit_test::precondition(needs_kernel))

BOOST_FIXTURE_TEST_CASE(ip_table_matches_and_statements, netns_fixture) {
  constexpr std::uint8_t f = NFPROTO_IPV4;
  std::vector<case_> cases;
  auto add = [&](const char* chain, rule_builder rb, const char* want) {
    cases.push_back({chain, rb.build(), want});
  };
  add("in",
      in(f, "in")
          .match(ip::saddr, "10.0.0.1")
          .match(udp::dport, 53)
          .counter()
          .accept(),
      "ip saddr 10.0.0.1 udp dport 53 counter packets 0 bytes 0 accept");
  add("in", in(f, "in").match(ip::daddr, "10.1.0.0/16").drop(),
      "ip daddr 10.1.0.0/16 drop");
  add("in", in(f, "in").match(ip::saddr, "10.2.0.0/20").accept(),
      "ip saddr 10.2.0.0/20 accept");
  add("in", in(f, "in").match(tcp::dport, range_of{1000, 2000}).accept(),
      "tcp dport 1000-2000 accept");
  add("in", in(f, "in").match(tcp::sport, 22, cmp_op::ne).next(),
      "tcp sport != 22 continue");
  add("in", in(f, "in").match(udp::sport, range_of{5, 6}, true).drop(),
      "udp sport != 5-6 drop");
  add("in", in(f, "in").match(meta::iifname, "lo").accept(),
      "iifname \"lo\" accept");
  add("out", in(f, "out").match(meta::oifname, "lo").accept(),
      "oifname \"lo\" accept");
  add("in", in(f, "in").match(meta::iif, 1).accept(), "iif \"lo\" accept");
  add("in", in(f, "in").match(meta::mark, 0x10).ret(),
      "meta mark 0x00000010 return");
  add("in", in(f, "in").match(meta::skuid, 0).accept(), "meta skuid 0 accept");
  add("out", in(f, "out").match(meta::skgid, 0).accept(),
      "meta skgid 0 accept");
  add("in",
      in(f, "in").match(ct::state, ct::established | ct::related).accept(),
      "ct state established,related accept");
  add("in", in(f, "in").match(ct::mark, 5).accept(),
      "ct mark 0x00000005 accept");
  add("in", in(f, "in").match(meta::l4proto, 6).accept(),
      "meta l4proto tcp accept");
  add("in", in(f, "in").match(ip::protocol, 17).accept(),
      "ip protocol udp accept");
  add("in", in(f, "in").log({.group = 5000, .prefix = "x"}).accept(),
      "log prefix \"x\" group 5000 accept");
  add("in",
      in(f, "in").log(
          {.group = 7, .prefix = {}, .snaplen = 128, .qthreshold = 16}),
      "log group 7 snaplen 128 queue-threshold 16");
  add("in", in(f, "in").log({.prefix = "hi", .level = 2}),
      "log prefix \"hi\" level crit");
  add("in", in(f, "in").limit({.rate = 10, .unit = 60, .burst = 10}),
      "limit rate 10/minute burst 10 packets");
  add("in", in(f, "in").set_mark(7), "meta mark set 0x00000007");
  add("in", std::move(in(f, "in").match(udp::dport, 9).reject()),
      "udp dport 9 reject");
  add("in", in(f, "in").reject(true),
      // nft folds the l4proto dependency into the statement.
      "reject with tcp reset");
  // queue: this kernel has no nft_queue (nft itself gets ENOENT), see
  // the unit test of the front for its expressions.
  add("in", in(f, "in").match(ip::saddr, "10.9.9.9").jump("sub"),
      "ip saddr 10.9.9.9 jump sub");
  add("in", in(f, "in").match(ip::saddr, "10.9.9.8").go_to("sub"),
      "ip saddr 10.9.9.8 goto sub");
  add("in", in(f, "in").match_set(ip::saddr, "blk").drop(),
      "ip saddr @blk drop");
  add("in", in(f, "in").match_set(ip::saddr, "blk", true).accept(),
      "ip saddr != @blk accept");
  add("in", in(f, "in").match(tcp::dport, 80).accept().comment("web"),
      "tcp dport 80 accept comment \"web\"");
  add("raw", in(f, "raw").match(udp::dport, 123).notrack(),
      "udp dport 123 notrack");
  add("post", in(f, "post").match(meta::oifname, "lo").masquerade(),
      "oifname \"lo\" masquerade");
  add("post", in(f, "post").match(ip::saddr, "10.3.0.1").snat("10.0.0.9"),
      "ip saddr 10.3.0.1 snat to 10.0.0.9");
  add("pre", in(f, "pre").match(tcp::dport, 8080).dnat("10.0.0.8"),
      "tcp dport 8080 dnat to 10.0.0.8");

  nft::batch b;
  add_table_with_input(b, f);
  nft::add(b, base_chain(f, "out", NF_INET_LOCAL_OUT, 0));
  nft::add(b, base_chain(f, "raw", NF_INET_PRE_ROUTING, -300));
  nft::add(b, base_chain(f, "post", NF_INET_POST_ROUTING, 100, "nat"));
  nft::add(b, base_chain(f, "pre", NF_INET_PRE_ROUTING, -100, "nat"));
  nft::chain sub;
  sub.family = f;
  sub.table = "t";
  sub.name = "sub";
  nft::add(b, sub);
  nft::set blk;
  blk.family = f;
  blk.table = "t";
  blk.name = "blk";
  blk.key_type = nft::type_id(nft::datatype::ipv4_addr);
  blk.key_len = 4;
  nft::add(b, blk);
  for (auto& c : cases)
    nft::add(b, must(std::move(c.rule)));
  test::commit_ok(netns, b);
  check_listing(netns, f, cases);
}

BOOST_FIXTURE_TEST_CASE(inet_table_adds_protocol_dependencies, netns_fixture) {
  constexpr std::uint8_t f = NFPROTO_INET;
  std::vector<case_> cases;
  auto add = [&](rule_builder rb, const char* want) {
    cases.push_back({"in", rb.build(), want});
  };
  add(in(f, "in").match(ip::saddr, "10.0.0.1").match(tcp::dport, 22).accept(),
      "ip saddr 10.0.0.1 tcp dport 22 accept");
  add(in(f, "in").match(ip6::saddr, "2001:db8::1").drop(),
      "ip6 saddr 2001:db8::1 drop");
  add(in(f, "in").match(ip6::daddr, "2001:db8::/32").accept(),
      "ip6 daddr 2001:db8::/32 accept");
  add(in(f, "in").match(udp::dport, 7).reject(), "udp dport 7 reject");
  nft::batch b;
  add_table_with_input(b, f);
  for (auto& c : cases)
    nft::add(b, must(std::move(c.rule)));
  test::commit_ok(netns, b);
  check_listing(netns, f, cases);
}

// Bridge and netdev tables see Ethernet frames: an IP field needs the
// frame's protocol (meta protocol), as nft checks it. The hook's protocol
// (meta nfproto) is NFPROTO_BRIDGE / NETDEV there and would never match;
// nft would list it as a match of its own.
BOOST_FIXTURE_TEST_CASE(bridge_and_netdev_tables_check_the_frame_protocol,
                        netns_fixture) {
  for (std::uint8_t f : {NFPROTO_BRIDGE, NFPROTO_NETDEV}) {
    BOOST_TEST_CONTEXT("family " << int(f)) {
      std::vector<case_> cases;
      auto add = [&](rule_builder rb, const char* want) {
        cases.push_back({"c", rb.build(), want});
      };
      add(in(f, "c")
              .match(ip::saddr, "10.0.0.1")
              .match(tcp::dport, 22)
              .accept(),
          "ip saddr 10.0.0.1 tcp dport 22 accept");
      add(in(f, "c").match(ip6::daddr, "2001:db8::1").drop(),
          "ip6 daddr 2001:db8::1 drop");
      auto first = must(in(f, "c").match(ip::saddr, "10.0.0.1").build());
      BOOST_TEST(nft::render(first.exprs.at(0)) ==
                 "[ meta load protocol => reg 1 ]");
      BOOST_TEST(nft::render(first.exprs.at(1)) ==
                 "[ cmp eq reg 1 0x00000008 ]");
      nft::batch b;
      nft::table t;
      t.family = f;
      t.name = "t";
      nft::add(b, t);
      nft::chain c;
      c.family = f;
      c.table = "t";
      c.name = "c";
      nft::add(b, c);
      for (auto& x : cases)
        nft::add(b, must(std::move(x.rule)));
      test::commit_ok(netns, b);
      check_listing(netns, f, cases);
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_values_fail_at_build) {
  auto r1 = in(NFPROTO_IPV4, "c").match(ip::saddr, "10.0.0.300").build();
  BOOST_REQUIRE(!r1);
  BOOST_TEST(r1.err().detail.find("not an address") != std::string::npos);
  auto r2 = in(NFPROTO_IPV4, "c").match(tcp::dport, 70000).build();
  BOOST_REQUIRE(!r2);
  BOOST_TEST(r2.err().detail.find("does not fit") != std::string::npos);
  auto r3 = in(NFPROTO_IPV4, "c").match(ip6::saddr, "::1").build();
  BOOST_REQUIRE(!r3);
  auto r4 =
      in(NFPROTO_IPV4, "c").match(meta::iifname, "waytoolonginterface").build();
  BOOST_REQUIRE(!r4);
  auto r5 = in(NFPROTO_IPV4, "c").jump("").build();
  BOOST_REQUIRE(!r5);
  // An arp table's packets have no IP header.
  auto r6 = in(NFPROTO_ARP, "c").match(ip::saddr, "10.0.0.1").build();
  BOOST_REQUIRE(!r6);
  BOOST_TEST(r6.err().detail.find("cannot match in this family") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
