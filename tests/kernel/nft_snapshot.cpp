// SPDX-License-Identifier: Apache-2.0
// nft::pull() against a ruleset applied by nft in a scratch namespace,
// compared with `nft -j list ruleset` (the oracle), and the commit framer
// fed by a real NFNLGRP_NFTABLES subscription.
#include <boost/test/unit_test.hpp>

#include <functional>
#include <map>
#include <set>
#include <thread>

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "netns_fixture.hpp"
#include "nft_listing.hpp"
#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nft/event.hpp"
#include "nfactor/nft/snapshot.hpp"
#include "tx_helpers.hpp"

namespace nft_snapshot {
using namespace nfactor;
using nfactor::test::check_equal;
using nfactor::test::from_nft;
using nfactor::test::from_snapshot;
using nfactor::test::needs_kernel;
using nfactor::test::netns_fixture;
using nfactor::test::open_socket;

using commits = std::vector<nft::transaction>;

// Feeds every message read from `mon` to `framer`, collecting the commits
// it completes, until `more(got)` is false; `each` sees every message after
// the framer did.
commits read_commits(
    sys::socket& mon, nft::commit_framer& framer,
    const std::function<bool(const commits&)>& more,
    const std::function<void(const nl::message&, commits&)>& each = {}) {
  commits got;
  std::vector<std::uint8_t> buf(1 << 16);
  while (more(got)) {
    auto ready = mon.wait_readable(std::chrono::seconds{5});
    BOOST_REQUIRE(ready && *ready);
    auto r = mon.recv(buf);
    NFACTOR_REQUIRE_OK(r);
    nl::message_reader rd{byte_view{buf}.first(r->size)};
    while (rd.next()) {
      auto tx = framer.feed(rd.get());
      NFACTOR_REQUIRE_OK(tx);
      if (*tx)
        got.push_back(std::move(**tx));
      if (each)
        each(rd.get(), got);
    }
  }
  return got;
}

const char* const demo_ruleset = R"(
table inet filter {
  set allowed { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.168.1.1 } }
  map ports { type inet_service : verdict; elements = { 22 : accept, 80 : drop } }
  counter hits { }
  quota q { over 1 mbytes }
  chain input {
    type filter hook input priority 0; policy drop;
    ct state established,related accept
    ip saddr @allowed counter accept
    tcp dport vmap @ports
    log prefix "dropped " group 5
  }
  chain other { }
}
table ip nat {
  chain post {
    type nat hook postrouting priority 100;
    masquerade
  }
}
)";

} // namespace nft_snapshot

BOOST_AUTO_TEST_SUITE(nft_snapshot,
                      *boost::unit_test::precondition(needs_kernel))

BOOST_FIXTURE_TEST_CASE(snapshot_equals_nft_list_ruleset, netns_fixture) {
  netns.nft_script(demo_ruleset);
  auto s = open_socket(netns);
  auto rs = nft::pull(s);
  NFACTOR_REQUIRE_OK(rs);
  auto gen = nft::get_gen(s);
  BOOST_REQUIRE(gen);
  BOOST_TEST(rs->gen_id == gen->id);
  BOOST_TEST(rs->attempts == 1u);
  check_equal(from_snapshot(*rs), from_nft(netns.nft_json("list ruleset")));
  BOOST_TEST(rs->rules.size() == 5u);
  // The wire form carries everything.
  byte_buffer wire;
  nft::encode_changes(wire, rs->as_changes());
  auto back = nft::decode_changes(wire);
  NFACTOR_REQUIRE_OK(back);
  auto again = nft::from_changes(rs->gen_id, std::move(*back));
  again.attempts = rs->attempts;
  BOOST_TEST((again.rules == rs->rules));
  BOOST_TEST((again.sets == rs->sets));
}

BOOST_FIXTURE_TEST_CASE(snapshot_of_one_family_or_table, netns_fixture) {
  netns.nft_script(demo_ruleset);
  auto s = open_socket(netns);
  nft::pull_options o;
  o.family = NFPROTO_IPV4;
  auto ip = nft::pull(s, o);
  NFACTOR_REQUIRE_OK(ip);
  BOOST_TEST(ip->tables.size() == 1u);
  BOOST_TEST(ip->rules.size() == 1u);
  o.family = NFPROTO_INET;
  o.table = "filter";
  auto f = nft::pull(s, o);
  NFACTOR_REQUIRE_OK(f);
  BOOST_TEST(f->tables.size() == 1u);
  BOOST_TEST(f->chains.size() == 2u);
  BOOST_TEST(f->sets.size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(rules_per_chain_equal_one_rule_dump, netns_fixture) {
  // Per-chain rule dumps (the default) and one dump of every rule give the
  // same rules in the same order, also for a chain of more rules than one
  // 32 KiB dump part holds.
  std::string script = demo_ruleset;
  script += "table ip long {\n  chain a {\n";
  for (int i = 0; i < 600; ++i)
    script += "    ip saddr 10.0." + std::to_string(i / 256) + "." +
              std::to_string(i % 256) + " counter accept\n";
  script += "  }\n  chain b { udp dport 53 accept; }\n}\n";
  netns.nft_script(script);
  auto s = open_socket(netns);
  auto per_chain = nft::pull(s);
  NFACTOR_REQUIRE_OK(per_chain);
  nft::pull_options whole;
  whole.rules_per_chain = false;
  auto one = nft::pull(s, whole);
  NFACTOR_REQUIRE_OK(one);
  BOOST_TEST(per_chain->gen_id == one->gen_id);
  BOOST_TEST(per_chain->rules.size() == 5u + 601u);
  BOOST_TEST((per_chain->rules == one->rules));
  BOOST_TEST((per_chain->chains == one->chains));
  check_equal(from_snapshot(*per_chain),
              from_nft(netns.nft_json("list ruleset")));
  // A table filter dumps only that table's chains' rules.
  nft::pull_options t;
  t.family = NFPROTO_IPV4;
  t.table = "long";
  auto only = nft::pull(s, t);
  NFACTOR_REQUIRE_OK(only);
  BOOST_TEST(only->rules.size() == 601u);
}

// The kernel sends a commit's object events first and NEWGEN last: every
// change of a multi-command nft run arrives before its NEWGEN, and the
// NEWGEN names the nft process.
BOOST_FIXTURE_TEST_CASE(commit_events_come_before_their_newgen, netns_fixture) {
  auto mon = open_socket(netns, {NFNLGRP_NFTABLES}, 4 << 20);
  netns.nft("add table inet a; add chain inet a c; add rule inet a c counter; "
            "add table ip b");
  nft::commit_framer framer;
  std::vector<std::string> order;
  auto got = read_commits(
      mon, framer, [](const commits& c) { return c.empty(); },
      [&](const nl::message& m, commits&) {
        auto t = nfnl::split_type(m.type).msg;
        order.push_back(t == NFT_MSG_NEWGEN ? "gen" : "obj");
      });
  BOOST_REQUIRE_EQUAL(got.size(), 1u);
  BOOST_TEST(order.back() == "gen");
  BOOST_TEST(std::count(order.begin(), order.end(), "gen") == 1);
  const auto& t = got.front();
  BOOST_REQUIRE_EQUAL(t.changes.size(), 4u);
  BOOST_TEST(nft::kind_name(t.changes[0].entity) == std::string{"table"});
  BOOST_TEST(nft::kind_name(t.changes[2].entity) == std::string{"rule"});
  BOOST_TEST(t.proc_name.value_or("") == "nft");
  auto g = nft::get_gen(mon);
  BOOST_REQUIRE(g);
  BOOST_TEST(t.gen_id == g->id);
}

// Subscribe first, then pull without actors: the framer drops the commit
// the snapshot contains (its events were queued before the pull) and
// yields the one after it.
BOOST_FIXTURE_TEST_CASE(pull_with_framer_yields_only_later_commits,
                        netns_fixture) {
  auto mon = open_socket(netns, {NFNLGRP_NFTABLES}, 4 << 20);
  auto req = open_socket(netns);
  netns.nft("add table inet before");
  nft::commit_framer tail;
  auto rs = nft::pull(req, tail);
  NFACTOR_REQUIRE_OK(rs);
  BOOST_TEST(rs->tables.size() == 1u);
  BOOST_TEST(tail.min_gen() == rs->gen_id);
  netns.nft("add table inet after");
  auto got =
      read_commits(mon, tail, [](const commits& c) { return c.empty(); });
  BOOST_REQUIRE_EQUAL(got.size(), 1u);
  BOOST_TEST(got[0].gen_id > rs->gen_id);
  BOOST_REQUIRE_EQUAL(got[0].changes.size(), 1u);
  const auto* t = std::get_if<nft::table>(&got[0].changes[0].entity);
  BOOST_REQUIRE(t);
  BOOST_TEST(t->name == "after");
}

// Parts: take_part() splits a commit; the last part carries provenance.
BOOST_FIXTURE_TEST_CASE(framer_parts_keep_order_and_provenance, netns_fixture) {
  auto mon = open_socket(netns, {NFNLGRP_NFTABLES}, 4 << 20);
  netns.nft("add table inet p; add chain inet p c; add rule inet p c counter; "
            "add rule inet p c accept; add rule inet p c drop");
  nft::commit_framer framer;
  auto got = read_commits(
      mon, framer,
      [](const commits& c) { return c.empty() || c.back().partial; },
      [&](const nl::message&, commits& c) {
        if (framer.pending() == 2)
          c.push_back(framer.take_part());
      });
  BOOST_REQUIRE_EQUAL(got.size(), 3u);
  BOOST_TEST(got[0].partial);
  BOOST_TEST(got[1].partial);
  BOOST_TEST(!got[2].partial);
  BOOST_TEST(got[0].gen_id == 0u);
  BOOST_TEST(!got[0].proc_name);
  BOOST_TEST(got[2].proc_name.value_or("") == "nft");
  BOOST_TEST(got[0].changes.size() == 2u);
  BOOST_TEST(got[1].changes.size() == 2u);
  BOOST_TEST(got[2].changes.size() == 1u);
  BOOST_TEST(nft::kind_name(got[0].changes[0].entity) == std::string{"table"});
  BOOST_TEST(nft::kind_name(got[2].changes[0].entity) == std::string{"rule"});
}

BOOST_AUTO_TEST_SUITE_END()
