// SPDX-License-Identifier: Apache-2.0
// Tables, chains, sets, elements and objects: golden kernel dump replies
// (tests/golden/capture_nft.py) decode to the values nft listed and
// re-encode to the same attributes.
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <map>
#include <set>

#include "bytes_check.hpp"
#include "netns_fixture.hpp"
#include "nfactor/nft/chain.hpp"
#include "nfactor/nft/elem.hpp"
#include "nfactor/nft/object.hpp"
#include "nfactor/nft/set.hpp"
#include "nfactor/nft/table.hpp"
#include "nfactor/nft/rule.hpp"
#include "nft_golden.hpp"

namespace nft_objects {
using namespace nfactor;
using nfactor::test::as_message;
using nfactor::test::bytes_equal;
using nfactor::test::golden_attrs;
using nfactor::test::nft_golden_messages;
using nfactor::test::reencode;

template <class Decode>
int round_trip_all(std::string_view kind, std::uint16_t max_type,
                   Decode decode) {
  int n = 0;
  for (const auto& g : nft_golden_messages()) {
    if (g.kind != kind)
      continue;
    ++n;
    BOOST_TEST_CONTEXT(g.source) {
      auto m = as_message(g.bytes);
      auto x = decode(m);
      NFACTOR_REQUIRE_OK(x);
      BOOST_TEST(x->family == m.payload[0]);
      BOOST_TEST(bytes_equal(reencode(*x, m),
                             test::drop_unknown(golden_attrs(m), max_type)));
    }
  }
  return n;
}

template <class T, class Decode>
std::vector<T> all_of(std::string_view kind, Decode decode) {
  std::vector<T> out;
  for (const auto& g : nft_golden_messages())
    if (g.kind == kind)
      if (auto x = decode(as_message(g.bytes)))
        out.push_back(std::move(*x));
  return out;
}

} // namespace nft_objects

BOOST_AUTO_TEST_SUITE(nft_objects)

BOOST_AUTO_TEST_CASE(golden_objects_round_trip) {
  BOOST_TEST(round_trip_all("table", NFTA_TABLE_MAX, nft::decode_table) == 4);
  BOOST_TEST(round_trip_all("chain", NFTA_CHAIN_MAX, nft::decode_chain) >= 6);
  BOOST_TEST(round_trip_all("set", NFTA_SET_MAX, nft::decode_set) >= 6);
  BOOST_TEST(round_trip_all("setelem", NFTA_SET_ELEM_LIST_MAX,
                            nft::decode_elems) >= 6);
  BOOST_TEST(round_trip_all("obj", NFTA_OBJ_MAX, nft::decode_object) >= 4);
}

BOOST_AUTO_TEST_CASE(chains_carry_hook_type_policy) {
  auto chains = all_of<nft::chain>("chain", nft::decode_chain);
  bool found_c1 = false, found_pre = false, found_netdev = false;
  for (const auto& c : chains) {
    if (c.table == "t" && c.name == "c1") {
      found_c1 = true;
      BOOST_TEST(c.family == NFPROTO_INET);
      BOOST_REQUIRE(c.hook);
      BOOST_TEST(*c.hook->num == unsigned{NF_INET_LOCAL_IN});
      BOOST_TEST(*c.hook->priority == 0);
      BOOST_TEST(*c.policy == unsigned{NF_ACCEPT});
      BOOST_TEST(*c.type == "filter");
      BOOST_TEST(c.handle.has_value());
    }
    if (c.name == "pre") {
      found_pre = true;
      BOOST_TEST(*c.hook->priority == -100);
      BOOST_TEST(*c.type == "nat");
    }
    if (c.family == NFPROTO_NETDEV) {
      found_netdev = true;
      BOOST_REQUIRE(c.hook);
      auto dev = c.hook->device ? *c.hook->device
                 : c.hook->devices && !c.hook->devices->empty()
                     ? c.hook->devices->front()
                     : std::string{};
      BOOST_TEST(dev == "lo");
    }
    if (c.name == "c2")
      BOOST_TEST(!c.is_base());
  }
  BOOST_TEST(found_c1);
  BOOST_TEST(found_pre);
  BOOST_TEST(found_netdev);
}

BOOST_AUTO_TEST_CASE(sets_maps_and_elements) {
  auto sets = all_of<nft::set>("set", nft::decode_set);
  std::map<std::string, nft::set> by_name;
  for (auto& s : sets)
    by_name[s.name] = s;
  BOOST_TEST((*by_name["s4"].flags & NFT_SET_INTERVAL) != 0u);
  BOOST_TEST(*by_name["s4"].key_len == 4u);
  BOOST_TEST(by_name["m1"].is_map());
  BOOST_TEST(*by_name["m1"].data_type == unsigned{NFT_DATA_VERDICT});
  BOOST_TEST(*by_name["sd"].timeout == 30000u);
  BOOST_TEST(*by_name["sd"].desc->size == 1024u);
  BOOST_TEST(by_name["cs"].desc->concat->size() == 2u);
  BOOST_TEST(by_name["cs"].exprs.size() == 1u);
  BOOST_TEST(*by_name["om"].obj_type == unsigned{NFT_OBJECT_COUNTER});

  // A dump may split one set's elements over several messages.
  std::map<std::string, nft::elem_list> merged;
  for (auto& l : all_of<nft::elem_list>("setelem", nft::decode_elems)) {
    auto& m = merged[l.set];
    m.set = l.set;
    m.elems.insert(m.elems.end(), l.elems.begin(), l.elems.end());
  }
  for (const auto& [name, l] : merged) {
    if (l.set == "m1") {
      BOOST_REQUIRE(l.elems.size() == 2u);
      std::set<std::string> verdicts;
      for (const auto& e : l.elems) {
        BOOST_REQUIRE(e.value && e.value->verdict);
        verdicts.insert(std::string{nft::verdict_name(e.value->verdict->code)} +
                        e.value->verdict->chain.value_or(""));
      }
      BOOST_TEST((verdicts == std::set<std::string>{"accept", "jumpc2"}));
    }
    if (l.set == "s4") {
      int ends = 0;
      for (const auto& e : l.elems)
        ends += e.is_interval_end();
      BOOST_TEST(ends >= 2);
    }
    if (l.set == "cs") {
      BOOST_REQUIRE(!l.elems.empty());
      BOOST_TEST(l.elems.front().key_end.has_value());
      BOOST_TEST(l.elems.front().exprs.size() == 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(objects_decode_typed_state) {
  auto objs = all_of<nft::object>("obj", nft::decode_object);
  int typed = 0;
  for (const auto& o : objs) {
    if (o.name == "c1") {
      auto* c = std::get_if<nft::expr::counter>(&*o.state);
      BOOST_REQUIRE(c);
      BOOST_TEST(c->packets == 1u);
      BOOST_TEST(c->bytes == 2u);
      ++typed;
    }
    if (o.name == "q1") {
      auto* q = std::get_if<nft::expr::quota>(&*o.state);
      BOOST_REQUIRE(q);
      BOOST_TEST(q->bytes == 100u * 1024 * 1024);
      BOOST_TEST(q->flags == unsigned{NFT_QUOTA_F_INV});
      ++typed;
    }
    if (o.name == "l1") {
      auto* l = std::get_if<nft::expr::limit>(&*o.state);
      BOOST_REQUIRE(l);
      BOOST_TEST(l->rate == 10u);
      BOOST_TEST(l->unit == 1u);
      ++typed;
    }
  }
  BOOST_TEST(typed == 3);
}

BOOST_AUTO_TEST_CASE(tables_and_rule_comment) {
  auto tables = all_of<nft::table>("table", nft::decode_table);
  BOOST_TEST(tables.size() == 4u);
  for (const auto& t : tables)
    BOOST_TEST(t.handle.has_value());
  bool found = false;
  for (const auto& g : nft_golden_messages()) {
    if (std::string_view{g.kind} != "rule")
      continue;
    auto r = nft::decode_rule(as_message(g.bytes));
    NFACTOR_REQUIRE_OK(r);
    if (auto c = r->comment()) {
      BOOST_TEST(*c == "a comment");
      BOOST_TEST(*r->userdata == nft::comment_userdata("a comment"));
      found = true;
    }
  }
  BOOST_TEST(found);
}

BOOST_AUTO_TEST_CASE(wrong_message_type_is_an_error) {
  for (const auto& g : nft_golden_messages()) {
    if (std::string_view{g.kind} != "table")
      continue;
    auto m = as_message(g.bytes);
    BOOST_TEST(!nft::decode_chain(m).has_value());
    BOOST_TEST(!nft::decode_rule(m).has_value());
    return;
  }
}

BOOST_AUTO_TEST_SUITE_END()
