// SPDX-License-Identifier: Apache-2.0
// NFQUEUE verdict policies (nfqueue/policy.hpp): every rule form of the
// text syntax and its canonical rendering, every error message, matching
// on hand-built packets, and the JSON form giving the same policy.
//
// Provenance of the golden packets: assembled by hand from RFC 791
// (IPv4), RFC 8200 (IPv6 and its hop-by-hop and fragment headers), RFC 768
// (UDP), RFC 9293 (TCP) and RFC 4443 (ICMPv6); checksums are zero (the
// policy does not read them). Each is spelled out field by field below.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter.h>

#include "bytes_check.hpp"
#include "nfactor/nfqueue/policy.hpp"

namespace nfqueue_policy {
using namespace nfactor;
using namespace nfactor::nfqueue;
using nfactor::test::bytes;
using kind = policy_action::kind;

// IPv4 UDP 10.1.2.3:40001 -> 192.168.1.1:53, payload "xxevilxx".
const byte_buffer ip4_udp = bytes({
    0x45, 0x00, 0x00, 0x24, // version 4, ihl 5, tos 0, total length 36
    0x12, 0x34, 0x40, 0x00, // id 0x1234, DF, fragment offset 0
    0x40, 0x11, 0x00, 0x00, // ttl 64, protocol 17 (udp), checksum 0
    0x0a, 0x01, 0x02, 0x03, // source 10.1.2.3
    0xc0, 0xa8, 0x01, 0x01, // destination 192.168.1.1
    0x9c, 0x41, 0x00, 0x35, // source port 40001, destination port 53
    0x00, 0x10, 0x00, 0x00, // length 16, checksum 0
    'x',  'x',  'e',  'v',  'i', 'l', 'x', 'x',
});

// IPv4 TCP 127.0.0.1:8080 -> 127.0.0.1:443, payload "GET ".
const byte_buffer ip4_tcp = bytes({
    0x45, 0x00, 0x00, 0x2c, // version 4, ihl 5, total length 44
    0x00, 0x01, 0x00, 0x00, // id 1, no flags
    0x40, 0x06, 0x00, 0x00, // ttl 64, protocol 6 (tcp)
    0x7f, 0x00, 0x00, 0x01, // source 127.0.0.1
    0x7f, 0x00, 0x00, 0x01, // destination 127.0.0.1
    0x1f, 0x90, 0x01, 0xbb, // source port 8080, destination port 443
    0x00, 0x00, 0x00, 0x01, // sequence number
    0x00, 0x00, 0x00, 0x00, // acknowledgment number
    0x50, 0x18, 0xff, 0xff, // data offset 5 (20 bytes), PSH|ACK, window
    0x00, 0x00, 0x00, 0x00, // checksum, urgent pointer
    'G',  'E',  'T',  ' ',
});

// IPv4 UDP, a later fragment (offset 8 bytes): no transport header.
const byte_buffer ip4_fragment = bytes({
    0x45, 0x00, 0x00, 0x1c, // total length 28
    0x12, 0x34, 0x00, 0x01, // id 0x1234, fragment offset 1 (x 8 bytes)
    0x40, 0x11, 0x00, 0x00, // protocol 17 (udp)
    0x0a, 0x01, 0x02, 0x03, // source 10.1.2.3
    0xc0, 0xa8, 0x01, 0x01, // destination 192.168.1.1
    0x00, 0x35, 0x00, 0x35, 'e', 'v', 'i', 'l', // data, not a header
});

// IPv6 UDP [2001:db8::1]:5000 -> [2001:db8:1::2]:53 behind a hop-by-hop
// header, payload "xxevilxx".
const byte_buffer ip6_udp = bytes({
    0x60, 0x00, 0x00, 0x00, // version 6, class 0, flow 0
    0x00, 0x18, 0x00, 0x40, // payload length 24, next 0 (hop-by-hop), hop 64
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, // source 2001:db8::1
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, //
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, // dest 2001:db8:1::2
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, //
    0x11, 0x00, 0x01, 0x04, // hop-by-hop: next 17 (udp), length 0 (8
    0x00, 0x00, 0x00, 0x00, //   bytes), PadN of 4 bytes
    0x13, 0x88, 0x00, 0x35, // source port 5000, destination port 53
    0x00, 0x10, 0x00, 0x00, // length 16, checksum 0
    'x',  'x',  'e',  'v',  'i',  'l',  'x',  'x',
});

// IPv6 ICMPv6 echo request ::1 -> ::1 with 2 data bytes 0xde 0xad.
const byte_buffer ip6_icmp = bytes({
    0x60, 0x00, 0x00, 0x00, // version 6
    0x00, 0x0a, 0x3a, 0x40, // payload length 10, next 58 (icmpv6), hop 64
    0,    0,    0,    0,    0, 0, 0, 0,
    0,    0,    0,    0,    0, 0, 0, 1, // source ::1
    0,    0,    0,    0,    0, 0, 0, 0,
    0,    0,    0,    0,    0, 0, 0, 1, // destination ::1
    0x80, 0x00, 0x00, 0x00, // type 128 (echo request), code 0, checksum
    0x00, 0x01, 0x00, 0x01, // identifier 1, sequence 1
    0xde, 0xad,
});

// The error text of `r`, or "ok" (messages are evaluated on success too).
template <class R>
std::string why(const R& r) {
  return r ? std::string{"ok"} : r.err().message();
}

queue_packet packet(std::uint8_t family, const byte_buffer& bytes) {
  queue_packet p;
  p.family = family;
  p.queue = 5;
  p.id = 1;
  p.payload = nflog::shared_bytes{bytes};
  return p;
}

policy_rule rule(const std::string& text) {
  auto r = parse_rule(text);
  BOOST_REQUIRE_MESSAGE(r, text << ": " << why(r));
  return *r;
}

bool hit(const std::string& text, const queue_packet& p) {
  auto r = rule(text);
  return matches(
      r, p, packet_headers::read(p.payload ? p.payload->view() : byte_view{}));
}

// The detail of the error parsing `text` gives (its full message is
// checked once below).
std::string error_of(const std::string& text) {
  auto r = parse_rule(text);
  BOOST_TEST_REQUIRE(!r, text << " parsed");
  BOOST_TEST(r.err().code == make_error_code(errc::invalid_argument));
  BOOST_TEST(r.err().op == "rule \"" + text + "\"");
  return r.err().detail;
}

std::string json_error_of(const std::string& text) {
  auto r = parse_policy_json(text, "p.json");
  BOOST_TEST_REQUIRE(!r, text << " parsed");
  BOOST_TEST(r.err().op == "policy p.json");
  return r.err().detail;
}

} // namespace nfqueue_policy

BOOST_AUTO_TEST_SUITE(nfqueue_policy)

// -- every rule form ----------------------------------------------------------

BOOST_AUTO_TEST_CASE(actions) {
  BOOST_TEST((rule("accept").action == policy_action{}));
  BOOST_TEST((rule("drop").action.what == kind::drop));
  BOOST_TEST((rule("repeat").action.what == kind::repeat));
  BOOST_TEST(!rule("repeat").action.set_mark);
  auto m = rule("mark 7").action;
  BOOST_TEST((m.what == kind::mark));
  BOOST_TEST(*m.set_mark == 7u);
  BOOST_TEST(*rule("mark 0xffffffff").action.set_mark == 0xffffffffu);
  auto mr = rule("mark 0x10 repeat").action;
  BOOST_TEST((mr.what == kind::repeat));
  BOOST_TEST(*mr.set_mark == 16u);
  auto q = rule("queue 65535").action;
  BOOST_TEST((q.what == kind::queue));
  BOOST_TEST(q.target_queue == 65535);
  BOOST_TEST(!q.bypass);
  BOOST_TEST(rule("queue 3 bypass").action.bypass);

  // Their verdicts.
  BOOST_TEST((rule("accept").action.to_verdict() == verdict::accept()));
  BOOST_TEST((rule("drop").action.to_verdict() == verdict::drop()));
  auto mv = verdict::accept();
  mv.mark = 7;
  BOOST_TEST((m.to_verdict() == mv));
  auto rv = verdict::repeat();
  rv.mark = 16;
  BOOST_TEST((mr.to_verdict() == rv));
  BOOST_TEST((rule("queue 3 bypass").action.to_verdict() ==
              verdict::to_queue(3, true)));
}

BOOST_AUTO_TEST_CASE(matches_of_every_kind) {
  auto r = rule("drop ip udp saddr 10.0.0.0/8 daddr 192.168.1.1 sport "
                "1024-65535 dport 53 uid 1000 gid 0x64 mark 0x1/0xff iif eth0 "
                "oif lo payload \"evil\" payload 0xdead");
  BOOST_TEST(*r.family == NFPROTO_IPV4);
  BOOST_TEST(*r.protocol == IPPROTO_UDP);
  BOOST_TEST(r.saddr->version == 4);
  BOOST_TEST(r.saddr->length == 8);
  BOOST_TEST(r.saddr->bytes[0] == 10);
  BOOST_TEST(r.daddr->length == 32);
  BOOST_TEST(r.sport->lo == 1024);
  BOOST_TEST(r.sport->hi == 65535);
  BOOST_TEST(r.dport->lo == 53);
  BOOST_TEST(r.dport->hi == 53);
  BOOST_TEST(*r.uid == 1000u);
  BOOST_TEST(*r.gid == 100u);
  BOOST_TEST(r.mark->value == 1u);
  BOOST_TEST(r.mark->mask == 0xffu);
  BOOST_TEST(*r.iif == "eth0");
  BOOST_TEST(*r.oif == "lo");
  BOOST_TEST_REQUIRE(r.payload.size() == 2u);
  BOOST_TEST((r.payload[0] == byte_buffer{'e', 'v', 'i', 'l'}));
  BOOST_TEST((r.payload[1] == bytes({0xde, 0xad})));
  BOOST_TEST(r.needs_uid_gid());
  BOOST_TEST(r.needs_names());

  auto six = rule("accept ip6 proto 58 saddr 2001:db8::1:0:0/64");
  BOOST_TEST(*six.family == NFPROTO_IPV6);
  BOOST_TEST(*six.protocol == IPPROTO_ICMPV6);
  BOOST_TEST(to_string(*six.saddr) == "2001:db8::/64"); // host bits cleared
  BOOST_TEST(*rule("drop proto udp").protocol == IPPROTO_UDP);
  const std::pair<const char*, int> names[] = {{"tcp", IPPROTO_TCP},
                                               {"udp", IPPROTO_UDP},
                                               {"udplite", IPPROTO_UDPLITE},
                                               {"sctp", IPPROTO_SCTP},
                                               {"icmp", IPPROTO_ICMP},
                                               {"icmpv6", IPPROTO_ICMPV6},
                                               {"gre", IPPROTO_GRE},
                                               {"esp", IPPROTO_ESP},
                                               {"ah", IPPROTO_AH}};
  for (auto [name, number] : names)
    BOOST_TEST(*rule(std::string{"drop "} + name).protocol == number, name);
  auto esc = rule(R"(drop payload "a \"b\" \\ \n\t\x00\xff" mark 3)");
  BOOST_TEST((esc.payload[0] == bytes({'a', ' ', '"', 'b', '"', ' ', '\\', ' ',
                                       '\n', '\t', 0x00, 0xff})));
  BOOST_TEST(esc.mark->value == 3u); // `mark` after the action: a match
  BOOST_TEST(esc.mark->mask == 0xffffffffu);
  BOOST_TEST(!esc.needs_uid_gid());
  BOOST_TEST(!esc.needs_names());
  // Blanks anywhere, a match-less rule matches everything.
  BOOST_TEST((rule("  drop\t udp   ") == rule("drop udp")));
  BOOST_TEST((rule("accept") == policy_rule{}));
}

BOOST_AUTO_TEST_CASE(canonical_text_round_trips) {
  const std::pair<std::string, std::string> cases[] = {
      {"accept", "accept"},
      {"drop udp dport 53 payload \"evil\"", "drop udp dport 53 payload "
                                             "\"evil\""},
      {"mark 7 saddr 10.0.0.0/8", "mark 7 saddr 10.0.0.0/8"},
      {"mark 0x7 repeat", "mark 7 repeat"},
      {"queue 0x10 bypass", "queue 16 bypass"},
      {"drop dport 53 udp ip", "drop ip udp dport 53"},
      {"drop proto 47", "drop gre"},
      {"drop proto 200", "drop proto 200"},
      {"accept saddr 10.1.2.3/32 daddr ::1", ""}, // mixed: an error below
      {"drop sport 1-2 dport 5-5", "drop sport 1-2 dport 5"},
      {"drop mark 0x1/0xff", "drop mark 0x1/0xff"},
      {"drop mark 0xff/0x0f", "drop mark 0xf/0xf"}, // value & mask
      {"drop mark 5", "drop mark 5"},
      {"drop uid 0 gid 0", "drop uid 0 gid 0"},
      {"drop iif eth0 oif lo", "drop iif eth0 oif lo"},
      {"drop payload 0x4142 payload 0x00ff", "drop payload \"AB\" payload "
                                             "0x00ff"},
      {R"(drop payload "q\"\\")", R"(drop payload "q\"\\")"},
  };
  for (const auto& [in, canonical] : cases) {
    if (canonical.empty())
      continue;
    auto r = rule(in);
    BOOST_TEST(to_string(r) == canonical, in);
    BOOST_TEST((rule(to_string(r)) == r), in);
  }
}

BOOST_AUTO_TEST_CASE(default_verdicts) {
  BOOST_TEST((parse_action("accept")->what == kind::accept));
  BOOST_TEST((parse_action("drop")->what == kind::drop));
  BOOST_TEST(*parse_action("mark 3")->set_mark == 3u);
  auto bad = parse_action("reject");
  BOOST_TEST_REQUIRE(!bad);
  BOOST_TEST(bad.err().message() ==
             "verdict \"reject\": invalid argument: column 1: expected an "
             "action (accept, drop, mark N, queue N, repeat), found "
             "\"reject\"");
  auto more = parse_action("drop udp");
  BOOST_TEST_REQUIRE(!more);
  BOOST_TEST(more.err().detail ==
             "column 6: expected end of the verdict, found \"udp\"");
}

// -- every error --------------------------------------------------------------

BOOST_AUTO_TEST_CASE(error_messages) {
  // The whole message once.
  auto r = parse_rule("drop udp dport x");
  BOOST_TEST_REQUIRE(!r);
  BOOST_TEST(r.err().message() ==
             "rule \"drop udp dport x\": invalid argument: column 16: "
             "expected a port or port range (N or N-M, 0-65535, N <= M), "
             "found \"x\"");

  const std::string action =
      "expected an action (accept, drop, mark N, queue N, repeat)";
  const std::string match =
      "expected a match (ip, ip6, tcp, udp, icmp, proto, saddr, daddr, "
      "sport, dport, uid, gid, mark, iif, oif, payload)";
  const std::pair<std::string, std::string> cases[] = {
      {"", "column 1: " + action + ", found end of rule"},
      {"   ", "column 4: " + action + ", found end of rule"},
      {"reject udp", "column 1: " + action + ", found \"reject\""},
      {"\"drop\"", "column 1: " + action + ", found a quoted string"},
      {"mark", "column 5: expected a mark to set (0-0xffffffff), found end "
               "of rule"},
      {"mark -1", "column 6: expected a mark to set (0-0xffffffff), found "
                  "\"-1\""},
      {"mark 4294967296", "column 6: expected a mark to set (0-0xffffffff), "
                          "found \"4294967296\""},
      {"queue", "column 6: expected a queue number 0-65535, found end of "
                "rule"},
      {"queue 65536", "column 7: expected a queue number 0-65535, found "
                      "\"65536\""},
      {"drop udpp", "column 6: " + match + ", found \"udpp\""},
      {"drop \"udp\"", "column 6: " + match + ", found a quoted string"},
      {"drop proto", "column 11: expected a protocol (tcp, udp, udplite, "
                     "sctp, icmp, icmpv6, gre, esp, ah) or a number 0-255, "
                     "found end of rule"},
      {"drop proto 256", "column 12: expected a protocol (tcp, udp, "
                         "udplite, sctp, icmp, icmpv6, gre, esp, ah) or a "
                         "number 0-255, found \"256\""},
      {"drop udp tcp", "column 10: expected each match once, found \"tcp\""},
      {"drop ip ip6", "column 9: expected each match once, found \"ip6\""},
      {"drop saddr", "column 11: expected an IPv4 or IPv6 address or prefix "
                     "(ADDR or ADDR/LEN), found end of rule"},
      {"drop saddr 10.0.0.256", "column 12: expected an IPv4 or IPv6 "
                                "address or prefix (ADDR or ADDR/LEN), "
                                "found \"10.0.0.256\""},
      {"drop daddr 10.0.0.0/33", "column 12: expected an IPv4 or IPv6 "
                                 "address or prefix (ADDR or ADDR/LEN), "
                                 "found \"10.0.0.0/33\""},
      {"drop daddr ::/129", "column 12: expected an IPv4 or IPv6 address or "
                            "prefix (ADDR or ADDR/LEN), found \"::/129\""},
      {"drop saddr 1.2.3.4 saddr 1.2.3.5",
       "column 20: expected each match once, found \"saddr\""},
      {"drop saddr 1.2.3.4 daddr ::1",
       "column 26: expected an address of the same family as the other "
       "address, found \"::1\""},
      {"drop ip6 saddr 1.2.3.4",
       "column 16: expected an address of family ip6, found \"1.2.3.4\""},
      {"drop saddr ::1 ip",
       "column 16: expected the family of the addresses (ip6), found \"ip\""},
      {"drop ip daddr ::1",
       "column 15: expected an address of family ip, found \"::1\""},
      {"drop dport", "column 11: expected a port or port range (N or N-M, "
                     "0-65535, N <= M), found end of rule"},
      {"drop sport 70000", "column 12: expected a port or port range (N or "
                           "N-M, 0-65535, N <= M), found \"70000\""},
      {"drop sport 20-10", "column 12: expected a port or port range (N or "
                           "N-M, 0-65535, N <= M), found \"20-10\""},
      {"drop icmp dport 1", "column 11: expected a match other than ports "
                            "(the protocol has none), found \"dport\""},
      {"drop dport 1 icmp", "column 14: expected a protocol with ports (tcp, "
                            "udp, udplite, sctp), found \"icmp\""},
      {"drop uid", "column 9: expected a number 0-4294967295, found end of "
                   "rule"},
      {"drop gid root", "column 10: expected a number 0-4294967295, found "
                        "\"root\""},
      {"drop mark 1/x", "column 11: expected a mark (N or N/MASK, "
                        "0-0xffffffff), found \"1/x\""},
      {"drop iif", "column 9: expected an interface name (1-15 characters), "
                   "found end of rule"},
      {"drop oif abcdefghijklmnop", "column 10: expected an interface name "
                                    "(1-15 characters), found "
                                    "\"abcdefghijklmnop\""},
      {"drop payload", "column 13: expected a quoted string or 0x hex bytes, "
                       "found end of rule"},
      {"drop payload evil", "column 14: expected a quoted string or 0x hex "
                            "bytes, found \"evil\""},
      {"drop payload 0xabc", "column 14: expected a quoted string or 0x hex "
                             "bytes, found \"0xabc\""},
      {"drop payload \"\"", "column 14: expected a non-empty string, found a "
                            "quoted string"},
      {"drop payload \"evil", "column 14: expected a closing quote, found "
                              "end of rule"},
      {R"(drop payload "a\qb")", R"(column 16: expected an escape (\" \\ \n )"
                                 R"(\t \xHH), found "\q")"},
      {R"(drop payload "\x4")", R"(column 15: expected an escape (\" \\ \n )"
                                R"(\t \xHH), found "\x")"},
  };
  for (const auto& [text, detail] : cases)
    BOOST_TEST(error_of(text) == detail, "rule: " << text);
}

// -- matching -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(headers_of_golden_packets) {
  auto h = packet_headers::read(ip4_udp);
  BOOST_TEST(h.version == 4);
  BOOST_TEST(*h.protocol == IPPROTO_UDP);
  BOOST_TEST(*h.sport == 40001);
  BOOST_TEST(*h.dport == 53);
  BOOST_TEST(std::string(h.l4_payload.begin(), h.l4_payload.end()) ==
             "xxevilxx");
  auto t = packet_headers::read(ip4_tcp);
  BOOST_TEST(*t.protocol == IPPROTO_TCP);
  BOOST_TEST(*t.sport == 8080);
  BOOST_TEST(*t.dport == 443);
  BOOST_TEST(std::string(t.l4_payload.begin(), t.l4_payload.end()) == "GET ");
  auto f = packet_headers::read(ip4_fragment);
  BOOST_TEST(*f.protocol == IPPROTO_UDP);
  BOOST_TEST(!f.sport);
  BOOST_TEST(f.l4_payload.empty());
  auto six = packet_headers::read(ip6_udp);
  BOOST_TEST(six.version == 6);
  BOOST_TEST(*six.protocol == IPPROTO_UDP); // past the hop-by-hop header
  BOOST_TEST(*six.sport == 5000);
  BOOST_TEST(*six.dport == 53);
  BOOST_TEST(std::string(six.l4_payload.begin(), six.l4_payload.end()) ==
             "xxevilxx");
  auto icmp = packet_headers::read(ip6_icmp);
  BOOST_TEST(*icmp.protocol == IPPROTO_ICMPV6);
  BOOST_TEST(!icmp.dport);
  BOOST_TEST((byte_buffer(icmp.l4_payload.begin(), icmp.l4_payload.end()) ==
              bytes({0xde, 0xad})));
  // Cut short: what is there is read, nothing more.
  for (std::size_t n = 0; n < ip6_udp.size(); ++n) {
    auto cut = packet_headers::read(byte_view{ip6_udp}.first(n));
    BOOST_TEST((cut.version == 6) == (n >= 40), n);
    BOOST_TEST(cut.sport.has_value() == (n >= 52), n);
  }
  BOOST_TEST(packet_headers::read(bytes({0x45, 0x00})).version == 0);
  BOOST_TEST(packet_headers::read(bytes({0x12})).version == 0);
}

BOOST_AUTO_TEST_CASE(matches_on_golden_packets) {
  auto u4 = packet(NFPROTO_IPV4, ip4_udp);
  BOOST_TEST(hit("drop", u4));
  BOOST_TEST(hit("drop ip udp", u4));
  BOOST_TEST(!hit("drop ip6", u4));
  BOOST_TEST(!hit("drop tcp", u4));
  BOOST_TEST(hit("drop proto 17", u4));
  BOOST_TEST(hit("drop saddr 10.0.0.0/8", u4));
  BOOST_TEST(hit("drop saddr 10.1.2.3", u4));
  BOOST_TEST(hit("drop saddr 10.1.2.2/31", u4));
  BOOST_TEST(!hit("drop saddr 10.1.2.4/31", u4));
  BOOST_TEST(hit("drop saddr 0.0.0.0/0", u4));
  BOOST_TEST(!hit("drop saddr ::/0", u4)); // another family
  BOOST_TEST(hit("drop daddr 192.168.0.0/16", u4));
  BOOST_TEST(!hit("drop daddr 10.0.0.0/8", u4));
  BOOST_TEST(hit("drop dport 53", u4));
  BOOST_TEST(hit("drop dport 50-60", u4));
  BOOST_TEST(!hit("drop dport 54-60", u4));
  BOOST_TEST(hit("drop sport 40001", u4));
  BOOST_TEST(hit("drop sport 40000-40001", u4));
  BOOST_TEST(!hit("drop sport 40002-50000", u4));
  BOOST_TEST(hit("drop payload \"evil\"", u4));
  BOOST_TEST(hit("drop payload \"xxevilxx\"", u4));
  BOOST_TEST(!hit("drop payload \"xxevilxxx\"", u4));
  BOOST_TEST(hit("drop payload 0x6576696c payload \"xx\"", u4));
  BOOST_TEST(!hit("drop payload \"evil\" payload \"good\"", u4));
  BOOST_TEST(!hit("drop payload 0x0035", u4)); // in the header, not payload
  BOOST_TEST(hit("drop udp dport 53 payload \"evil\"", u4));
  // Metadata: absent never matches, a mark of 0 is "no mark".
  BOOST_TEST(!hit("drop uid 0", u4));
  BOOST_TEST(!hit("drop iif lo", u4));
  BOOST_TEST(hit("drop mark 0", u4));
  u4.uid = 1000;
  u4.gid = 100;
  u4.mark = 0x1234;
  u4.outdev_name = "lo";
  BOOST_TEST(hit("drop uid 1000 gid 100", u4));
  BOOST_TEST(!hit("drop uid 1001", u4));
  BOOST_TEST(!hit("drop gid 0", u4));
  BOOST_TEST(hit("drop mark 0x1234", u4));
  BOOST_TEST(hit("drop mark 0x34/0xff", u4));
  BOOST_TEST(!hit("drop mark 0x35/0xff", u4));
  BOOST_TEST(!hit("drop mark 0", u4));
  BOOST_TEST(hit("drop oif lo", u4));
  BOOST_TEST(!hit("drop oif eth0", u4));
  BOOST_TEST(!hit("drop iif lo", u4));

  auto t4 = packet(NFPROTO_IPV4, ip4_tcp);
  BOOST_TEST(hit("drop tcp sport 8080 dport 443 payload \"GET\"", t4));
  BOOST_TEST(!hit("drop udp", t4));
  BOOST_TEST(hit("drop saddr 127.0.0.1 daddr 127.0.0.0/8", t4));

  auto frag = packet(NFPROTO_IPV4, ip4_fragment);
  BOOST_TEST(hit("drop udp saddr 10.1.2.3", frag));
  BOOST_TEST(!hit("drop dport 53", frag)); // no ports in a later fragment
  BOOST_TEST(!hit("drop payload \"evil\"", frag));

  auto u6 = packet(NFPROTO_IPV6, ip6_udp);
  BOOST_TEST(hit("drop ip6 udp", u6));
  BOOST_TEST(!hit("drop ip", u6));
  BOOST_TEST(hit("drop saddr 2001:db8::/32 daddr 2001:db8:1::/48", u6));
  BOOST_TEST(hit("drop saddr 2001:db8::1", u6));
  BOOST_TEST(!hit("drop saddr 2001:db8::2", u6));
  BOOST_TEST(!hit("drop daddr 2001:db8:2::/48", u6));
  BOOST_TEST(!hit("drop saddr 0.0.0.0/0", u6));
  BOOST_TEST(hit("drop sport 5000 dport 53 payload \"evil\"", u6));

  auto i6 = packet(NFPROTO_IPV6, ip6_icmp);
  BOOST_TEST(hit("drop icmpv6 payload 0xdead", i6));
  BOOST_TEST(!hit("drop icmp", i6));
  BOOST_TEST(!hit("drop sport 0-65535", i6)); // no ports at all

  // No payload copied (copy mode meta): only metadata matches hold.
  queue_packet bare;
  bare.family = NFPROTO_IPV4;
  BOOST_TEST(hit("drop ip", bare));
  BOOST_TEST(!hit("drop udp", bare));
  BOOST_TEST(!hit("drop saddr 0.0.0.0/0", bare));
  BOOST_TEST(!hit("drop payload \"x\"", bare));
}

BOOST_AUTO_TEST_CASE(first_match_wins_then_the_default) {
  policy pol;
  for (auto text : {"drop udp dport 53 payload \"evil\"",
                    "mark 7 saddr "
                    "10.0.0.0/8",
                    "queue 9 ip6", "accept"})
    pol.rules.push_back(rule(text));
  auto u4 = packet(NFPROTO_IPV4, ip4_udp);
  auto d = pol.decide(u4);
  BOOST_TEST((d.verdict == verdict::drop()));
  BOOST_TEST(*d.rule == 0u);
  auto t4 = packet(NFPROTO_IPV4, ip4_tcp);
  d = pol.decide(t4); // 127.0.0.1: not 10/8, not ip6
  BOOST_TEST((d.verdict == verdict::accept()));
  BOOST_TEST(*d.rule == 3u);
  auto frag = packet(NFPROTO_IPV4, ip4_fragment); // 10.1.2.3, no payload
  d = pol.decide(frag);
  BOOST_TEST(*d.rule == 1u);
  BOOST_TEST(*d.verdict.mark == 7u);
  d = pol.decide(packet(NFPROTO_IPV6, ip6_icmp));
  BOOST_TEST((d.verdict == verdict::to_queue(9)));

  pol.rules.pop_back();
  pol.fallback.what = kind::drop;
  d = pol.decide(t4);
  BOOST_TEST((d.verdict == verdict::drop()));
  BOOST_TEST(!d.rule);
  BOOST_TEST(!pol.needs_uid_gid());
  BOOST_TEST(!pol.needs_names());
  pol.rules.push_back(rule("accept uid 0"));
  BOOST_TEST(pol.needs_uid_gid());
  pol.rules.push_back(rule("accept iif lo"));
  BOOST_TEST(pol.needs_names());
}

// -- JSON ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(json_gives_the_same_policy_as_text) {
  const char* texts[] = {
      "drop udp dport 53 payload \"evil\"",
      "mark 7 saddr 10.0.0.0/8",
      "mark 3 repeat ip6 proto 58 daddr 2001:db8::/32",
      "queue 9 bypass tcp sport 1024-65535 dport 443",
      "drop uid 1000 gid 100 mark 0x1/0xff iif eth0 oif lo",
      "drop payload \"x y\" payload 0xdead",
      "accept",
  };
  policy from_text;
  for (auto t : texts)
    from_text.rules.push_back(rule(t));
  from_text.fallback.what = kind::drop;
  auto json = R"({"default": "drop", "rules": [
    {"action": "drop", "proto": "udp", "dport": 53, "payload": "evil"},
    {"action": "mark", "set_mark": 7, "saddr": "10.0.0.0/8"},
    {"action": "repeat", "set_mark": "0x3", "family": "ip6", "proto": 58,
     "daddr": "2001:db8::/32"},
    {"action": "queue", "to_queue": 9, "bypass": true, "proto": "tcp",
     "sport": [1024, 65535], "dport": "443"},
    {"action": "drop", "uid": 1000, "gid": "100", "mark": "0x1/0xff",
     "iif": "eth0", "oif": "lo"},
    {"action": "drop", "payload_hex": "dead", "payload": ["x y"]},
    {"action": "accept"}
  ]})";
  auto from_json = parse_policy_json(json);
  BOOST_TEST_REQUIRE(from_json, why(from_json));
  BOOST_TEST_REQUIRE(from_json->rules.size() == from_text.rules.size());
  for (std::size_t i = 0; i < from_text.rules.size(); ++i)
    BOOST_TEST(to_string(from_json->rules[i]) == to_string(from_text.rules[i]));
  BOOST_TEST((*from_json == from_text));

  // Rules as strings of the text syntax; a bare list; ranges as text.
  auto strings = parse_policy_json(
      R"([{"action": "drop", "sport": "1-2"}, "drop sport 1-2", "accept"])");
  BOOST_TEST_REQUIRE(strings, why(strings));
  BOOST_TEST((strings->rules[0] == strings->rules[1]));
  BOOST_TEST((strings->fallback == policy_action{})); // accept
  auto empty = parse_policy_json("[]");
  BOOST_TEST_REQUIRE(empty);
  BOOST_TEST(empty->rules.empty());
}

BOOST_AUTO_TEST_CASE(json_error_messages) {
  auto r = parse_policy_json("[{\"action\": \"drop\", \"dport\": \"x\"}]",
                             "/etc/q.json");
  BOOST_TEST_REQUIRE(!r);
  BOOST_TEST(r.err().message() ==
             "policy /etc/q.json: invalid argument: rule 1, key \"dport\": "
             "expected a port or port range (N, \"N-M\" or [N, M], 0-65535, "
             "N <= M), found \"x\"");
  const std::pair<std::string, std::string> cases[] = {
      {"[", "byte 2: expected valid JSON, found a syntax error "
            "([json.exception.parse_error.101] parse error at line 1, column "
            "2: syntax error while parsing value - unexpected end of input; "
            "expected '[', '{', or a literal)"},
      {"5", "top level: expected a list of rules, or an object with "
            "\"rules\", found 5"},
      {"{}", "top level: expected a key \"rules\" (a list of rules), found "
             "none"},
      {R"({"rules": [], "x": 1})",
       "top level: expected the key \"rules\" or \"default\", found \"x\""},
      {R"({"rules": {}})", "top level: expected a list of rules, or an "
                           "object with \"rules\", found {}"},
      {R"({"rules": [], "default": "maybe"})",
       "key \"default\": expected a verdict (\"accept\", \"drop\"), found "
       "\"maybe\""},
      {R"({"rules": [], "default": 1})",
       "key \"default\": expected a verdict (\"accept\", \"drop\"), found 1"},
      {"[1]", "rule 1: expected a rule (an object or a string), found 1"},
      {R"([{}])", "rule 1: expected a key \"action\", found none"},
      {R"(["accept", {"action": "reject"}])",
       "rule 2, key \"action\": expected an action (\"accept\", \"drop\", "
       "\"mark\", \"queue\", \"repeat\"), found \"reject\""},
      {R"([{"action": 1}])",
       "rule 1, key \"action\": expected an action (\"accept\", \"drop\", "
       "\"mark\", \"queue\", \"repeat\"), found 1"},
      {R"([{"action": "drop", "dst": "x"}])",
       "rule 1: expected a key of a rule (action, set_mark, to_queue, "
       "bypass, family, proto, saddr, daddr, sport, dport, uid, gid, mark, "
       "iif, oif, payload, payload_hex), found \"dst\""},
      {R"([{"action": "mark"}])",
       "rule 1: expected a key \"set_mark\" with action \"mark\", found none"},
      {R"([{"action": "drop", "set_mark": 1}])",
       "rule 1, key \"set_mark\": expected no mark to set with action "
       "\"drop\", found one"},
      {R"([{"action": "mark", "set_mark": -1}])",
       "rule 1, key \"set_mark\": expected a mark to set (0-0xffffffff), "
       "found -1"},
      {R"([{"action": "queue"}])",
       "rule 1: expected a key \"to_queue\" with action \"queue\", found "
       "none"},
      {R"([{"action": "queue", "to_queue": 65536}])",
       "rule 1, key \"to_queue\": expected a queue number 0-65535, found "
       "65536"},
      {R"([{"action": "drop", "bypass": true}])",
       "rule 1, key \"bypass\": expected no queue with action \"drop\", "
       "found one"},
      {R"([{"action": "queue", "to_queue": 1, "bypass": 1}])",
       "rule 1, key \"bypass\": expected true or false, found 1"},
      {R"([{"action": "drop", "family": "inet"}])",
       "rule 1, key \"family\": expected a family (ip or ip6), found "
       "\"inet\""},
      {R"([{"action": "drop", "proto": "udpp"}])",
       "rule 1, key \"proto\": expected a protocol (tcp, udp, udplite, "
       "sctp, icmp, icmpv6, gre, esp, ah) or a number 0-255, found "
       "\"udpp\""},
      {R"([{"action": "drop", "saddr": "10.0.0.0/33"}])",
       "rule 1, key \"saddr\": expected an IPv4 or IPv6 address or prefix "
       "(ADDR or ADDR/LEN), found \"10.0.0.0/33\""},
      {R"([{"action": "drop", "saddr": 167772160}])",
       "rule 1, key \"saddr\": expected an IPv4 or IPv6 address or prefix "
       "(ADDR or ADDR/LEN), found 167772160"},
      {R"([{"action": "drop", "saddr": "::1", "daddr": "1.2.3.4"}])",
       "rule 1, key \"daddr\": expected an address of the same family as "
       "the other address, found \"1.2.3.4\""},
      {R"([{"action": "drop", "family": "ip", "daddr": "::1"}])",
       "rule 1, key \"daddr\": expected an address of family ip, found "
       "\"::1\""},
      {R"([{"action": "drop", "sport": [2, 1]}])",
       "rule 1, key \"sport\": expected a port or port range (N, \"N-M\" or "
       "[N, M], 0-65535, N <= M), found [2,1]"},
      {R"([{"action": "drop", "proto": "icmp", "dport": 1}])",
       "rule 1, key \"proto\": expected a protocol with ports (tcp, udp, "
       "udplite, sctp) when the rule matches ports, found \"icmp\""},
      {R"([{"action": "drop", "uid": "root"}])",
       "rule 1, key \"uid\": expected a number 0-4294967295, found "
       "\"root\""},
      {R"([{"action": "drop", "mark": "1/"}])",
       "rule 1, key \"mark\": expected a mark (N or N/MASK, 0-0xffffffff), "
       "found \"1/\""},
      {R"([{"action": "drop", "oif": ""}])",
       "rule 1, key \"oif\": expected an interface name (1-15 characters), "
       "found \"\""},
      {R"([{"action": "drop", "payload": ""}])",
       "rule 1, key \"payload\": expected a non-empty string or a list of "
       "them, found \"\""},
      {R"([{"action": "drop", "payload": []}])",
       "rule 1, key \"payload\": expected a non-empty string or a list of "
       "them, found []"},
      {R"([{"action": "drop", "payload_hex": "abc"}])",
       "rule 1, key \"payload_hex\": expected hex bytes (\"0x6576\") or a "
       "list of them, found \"abc\""},
      {R"(["drop udp dport x"])",
       "rule 1 \"drop udp dport x\", column 16: expected a port or port "
       "range (N or N-M, 0-65535, N <= M), found \"x\""},
  };
  for (const auto& [text, detail] : cases)
    BOOST_TEST(json_error_of(text) == detail, "policy: " << text);
  auto unnamed = parse_policy_json("5");
  BOOST_TEST_REQUIRE(!unnamed);
  BOOST_TEST(unnamed.err().op == "policy");
}

BOOST_AUTO_TEST_SUITE_END()
