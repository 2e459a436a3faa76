// SPDX-License-Identifier: Apache-2.0
// Every typed operation (tables, chains, rules, sets, maps, elements,
// named objects, flowtables) committed in a scratch namespace and read
// back with `nft -j list ruleset`.
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>

#include <linux/netfilter/nf_tables.h>

#include <nlohmann/json.hpp>

#include "kernel_features.hpp"
#include "netns_fixture.hpp"
#include "tx_helpers.hpp"
#include "nfactor/nft/batch_ops.hpp"
#include "nfactor/nft/datatype.hpp"
#include "nfactor/nft/gen.hpp"
#include "nfactor/nft/rule_builder.hpp"
#include "nfactor/nft/transaction.hpp"

namespace nft_batch_ops {
using namespace nfactor;
using json = nlohmann::json;
using nfactor::test::needs_kernel;
using nfactor::test::netns_fixture;

constexpr std::uint8_t inet = NFPROTO_INET;

struct session {
  const nfactor::test::scratch_netns& ns;
  sys::socket sock;

  explicit session(const nfactor::test::scratch_netns& n)
    : ns(n), sock(nfactor::test::open_socket(n)) {}

  result<nft::commit_result> commit(nft::batch& b) {
    auto enc = std::move(b).finish();
    if (!enc)
      return std::move(enc).err();
    return nft::commit(sock, *enc);
  }

  // Every object of kind `kind` in the listing.
  std::vector<json> list(const std::string& kind) {
    auto j = json::parse(ns.nft_json("list ruleset"));
    std::vector<json> out;
    for (auto& item : j["nftables"])
      if (item.contains(kind))
        out.push_back(item[kind]);
    return out;
  }
};

nft::table table(const char* name) {
  nft::table t;
  t.family = inet;
  t.name = name;
  return t;
}

nft::chain chain(const char* name) {
  nft::chain c;
  c.family = inet;
  c.table = "t";
  c.name = name;
  return c;
}

nft::chain base(const char* name, std::uint32_t hook, std::int32_t prio,
                std::uint32_t policy) {
  auto c = chain(name);
  c.hook =
      nft::hook{.num = hook, .priority = prio, .device = {}, .devices = {}};
  c.type = "filter";
  c.policy = policy;
  return c;
}

nft::rule rule(nft::front::rule_builder rb) {
  auto r = rb.build();
  NFACTOR_REQUIRE_OK(r);
  return std::move(*r);
}

nft::front::rule_builder in(const char* chain) {
  return {nfnl::family::inet, "t", chain};
}

} // namespace nft_batch_ops

BOOST_AUTO_TEST_SUITE(nft_batch_ops,
                      *boost::unit_test::precondition(needs_kernel))

BOOST_FIXTURE_TEST_CASE(tables_and_chains, netns_fixture) {
  session s{netns};
  nft::batch b;
  nft::add(b, table("t"));
  nft::create(b, table("gone"));
  nft::add(b, base("in", NF_INET_LOCAL_IN, -5, NF_DROP));
  nft::add(b, chain("plain"));
  nft::add(b, chain("doomed"));
  auto committed1 = s.commit(b);
  NFACTOR_REQUIRE_OK(committed1);
  nft::batch b2;
  nft::remove(b2, table("gone"));
  nft::remove(b2, chain("doomed"));
  auto committed2 = s.commit(b2);
  NFACTOR_REQUIRE_OK(committed2);
  auto tables = s.list("table");
  BOOST_REQUIRE(tables.size() == 1u);
  BOOST_TEST(tables[0]["name"] == "t");
  BOOST_TEST(tables[0]["family"] == "inet");
  auto chains = s.list("chain");
  BOOST_REQUIRE(chains.size() == 2u);
  auto& in = chains[0]["name"] == "in" ? chains[0] : chains[1];
  auto& plain = chains[0]["name"] == "in" ? chains[1] : chains[0];
  BOOST_TEST(in["type"] == "filter");
  BOOST_TEST(in["hook"] == "input");
  BOOST_TEST(in["prio"] == -5);
  BOOST_TEST(in["policy"] == "drop");
  BOOST_TEST(plain["name"] == "plain");
  BOOST_TEST(!plain.contains("hook"));
}

BOOST_FIXTURE_TEST_CASE(netdev_chain_on_a_device, netns_fixture) {
  session s{netns};
  nft::batch b;
  nft::table t;
  t.family = NFPROTO_NETDEV;
  t.name = "t";
  nft::add(b, t);
  nft::chain c;
  c.family = NFPROTO_NETDEV;
  c.table = "t";
  c.name = "ing";
  c.hook = nft::hook{.num = NF_NETDEV_INGRESS,
                     .priority = 0,
                     .device = std::string{"lo"},
                     .devices = {}};
  c.type = "filter";
  c.policy = NF_ACCEPT;
  nft::add(b, c);
  auto committed3 = s.commit(b);
  NFACTOR_REQUIRE_OK(committed3);
  auto chains = s.list("chain");
  BOOST_REQUIRE(chains.size() == 1u);
  BOOST_TEST(chains[0]["hook"] == "ingress");
  // nft -j 1.0.6 does not print the device of a netdev chain; text does.
  BOOST_TEST(netns.nft("list ruleset").find("hook ingress device \"lo\"") !=
             std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(rules_append_insert_replace_delete_flush,
                        netns_fixture) {
  session s{netns};
  nft::batch b;
  nft::add(b, table("t"));
  nft::add(b, base("in", NF_INET_LOCAL_IN, 0, NF_ACCEPT));
  nft::add(b, rule(in("in").match(nft::front::tcp::dport, 1).accept()));
  nft::add(b, rule(in("in").match(nft::front::tcp::dport, 2).accept()));
  auto committed4 = s.commit(b);
  NFACTOR_REQUIRE_OK(committed4);
  auto handles = [&] {
    std::vector<std::pair<std::uint64_t, std::string>> out;
    auto got = netns.exec("nft -j -a list chain inet t in");
    BOOST_REQUIRE(got.status == 0);
    auto j = json::parse(got.output);
    for (auto& item : j["nftables"])
      if (item.contains("rule")) {
        auto& r = item["rule"];
        out.emplace_back(r["handle"].get<std::uint64_t>(),
                         r["expr"][0]["match"]["right"].dump());
      }
    return out;
  };
  auto h = handles();
  BOOST_REQUIRE(h.size() == 2u);
  // insert before rule 2, append after rule 1, replace rule 1, delete 2.
  nft::batch b2;
  auto before2 = rule(in("in").match(nft::front::tcp::dport, 3).accept());
  before2.position = h[1].first;
  nft::insert(b2, before2);
  auto after1 = rule(in("in").match(nft::front::tcp::dport, 4).accept());
  after1.position = h[0].first;
  nft::add(b2, after1);
  auto first = rule(in("in").match(nft::front::tcp::dport, 5).drop());
  first.handle = h[0].first;
  nft::replace(b2, first);
  auto second = rule(in("in").accept());
  second.handle = h[1].first;
  nft::remove(b2, second);
  auto committed5 = s.commit(b2);
  NFACTOR_REQUIRE_OK(committed5);
  std::vector<std::string> ports;
  for (auto& [handle, port] : handles())
    ports.push_back(port);
  BOOST_TEST((ports == std::vector<std::string>{"5", "4", "3"}));
  // flush chain, then the table is empty of rules.
  nft::batch b3;
  nft::flush(b3, chain("in"));
  auto committed6 = s.commit(b3);
  NFACTOR_REQUIRE_OK(committed6);
  BOOST_TEST(handles().empty());
  nft::batch b4;
  nft::add(b4, rule(in("in").accept()));
  nft::flush(b4, table("t"));
  auto committed7 = s.commit(b4);
  NFACTOR_REQUIRE_OK(committed7);
  BOOST_TEST(handles().empty());
}

BOOST_FIXTURE_TEST_CASE(sets_maps_and_elements, netns_fixture) {
  session s{netns};
  nft::batch b;
  nft::add(b, table("t"));
  nft::set ports;
  ports.family = inet;
  ports.table = "t";
  ports.name = "ports";
  ports.key_type = nft::type_id(nft::datatype::inet_service);
  ports.key_len = 2;
  ports.flags = NFT_SET_INTERVAL | NFT_SET_CONSTANT;
  nft::add(b, ports);
  nft::set seen;
  seen.family = inet;
  seen.table = "t";
  seen.name = "seen";
  seen.key_type = nft::type_id(nft::datatype::ipv4_addr);
  seen.key_len = 4;
  seen.flags = NFT_SET_TIMEOUT | NFT_SET_EVAL;
  seen.timeout = 60000;
  seen.desc = nft::set_desc{.size = 1000, .concat = {}};
  nft::add(b, seen);
  nft::set vmap;
  vmap.family = inet;
  vmap.table = "t";
  vmap.name = "vmap";
  vmap.key_type = nft::type_id(nft::datatype::ipv4_addr);
  vmap.key_len = 4;
  vmap.flags = NFT_SET_MAP;
  vmap.data_type = NFT_DATA_VERDICT;
  nft::add(b, vmap);
  nft::elem_list e;
  e.family = inet;
  e.table = "t";
  e.set = "seen";
  for (auto ip : {0x0a000001u, 0x0a000002u}) {
    nft::set_elem el;
    el.key = nft::make_be(ip, 4);
    el.timeout = 30000;
    e.elems.push_back(el);
  }
  nft::add(b, e);
  nft::elem_list m;
  m.family = inet;
  m.table = "t";
  m.set = "vmap";
  nft::set_elem me;
  me.key = nft::make_be(0x0a000003u, 4);
  me.value = nft::make_verdict(NF_DROP);
  m.elems.push_back(me);
  nft::add(b, m);
  auto committed8 = s.commit(b);
  NFACTOR_REQUIRE_OK(committed8);
  // Delete one element.
  nft::batch b2;
  nft::elem_list d = e;
  d.elems.resize(1);
  d.elems[0].timeout.reset();
  nft::remove(b2, d);
  auto committed9 = s.commit(b2);
  NFACTOR_REQUIRE_OK(committed9);
  std::map<std::string, json> sets;
  for (auto& x : s.list("set"))
    sets[x["name"]] = x;
  for (auto& x : s.list("map"))
    sets[x["name"]] = x;
  BOOST_REQUIRE(sets.size() == 3u);
  BOOST_TEST(sets["ports"]["type"] == "inet_service");
  BOOST_TEST(sets["ports"]["flags"].dump().find("interval") !=
             std::string::npos);
  BOOST_TEST(sets["ports"]["flags"].dump().find("constant") !=
             std::string::npos);
  BOOST_TEST(sets["seen"]["type"] == "ipv4_addr");
  BOOST_TEST(sets["seen"]["timeout"] == 60);
  BOOST_TEST(sets["seen"]["size"] == 1000);
  // nft -j 1.0.6 leaves "dynamic" out of the flags; its text shows it.
  BOOST_TEST(netns.nft("list set inet t seen").find("flags dynamic,timeout") !=
             std::string::npos);
  auto elems = sets["seen"]["elem"];
  BOOST_REQUIRE(elems.size() == 1u);
  BOOST_TEST(elems[0]["elem"]["val"] == "10.0.0.2");
  BOOST_TEST(elems[0]["elem"]["timeout"] == 30);
  BOOST_TEST(sets["vmap"]["map"] == "verdict");
  BOOST_TEST(sets["vmap"]["elem"][0][0] == "10.0.0.3");
  BOOST_TEST(sets["vmap"]["elem"][0][1].dump() == R"({"drop":null})");
  // flush set empties it.
  nft::batch b3;
  nft::flush(b3, seen);
  auto committed10 = s.commit(b3);
  NFACTOR_REQUIRE_OK(committed10);
  for (auto& x : s.list("set"))
    if (x["name"] == "seen")
      BOOST_TEST(!x.contains("elem"));
}

BOOST_FIXTURE_TEST_CASE(named_objects_and_flowtables, netns_fixture) {
  session s{netns};
  nft::batch b;
  nft::add(b, table("t"));
  nft::object c;
  c.family = inet;
  c.table = "t";
  c.name = "hits";
  c.type = NFT_OBJECT_COUNTER;
  c.state = nft::object_data{nft::expr::counter{}};
  nft::add(b, c);
  nft::object q = c;
  q.name = "cap";
  q.type = NFT_OBJECT_QUOTA;
  nft::expr::quota qd;
  qd.bytes = 1000000;
  q.state = nft::object_data{qd};
  nft::add(b, q);
  nft::object l = c;
  l.name = "slow";
  l.type = NFT_OBJECT_LIMIT;
  nft::expr::limit ld;
  ld.rate = 10;
  ld.unit = 1;
  ld.burst = 0;
  ld.type = NFT_LIMIT_PKTS;
  l.state = nft::object_data{ld};
  nft::add(b, l);
  nft::object gone = c;
  gone.name = "gone";
  nft::add(b, gone);
  nft::flowtable ft;
  ft.family = inet;
  ft.table = "t";
  ft.name = "ft";
  ft.hook = nft::flowtable_hook{.num = NF_NETDEV_INGRESS,
                                .priority = 0,
                                .devices = std::vector<std::string>{"lo"}};
  nft::add(b, ft);
  // nft is the oracle for flowtable support (nft_batch_ops_golden has our
  // bytes next to nft's): with it, ours is listed; without it
  // (CONFIG_NF_FLOW_TABLE unset), the kernel refuses ours with ENOENT,
  // as nft's, and the whole batch is left out.
  auto with_ft = s.commit(b);
  if (test::features().flowtables) {
    NFACTOR_REQUIRE_OK(with_ft);
    auto fts = s.list("flowtable");
    BOOST_REQUIRE_EQUAL(fts.size(), 1u);
    BOOST_TEST(fts[0]["name"] == "ft");
    BOOST_TEST(fts[0]["hook"] == "ingress");
    BOOST_TEST(fts[0]["dev"].dump().find("\"lo\"") != std::string::npos,
               fts[0].dump());
    netns.nft("flush ruleset");
  } else {
    BOOST_REQUIRE(!with_ft);
    BOOST_TEST(with_ft.err().errno_value() == ENOENT);
    BOOST_TEST(with_ft.err().op == "NEWFLOWTABLE #5 flowtable inet t ft");
  }
  BOOST_TEST_MESSAGE(
      "flowtables: " << (test::features().flowtables ? "present" : "absent"));
  BOOST_TEST(s.list("table").empty());
  nft::batch b1;
  nft::add(b1, table("t"));
  nft::add(b1, c);
  nft::add(b1, q);
  nft::add(b1, l);
  nft::add(b1, gone);
  auto r1 = s.commit(b1);
  NFACTOR_REQUIRE_OK(r1);
  nft::batch b2;
  nft::remove(b2, gone);
  auto committed11 = s.commit(b2);
  NFACTOR_REQUIRE_OK(committed11);
  auto counters = s.list("counter");
  BOOST_REQUIRE(counters.size() == 1u);
  BOOST_TEST(counters[0]["name"] == "hits");
  auto quotas = s.list("quota");
  BOOST_REQUIRE(quotas.size() == 1u);
  BOOST_TEST(quotas[0]["bytes"] == 1000000);
  auto limits = s.list("limit");
  BOOST_REQUIRE(limits.size() == 1u);
  BOOST_TEST(limits[0]["rate"] == 10);
  BOOST_TEST(limits[0]["per"] == "second");
}

BOOST_FIXTURE_TEST_CASE(bad_input_is_refused_before_sending, netns_fixture) {
  session s{netns};
  auto g0 = nft::get_gen(s.sock);
  NFACTOR_REQUIRE_OK(g0);
  auto refused = [&](auto&& fill, const std::string& words) {
    nft::batch b;
    nft::add(b, table("t"));
    fill(b);
    auto r = s.commit(b);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.err().code == make_error_code(errc::invalid_argument));
    BOOST_TEST(r.err().message().find(words) != std::string::npos,
               r.err().message() << " lacks '" << words << "'");
  };
  refused([](nft::batch& b) { nft::add(b, table("")); }, "table name is empty");
  refused(
      [](nft::batch& b) { nft::add(b, chain(std::string(256, 'c').c_str())); },
      "chain name has 256 bytes, the kernel allows at most 255");
  refused(
      [](nft::batch& b) {
        auto c = base("in", 17, 0, NF_ACCEPT);
        nft::add(b, c);
      },
      "hook 17 does not exist in family inet");
  refused(
      [](nft::batch& b) {
        auto c = base("nat", NF_INET_POST_ROUTING, -300, NF_ACCEPT);
        c.type = "nat";
        nft::add(b, c);
      },
      "above conntrack");
  refused(
      [](nft::batch& b) {
        auto r = rule(in("in").accept());
        nft::remove(b, r); // no handle: would flush the chain
      },
      "named by its handle");
  auto h = nft::hook_from_string(inet, "inptu");
  BOOST_REQUIRE(!h);
  BOOST_TEST(h.err().detail.find("unknown hook 'inptu'") != std::string::npos);
  BOOST_TEST(*nft::hook_from_string(inet, "input") == NF_INET_LOCAL_IN);
  auto p = nft::priority_from_string("filter + 3000000000");
  BOOST_REQUIRE(!p);
  BOOST_TEST(p.err().detail.find("out of range") != std::string::npos);
  BOOST_TEST(*nft::priority_from_string("mangle - 5") == -155);
  BOOST_TEST(*nft::priority_from_string("-2147483648") == INT32_MIN);
  BOOST_TEST(!nft::priority_from_string("fliter"));
  auto g1 = nft::get_gen(s.sock);
  NFACTOR_REQUIRE_OK(g1);
  BOOST_TEST(g1->id == g0->id); // nothing reached the kernel
}

BOOST_AUTO_TEST_SUITE_END()
