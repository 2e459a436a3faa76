// SPDX-License-Identifier: Apache-2.0
// Reconcile against nf_tables in a scratch namespace: converge, stay idle
// when nothing changed, repair drift, keep other tables, retry after a
// conflicting commit.
#include <boost/test/unit_test.hpp>

#include <string>

#include <linux/netfilter/nf_tables.h>

#include "netns_fixture.hpp"
#include "tx_helpers.hpp"
#include "nfactor/nft/datatype.hpp"
#include "nfactor/nft/gen.hpp"
#include "nfactor/nft/reconcile.hpp"
#include "nfactor/nft/rule_builder.hpp"

namespace nft_reconcile {
using namespace nfactor;
using namespace nfactor::nft::front;
using nfactor::test::needs_kernel;
using nfactor::test::netns_fixture;

constexpr std::uint8_t inet = NFPROTO_INET;

nft::rule rule(const rule_builder& rb) {
  auto r = rb.build();
  NFACTOR_REQUIRE_OK(r);
  return std::move(*r);
}

rule_builder in(const char* chain) {
  return {nfnl::family::inet, "r", chain};
}

nft::set_elem v4(std::uint32_t a) {
  nft::set_elem e;
  e.key = nft::make_be(a, 4);
  return e;
}

// table inet r { set s; counter hits; chain in (input, policy P) {...};
// chain sub {...} }
nft::ruleset desired(std::uint32_t policy, bool variant) {
  nft::ruleset d;
  nft::table t;
  t.family = inet;
  t.name = "r";
  d.tables.push_back(t);
  nft::chain c;
  c.family = inet;
  c.table = "r";
  c.name = "in";
  c.hook = nft::hook{
      .num = NF_INET_LOCAL_IN, .priority = 0, .device = {}, .devices = {}};
  c.type = "filter";
  c.policy = policy;
  d.chains.push_back(c);
  nft::chain sub;
  sub.family = inet;
  sub.table = "r";
  sub.name = "sub";
  d.chains.push_back(sub);
  nft::set s;
  s.family = inet;
  s.table = "r";
  s.name = "s";
  s.key_type = nft::type_id(nft::datatype::ipv4_addr);
  s.key_len = 4;
  d.sets.push_back(
      {s, {v4(0x0a000001), variant ? v4(0x0a000003) : v4(0x0a000002)}});
  nft::object o;
  o.family = inet;
  o.table = "r";
  o.name = "hits";
  o.type = NFT_OBJECT_COUNTER;
  o.state = nft::object_data{nft::expr::counter{}};
  d.objects.push_back(o);
  d.rules.push_back(rule(in("in").match(meta::iifname, "lo").accept()));
  d.rules.push_back(rule(in("in").match_set(ip::saddr, "s").drop()));
  d.rules.push_back(
      rule(in("in").match(tcp::dport, variant ? 23 : 22).counter().accept()));
  d.rules.push_back(rule(in("in").match(udp::dport, 53).jump("sub")));
  d.rules.push_back(rule(in("sub").counter().accept()));
  return d;
}

// table inet o { counter x; quota x Q mbytes; limit l rate R/second }:
// two objects share a name, as the kernel allows for different types.
nft::ruleset objects(std::uint64_t quota_mb, std::uint64_t rate) {
  nft::ruleset d;
  nft::table t;
  t.family = inet;
  t.name = "o";
  d.tables.push_back(t);
  auto obj = [&](const char* name, std::uint32_t type, nft::object_data st) {
    nft::object o;
    o.family = inet;
    o.table = "o";
    o.name = name;
    o.type = type;
    o.state = std::move(st);
    d.objects.push_back(std::move(o));
  };
  obj("x", NFT_OBJECT_COUNTER, nft::expr::counter{});
  obj("x", NFT_OBJECT_QUOTA,
      nft::expr::quota{.bytes = quota_mb << 20, .flags = 0, .consumed = {}});
  obj("l", NFT_OBJECT_LIMIT,
      nft::expr::limit{.rate = rate,
                       .unit = 1,
                       .burst = 5,
                       .type = NFT_LIMIT_PKTS,
                       .flags = 0});
  return d;
}

} // namespace nft_reconcile

BOOST_AUTO_TEST_SUITE(nft_reconcile,
                      *boost::unit_test::precondition(needs_kernel))

BOOST_FIXTURE_TEST_CASE(converges_and_then_stays_idle, netns_fixture) {
  netns.nft("add table ip other; add chain ip other c");
  auto s = test::open_socket(netns);
  auto r1 = nft::reconcile(s, desired(NF_ACCEPT, false));
  NFACTOR_REQUIRE_OK(r1);
  // table, set, its elements, counter, 2 chains, 5 rules.
  BOOST_TEST(r1->operations == 11u);
  auto listing = netns.nft("list table inet r");
  BOOST_TEST(listing.find("ip saddr @s drop") != std::string::npos);
  BOOST_TEST(listing.find("tcp dport 22 counter") != std::string::npos);
  BOOST_TEST(listing.find("udp dport 53 jump sub") != std::string::npos);
  BOOST_TEST(listing.find("10.0.0.1, 10.0.0.2") != std::string::npos);
  BOOST_TEST(listing.find("counter hits") != std::string::npos);
  // The same desired state again: nothing to do, nothing committed.
  auto r2 = nft::reconcile(s, desired(NF_ACCEPT, false));
  NFACTOR_REQUIRE_OK(r2);
  BOOST_TEST(r2->operations == 0u);
  BOOST_TEST(!r2->commit.has_value());
  BOOST_TEST(r2->genid == r1->genid);
  // Tables outside the desired state are never touched.
  BOOST_TEST(netns.nft("list tables").find("table ip other") !=
             std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(changes_only_what_differs, netns_fixture) {
  auto s = test::open_socket(netns);
  NFACTOR_REQUIRE_OK(nft::reconcile(s, desired(NF_ACCEPT, false)));
  // New middle rule, one element swapped, policy drop.
  auto r = nft::reconcile(s, desired(NF_DROP, true));
  NFACTOR_REQUIRE_OK(r);
  // policy update, element delete + add, rule delete + insert = 5.
  BOOST_TEST(r->operations == 5u);
  auto listing = netns.nft("list table inet r");
  BOOST_TEST(listing.find("policy drop") != std::string::npos);
  BOOST_TEST(listing.find("tcp dport 23 counter") != std::string::npos);
  BOOST_TEST(listing.find("tcp dport 22") == std::string::npos);
  BOOST_TEST(listing.find("10.0.0.1, 10.0.0.3") != std::string::npos);
  // Order kept: the replaced rule sits between its old neighbours.
  auto a = listing.find("ip saddr @s drop");
  auto b = listing.find("tcp dport 23");
  auto c = listing.find("udp dport 53 jump sub");
  BOOST_TEST((a < b && b < c));
  auto again = nft::reconcile(s, desired(NF_DROP, true));
  NFACTOR_REQUIRE_OK(again);
  BOOST_TEST(again->operations == 0u);
}

BOOST_FIXTURE_TEST_CASE(repairs_drift, netns_fixture) {
  auto s = test::open_socket(netns);
  NFACTOR_REQUIRE_OK(nft::reconcile(s, desired(NF_ACCEPT, false)));
  netns.nft("add rule inet r in tcp dport 9999 drop; add chain inet r extra; "
            "add element inet r s { 10.9.9.9 }; delete rule inet r sub "
            "handle 9");
  auto r = nft::reconcile(s, desired(NF_ACCEPT, false));
  NFACTOR_REQUIRE_OK(r);
  BOOST_TEST(r->operations >= 3u);
  auto listing = netns.nft("list table inet r");
  BOOST_TEST(listing.find("9999") == std::string::npos);
  BOOST_TEST(listing.find("chain extra") == std::string::npos);
  BOOST_TEST(listing.find("10.9.9.9") == std::string::npos);
  auto again = nft::reconcile(s, desired(NF_ACCEPT, false));
  NFACTOR_REQUIRE_OK(again);
  BOOST_TEST(again->operations == 0u);
}

BOOST_FIXTURE_TEST_CASE(conflict_retries_and_converges, netns_fixture) {
  auto s = test::open_socket(netns);
  nft::reconcile_options o;
  int intrusions = 0;
  o.before_commit = [&](int attempt) {
    // Another writer commits between our pull and our commit, once.
    if (attempt == 1) {
      netns.nft("add table inet intruder");
      ++intrusions;
    }
  };
  auto r = nft::reconcile(s, desired(NF_ACCEPT, false), o);
  NFACTOR_REQUIRE_OK(r);
  BOOST_TEST(intrusions == 1);
  BOOST_TEST(r->attempts == 2u);
  BOOST_TEST(netns.nft("list tables").find("intruder") != std::string::npos);
  auto again = nft::reconcile(s, desired(NF_ACCEPT, false));
  NFACTOR_REQUIRE_OK(again);
  BOOST_TEST(again->operations == 0u);
  // A writer that always gets in first exhausts the budget: conflict.
  nft::reconcile_options always;
  always.max_attempts = 2;
  int n = 0;
  always.before_commit = [&](int) {
    netns.nft("add table inet x" + std::to_string(n++));
  };
  auto lost = nft::reconcile(s, desired(NF_DROP, false), always);
  BOOST_REQUIRE(!lost);
  BOOST_TEST(lost.err().code == make_error_code(errc::conflict));
}

BOOST_FIXTURE_TEST_CASE(no_attempts_is_invalid_argument, netns_fixture) {
  // Zero or negative attempts leave no conflict to report: a typed error,
  // and the kernel is neither read nor written.
  auto s = test::open_socket(netns);
  for (int attempts : {0, -1}) {
    nft::reconcile_options o;
    o.max_attempts = attempts;
    int commits = 0;
    o.before_commit = [&](int) {
      ++commits;
    };
    auto r = nft::reconcile(s, desired(NF_ACCEPT, false), o);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.err().code == make_error_code(errc::invalid_argument));
    BOOST_TEST(r.err().detail.find("max_attempts") != std::string::npos);
    BOOST_TEST(commits == 0);
  }
  BOOST_TEST(netns.nft("list tables").find("table inet r") ==
             std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(named_objects_by_type_and_definition, netns_fixture) {
  auto s = test::open_socket(netns);
  auto r1 = nft::reconcile(s, objects(10, 10));
  NFACTOR_REQUIRE_OK(r1);
  BOOST_TEST(r1->operations == 4u); // table, counter x, quota x, limit l
  auto listing = netns.nft("list table inet o");
  BOOST_TEST(listing.find("counter x") != std::string::npos);
  BOOST_TEST(listing.find("quota x") != std::string::npos);
  BOOST_TEST(listing.find("10 mbytes") != std::string::npos);
  BOOST_TEST(listing.find("rate 10/second") != std::string::npos);
  auto idle = nft::reconcile(s, objects(10, 10));
  NFACTOR_REQUIRE_OK(idle);
  BOOST_TEST(idle->operations == 0u);

  // A new quota is updated in place, a new limit replaced; the counter
  // that shares the quota's name stays.
  auto r2 = nft::reconcile(s, objects(20, 25));
  NFACTOR_REQUIRE_OK(r2);
  BOOST_TEST(r2->operations == 3u); // quota update, limit delete + add
  listing = netns.nft("list table inet o");
  BOOST_TEST(listing.find("20 mbytes") != std::string::npos);
  BOOST_TEST(listing.find("rate 25/second") != std::string::npos);
  BOOST_TEST(listing.find("counter x") != std::string::npos);
  auto again = nft::reconcile(s, objects(20, 25));
  NFACTOR_REQUIRE_OK(again);
  BOOST_TEST(again->operations == 0u);

  // The desired state without the quota: only the quota goes.
  auto fewer = objects(20, 25);
  fewer.objects.erase(fewer.objects.begin() + 1);
  auto r3 = nft::reconcile(s, fewer);
  NFACTOR_REQUIRE_OK(r3);
  BOOST_TEST(r3->operations == 1u);
  listing = netns.nft("list table inet o");
  BOOST_TEST(listing.find("quota x") == std::string::npos);
  BOOST_TEST(listing.find("counter x") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
