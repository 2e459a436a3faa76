// SPDX-License-Identifier: Apache-2.0
//
// nfactor-apply end to end: a ruleset with every expression the reader
// supports goes `nft -j list ruleset` (namespace A) → nfactor-apply
// (namespace B) → `nft -j list ruleset` (B), equal handles aside;
// --reconcile then has nothing to do, and applies only a difference;
// --flush replaces; bad input and kernel refusals give clear errors with
// the JSON path and distinct exit codes.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "app_runner.hpp"
#include "bytes_check.hpp"
#include "nfactor/nft/gen.hpp"
#include "nfactor/nft/json.hpp"
#include "nfactor/nft/snapshot.hpp"
#include "nfactor/sys/socket.hpp"
#include "netns_fixture.hpp"
#include "traffic.hpp"
#include "tx_helpers.hpp"

namespace apps_apply {
using namespace nfactor;
using test::run_command;
using test::shell_quote;

const std::string apply_bin = NFACTOR_APPLY_BIN;

// Every supported statement, set type and chain kind (nft syntax; the
// test feeds nft's own JSON listing of it to nfactor-apply).
const char* const full_ruleset = R"NFT(
table inet full {
  set a4 { type ipv4_addr; elements = { 10.0.0.1, 10.0.0.2 }; }
  set r4 { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.168.1.1-192.168.1.5 }; }
  set a6 { type ipv6_addr; elements = { 2001:db8::1 }; }
  set ports { type inet_service; elements = { 22, 80, 443 }; }
  set marks { type mark; elements = { 0x1, 0x2 }; }
  set ifs { type ifname; elements = { "lo", "eth0" }; }
  set protos { type inet_proto; elements = { tcp, udp }; }
  set t4 { type ipv4_addr; flags timeout; timeout 1h; }
  map vm { type inet_service : verdict; elements = { 22 : accept, 23 : drop, 24 : jump side }; }
  map nm { type ipv4_addr : mark; elements = { 10.0.0.1 : 0x5 }; }
  chain input { type filter hook input priority filter; policy accept;
    ip saddr 10.0.0.1 udp dport 53 counter accept
    ip daddr 10.1.0.0/16 drop
    ip saddr 172.16.0.0/12 drop
    ip protocol icmp accept
    ip6 saddr 2001:db8::/32 accept
    ip6 daddr ::1 accept
    tcp sport 1024-65535 tcp dport 22 accept
    udp dport != 53 counter
    tcp dport < 1024 accept
    meta l4proto udp accept
    meta nfproto ipv6 accept
    meta mark 0x10 log prefix "x " group 3
    meta mark != 0x0 log prefix "lvl " level warn
    iifname "lo" limit rate 10/second burst 5 packets accept comment "hi"
    oifname != "eth0" limit rate over 100/minute accept
    meta skuid 1000 accept
    meta skgid 100 drop
    ct state established,related accept
    ct state invalid drop
    ct mark 0x7 accept
    ip saddr @a4 drop
    ip saddr != @r4 accept
    ip6 saddr @a6 drop
    tcp dport @ports accept
    meta mark @marks accept
    iifname @ifs accept
    meta l4proto @protos accept
    udp dport 1000-2000 meta mark set 0x5
    ip daddr 10.0.0.0/8 reject with tcp reset
    ip daddr 10.9.9.9 reject
    log snaplen 64 group 4 queue-threshold 2
    jump side
    goto side
  }
  chain side {
    meta l4proto udp notrack
    continue
    return
  }
}
table ip nat {
  chain post { type nat hook postrouting priority srcnat; policy accept;
    masquerade
    ip daddr 1.2.3.4 snat to 5.6.7.8
  }
  chain pre { type nat hook prerouting priority dstnat; policy accept;
    tcp dport 8080 dnat to 10.0.0.2
  }
}
table ip more {
  counter cnt { packets 0 bytes 0 }
  quota q1 { over 100 mbytes }
  limit l1 { rate 10/second }
  limit l2 { rate over 1 mbytes/second burst 2 mbytes }
  set s2 { type ipv4_addr . inet_service; elements = { 10.0.0.1 . 22 } }
  map om { type ipv4_addr : counter; elements = { 10.0.0.1 : "cnt" } }
  map vm2 { type inet_service : verdict; elements = { 25 : accept } }
  set dyn { type ipv4_addr; flags dynamic,timeout; timeout 1m; }
  chain c {
    tcp dport { 22, 80 } accept
    ip saddr { 10.0.0.0/8, 192.168.0.1 } drop
    ip saddr != { 10.1.1.1, 10.1.1.2 } accept
    tcp dport vmap { 22 : accept, 23 : drop, 24 : jump d }
    tcp dport vmap @vm2
    ip saddr . tcp dport { 10.0.0.1 . 22, 10.0.0.2 . 23 } accept
    ip saddr . tcp dport @s2 accept
    counter name "cnt"
    quota name "q1"
    limit name "l1"
    iif "lo" accept
    oif != "lo" accept
    quota 10 mbytes
    quota over 1000 mbytes
    meta pkttype broadcast drop
    meta pkttype { host, multicast } accept
    fib daddr type local accept
    fib daddr . iif oif 0 drop
    ct count 10 accept
    ct count over 20 drop
    tcp dport 80 redirect to :8080
    redirect
    numgen inc mod 2 vmap { 0 : accept, 1 : drop }
    udp dport 53 ct mark set 0x5
    ip ttl 64 accept
    meta length > 1000 drop
    meta protocol ip accept
    ct status dnat accept
    ct direction original accept
    icmp type echo-request accept
    update @dyn { ip saddr }
    add @dyn { ip saddr }
    socket transparent 1 accept
    limit rate 1 mbytes/second
    iifname { "lo", "eth0" } accept
    meta mark { 0x1, 0x2 } accept
    ct state { established, related } accept
    tcp sport { 1-1023 } drop
  }
  chain d { }
}
table ip6 six {
  chain out { type filter hook output priority 0; policy drop;
    ip6 daddr ::1 accept
    reject
  }
}
)NFT";

// The listing without metainfo and handles.
nlohmann::json normalized(const std::string& listing) {
  auto doc = nlohmann::json::parse(listing);
  nlohmann::json out = nlohmann::json::array();
  for (auto& item : doc["nftables"]) {
    if (item.contains("metainfo"))
      continue;
    for (auto& [k, v] : item.items()) {
      auto copy = v;
      copy.erase("handle");
      out.push_back({{k, copy}});
    }
  }
  return out;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream{path} << text;
}

test::command_result apply(const std::string& args) {
  return run_command(apply_bin + " " + args);
}

// Rules of the expressions the nft codec has beyond full_ruleset's:
// jhash, symhash, rt, IPv6 extension headers, TCP options, dup and fwd.
// (nft 1.0.6 lists a netdev base chain without its device, so fwd and
// netdev dup sit in a regular chain.)
const char* const new_exprs_ruleset = R"NFT(
table ip t {
  chain c {
    ct mark set jhash ip saddr mod 2
    ct mark set jhash ip saddr . tcp dport mod 2 seed 0xdeadbeef offset 100
    meta mark set symhash mod 2 offset 100
    meta mark set jhash ip daddr mod 16 seed 0x0
    ip daddr 10.0.0.0/8 rt classid 10 accept
    rt ip nexthop 10.0.0.1 accept
    tcp option maxseg size 1400 accept
    tcp option sack-perm exists accept
    tcp option window count 7 accept
    tcp option window missing drop
    tcp option timestamp tsval 5 accept
    tcp option sack1 left 5 accept
    tcp option maxseg size set 1360
    dup to 10.0.0.1
    dup to 10.0.0.1 device lo
    jhash ip saddr mod 2 1 accept
  }
}
table netdev n {
  chain i {
    fwd to lo
    dup to lo
    fwd ip to 10.0.0.1 device lo
    fwd ip6 to fe80::1 device lo
  }
}
table ip6 six {
  chain c {
    exthdr hbh exists accept
    exthdr frag missing drop
    rt type 0 drop
    rt seg-left 2 drop
    hbh nexthdr tcp accept
    frag id 5 drop
    mh checksum 7 drop
    rt ip6 nexthop fe80::1 accept
    rt mtu 1500 accept
    jhash ip6 saddr mod 2 vmap { 0 : accept, 1 : drop }
    jhash ip6 saddr . tcp dport mod 4 2 accept
    dup to ::1 device lo
  }
}
)NFT";

// `script` goes into the fixture's namespace with nft, its listing into a
// fresh namespace with nfactor-apply: both list the same; --reconcile of
// the listing then has nothing to do in the fresh one, and plans
// `source_plan` (nothing: nfactor reads the rules nft added as exactly
// what it would send itself) in the source one. Returns the listing.
std::string round_trip(const test::scratch_netns& source,
                       const std::string& script, const std::string& committed,
                       const std::string& source_plan = "") {
  test::scratch_dir dir;
  source.nft_script(script);
  auto listing = source.nft_json("list ruleset");
  write(dir / "rs.json", listing);
  test::scratch_netns fresh;
  auto r = apply("--netns " + fresh.name() + " " + dir / "rs.json");
  BOOST_TEST_REQUIRE(r.status == 0, r.output);
  BOOST_TEST(r.output.find("committed " + committed + " operations") !=
                 std::string::npos,
             r.output);
  auto want = normalized(listing);
  auto got = normalized(fresh.nft_json("list ruleset"));
  BOOST_TEST(want == got, "want " << want.dump() << "\ngot  " << got.dump());
  r = apply("--reconcile --netns " + fresh.name() + " " + dir / "rs.json");
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.output == "nothing to do\n", r.output);
  r = apply("--reconcile --dry-run --netns " + source.name() + " " +
            dir / "rs.json");
  BOOST_TEST(r.status == 0);
  auto plan = r.output.substr(0, r.output.rfind("# "));
  BOOST_TEST(plan == source_plan, r.output);
  return listing;
}

// The writer (nfactor-monitor's rule text and JSON) is the reader's
// inverse: every rule of `ns`, pulled from the kernel, gives the
// statements `nft -j list ruleset` lists for it. Returns how many rules
// it compared.
std::size_t writer_check(const test::scratch_netns& ns) {
  auto doc = nlohmann::json::parse(ns.nft_json("list ruleset"));
  auto sock = test::open_socket(ns);
  auto rs = nft::pull(sock);
  BOOST_TEST_REQUIRE(rs.has_value(), test::why(rs));
  auto sets = [&](std::uint8_t f, const std::string& t,
                  const std::string& n) -> const nft::set_with_elems* {
    for (auto& s : rs->sets)
      if (s.set.family == f && s.set.table == t && s.set.name == n)
        return &s;
    return nullptr;
  };
  std::size_t compared = 0;
  for (auto& item : doc["nftables"]) {
    if (!item.contains("rule"))
      continue;
    auto& want = item["rule"];
    auto it = std::find_if(rs->rules.begin(), rs->rules.end(), [&](auto& r) {
      return r.handle == want["handle"].get<std::uint64_t>() &&
             r.table == want["table"] && r.chain == want["chain"];
    });
    BOOST_TEST_REQUIRE((it != rs->rules.end()));
    auto got =
        nlohmann::json::parse(nft::json::statements_json(*it, sets).value());
    BOOST_TEST(got == want["expr"],
               "rule " << want.dump() << "\ngot " << got.dump());
    ++compared;
  }
  return compared;
}

} // namespace apps_apply

BOOST_AUTO_TEST_SUITE(apps_apply,
                      *boost::unit_test::precondition(test::needs_kernel))

BOOST_FIXTURE_TEST_CASE(round_trip_every_expression, test::netns_fixture) {
  // nft 1.0.6 lists set dyn's flags as ["timeout"], without "dynamic"
  // (NFT_SET_EVAL): the set nft made differs from the listing's.
  auto listing = round_trip(netns, full_ruleset, "140",
                            "DELSET #0 set ip more dyn  # nftables[64].set\n"
                            "NEWSET #1 set ip more dyn  # nftables[64].set\n");
  BOOST_TEST(normalized(listing).size() == 108u);
}

// The writer is the reader's inverse on the full ruleset.
BOOST_FIXTURE_TEST_CASE(writer_lists_rules_as_nft_does, test::netns_fixture) {
  netns.nft_script(full_ruleset);
  BOOST_TEST(writer_check(netns) == 79u);
}

// The expressions beyond full_ruleset's, both ways: nft's listing
// applied by nfactor-apply, and the writer listing what nft added.
BOOST_FIXTURE_TEST_CASE(round_trip_hash_rt_exthdr_dup_fwd,
                        test::netns_fixture) {
  round_trip(netns, new_exprs_ruleset, "40");
  BOOST_TEST(writer_check(netns) == 32u);
}

// A concatenation whose later part starts on a 16-byte boundary (after an
// IPv6 address): nft and the kernel number that register as a 128-bit
// one (NFT_REG_2), not NFT_REG32_04. Rules added by nft are read back as
// equal to what nfactor-apply sends for their listing.
BOOST_FIXTURE_TEST_CASE(concat_registers_as_nft_numbers_them,
                        test::netns_fixture) {
  round_trip(netns, R"(table ip6 t {
    set s { type ipv6_addr . inet_service; elements = { ::1 . 22 } }
    map m { type ipv6_addr . ipv6_addr . inet_service : verdict;
            elements = { ::1 . ::2 . 22 : accept } }
    chain c {
      ip6 saddr . tcp dport { ::1 . 22, ::2 . 23 } accept
      ip6 saddr . tcp dport @s accept
      ip6 saddr . ip6 daddr . tcp dport vmap @m
      ip6 daddr . ip6 saddr { ::1 . ::2 } drop
    }
  })",
             "14");
  BOOST_TEST(writer_check(netns) == 4u);
}

// TCP flags, sequence numbers, window and urgent pointer, UDP length,
// ICMP and ICMPv6 types and codes (by name and number), ct zone: fields
// of the rule front's kinds (payload, ct) with nft's symbol tables.
BOOST_FIXTURE_TEST_CASE(round_trip_header_fields, test::netns_fixture) {
  round_trip(netns, R"(table inet t {
    chain c {
      tcp flags syn accept
      tcp flags { syn, ack } accept
      tcp sequence 5 accept
      tcp ackseq 7 accept
      tcp window 100 accept
      tcp urgptr 1 accept
      udp length 10-20 accept
      icmp code host-unreachable accept
      icmp code 7 accept
      icmpv6 type echo-request accept
      icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } accept
      icmpv6 type 200 accept
      icmpv6 code admin-prohibited accept
      ct zone 5 accept
    }
  })",
             "20");
  BOOST_TEST(writer_check(netns) == 14u);
}

// Ethernet header fields (nft checks meta iiftype first, except in bridge
// tables), VLAN tag fields (after ether type 8021q), ports of any
// transport protocol (th), and IP fields in bridge
// and netdev tables (nft checks the frame's protocol, meta protocol).
BOOST_FIXTURE_TEST_CASE(round_trip_link_fields_and_families,
                        test::netns_fixture) {
  round_trip(netns, R"(table inet t {
    chain c {
      ether saddr 00:11:22:33:44:55 accept
      ether daddr 00:11:22:33:44:55 ether type ip accept
      th dport 53 accept
      th sport { 53, 123 } accept
      meta l4proto udp th dport 53 accept
      meta l4proto { tcp, udp } th dport 53 accept
    }
  }
  table bridge b {
    chain c {
      ip saddr 1.2.3.4 tcp dport 22 accept
      ip6 daddr ::1 accept
      ether saddr 00:11:22:33:44:55 ether type arp accept
      th dport 53 drop
      vlan id 10 accept
      vlan pcp 3 vlan dei 1 accept
      ether type 8021q counter
    }
  }
  table netdev n {
    chain c {
      ip saddr 1.2.3.4 tcp dport 22 accept
      ether type arp accept
      ether daddr 00:11:22:33:44:55 drop
      vlan id 5 vlan pcp 1 accept
    }
  }
  table arp a {
    chain c {
      ether saddr 00:11:22:33:44:55 accept
    }
  })",
             "30");
  BOOST_TEST(writer_check(netns) == 18u);
}

// Matches nft joins into one load (adjacent fields, == or !=): the reader
// joins them as nft does (reconcile against nft's own rules finds no
// difference), the writer lists each field again.
BOOST_FIXTURE_TEST_CASE(round_trip_joined_payload_matches,
                        test::netns_fixture) {
  round_trip(netns, R"(table inet t {
    chain c {
      tcp sport 1 tcp dport 2 accept
      tcp dport 2 tcp sport 1 counter accept
      tcp sport 1 counter tcp dport 2 accept
      udp sport != 1 udp dport != 2 udp length 3 accept
      ip ttl 1 ip protocol tcp ip saddr 1.2.3.4 ip daddr 5.6.7.8 accept
      icmp type echo-request icmp code 0 accept
    }
  }
  table bridge b {
    chain c {
      ether daddr 00:11:22:33:44:55 ether saddr 00:11:22:33:44:66 ether type arp accept
    }
  })",
             "11");
  BOOST_TEST(writer_check(netns) == 7u);
}

// Matches on bits: flag fields with every op nft lists, `&` with a
// mask, a mark's prefix, and fields of less than a byte (ip dscp, ecn,
// version, hdrlength; ip6 flowlabel, dscp, ecn, version) and ip frag-off.
BOOST_FIXTURE_TEST_CASE(round_trip_bitwise_and_bit_fields,
                        test::netns_fixture) {
  round_trip(netns, R"(table inet t {
    chain c {
      tcp flags != fin accept
      tcp flags == syn accept
      tcp flags syn accept
      tcp flags ! syn,ack drop
      tcp flags != { syn, ack } accept
      ct state != established accept
      ct state == established accept
      ct status != dnat accept
      ct state ! established,new drop
      tcp flags & (syn|ack) == syn accept
      tcp flags & (fin|syn|rst|ack) != syn drop
      ip frag-off & 0x1fff != 0 drop
      ct mark & 0xff == 0x1 accept
      meta mark & 0xffff0000 == 0x10000 accept
      meta mark & 0xffff0000 != 0x10000 accept
      ip dscp cs1 accept
      ip dscp != 0x2e accept
      ip dscp > cs1 accept
      ip ecn ect0 accept
      ip ecn not-ect accept
      ip ecn ce accept
      ip version 4 accept
      ip hdrlength 5 accept
      ip hdrlength 5-6 accept
      ip hdrlength != 5-6 accept
      ip frag-off 0 accept
      ip6 flowlabel 1234 accept
      ip6 dscp cs1 accept
      ip6 ecn ect1 accept
      ip6 version 6 accept
      ip dscp != { cs1, ef } accept
      ip6 dscp { cs1, ef } accept
      ip ecn { ect0, ce } accept
    }
  })",
             "43");
  BOOST_TEST(writer_check(netns) == 33u);
}

// meta day, hour and time, and ranges of host-order integers. nft and
// nfactor-apply read and list hours in local time; in UTC, as nft 1.0.6
// lists a range that wraps past midnight in UTC ("17:00"-"19:30" in
// New York) with an end it cannot read back.
BOOST_FIXTURE_TEST_CASE(round_trip_meta_time, test::netns_fixture) {
  ::setenv("TZ", "UTC", 1);
  round_trip(netns, R"(table inet t {
    chain c {
      meta day "Monday" accept
      meta day 1-5 accept
      meta day { "Saturday", "Sunday" } drop
      meta hour "17:00" accept
      meta hour "17:00"-"19:30" accept
      meta hour != "08:00:30"-"17:00" drop
      meta hour > "10:00" accept
      meta time "2026-01-01 00:00:00" accept
      meta time < "2026-01-01 12:30:00" accept
      meta mark 1-5 accept
      meta mark != 1-5 accept
    }
  })",
             "15");
  BOOST_TEST(writer_check(netns) == 11u);
}

// Set statements (payload fields with nft's checksum attributes, meta
// and ct keys) and synproxy: nft's listing applied by nfactor-apply, and
// the writer listing what nft added.
BOOST_FIXTURE_TEST_CASE(round_trip_mangle_statements, test::netns_fixture) {
  round_trip(netns, R"(table ip m {
    chain pre {
      type filter hook prerouting priority raw;
      ip saddr set 10.0.0.1
      ip daddr set 10.0.0.2
      tcp dport set 8080
      udp sport set 53
      tcp window set 100
      ip ttl set 64
      ip protocol set 17
      meta nftrace set 1
      meta priority set 1:2
      meta priority set none
      meta priority set ffff:ffff
      meta pkttype set host
      meta mark set 5
      ct mark set 5
      ct zone set 3
    }
    chain in {
      type filter hook input priority 0;
      tcp dport 80 synproxy mss 1460 wscale 7 timestamp sack-perm
      synproxy
      synproxy mss 1000
      synproxy wscale 3 sack-perm
    }
  }
  table ip6 m6 {
    chain pre {
      type filter hook prerouting priority raw;
      ip6 saddr set ::1
      ip6 daddr set fe80::1
      ip6 hoplimit set 3
      ip6 nexthdr set 17
      tcp dport set 22
    }
  }
  table inet mi {
    chain pre {
      type filter hook prerouting priority raw;
      ip saddr set 10.0.0.1
      ip6 daddr set ::2
      udp dport set 9
      ip ttl set 64
      meta priority set 10:20
    }
  })",
             "36");
  BOOST_TEST(writer_check(netns) == 29u);
}

// Setting fields of less than a byte (DSCP marking, a VLAN id): nft
// loads their bytes, replaces their bits and writes the bytes back.
BOOST_FIXTURE_TEST_CASE(round_trip_sub_byte_field_set, test::netns_fixture) {
  round_trip(netns, R"(table inet t {
    chain c {
      ip dscp set cs1
      ip ecn set ce
      ip dscp cs1 ip dscp set af41 accept
      ip6 dscp set ef
      ip6 flowlabel set 5
    }
  }
  table bridge b {
    chain c {
      vlan id set 5
      vlan pcp set 3
    }
  })",
             "11");
  BOOST_TEST(writer_check(netns) == 7u);
}

// nft's protocol context: a match on a protocol field (ether or vlan
// type, meta iiftype, ip protocol) is the dependency of the fields after
// it; after an Ethernet field an IP field's check is the ether type, in
// the same load; after a VLAN tag's it is the tag's type; an IPv6
// extension header needs IPv6 (the ether type in a bridge); fields of
// less than a byte of a fragment header; and a set of a network order
// integer holds network order bytes (nft lists host order ones the same,
// so only reconcile against nft's own rules tells them apart).
BOOST_FIXTURE_TEST_CASE(round_trip_protocol_context, test::netns_fixture) {
  round_trip(netns, R"(table inet t {
    chain c {
      ip length { 100, 200 } accept
      tcp window { 100, 200 } accept
      ip version { 4, 5 } accept
      ip6 flowlabel { 100, 200 } accept
      ip protocol tcp tcp dport 22 accept
      ether saddr 00:11:22:33:44:55 ip saddr 1.1.1.1 accept
      meta iiftype ether counter ether saddr 00:11:22:33:44:55 ip saddr 1.1.1.1
      vlan id 5 ip saddr 1.1.1.1 accept
      ether type 8021q vlan type ip ip saddr 1.1.1.1 accept
      ether saddr 00:11:22:33:44:55 vlan type ip accept
      meta protocol ip ip saddr 1.1.1.1 accept
      exthdr hbh exists accept
      frag more-fragments 1 counter
      frag frag-off 100 drop
      frag frag-off != 8 drop
      frag reserved2 1 drop
      frag frag-off { 100, 200 } drop
    }
  }
  table bridge b {
    chain c {
      vlan type ip counter
      vlan id 10 vlan type arp accept
      vlan type ip ip saddr 1.2.3.4 accept
      vlan id 10 ip saddr 1.2.3.4 accept
      vlan id 10 tcp dport 22 accept
      ip protocol tcp tcp dport 22 accept
      ether saddr 00:11:22:33:44:55 vlan id 10 ip saddr 1.1.1.1 accept
      frag id 5 drop
    }
  }
  table netdev n {
    chain c {
      vlan id 5 ip daddr 1.1.1.1 accept
      ether saddr 00:11:22:33:44:55 ip saddr 1.1.1.1 accept
      frag more-fragments 0 drop
    }
  })",
             "44");
  BOOST_TEST(writer_check(netns) == 28u);
}

// Sets declared with typeof a field of nft's integer type, which nft
// 1.0.6 lists as "type": "integer": the rules that look them up give
// their keys, so they are nft's sets byte for byte (a named set, a map,
// and one a verdict map looks up).
BOOST_FIXTURE_TEST_CASE(round_trip_typeof_integer_sets, test::netns_fixture) {
  round_trip(netns, R"(table ip t {
    set s { typeof ip length; elements = { 100, 200 }; }
    set w { typeof tcp window; elements = { 300 }; }
    map v { typeof udp length : verdict; elements = { 18 : accept, 20 : drop }; }
    chain c {
      ip length @s accept
      tcp window @w drop
      udp length vmap @v
    }
  })",
             "11");
  BOOST_TEST(writer_check(netns) == 3u);
}

// The kernel is the oracle: sets of network order integers hold the
// bytes packets have. 3 datagrams of 10 bytes to 127.0.0.1 have ip
// length 38 and udp length 18; both rules count 3 (nfactor 7630cee sent
// these elements in host order: nft listed them the same, and they
// counted 0).
BOOST_FIXTURE_TEST_CASE(sets_of_network_order_integers_match_packets,
                        test::netns_fixture) {
  test::scratch_dir dir;
  auto counter = R"({"counter": {"packets": 0, "bytes": 0}})";
  auto match = [&](const char* proto, const char* field, const char* set) {
    return R"({"rule": {"family": "ip", "table": "t", "chain": "o", "expr":
      [{"match": {"op": "==", "left": {"payload": {"protocol": ")" +
           std::string{proto} + R"(", "field": ")" + field +
           R"("}}, "right": {"set": )" + set + "}}}, " + counter + "]}}";
  };
  write(dir / "rs.json",
        R"({"nftables": [{"table": {"family": "ip", "name": "t"}},
    {"chain": {"family": "ip", "table": "t", "name": "o", "type": "filter",
    "hook": "output", "prio": 0, "policy": "accept"}}, )" +
            match("ip", "length", "[38, 1000]") + ", " +
            match("udp", "length", "[18, 1000]") + "]}");
  auto r = apply("--netns " + netns.name() + " " + dir / "rs.json");
  BOOST_TEST_REQUIRE(r.status == 0, r.output);
  BOOST_TEST_REQUIRE(test::send_udp(netns.ns(), AF_INET, 9, "0123456789", 3) ==
                     3);
  auto doc = nlohmann::json::parse(netns.nft_json("list chain ip t o"));
  std::vector<std::uint64_t> counted;
  for (auto& item : doc["nftables"])
    if (item.contains("rule"))
      for (auto& st : item["rule"]["expr"])
        if (st.contains("counter"))
          counted.push_back(st["counter"]["packets"].get<std::uint64_t>());
  BOOST_TEST(counted == (std::vector<std::uint64_t>{3, 3}),
             netns.nft("list chain ip t o"));
}

BOOST_FIXTURE_TEST_CASE(reconcile_applies_only_the_difference,
                        test::netns_fixture) {
  test::scratch_dir dir;
  netns.nft_script(R"(table ip t {
    set s { type ipv4_addr; elements = { 10.0.0.1, 10.0.0.2 }; }
    chain a { ip saddr @s drop; }
    chain b { udp dport 53 accept; }
  })");
  auto doc = nlohmann::json::parse(netns.nft_json("list ruleset"));
  std::string set_path, rule_path;
  for (std::size_t i = 0; i < doc["nftables"].size(); ++i) {
    auto& item = doc["nftables"][i];
    auto path = "nftables[" + std::to_string(i) + "]";
    if (item.contains("set")) {
      item["set"]["elem"] = {"10.0.0.1", "10.0.0.3"};
      set_path = path + ".set";
    }
    if (item.contains("rule") && item["rule"]["chain"] == "b") {
      item["rule"]["expr"][1] = {{"drop", nullptr}};
      rule_path = path + ".rule";
    }
  }
  write(dir / "want.json", doc.dump());
  auto dry = apply("--reconcile --dry-run --netns " + netns.name() + " " +
                   dir / "want.json");
  BOOST_TEST_REQUIRE(dry.status == 0, dry.output);
  // The transactor's plan: chain a is untouched; b's changed rule is
  // replaced; one element goes, one comes. Each operation names the JSON
  // object it comes from (the old rule goes because of chain b's list).
  BOOST_TEST(dry.output.find("DELRULE #2 rule ip t b handle ") !=
                 std::string::npos,
             dry.output);
  BOOST_TEST(dry.output.find("NEWRULE #3 rule ip t b  # " + rule_path + "\n") !=
                 std::string::npos,
             dry.output);
  BOOST_TEST(dry.output.find("ip t a") == std::string::npos);
  BOOST_TEST(dry.output.find("DELSETELEM #0 element ip t s (1)  # " + set_path +
                             "\n") != std::string::npos);
  BOOST_TEST(dry.output.find("NEWSETELEM #1 element ip t s (1)  # " + set_path +
                             "\n") != std::string::npos);
  BOOST_TEST(dry.output.find("# 4 operations") != std::string::npos,
             dry.output);
  auto r = apply("--reconcile --genid-guard --netns " + netns.name() + " " +
                 dir / "want.json");
  BOOST_TEST_REQUIRE(r.status == 0, r.output);
  BOOST_TEST(normalized(netns.nft_json("list ruleset")) ==
             normalized(doc.dump()));
}

// Under --reconcile the plan is the transactor's, not the file's order;
// a refusal still names the JSON object behind the refused operation (as
// a plain apply does), and nothing is committed.
BOOST_FIXTURE_TEST_CASE(reconcile_refusal_names_the_json_object,
                        test::netns_fixture) {
  test::scratch_dir dir;
  netns.nft_script(R"(table ip t {
    set s { type ipv4_addr; elements = { 10.0.0.1, 10.0.0.2 }; }
    chain a { ip saddr @s drop; }
  })");
  auto before = netns.nft("list ruleset");
  auto doc = nlohmann::json::parse(netns.nft_json("list ruleset"));
  auto& items = doc["nftables"];
  // Changes the kernel accepts (one element fewer, a new chain with a
  // rule), then a rule it refuses: its set does not exist.
  for (auto& item : items)
    if (item.contains("set"))
      item["set"]["elem"] = {"10.0.0.1"};
  items.push_back(nlohmann::json::parse(
      R"({"chain": {"family": "ip", "table": "t", "name": "b"}})"));
  items.push_back(nlohmann::json::parse(R"({"rule": {"family": "ip",
    "table": "t", "chain": "b", "expr": [{"accept": null}]}})"));
  items.push_back(nlohmann::json::parse(R"({"rule": {"family": "ip",
    "table": "t", "chain": "b", "expr": [{"match": {"op": "==", "left":
    {"payload": {"protocol": "ip", "field": "saddr"}}, "right":
    "@missing"}}, {"drop": null}]}})"));
  auto refused = "nftables[" + std::to_string(items.size() - 1) + "].rule";
  write(dir / "want.json", doc.dump());
  auto r =
      apply("--reconcile --netns " + netns.name() + " " + dir / "want.json");
  BOOST_TEST(r.status == 1, r.output);
  // The plan: DELSETELEM #0, NEWCHAIN #1, NEWRULE #2, NEWRULE #3 (refused).
  BOOST_TEST(r.output.find("nfactor-apply: " + refused +
                           ": NEWRULE #3 rule ip t b: ") != std::string::npos,
             r.output);
  BOOST_TEST(r.output.find("No such file or directory") != std::string::npos,
             r.output);
  BOOST_TEST(netns.nft("list ruleset") == before);
}

BOOST_FIXTURE_TEST_CASE(flush_replaces_the_ruleset, test::netns_fixture) {
  test::scratch_dir dir;
  write(dir / "rs.json", R"({"nftables": [
    {"table": {"family": "ip", "name": "new"}},
    {"chain": {"family": "ip", "table": "new", "name": "c"}}]})");
  netns.nft("add table ip old; add table inet other");
  auto r = apply("--flush --netns " + netns.name() + " " + dir / "rs.json");
  BOOST_TEST_REQUIRE(r.status == 0, r.output);
  auto listing = netns.nft("list tables");
  BOOST_TEST(listing == "table ip new\n");
}

BOOST_FIXTURE_TEST_CASE(dry_run_changes_nothing, test::netns_fixture) {
  test::scratch_dir dir;
  write(dir / "rs.json", R"({"nftables": [
    {"table": {"family": "inet", "name": "t"}},
    {"chain": {"family": "inet", "table": "t", "name": "c"}},
    {"rule": {"family": "inet", "table": "t", "chain": "c",
              "expr": [{"match": {"op": "==", "left": {"payload":
                {"protocol": "tcp", "field": "dport"}}, "right": 22}},
                {"accept": null}]}}]})");
  auto r = apply("--dry-run --netns " + netns.name() + " " + dir / "rs.json");
  BOOST_TEST_REQUIRE(r.status == 0, r.output);
  BOOST_TEST(r.output ==
             "add table inet t\n"
             "add chain inet t c\n"
             "add rule inet t c\n"
             "  [ meta load l4proto => reg 1 ]\n"
             "  [ cmp eq reg 1 0x00000006 ]\n"
             "  [ payload load 2b @ transport header + 2 => reg 1 ]\n"
             "  [ cmp eq reg 1 0x00001600 ]\n"
             "  [ immediate reg 0 accept ]\n"
             "\n"
             "# 3 operations, 328 bytes\n");
  BOOST_TEST(netns.nft("list ruleset").empty());
}

BOOST_FIXTURE_TEST_CASE(bad_input_and_refusals, test::netns_fixture) {
  test::scratch_dir dir;
  auto ns = " --netns " + netns.name() + " ";
  // Not JSON.
  write(dir / "a.json", "{nope");
  auto r = apply(ns + dir / "a.json");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.output.find("not valid JSON") != std::string::npos, r.output);
  // An unsupported statement, named by its path.
  write(dir / "b.json", R"({"nftables": [{"table": {"family": "ip",
    "name": "t"}}, {"rule": {"family": "ip", "table": "t", "chain": "c",
    "expr": [{"accept": null}, {"tproxy": {"port": 1}}]}}]})");
  r = apply(ns + dir / "b.json");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.output.find("nftables[1].rule.expr[1].tproxy: unsupported "
                           "statement") != std::string::npos,
             r.output);
  // The kernel refuses a rule (its set does not exist): the error names
  // the JSON object, and nothing is applied.
  write(dir / "c.json", R"({"nftables": [
    {"table": {"family": "ip", "name": "t"}},
    {"chain": {"family": "ip", "table": "t", "name": "c"}},
    {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [
      {"match": {"op": "==", "left": {"payload": {"protocol": "ip",
       "field": "saddr"}}, "right": "@missing"}}, {"drop": null}]}}]})");
  r = apply(ns + dir / "c.json");
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.output.find("nftables[2].rule: NEWRULE #2") != std::string::npos,
             r.output);
  BOOST_TEST(netns.nft("list ruleset").empty());
  // Missing file, unknown option, --help.
  BOOST_TEST(apply(ns + dir / "none.json").status == 2);
  BOOST_TEST(netns.exec(apply_bin + " --frobnicate x").status == 2);
  r = netns.exec(apply_bin + " --help");
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.output.find("--reconcile") != std::string::npos);
}

// --genid G commits only at generation G: a writer that got in first
// makes it exit 3 with nothing applied (the review-then-apply flow:
// read G, review, apply at G).
BOOST_FIXTURE_TEST_CASE(genid_guard_refuses_a_changed_ruleset,
                        test::netns_fixture) {
  test::scratch_dir dir;
  write(dir / "rs.json", R"({"nftables": [
    {"table": {"family": "ip", "name": "mine"}},
    {"chain": {"family": "ip", "table": "mine", "name": "c"}}]})");
  auto sock = test::open_socket(netns);
  auto reviewed = nft::get_gen(sock);
  NFACTOR_REQUIRE_OK(reviewed);
  netns.nft("add table ip intruder");
  auto ns = " --netns " + netns.name() + " ";
  auto r =
      apply("--genid " + std::to_string(reviewed->id) + ns + dir / "rs.json");
  BOOST_TEST(r.status == 3, r.output);
  BOOST_TEST(r.output.find("generation") != std::string::npos, r.output);
  BOOST_TEST(netns.nft("list tables") == "table ip intruder\n");
  // At the current generation it commits; --genid-guard reads it itself.
  auto now = nft::get_gen(sock);
  NFACTOR_REQUIRE_OK(now);
  r = apply("--genid " + std::to_string(now->id) + ns + dir / "rs.json");
  BOOST_TEST_REQUIRE(r.status == 0, r.output);
  BOOST_TEST(netns.nft("list tables") == "table ip intruder\ntable ip mine\n");
  r = apply("--genid-guard --flush" + ns + dir / "rs.json");
  BOOST_TEST_REQUIRE(r.status == 0, r.output);
  BOOST_TEST(netns.nft("list tables") == "table ip mine\n");
  // --genid with --reconcile, or not a number: bad command line.
  r = apply("--reconcile --genid 1" + ns + dir / "rs.json");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.output.find("--genid does not apply to --reconcile") !=
                 std::string::npos,
             r.output);
  BOOST_TEST(apply("--genid nope" + ns + dir / "rs.json").status == 2);
}

BOOST_AUTO_TEST_SUITE_END()
