// SPDX-License-Identifier: Apache-2.0
// Conntrack expectations (ct/expect.hpp, ct/text.hpp): an expectation
// event captured from kernel 6.18 decodes to the exact values and encodes
// back to the same bytes; DESTROY and dump parts get their kinds; the
// requests (dump, delete, flush) are golden; bad requests are typed
// errors; the text is what `conntrack -L expect` / `-E expect` print.
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include "bytes_check.hpp"
#include "netns_fixture.hpp"
#include "nfactor/ct/expect.hpp"
#include "nfactor/ct/text.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/nl/message.hpp"

namespace ct_expect {
using namespace nfactor;
using namespace nfactor::ct;

// NFNLGRP_CONNTRACK_EXP_NEW, captured from kernel 6.18 in a scratch
// namespace: nft `ct helper ftp-standard { type "ftp" protocol tcp; }`
// set on `tcp dport 21`, a client at 127.0.0.1:40021 connected to
// 127.0.0.1:21 sends "USER x\r\n", then "PORT 127,0,0,1,195,80\r\n"
// (the helper parses a command only after a line end it has seen).
// `conntrack -L expect` listed it as
//   300 proto=6 src=127.0.0.1 dst=127.0.0.1 sport=0 dport=50000
//   mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535
//   master-src=127.0.0.1 master-dst=127.0.0.1 sport=40021 dport=21
//   class=0 helper=ftp
const byte_buffer ftp_exp_new = test::bytes({
    0xd8, 0x00, 0x00, 0x00, // nlmsg_len 216
    0x00, 0x02,             // NFNL_SUBSYS_CTNETLINK_EXP << 8 | EXP_NEW
    0x00, 0x06,             // NLM_F_CREATE | NLM_F_EXCL
    0x00, 0x00, 0x00, 0x00, // seq
    0x00, 0x00, 0x00, 0x00, // portid
    0x02, 0x00, 0x00, 0x00, // nfgenmsg AF_INET, v0, res_id 0
    0x34, 0x00, 0x02, 0x80, // CTA_EXPECT_TUPLE
    0x14, 0x00, 0x01, 0x80, //   CTA_TUPLE_IP
    0x08, 0x00, 0x01, 0x00, 0x7f, 0x00, 0x00, 0x01, // V4_SRC
    0x08, 0x00, 0x02, 0x00, 0x7f, 0x00, 0x00, 0x01, // V4_DST
    0x1c, 0x00, 0x02, 0x80,                         //   CTA_TUPLE_PROTO
    0x05, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, // NUM 6
    0x06, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, // SRC_PORT 0 (any)
    0x06, 0x00, 0x03, 0x00, 0xc3, 0x50, 0x00, 0x00, // DST_PORT 50000
    0x34, 0x00, 0x03, 0x80,                         // CTA_EXPECT_MASK
    0x14, 0x00, 0x01, 0x80,                         //   CTA_TUPLE_IP
    0x08, 0x00, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, // V4_SRC
    0x08, 0x00, 0x02, 0x00, 0xff, 0xff, 0xff, 0xff, // V4_DST
    0x1c, 0x00, 0x02, 0x80,                         //   CTA_TUPLE_PROTO
    0x05, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, // NUM 6
    0x06, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, // SRC_PORT mask 0
    0x06, 0x00, 0x03, 0x00, 0xff, 0xff, 0x00, 0x00, // DST_PORT mask
    0x34, 0x00, 0x01, 0x80,                         // CTA_EXPECT_MASTER
    0x14, 0x00, 0x01, 0x80,                         //   CTA_TUPLE_IP
    0x08, 0x00, 0x01, 0x00, 0x7f, 0x00, 0x00, 0x01, // V4_SRC
    0x08, 0x00, 0x02, 0x00, 0x7f, 0x00, 0x00, 0x01, // V4_DST
    0x1c, 0x00, 0x02, 0x80,                         //   CTA_TUPLE_PROTO
    0x05, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, // NUM 6
    0x06, 0x00, 0x02, 0x00, 0x9c, 0x55, 0x00, 0x00, // SRC_PORT 40021
    0x06, 0x00, 0x03, 0x00, 0x00, 0x15, 0x00, 0x00, // DST_PORT 21
    0x08, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x2c, // CTA_EXPECT_TIMEOUT 300
    0x08, 0x00, 0x05, 0x00, 0x0c, 0x95, 0x12, 0x51, // CTA_EXPECT_ID
    0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, // CTA_EXPECT_FLAGS 0
    0x08, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, // CTA_EXPECT_CLASS 0
    0x08, 0x00, 0x06, 0x00, 0x66, 0x74, 0x70, 0x00, // CTA_EXPECT_HELP_NAME
});

tuple tcp_tuple(const char* src, const char* dst, std::uint16_t sport,
                std::uint16_t dport) {
  tuple t;
  t.src = ip_address::parse(src);
  t.dst = ip_address::parse(dst);
  t.l4proto = IPPROTO_TCP;
  t.src_port = sport;
  t.dst_port = dport;
  return t;
}

// What `ftp_exp_new` carries.
exp_event ftp_expectation() {
  exp_event ev;
  ev.kind = change::created;
  ev.family = AF_INET;
  ev.exp.expected = tcp_tuple("127.0.0.1", "127.0.0.1", 0, 50000);
  ev.exp.mask = tcp_tuple("255.255.255.255", "255.255.255.255", 0, 0xffff);
  ev.exp.master = tcp_tuple("127.0.0.1", "127.0.0.1", 40021, 21);
  ev.exp.timeout = 300;
  ev.exp.id = 0x0c951251;
  ev.exp.flags = 0;
  ev.exp.expect_class = 0;
  ev.exp.helper = "ftp";
  return ev;
}

// The one message in `bytes`.
nl::message only(const byte_buffer& bytes) {
  nl::message_reader r{bytes};
  BOOST_REQUIRE(r.next());
  return r.get();
}

// `bytes` with nlmsghdr type and flags replaced.
byte_buffer with_header(byte_buffer bytes, std::uint8_t msg,
                        std::uint16_t flags) {
  bytes[4] = msg;
  bytes[6] = static_cast<std::uint8_t>(flags);
  bytes[7] = static_cast<std::uint8_t>(flags >> 8);
  return bytes;
}

} // namespace ct_expect

BOOST_AUTO_TEST_SUITE(ct_expect)

BOOST_AUTO_TEST_CASE(a_kernel_expectation_decodes_and_encodes_back) {
  BOOST_TEST(is_expectation_message(only(ftp_exp_new)));
  auto ev = decode_exp_event(only(ftp_exp_new));
  NFACTOR_REQUIRE_OK(ev);
  BOOST_TEST((*ev == ftp_expectation()));
  BOOST_TEST(*ev->exp.expected->dst_port == 50000u); // 195 * 256 + 80
  BOOST_TEST(!ev->exp.nat_dir.has_value());
  BOOST_TEST(!ev->exp.function.has_value());
  byte_buffer out;
  append_exp_event(out, *ev);
  BOOST_TEST(test::bytes_equal(out, ftp_exp_new));
}

BOOST_AUTO_TEST_CASE(destroy_events_and_dump_parts_get_their_kinds) {
  auto destroyed = with_header(ftp_exp_new, IPCTNL_MSG_EXP_DELETE, 0);
  auto ev = decode_exp_event(only(destroyed));
  NFACTOR_REQUIRE_OK(ev);
  BOOST_TEST((ev->kind == change::destroyed));
  byte_buffer out;
  append_exp_event(out, *ev);
  BOOST_TEST(test::bytes_equal(out, destroyed));

  auto part = with_header(ftp_exp_new, IPCTNL_MSG_EXP_NEW, NLM_F_MULTI);
  ev = decode_exp_event(only(part));
  NFACTOR_REQUIRE_OK(ev);
  BOOST_TEST((ev->kind == change::created));
  out.clear();
  append_exp_event(out, *ev, 0, true);
  BOOST_TEST(test::bytes_equal(out, part));
}

// The members the FTP helper leaves out round-trip too: NAT (direction and
// tuple in CTA_EXPECT_NAT), the expectation function, the zone, flags.
BOOST_AUTO_TEST_CASE(every_attribute_round_trips) {
  auto ev = ftp_expectation();
  ev.exp.nat_dir = 1;
  ev.exp.nat_tuple = tcp_tuple("10.0.0.1", "10.0.0.2", 0, 2121);
  ev.exp.function = "nat-follow-master";
  ev.exp.zone = 7;
  ev.exp.flags = NF_CT_EXPECT_PERMANENT | NF_CT_EXPECT_USERSPACE;
  ev.exp.expect_class = 2;
  byte_buffer once;
  append_exp_event(once, ev, 5);
  auto back = decode_exp_event(only(once));
  NFACTOR_REQUIRE_OK(back);
  BOOST_TEST((*back == ev));
  byte_buffer twice;
  append_exp_event(twice, *back, 5);
  BOOST_TEST(test::bytes_equal(twice, once));
}

BOOST_AUTO_TEST_CASE(entry_messages_are_not_expectations) {
  auto entry_msg = ftp_exp_new;
  entry_msg[5] = NFNL_SUBSYS_CTNETLINK;
  BOOST_TEST(!is_expectation_message(only(entry_msg)));
  auto ev = decode_exp_event(only(entry_msg));
  BOOST_REQUIRE(!ev);
  BOOST_TEST((ev.err().code == make_error_code(errc::bad_message)));
}

BOOST_AUTO_TEST_CASE(a_truncated_tuple_is_a_typed_error) {
  auto bad = ftp_exp_new;
  bad[28] = 0x07; // CTA_IP_V4_SRC of the expected tuple: 3 bytes
  auto ev = decode_exp_event(only(bad));
  BOOST_REQUIRE(!ev);
  BOOST_TEST((ev.err().code == make_error_code(errc::bad_attribute)));
}

// An IPv4 expectation dump, as `conntrack -L expect -f ipv4` asks.
BOOST_AUTO_TEST_CASE(a_dump_request_is_golden) {
  auto req = exp_dump_request(AF_INET, 4);
  NFACTOR_REQUIRE_OK(req);
  auto want = test::bytes({
      0x14, 0x00, 0x00, 0x00, // nlmsg_len 20
      0x01, 0x02,             // NFNL_SUBSYS_CTNETLINK_EXP << 8 | EXP_GET
      0x01, 0x03,             // NLM_F_REQUEST | NLM_F_DUMP
      0x04, 0x00, 0x00, 0x00, // seq 4
      0x00, 0x00, 0x00, 0x00, // portid
      0x02, 0x00, 0x00, 0x00, // nfgenmsg AF_INET
  });
  BOOST_TEST(test::bytes_equal(*req, want));
  auto bad = exp_dump_request(99, 4);
  BOOST_REQUIRE(!bad);
  BOOST_TEST((bad.err().code == make_error_code(errc::invalid_argument)));
}

// The kernel finds the expectation by its expected tuple, wildcard source
// port 0 included, and checks the id (ctnetlink_del_expect).
BOOST_AUTO_TEST_CASE(a_delete_request_is_golden) {
  auto req = exp_delete_request(tcp_tuple("127.0.0.1", "127.0.0.1", 0, 50000),
                                0x0c951251, std::nullopt, 6);
  NFACTOR_REQUIRE_OK(req);
  auto want = test::bytes({
      0x50, 0x00, 0x00, 0x00, // nlmsg_len 80
      0x02, 0x02,             // NFNL_SUBSYS_CTNETLINK_EXP << 8 | EXP_DELETE
      0x05, 0x00,             // NLM_F_REQUEST | NLM_F_ACK
      0x06, 0x00, 0x00, 0x00, // seq 6
      0x00, 0x00, 0x00, 0x00, // portid
      0x02, 0x00, 0x00, 0x00, // nfgenmsg AF_INET
      0x34, 0x00, 0x02, 0x80, // CTA_EXPECT_TUPLE
      0x14, 0x00, 0x01, 0x80, //   CTA_TUPLE_IP
      0x08, 0x00, 0x01, 0x00, 0x7f, 0x00, 0x00, 0x01, // V4_SRC
      0x08, 0x00, 0x02, 0x00, 0x7f, 0x00, 0x00, 0x01, // V4_DST
      0x1c, 0x00, 0x02, 0x80,                         //   CTA_TUPLE_PROTO
      0x05, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, // NUM 6
      0x06, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, // SRC_PORT 0
      0x06, 0x00, 0x03, 0x00, 0xc3, 0x50, 0x00, 0x00, // DST_PORT 50000
      0x08, 0x00, 0x05, 0x00, 0x0c, 0x95, 0x12, 0x51, // CTA_EXPECT_ID
  });
  BOOST_TEST(test::bytes_equal(*req, want));
  tuple partial;
  partial.l4proto = IPPROTO_TCP;
  auto bad = exp_delete_request(partial, std::nullopt, std::nullopt, 6);
  BOOST_REQUIRE(!bad);
  BOOST_TEST((bad.err().code == make_error_code(errc::invalid_argument)));
}

// `conntrack -F expect` (all), and the helper-scoped flush.
BOOST_AUTO_TEST_CASE(flush_requests_are_golden) {
  auto all = exp_flush_request(std::nullopt, 2);
  NFACTOR_REQUIRE_OK(all);
  BOOST_TEST(test::bytes_equal(
      *all, test::bytes({0x14, 0x00, 0x00, 0x00, 0x02, 0x02, 0x05,
                         0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
                         0x00, 0x00, 0x00, 0x00, 0x00, 0x00})));
  auto ftp = exp_flush_request("ftp", 3);
  NFACTOR_REQUIRE_OK(ftp);
  BOOST_TEST(test::bytes_equal(
      *ftp,
      test::bytes({0x1c, 0x00, 0x00, 0x00, 0x02, 0x02, 0x05, 0x00, 0x03, 0x00,
                   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                   // CTA_EXPECT_HELP_NAME "ftp"
                   0x08, 0x00, 0x06, 0x00, 0x66, 0x74, 0x70, 0x00})));
}

BOOST_AUTO_TEST_CASE(text_is_what_conntrack_prints) {
  auto ev = ftp_expectation();
  const std::string listed =
      "300 proto=6 src=127.0.0.1 dst=127.0.0.1 sport=0 dport=50000 "
      "mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 "
      "dport=65535 master-src=127.0.0.1 master-dst=127.0.0.1 sport=40021 "
      "dport=21 class=0 helper=ftp";
  BOOST_TEST(to_text(ev.exp) == listed);
  BOOST_TEST(to_text(ev) == "    [NEW] " + listed);
  ev.kind = change::destroyed;
  ev.exp.flags = NF_CT_EXPECT_PERMANENT | NF_CT_EXPECT_INACTIVE;
  BOOST_TEST(to_text(ev).starts_with("[DESTROY] 300 proto=6 "));
  BOOST_TEST(to_text(ev).ends_with(" PERMANENT,INACTIVE class=0 helper=ftp"));
}

BOOST_AUTO_TEST_SUITE_END()
