// SPDX-License-Identifier: Apache-2.0
// The nft JSON reader and writer (nft/json.hpp) on the expressions beyond
// the rule front's: jhash, symhash, rt, exthdr, tcp option, dup, fwd, and
// concatenations after an IPv6 address. Each case is a rule's "expr" as
// `nft -j list ruleset` (nft 1.0.6, kernel 6.18) lists it; the reader
// must give the expressions nft sends for it (`nft --debug=netlink -f` of
// the nft rule in the comment, libnftnl rendering), and the writer must
// list those expressions as that same JSON.
#include <boost/test/unit_test.hpp>

#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netns_fixture.hpp"
#include "nfactor/nft/json.hpp"
#include "nfactor/nft/rule.hpp"

using namespace nfactor;

namespace {

struct json_case {
  const char* family;
  const char* expr; // the rule's "expr" array
  const char* rendered;
};

// nft's commands for each, in order: table ip t / ip6 six / netdev n.
const json_case cases[] = {
    // ct mark set jhash ip saddr . tcp dport mod 2 seed 0xdeadbeef offset 100
    {"ip",
     R"([{"mangle": {"key": {"ct": {"key": "mark"}}, "value": {"jhash":
       {"mod": 2, "seed": 3735928559, "offset": 100, "expr": {"concat":
       [{"payload": {"protocol": "ip", "field": "saddr"}}, {"payload":
       {"protocol": "tcp", "field": "dport"}}]}}}}}])",
     "  [ meta load l4proto => reg 1 ]\n"
     "  [ cmp eq reg 1 0x00000006 ]\n"
     "  [ payload load 4b @ network header + 12 => reg 2 ]\n"
     "  [ payload load 2b @ transport header + 2 => reg 13 ]\n"
     "  [ hash reg 1 = jhash(reg 2, 8, 0xdeadbeef) % mod 2 offset 100 ]\n"
     "  [ ct set mark with reg 1 ]\n"},
    // meta mark set symhash mod 2 offset 100
    {"ip",
     R"([{"mangle": {"key": {"meta": {"key": "mark"}}, "value": {"symhash":
       {"mod": 2, "offset": 100}}}}])",
     "  [ hash reg 1 = symhash() % mod 2 offset 100 ]\n"
     "  [ meta set mark with reg 1 ]\n"},
    // jhash ip saddr mod 2 1 accept
    {"ip",
     R"([{"match": {"op": "==", "left": {"jhash": {"mod": 2, "expr":
       {"payload": {"protocol": "ip", "field": "saddr"}}}}, "right": 1}},
       {"accept": null}])",
     "  [ payload load 4b @ network header + 12 => reg 2 ]\n"
     "  [ hash reg 1 = jhash(reg 2, 4, 0x0) % mod 2 ]\n"
     "  [ cmp eq reg 1 0x00000001 ]\n"
     "  [ immediate reg 0 accept ]\n"},
    // jhash ip6 saddr . tcp dport mod 4 2 accept
    {"ip6",
     R"([{"match": {"op": "==", "left": {"jhash": {"mod": 4, "expr":
       {"concat": [{"payload": {"protocol": "ip6", "field": "saddr"}},
       {"payload": {"protocol": "tcp", "field": "dport"}}]}}}, "right": 2}},
       {"accept": null}])",
     "  [ meta load l4proto => reg 1 ]\n"
     "  [ cmp eq reg 1 0x00000006 ]\n"
     "  [ payload load 16b @ network header + 8 => reg 2 ]\n"
     "  [ payload load 2b @ transport header + 2 => reg 3 ]\n"
     "  [ hash reg 1 = jhash(reg 2, 20, 0x0) % mod 4 ]\n"
     "  [ cmp eq reg 1 0x00000002 ]\n"
     "  [ immediate reg 0 accept ]\n"},
    // ip6 saddr . tcp dport @s accept: the port in reg 2 (NFT_REG32_04)
    {"ip6",
     R"([{"match": {"op": "==", "left": {"concat": [{"payload": {"protocol":
       "ip6", "field": "saddr"}}, {"payload": {"protocol": "tcp", "field":
       "dport"}}]}, "right": "@s"}}, {"accept": null}])",
     "  [ meta load l4proto => reg 1 ]\n"
     "  [ cmp eq reg 1 0x00000006 ]\n"
     "  [ payload load 16b @ network header + 8 => reg 1 ]\n"
     "  [ payload load 2b @ transport header + 2 => reg 2 ]\n"
     "  [ lookup reg 1 set s ]\n"
     "  [ immediate reg 0 accept ]\n"},
    // rt classid 10 accept
    {"ip",
     R"([{"match": {"op": "==", "left": {"rt": {"key": "classid"}},
       "right": "10"}}, {"accept": null}])",
     "  [ rt load classid => reg 1 ]\n"
     "  [ cmp eq reg 1 0x0000000a ]\n"
     "  [ immediate reg 0 accept ]\n"},
    // rt ip nexthop 10.0.0.1 accept
    {"ip",
     R"([{"match": {"op": "==", "left": {"rt": {"key": "nexthop", "family":
       "ip"}}, "right": "10.0.0.1"}}, {"accept": null}])",
     "  [ rt load nexthop4 => reg 1 ]\n"
     "  [ cmp eq reg 1 0x0100000a ]\n"
     "  [ immediate reg 0 accept ]\n"},
    // rt ip6 nexthop fe80::1 accept
    {"ip6",
     R"([{"match": {"op": "==", "left": {"rt": {"key": "nexthop", "family":
       "ip6"}}, "right": "fe80::1"}}, {"accept": null}])",
     "  [ rt load nexthop6 => reg 1 ]\n"
     "  [ cmp eq reg 1 0x000080fe 0x00000000 0x00000000 0x01000000 ]\n"
     "  [ immediate reg 0 accept ]\n"},
    // rt mtu 1500 accept
    {"ip6",
     R"([{"match": {"op": "==", "left": {"rt": {"key": "mtu"}}, "right":
       1500}}, {"accept": null}])",
     "  [ rt load tcpmss => reg 1 ]\n"
     "  [ cmp eq reg 1 0x000005dc ]\n"
     "  [ immediate reg 0 accept ]\n"},
    // tcp option maxseg size 1400 accept
    {"ip",
     R"([{"match": {"op": "==", "left": {"tcp option": {"name": "maxseg",
       "field": "size"}}, "right": 1400}}, {"accept": null}])",
     "  [ exthdr load tcpopt 2b @ 2 + 2 => reg 1 ]\n"
     "  [ cmp eq reg 1 0x00007805 ]\n"
     "  [ immediate reg 0 accept ]\n"},
    // tcp option sack-perm exists accept
    {"ip",
     R"([{"match": {"op": "==", "left": {"tcp option": {"name":
       "sack-perm"}}, "right": true}}, {"accept": null}])",
     "  [ exthdr load tcpopt 1b @ 4 + 0 present => reg 1 ]\n"
     "  [ cmp eq reg 1 0x00000001 ]\n"
     "  [ immediate reg 0 accept ]\n"},
    // tcp option window missing drop
    {"ip",
     R"([{"match": {"op": "==", "left": {"tcp option": {"name": "window"}},
       "right": false}}, {"drop": null}])",
     "  [ exthdr load tcpopt 1b @ 3 + 0 present => reg 1 ]\n"
     "  [ cmp eq reg 1 0x00000000 ]\n"
     "  [ immediate reg 0 drop ]\n"},
    // tcp option sack1 left 5 accept
    {"ip",
     R"([{"match": {"op": "==", "left": {"tcp option": {"name": "sack1",
       "field": "left"}}, "right": 5}}, {"accept": null}])",
     "  [ exthdr load tcpopt 4b @ 5 + 10 => reg 1 ]\n"
     "  [ cmp eq reg 1 0x05000000 ]\n"
     "  [ immediate reg 0 accept ]\n"},
    // tcp option maxseg size set 1360
    {"ip",
     R"([{"mangle": {"key": {"tcp option": {"name": "maxseg", "field":
       "size"}}, "value": 1360}}])",
     "  [ immediate reg 1 0x00005005 ]\n"
     "  [ exthdr write tcpopt reg 1 => 2b @ 2 + 2 ]\n"},
    // exthdr hbh exists accept
    {"ip6",
     R"([{"match": {"op": "==", "left": {"exthdr": {"name": "hbh"}},
       "right": true}}, {"accept": null}])",
     "  [ exthdr load ipv6 1b @ 0 + 0 present => reg 1 ]\n"
     "  [ cmp eq reg 1 0x00000001 ]\n"
     "  [ immediate reg 0 accept ]\n"},
    // rt type 0 drop
    {"ip6",
     R"([{"match": {"op": "==", "left": {"exthdr": {"name": "rt", "field":
       "type"}}, "right": 0}}, {"drop": null}])",
     "  [ exthdr load ipv6 1b @ 43 + 2 => reg 1 ]\n"
     "  [ cmp eq reg 1 0x00000000 ]\n"
     "  [ immediate reg 0 drop ]\n"},
    // hbh nexthdr tcp accept
    {"ip6",
     R"([{"match": {"op": "==", "left": {"exthdr": {"name": "hbh", "field":
       "nexthdr"}}, "right": "tcp"}}, {"accept": null}])",
     "  [ exthdr load ipv6 1b @ 0 + 0 => reg 1 ]\n"
     "  [ cmp eq reg 1 0x00000006 ]\n"
     "  [ immediate reg 0 accept ]\n"},
    // frag id 5 drop
    {"ip6",
     R"([{"match": {"op": "==", "left": {"exthdr": {"name": "frag", "field":
       "id"}}, "right": 5}}, {"drop": null}])",
     "  [ exthdr load ipv6 4b @ 44 + 4 => reg 1 ]\n"
     "  [ cmp eq reg 1 0x05000000 ]\n"
     "  [ immediate reg 0 drop ]\n"},
    // dup to 10.0.0.1
    {"ip", R"([{"dup": {"addr": "10.0.0.1"}}])",
     "  [ immediate reg 1 0x0100000a ]\n"
     "  [ dup sreg_addr 1 ]\n"},
    // dup to 10.0.0.1 device lo
    {"ip", R"([{"dup": {"addr": "10.0.0.1", "dev": "lo"}}])",
     "  [ immediate reg 1 0x0100000a ]\n"
     "  [ immediate reg 2 0x00000001 ]\n"
     "  [ dup sreg_addr 1 sreg_dev 2 ]\n"},
    // netdev: dup to lo
    {"netdev", R"([{"dup": {"addr": "lo"}}])",
     "  [ immediate reg 1 0x00000001 ]\n"
     "  [ dup sreg_dev 1 ]\n"},
    // netdev: fwd to lo
    {"netdev", R"([{"fwd": {"dev": "lo"}}])",
     "  [ immediate reg 1 0x00000001 ]\n"
     "  [ fwd sreg_dev 1 ]\n"},
    // netdev: fwd ip to 10.0.0.1 device lo
    {"netdev",
     R"([{"fwd": {"dev": "lo", "family": "ip", "addr": "10.0.0.1"}}])",
     "  [ immediate reg 1 0x00000001 ]\n"
     "  [ immediate reg 2 0x0100000a ]\n"
     "  [ fwd sreg_dev 1 sreg_addr 2 nfproto 2 ]\n"},
};

nft::json::read_options lo_is_1() {
  nft::json::read_options o;
  o.ifindex = [](const std::string& n) -> std::optional<std::uint32_t> {
    if (n == "lo")
      return 1;
    return std::nullopt;
  };
  return o;
}

// The rule the reader makes of `c`.
nft::rule read_rule(const json_case& c) {
  auto doc = nlohmann::json::parse(R"({"nftables": [{"rule": {"table": "t",
    "chain": "c"}}]})");
  auto& r = doc["nftables"][0]["rule"];
  r["family"] = c.family;
  r["expr"] = nlohmann::json::parse(c.expr);
  auto ops = nft::json::read(doc.dump(), lo_is_1());
  BOOST_TEST_REQUIRE(ops.has_value(), nfactor::test::why(ops));
  BOOST_TEST_REQUIRE(!ops->empty());
  return std::get<nft::rule>(ops->back().object);
}

} // namespace

BOOST_AUTO_TEST_SUITE(nft_json)

BOOST_AUTO_TEST_CASE(reader_sends_what_nft_sends) {
  for (auto& c : cases) {
    BOOST_TEST_CONTEXT(c.expr) {
      auto r = read_rule(c);
      std::string got;
      for (auto& e : r.exprs)
        got += "  " + nft::render(e) + "\n";
      BOOST_TEST(got == c.rendered);
    }
  }
}

BOOST_AUTO_TEST_CASE(writer_lists_what_nft_lists) {
  for (auto& c : cases) {
    BOOST_TEST_CONTEXT(c.expr) {
      auto r = read_rule(c);
      auto got = nlohmann::json::parse(nft::json::statements_json(r));
      // A named set stays "@s"; an lo index is listed by name.
      BOOST_TEST(got == nlohmann::json::parse(c.expr), got.dump());
    }
  }
}

// nft syntax (nfactor-monitor): as `nft list ruleset` prints the rules.
BOOST_AUTO_TEST_CASE(text_as_nft_lists_it) {
  const char* const want[] = {
      "ct mark set jhash ip saddr . tcp dport mod 2 seed 0xdeadbeef offset "
      "100",
      "meta mark set symhash mod 2 offset 100",
      "jhash ip saddr mod 2 1 accept",
      "jhash ip6 saddr . tcp dport mod 4 2 accept",
      "ip6 saddr . tcp dport @s accept",
      "rt classid 10 accept",
      "rt ip nexthop 10.0.0.1 accept",
      "rt ip6 nexthop fe80::1 accept",
      "rt mtu 1500 accept",
      "tcp option maxseg size 1400 accept",
      "tcp option sack-perm exists accept",
      "tcp option window missing drop",
      "tcp option sack1 left 5 accept",
      "tcp option maxseg size set 1360",
      "exthdr hbh exists accept",
      "rt type 0 drop",
      "hbh nexthdr tcp accept",
      "frag id 5 drop",
      "dup to 10.0.0.1",
      "dup to 10.0.0.1 device \"lo\"",
      "dup to \"lo\"",
      "fwd to \"lo\"",
      "fwd ip to 10.0.0.1 device \"lo\"",
  };
  static_assert(std::size(want) == std::size(cases));
  for (std::size_t i = 0; i < std::size(cases); ++i)
    BOOST_TEST(nft::json::rule_text(read_rule(cases[i])) == want[i]);
}

BOOST_AUTO_TEST_CASE(unsupported_fields_are_named) {
  auto doc = R"({"nftables": [{"rule": {"family": "ip6", "table": "t",
    "chain": "c", "expr": [{"match": {"op": "==", "left": {"exthdr":
    {"name": "frag", "field": "more-fragments"}}, "right": 1}}]}}]})";
  auto ops = nft::json::read(doc);
  BOOST_TEST_REQUIRE(!ops.has_value());
  BOOST_TEST(ops.err().message().find(
                 "nftables[0].rule.expr[0].match.left.exthdr: unsupported "
                 "exthdr 'frag more-fragments'") != std::string::npos,
             ops.err().message());
}

namespace {

// Set statements (payload, meta, ct) and synproxy: the JSON nft -j lists,
// what `nft --debug=netlink -f` sends for the nft rule, and the rule as
// `nft list ruleset` prints it (nft 1.0.6, kernel 6.18).
struct statement_case {
  const char* family;
  const char* expr;
  const char* rendered;
  const char* text;
};

const statement_case statement_cases[] = {
    {"ip",
     R"([{"mangle": {"key": {"payload": {"protocol": "ip", "field":
       "saddr"}}, "value": "10.0.0.1"}}])",
     "  [ immediate reg 1 0x0100000a ]\n"
     "  [ payload write reg 1 => 4b @ network header + 12 csum_type 1 "
     "csum_off 10 csum_flags 0x1 ]\n",
     "ip saddr set 10.0.0.1"},
    {"ip",
     R"([{"mangle": {"key": {"payload": {"protocol": "tcp", "field":
       "dport"}}, "value": 8080}}])",
     "  [ meta load l4proto => reg 1 ]\n"
     "  [ cmp eq reg 1 0x00000006 ]\n"
     "  [ immediate reg 1 0x0000901f ]\n"
     "  [ payload write reg 1 => 2b @ transport header + 2 csum_type 1 "
     "csum_off 16 csum_flags 0x0 ]\n",
     "tcp dport set 8080"},
    {"ip",
     R"([{"mangle": {"key": {"payload": {"protocol": "udp", "field":
       "sport"}}, "value": 53}}])",
     "  [ meta load l4proto => reg 1 ]\n"
     "  [ cmp eq reg 1 0x00000011 ]\n"
     "  [ immediate reg 1 0x00003500 ]\n"
     "  [ payload write reg 1 => 2b @ transport header + 0 csum_type 1 "
     "csum_off 6 csum_flags 0x0 ]\n",
     "udp sport set 53"},
    {"ip",
     R"([{"mangle": {"key": {"payload": {"protocol": "tcp", "field":
       "window"}}, "value": 100}}])",
     "  [ meta load l4proto => reg 1 ]\n"
     "  [ cmp eq reg 1 0x00000006 ]\n"
     "  [ immediate reg 1 0x00006400 ]\n"
     "  [ payload write reg 1 => 2b @ transport header + 14 csum_type 1 "
     "csum_off 16 csum_flags 0x0 ]\n",
     "tcp window set 100"},
    {"ip",
     R"([{"mangle": {"key": {"payload": {"protocol": "ip", "field": "ttl"}},
       "value": 64}}])",
     "  [ payload load 2b @ network header + 8 => reg 1 ]\n"
     "  [ bitwise reg 1 = ( reg 1 & 0x0000ff00 ) ^ 0x00000040 ]\n"
     "  [ payload write reg 1 => 2b @ network header + 8 csum_type 1 "
     "csum_off 10 csum_flags 0x0 ]\n",
     "ip ttl set 64"},
    {"ip",
     R"([{"mangle": {"key": {"payload": {"protocol": "ip", "field":
       "protocol"}}, "value": "udp"}}])",
     "  [ payload load 2b @ network header + 8 => reg 1 ]\n"
     "  [ bitwise reg 1 = ( reg 1 & 0x000000ff ) ^ 0x00001100 ]\n"
     "  [ payload write reg 1 => 2b @ network header + 8 csum_type 1 "
     "csum_off 10 csum_flags 0x1 ]\n",
     "ip protocol set udp"},
    {"ip",
     R"([{"mangle": {"key": {"payload": {"protocol": "tcp", "field":
       "sport"}}, "value": {"jhash": {"mod": 2, "expr": {"payload":
       {"protocol": "ip", "field": "saddr"}}}}}}])",
     "  [ meta load l4proto => reg 1 ]\n"
     "  [ cmp eq reg 1 0x00000006 ]\n"
     "  [ payload load 4b @ network header + 12 => reg 2 ]\n"
     "  [ hash reg 1 = jhash(reg 2, 4, 0x0) % mod 2 ]\n"
     "  [ byteorder reg 1 = hton(reg 1, 4, 4) ]\n"
     "  [ payload write reg 1 => 2b @ transport header + 0 csum_type 1 "
     "csum_off 16 csum_flags 0x0 ]\n",
     "tcp sport set jhash ip saddr mod 2"},
    {"ip6",
     R"([{"mangle": {"key": {"payload": {"protocol": "ip6", "field":
       "saddr"}}, "value": "::1"}}])",
     "  [ immediate reg 1 0x00000000 0x00000000 0x00000000 0x01000000 ]\n"
     "  [ payload write reg 1 => 16b @ network header + 8 csum_type 0 "
     "csum_off 0 csum_flags 0x1 ]\n",
     "ip6 saddr set ::1"},
    {"ip6",
     R"([{"mangle": {"key": {"payload": {"protocol": "ip6", "field":
       "hoplimit"}}, "value": 3}}])",
     "  [ immediate reg 1 0x00000003 ]\n"
     "  [ payload write reg 1 => 1b @ network header + 7 csum_type 0 "
     "csum_off 0 csum_flags 0x0 ]\n",
     "ip6 hoplimit set 3"},
    {"ip6",
     R"([{"mangle": {"key": {"payload": {"protocol": "ip6", "field":
       "nexthdr"}}, "value": "udp"}}])",
     "  [ immediate reg 1 0x00000011 ]\n"
     "  [ payload write reg 1 => 1b @ network header + 6 csum_type 0 "
     "csum_off 0 csum_flags 0x1 ]\n",
     "ip6 nexthdr set udp"},
    {"inet",
     R"([{"mangle": {"key": {"payload": {"protocol": "ip", "field":
       "saddr"}}, "value": "10.0.0.1"}}])",
     "  [ meta load nfproto => reg 1 ]\n"
     "  [ cmp eq reg 1 0x00000002 ]\n"
     "  [ immediate reg 1 0x0100000a ]\n"
     "  [ payload write reg 1 => 4b @ network header + 12 csum_type 1 "
     "csum_off 10 csum_flags 0x1 ]\n",
     "ip saddr set 10.0.0.1"},
    {"inet",
     R"([{"mangle": {"key": {"payload": {"protocol": "ip6", "field":
       "daddr"}}, "value": "::2"}}])",
     "  [ meta load nfproto => reg 1 ]\n"
     "  [ cmp eq reg 1 0x0000000a ]\n"
     "  [ immediate reg 1 0x00000000 0x00000000 0x00000000 0x02000000 ]\n"
     "  [ payload write reg 1 => 16b @ network header + 24 csum_type 0 "
     "csum_off 0 csum_flags 0x1 ]\n",
     "ip6 daddr set ::2"},
    {"inet",
     R"([{"mangle": {"key": {"payload": {"protocol": "udp", "field":
       "dport"}}, "value": 9}}])",
     "  [ meta load l4proto => reg 1 ]\n"
     "  [ cmp eq reg 1 0x00000011 ]\n"
     "  [ immediate reg 1 0x00000900 ]\n"
     "  [ payload write reg 1 => 2b @ transport header + 2 csum_type 1 "
     "csum_off 6 csum_flags 0x0 ]\n",
     "udp dport set 9"},
    {"ip", R"([{"mangle": {"key": {"meta": {"key": "nftrace"}}, "value": 1}}])",
     "  [ immediate reg 1 0x00000001 ]\n"
     "  [ meta set nftrace with reg 1 ]\n",
     "meta nftrace set 1"},
    {"ip",
     R"([{"mangle": {"key": {"meta": {"key": "priority"}}, "value":
       "1:2"}}])",
     "  [ immediate reg 1 0x00010002 ]\n"
     "  [ meta set priority with reg 1 ]\n",
     "meta priority set 1:2"},
    {"ip",
     R"([{"mangle": {"key": {"meta": {"key": "priority"}}, "value":
       "10:20"}}])",
     "  [ immediate reg 1 0x00100020 ]\n"
     "  [ meta set priority with reg 1 ]\n",
     "meta priority set 10:20"},
    {"ip",
     R"([{"mangle": {"key": {"meta": {"key": "priority"}}, "value":
       "none"}}])",
     "  [ immediate reg 1 0x00000000 ]\n"
     "  [ meta set priority with reg 1 ]\n",
     "meta priority set none"},
    {"ip",
     R"([{"mangle": {"key": {"meta": {"key": "priority"}}, "value":
       "root"}}])",
     "  [ immediate reg 1 0xffffffff ]\n"
     "  [ meta set priority with reg 1 ]\n",
     "meta priority set root"},
    {"ip",
     R"([{"mangle": {"key": {"meta": {"key": "pkttype"}}, "value":
       "host"}}])",
     "  [ immediate reg 1 0x00000000 ]\n"
     "  [ meta set pkttype with reg 1 ]\n",
     "meta pkttype set host"},
    {"ip", R"([{"mangle": {"key": {"ct": {"key": "zone"}}, "value": 3}}])",
     "  [ immediate reg 1 0x00000003 ]\n"
     "  [ ct set zone with reg 1 ]\n",
     "ct zone set 3"},
    {"ip",
     R"([{"match": {"op": "==", "left": {"payload": {"protocol": "tcp",
       "field": "dport"}}, "right": 80}}, {"synproxy": {"mss": 1460,
       "wscale": 7, "flags": ["timestamp", "sack-perm"]}}])",
     "  [ meta load l4proto => reg 1 ]\n"
     "  [ cmp eq reg 1 0x00000006 ]\n"
     "  [ payload load 2b @ transport header + 2 => reg 1 ]\n"
     "  [ cmp eq reg 1 0x00005000 ]\n"
     "  [ synproxy mss 1460 wscale 7 ]\n",
     "tcp dport 80 synproxy mss 1460 wscale 7 timestamp sack-perm"},
    {"ip", R"([{"synproxy": null}])", "  [ synproxy mss 0 wscale 0 ]\n",
     "synproxy"},
    {"ip", R"([{"synproxy": {"mss": 1000}}])",
     "  [ synproxy mss 1000 wscale 0 ]\n", "synproxy mss 1000 wscale 0"},
    {"ip", R"([{"synproxy": {"wscale": 3, "flags": ["sack-perm"]}}])",
     "  [ synproxy mss 0 wscale 3 ]\n", "synproxy mss 0 wscale 3 sack-perm"},
};

} // namespace

// Reader, writer and text on the set statements and synproxy.
BOOST_AUTO_TEST_CASE(set_statements_and_synproxy_as_nft) {
  for (auto& c : statement_cases) {
    BOOST_TEST_CONTEXT(c.expr) {
      auto r = read_rule(json_case{c.family, c.expr, c.rendered});
      std::string got;
      for (auto& e : r.exprs)
        got += "  " + nft::render(e) + "\n";
      BOOST_TEST(got == c.rendered);
      auto listed = nlohmann::json::parse(nft::json::statements_json(r));
      BOOST_TEST(listed == nlohmann::json::parse(c.expr), listed.dump());
      BOOST_TEST(nft::json::rule_text(r) == c.text);
    }
  }
}

BOOST_AUTO_TEST_CASE(settable_keys_only) {
  auto doc = R"({"nftables": [{"rule": {"family": "ip", "table": "t",
    "chain": "c", "expr": [{"mangle": {"key": {"meta": {"key": "iifname"}},
    "value": "lo"}}]}}]})";
  auto ops = nft::json::read(doc);
  BOOST_TEST_REQUIRE(!ops.has_value());
  BOOST_TEST(ops.err().message().find("nftables[0].rule.expr[0].mangle.key: "
                                      "cannot set meta iifname") !=
                 std::string::npos,
             ops.err().message());
}

BOOST_AUTO_TEST_SUITE_END()
