// SPDX-License-Identifier: Apache-2.0
// The conntrack entry codec (ct/entry.hpp): golden attribute bytes written
// from the layouts in <linux/netfilter/nfnetlink_conntrack.h>, every row
// round-tripped, and malformed input as typed errors.
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "bytes_check.hpp"
#include "netns_fixture.hpp"
#include "nfactor/ct/entry.hpp"
#include "nfactor/nl/attr.hpp"

namespace ct_entry {
using namespace nfactor;
using namespace nfactor::ct;

ip_address v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  ip_address ip;
  ip.version = 4;
  ip.bytes = {a, b, c, d};
  return ip;
}

// The attributes `e` encodes to (without a message header).
byte_buffer encode(const entry& e) {
  byte_buffer out;
  nl::message_writer w{out};
  w.begin(0, 0, 0);
  encode_entry(w, e);
  w.end();
  BOOST_REQUIRE(w.status().has_value());
  return byte_buffer(out.begin() + 16, out.end());
}

// An entry with every member set (IPv6 ICMP tuples, so the ICMPV6 rows
// are used; `tcp` switches orig to TCP with ports).
entry full_entry() {
  entry e;
  tuple t;
  ip_address a;
  a.version = 6;
  a.bytes[15] = 1;
  t.src = a;
  t.dst = a;
  t.l4proto = IPPROTO_ICMPV6;
  t.echo_id = 0x1234;
  t.icmp_type = 128;
  t.icmp_code = 0;
  t.zone = 7;
  e.orig = t;
  t.icmp_type = 129;
  e.reply = t;
  tuple m;
  m.src = v4(10, 0, 0, 1);
  m.dst = v4(10, 0, 0, 2);
  m.l4proto = IPPROTO_TCP;
  m.src_port = 1024;
  m.dst_port = 21;
  e.master = m;
  e.status = 0x18e;
  e.tcp_state = 3;
  e.id = 0xdeadbeef;
  e.mark = 0x42;
  e.timeout = 120;
  e.use = 2;
  e.zone = 7;
  e.tcp_wscale_orig = 7;
  e.tcp_wscale_reply = 8;
  e.tcp_flags_orig = tcp_flags{0x23, 0};
  e.tcp_flags_reply = tcp_flags{0x03, 0x01};
  e.sctp_state = 2;
  e.sctp_vtag_orig = 11;
  e.sctp_vtag_reply = 12;
  e.dccp_state = 1;
  e.dccp_role = 0;
  e.counters_orig = counters{3, 180};
  e.counters_reply = counters{2, 120};
  e.timestamp_start = 1'700'000'000'000'000'000ull;
  e.timestamp_stop = 1'700'000'001'000'000'000ull;
  e.labels = byte_buffer(16, 0);
  (*e.labels)[0] = 0x05;
  e.labels_mask = byte_buffer(16, 0xff);
  e.mark_mask = 0xff;
  e.status_mask = 0x8;
  e.secctx = "system_u:object_r:unlabeled_t:s0";
  e.helper = "ftp";
  e.seq_adj_orig = seq_adj{100, -4, 8};
  e.seq_adj_reply = seq_adj{200, 0, -2};
  return e;
}

} // namespace ct_entry

BOOST_AUTO_TEST_SUITE(ct_entry)

// A UDP entry as ctnetlink sends it in an event (127.0.0.2:40000 ->
// 127.0.0.1:53, reply back, status, timeout, mark, id, use, counters),
// written byte by byte from the uapi layout.
BOOST_AUTO_TEST_CASE(a_udp_entry_decodes_from_golden_bytes) {
  auto golden = test::bytes({
      0x34, 0x00, 0x01, 0x80, // CTA_TUPLE_ORIG (nested), 52 bytes
      0x14, 0x00, 0x01, 0x80, //   CTA_TUPLE_IP, 20 bytes
      0x08, 0x00, 0x01, 0x00, //     CTA_IP_V4_SRC
      0x7f, 0x00, 0x00, 0x02, //     127.0.0.2
      0x08, 0x00, 0x02, 0x00, //     CTA_IP_V4_DST
      0x7f, 0x00, 0x00, 0x01, //     127.0.0.1
      0x1c, 0x00, 0x02, 0x80, //   CTA_TUPLE_PROTO, 28 bytes
      0x05, 0x00, 0x01, 0x00, //     CTA_PROTO_NUM
      0x11, 0x00, 0x00, 0x00, //     17 (UDP), padding
      0x06, 0x00, 0x02, 0x00, //     CTA_PROTO_SRC_PORT
      0x9c, 0x40, 0x00, 0x00, //     40000
      0x06, 0x00, 0x03, 0x00, //     CTA_PROTO_DST_PORT
      0x00, 0x35, 0x00, 0x00, //     53
      0x08, 0x00, 0x03, 0x00, // CTA_STATUS
      0x00, 0x00, 0x01, 0x88, //   IPS_CONFIRMED|SRC_NAT_DONE|DST_NAT_DONE
      0x08, 0x00, 0x07, 0x00, // CTA_TIMEOUT
      0x00, 0x00, 0x00, 0x1e, //   30 s
      0x08, 0x00, 0x08, 0x00, // CTA_MARK
      0x00, 0x00, 0xbe, 0xef, //
      0x08, 0x00, 0x0c, 0x00, // CTA_ID
      0x12, 0x34, 0x56, 0x78, //
      0x08, 0x00, 0x0b, 0x00, // CTA_USE
      0x00, 0x00, 0x00, 0x01, //
      0x20, 0x00, 0x09, 0x80, // CTA_COUNTERS_ORIG, 32 bytes
      0x04, 0x00, 0x05, 0x00, //   CTA_COUNTERS_PAD (skipped)
      0x0c, 0x00, 0x01, 0x00, //   CTA_COUNTERS_PACKETS
      0x00, 0x00, 0x00, 0x00, //
      0x00, 0x00, 0x00, 0x03, //   3
      0x0c, 0x00, 0x02, 0x00, //   CTA_COUNTERS_BYTES
      0x00, 0x00, 0x00, 0x00, //
      0x00, 0x00, 0x00, 0x99, //   153
      0x08, 0x00, 0xe7, 0x03, // type 999: unknown, skipped
      0x00, 0x00, 0x00, 0x00, //
  });
  auto got = decode_entry(golden);
  NFACTOR_REQUIRE_OK(got);
  entry want;
  tuple orig;
  orig.src = v4(127, 0, 0, 2);
  orig.dst = v4(127, 0, 0, 1);
  orig.l4proto = IPPROTO_UDP;
  orig.src_port = 40000;
  orig.dst_port = 53;
  want.orig = orig;
  want.status = 0x188;
  want.timeout = 30;
  want.mark = 0xbeef;
  want.id = 0x12345678;
  want.use = 1;
  want.counters_orig = counters{3, 153};
  BOOST_TEST((*got == want));
  BOOST_TEST(got->orig->src->to_string() == "127.0.0.2");
}

BOOST_AUTO_TEST_CASE(a_tuple_encodes_to_golden_bytes) {
  entry e;
  tuple t;
  t.src = v4(127, 0, 0, 1);
  t.dst = v4(127, 0, 0, 1);
  t.l4proto = IPPROTO_ICMP;
  t.echo_id = 0x0102;
  t.icmp_type = 8;
  t.icmp_code = 0;
  e.orig = t;
  auto want = test::bytes({
      0x3c, 0x00, 0x01, 0x80, // CTA_TUPLE_ORIG, 60 bytes
      0x14, 0x00, 0x01, 0x80, //   CTA_TUPLE_IP
      0x08, 0x00, 0x01, 0x00, 0x7f, 0x00, 0x00, 0x01, // V4_SRC
      0x08, 0x00, 0x02, 0x00, 0x7f, 0x00, 0x00, 0x01, // V4_DST
      0x24, 0x00, 0x02, 0x80,                         //   CTA_TUPLE_PROTO
      0x05, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, // PROTO_NUM 1
      0x06, 0x00, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, // ICMP_ID
      0x05, 0x00, 0x05, 0x00, 0x08, 0x00, 0x00, 0x00, // ICMP_TYPE 8
      0x05, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, // ICMP_CODE 0
  });
  BOOST_TEST(test::bytes_equal(encode(e), want));
}

BOOST_AUTO_TEST_CASE(every_member_round_trips) {
  auto e = full_entry();
  auto bytes = encode(e);
  auto back = decode_entry(bytes);
  NFACTOR_REQUIRE_OK(back);
  BOOST_TEST((*back == e));
  // The second encoding is byte for byte the first.
  BOOST_TEST(test::bytes_equal(encode(*back), bytes));
}

// Each member alone encodes to something that decodes to just that member:
// no row is missing from the table, none writes another's attribute.
BOOST_AUTO_TEST_CASE(each_member_has_its_own_row) {
  auto full = full_entry();
  entry probe;
  int members = 0;
  auto check = [&](auto member) {
    ++members;
    entry one;
    one.*member = full.*member;
    auto back = decode_entry(encode(one));
    NFACTOR_REQUIRE_OK(back);
    BOOST_TEST((*back == one), "member " << members);
  };
  check(&entry::orig);
  check(&entry::reply);
  check(&entry::status);
  check(&entry::tcp_state);
  check(&entry::id);
  check(&entry::mark);
  check(&entry::timeout);
  check(&entry::use);
  check(&entry::zone);
  check(&entry::master);
  check(&entry::tcp_wscale_orig);
  check(&entry::tcp_wscale_reply);
  check(&entry::tcp_flags_orig);
  check(&entry::tcp_flags_reply);
  check(&entry::sctp_state);
  check(&entry::sctp_vtag_orig);
  check(&entry::sctp_vtag_reply);
  check(&entry::dccp_state);
  check(&entry::dccp_role);
  check(&entry::counters_orig);
  check(&entry::counters_reply);
  check(&entry::timestamp_start);
  check(&entry::timestamp_stop);
  check(&entry::labels);
  check(&entry::labels_mask);
  check(&entry::mark_mask);
  check(&entry::status_mask);
  check(&entry::secctx);
  check(&entry::helper);
  check(&entry::seq_adj_orig);
  check(&entry::seq_adj_reply);
  BOOST_TEST(members == 31);
  (void)probe;
}

BOOST_AUTO_TEST_CASE(icmp_fields_follow_the_protocol) {
  tuple t;
  t.l4proto = IPPROTO_ICMP;
  t.echo_id = 5;
  entry e;
  e.orig = t;
  auto v4_bytes = encode(e);
  e.orig->l4proto = IPPROTO_ICMPV6;
  auto v6_bytes = encode(e);
  // The id attribute is the last 8 bytes: CTA_PROTO_ICMP_ID (4) vs
  // CTA_PROTO_ICMPV6_ID (7).
  BOOST_TEST(v4_bytes[v4_bytes.size() - 6] == CTA_PROTO_ICMP_ID);
  BOOST_TEST(v6_bytes[v6_bytes.size() - 6] == CTA_PROTO_ICMPV6_ID);
}

BOOST_AUTO_TEST_CASE(malformed_input_is_a_typed_error) {
  auto bad_len = test::bytes({
      0x0c, 0x00, 0x01, 0x80, // CTA_TUPLE_ORIG
      0x08, 0x00, 0x01, 0x80, //   CTA_TUPLE_IP
      0x04, 0x00, 0x01, 0x00, //     CTA_IP_V4_SRC without an address
  });
  auto r = decode_entry(bad_len);
  BOOST_TEST_REQUIRE(!r);
  BOOST_TEST((r.err().code == make_error_code(errc::bad_attribute)));
  BOOST_TEST(r.err().detail.find("CTA_IP") != std::string::npos,
             r.err().message());
  auto short_status = test::bytes({0x06, 0x00, 0x03, 0x00, 0x00, 0x01, 0, 0});
  BOOST_TEST(!decode_entry(short_status));
  auto bad_flags = test::bytes({
      0x10,
      0x00,
      0x04,
      0x80, // CTA_PROTOINFO
      0x0c,
      0x00,
      0x01,
      0x80, //   CTA_PROTOINFO_TCP
      0x07,
      0x00,
      0x04,
      0x00, //     FLAGS_ORIGINAL of 3 bytes
      0x01,
      0x02,
      0x03,
      0x00,
  });
  BOOST_TEST(!decode_entry(bad_flags));
  // Every prefix of a full entry is an error or a shorter entry, never an
  // over-read (ASan builds check the latter).
  auto bytes = encode(full_entry());
  for (std::size_t n = 0; n < bytes.size(); ++n)
    (void)decode_entry(byte_view{bytes.data(), n});
}

BOOST_AUTO_TEST_CASE(addresses_parse_and_print) {
  auto a = ip_address::parse("::1");
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST(a->version == 6);
  BOOST_TEST(a->to_string() == "::1");
  BOOST_TEST(ip_address::parse("10.1.2.3")->to_string() == "10.1.2.3");
  BOOST_TEST(!ip_address::parse("10.1.2").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
