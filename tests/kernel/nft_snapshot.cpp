// SPDX-License-Identifier: Apache-2.0
// nft::pull() against a ruleset applied by nft in a scratch namespace,
// compared with `nft -j list ruleset` (the oracle), and the commit framer
// fed by a real NFNLGRP_NFTABLES subscription.
#include <boost/test/unit_test.hpp>

#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "netns_fixture.hpp"
#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nft/event.hpp"
#include "nfactor/nft/snapshot.hpp"

using namespace nfactor;
using nfactor::test::needs_kernel;
using nfactor::test::netns_fixture;
using json = nlohmann::json;

namespace {

sys::socket open_in(const test::scratch_netns& ns,
                    std::vector<unsigned> groups = {}, int rcvbuf = 0) {
  sys::socket_options o;
  o.ns = ns.ns();
  o.groups = std::move(groups);
  o.rcvbuf = rcvbuf;
  auto s = sys::socket::open(o);
  NFACTOR_REQUIRE_OK(s);
  return std::move(*s);
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

// What `nft -j list ruleset` says, reduced to comparable strings.
struct listing {
  std::set<std::string> tables, chains, sets, objects;
  std::multiset<std::string> rules; // "family table chain handle"
  std::map<std::string, std::size_t> elements;
};

std::string fam(std::uint8_t f) {
  return nfnl::to_string(static_cast<nfnl::family>(f));
}

listing from_nft(const std::string& text) {
  listing l;
  auto j = json::parse(text);
  for (const auto& item : j["nftables"]) {
    if (item.contains("table")) {
      const auto& t = item["table"];
      l.tables.insert(t["family"].get<std::string>() + " " +
                      t["name"].get<std::string>());
    } else if (item.contains("chain")) {
      const auto& c = item["chain"];
      l.chains.insert(c["family"].get<std::string>() + " " +
                      c["table"].get<std::string>() + " " +
                      c["name"].get<std::string>() + " " +
                      std::to_string(c["handle"].get<std::uint64_t>()));
    } else if (item.contains("rule")) {
      const auto& r = item["rule"];
      l.rules.insert(r["family"].get<std::string>() + " " +
                     r["table"].get<std::string>() + " " +
                     r["chain"].get<std::string>() + " " +
                     std::to_string(r["handle"].get<std::uint64_t>()));
    } else if (item.contains("set") || item.contains("map")) {
      const auto& s = item.contains("set") ? item["set"] : item["map"];
      auto key = s["family"].get<std::string>() + " " +
                 s["table"].get<std::string>() + " " +
                 s["name"].get<std::string>();
      l.sets.insert(key);
      l.elements[key] = s.contains("elem") ? s["elem"].size() : 0;
    } else if (item.contains("counter") || item.contains("quota")) {
      const auto& o =
          item.contains("counter") ? item["counter"] : item["quota"];
      l.objects.insert(o["family"].get<std::string>() + " " +
                       o["table"].get<std::string>() + " " +
                       o["name"].get<std::string>());
    }
  }
  return l;
}

listing from_snapshot(const nft::ruleset& rs) {
  listing l;
  for (const auto& t : rs.tables)
    l.tables.insert(fam(t.family) + " " + t.name);
  for (const auto& c : rs.chains)
    l.chains.insert(fam(c.family) + " " + c.table + " " + c.name + " " +
                    std::to_string(*c.handle));
  for (const auto& r : rs.rules)
    l.rules.insert(fam(r.family) + " " + r.table + " " + r.chain + " " +
                   std::to_string(*r.handle));
  for (const auto& s : rs.sets) {
    auto key = fam(s.set.family) + " " + s.set.table + " " + s.set.name;
    l.sets.insert(key);
    // nft shows an interval once; the kernel stores start and end.
    std::size_t n = 0;
    for (const auto& e : s.elems)
      n += !e.is_interval_end();
    l.elements[key] = n;
  }
  for (const auto& o : rs.objects)
    l.objects.insert(fam(o.family) + " " + o.table + " " + o.name);
  return l;
}

void check_equal(const listing& got, const listing& want) {
  BOOST_TEST(got.tables == want.tables, boost::test_tools::per_element());
  BOOST_TEST(got.chains == want.chains, boost::test_tools::per_element());
  BOOST_TEST(got.rules == want.rules, boost::test_tools::per_element());
  BOOST_TEST(got.sets == want.sets, boost::test_tools::per_element());
  BOOST_TEST(got.objects == want.objects, boost::test_tools::per_element());
  for (const auto& [k, n] : want.elements)
    BOOST_TEST(got.elements.at(k) == n, k);
}

} // namespace

BOOST_AUTO_TEST_SUITE(nft_snapshot,
                      *boost::unit_test::precondition(needs_kernel))

BOOST_FIXTURE_TEST_CASE(snapshot_equals_nft_list_ruleset, netns_fixture) {
  netns.nft_script(demo_ruleset);
  auto s = open_in(netns);
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
  auto s = open_in(netns);
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

// The kernel sends a commit's object events first and NEWGEN last: every
// change of a multi-command nft run arrives before its NEWGEN, and the
// NEWGEN names the nft process.
BOOST_FIXTURE_TEST_CASE(commit_events_come_before_their_newgen, netns_fixture) {
  auto mon = open_in(netns, {NFNLGRP_NFTABLES}, 4 << 20);
  netns.nft("add table inet a; add chain inet a c; add rule inet a c counter; "
            "add table ip b");
  nft::commit_framer framer;
  std::vector<nft::transaction> got;
  std::vector<std::uint8_t> buf(1 << 16);
  std::vector<std::string> order;
  while (got.empty()) {
    auto ready = mon.wait_readable(std::chrono::seconds{5});
    BOOST_REQUIRE(ready && *ready);
    auto r = mon.recv(buf);
    NFACTOR_REQUIRE_OK(r);
    nl::message_reader rd{byte_view{buf}.first(r->size)};
    while (rd.next()) {
      auto t = nfnl::split_type(rd.get().type).msg;
      order.push_back(t == NFT_MSG_NEWGEN ? "gen" : "obj");
      auto tx = framer.feed(rd.get());
      NFACTOR_REQUIRE_OK(tx);
      if (*tx)
        got.push_back(std::move(**tx));
    }
  }
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

BOOST_AUTO_TEST_SUITE_END()
