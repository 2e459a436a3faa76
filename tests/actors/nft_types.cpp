// SPDX-License-Identifier: Apache-2.0
// The monitor's message types survive CAF serialization (the path between
// nodes): transactions and snapshots travel in netlink wire form.
#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "../unit/nft_golden.hpp"
#include "actor_system_fixture.hpp"
#include "nfactor/actors/nft_types.hpp"
#include "nfactor/actors/system.hpp"

namespace nft_types {
using namespace nfactor;

using system_fixture = test::actor_system_fixture;

// Every golden message as a change of one transaction.
nft::transaction golden_transaction() {
  nft::transaction t{42, 1234u, std::string{"nft"}, {}};
  for (const auto& g : test::nft_golden_messages()) {
    auto n = nft::decode_notification(test::as_message(g.bytes));
    BOOST_REQUIRE(n && *n);
    auto* c = std::get_if<nft::change>(&**n);
    BOOST_REQUIRE(c);
    c->flags = 0;
    t.changes.push_back(std::move(*c));
  }
  return t;
}

} // namespace nft_types

BOOST_AUTO_TEST_SUITE(nft_types)

BOOST_FIXTURE_TEST_CASE(transaction_round_trips, system_fixture) {
  auto t = golden_transaction();
  BOOST_TEST(t.changes.size() == test::nft_golden_messages().size());
  auto back = round_trip(t);
  BOOST_TEST(back.gen_id == 42u);
  BOOST_TEST(back.proc_name.value_or("") == "nft");
  BOOST_TEST((back == t));
  // No changes, but every other field set (a default value would
  // survive a serializer that dropped them all).
  nft::transaction bare{7, 99u, std::string{"x"}, {}};
  bare.partial = true;
  auto bare2 = round_trip(bare);
  BOOST_TEST((bare2 == bare));
  BOOST_TEST(bare2.proc_pid.value_or(0) == 99u);
  BOOST_TEST(bare2.partial);
  nft::transaction part = golden_transaction();
  part.gen_id = 0;
  part.partial = true;
  BOOST_TEST((round_trip(part) == part));
}

BOOST_FIXTURE_TEST_CASE(monitor_stats_carry_the_common_record, system_fixture) {
  actors::monitor_stats s;
  s.common.received = 7;
  s.common.delivered = 5;
  s.common.enobufs = 1;
  s.common.rcvbuf = 1 << 20;
  s.parts = 3;
  s.stalls = 2;
  s.min_gen = 9;
  auto back = round_trip(s);
  BOOST_TEST((back.common == s.common));
  BOOST_TEST(back.parts == 3u);
  BOOST_TEST(back.stalls == 2u);
  BOOST_TEST(back.min_gen == 9u);
}

BOOST_FIXTURE_TEST_CASE(flat_batch_and_ruleset_round_trip, system_fixture) {
  auto t = golden_transaction();
  actors::flat_batch fb{nft::flatten(t)};
  auto back = round_trip(fb);
  BOOST_TEST((back.events == fb.events));

  auto rs = nft::from_changes(7, t.changes);
  rs.attempts = 2;
  auto rs2 = round_trip(rs);
  BOOST_TEST(rs2.gen_id == 7u);
  BOOST_TEST(rs2.attempts == 2u);
  BOOST_TEST(!rs.rules.empty());
  BOOST_TEST(!rs.tables.empty());
  BOOST_TEST((rs2 == rs));

  // A desired state's rules have no handles, and a counter and a quota
  // may share a name: every one of them arrives.
  nft::ruleset want;
  for (auto port : {22, 23, 24}) {
    nft::rule rule;
    rule.family = NFPROTO_INET;
    rule.table = "t";
    rule.chain = "c";
    rule.exprs.push_back(nft::expr::counter{});
    rule.userdata = byte_buffer{static_cast<std::uint8_t>(port)};
    want.rules.push_back(std::move(rule));
  }
  for (auto type : {NFT_OBJECT_COUNTER, NFT_OBJECT_QUOTA}) {
    nft::object o;
    o.family = NFPROTO_INET;
    o.table = "t";
    o.name = "x";
    o.type = type;
    want.objects.push_back(o);
  }
  auto want2 = round_trip(want);
  BOOST_TEST((want2.rules == want.rules));
  BOOST_TEST((want2.objects == want.objects));

  actors::resync_needed r{3, 99, 5};
  auto r2 = round_trip(r);
  BOOST_TEST((r2 == r));
  BOOST_TEST(!(r2 == actors::resync_needed{}));
}

BOOST_AUTO_TEST_SUITE_END()
