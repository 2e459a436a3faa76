// SPDX-License-Identifier: Apache-2.0
// The NFLOG event codec: round trips through the one descriptor table,
// conntrack nests, sequence-gap loss, and malformed input (every prefix of
// a message, wrong lengths, nested overruns) — errors, never over-reads.
#include <boost/test/unit_test.hpp>

#include <string>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "bytes_check.hpp"
#include "netns_fixture.hpp"
#include "nfactor/nflog/decode.hpp"
#include "nfactor/nflog/loss.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/nl/message.hpp"

namespace nflog_decode {
using namespace nfactor;
using namespace nfactor::nflog;

// A conntrack nest as ctnetlink writes it: UDP 127.0.0.1:40000 ->
// 127.0.0.1:53 and its reply, status, TCP-less protoinfo, id, mark, zone.
byte_buffer ct_bytes() {
  byte_buffer out;
  nl::message_writer w{out};
  w.begin(0, 0, 0); // a scratch message; only the attributes are kept
  auto tuple = [&](std::uint16_t type, std::uint8_t src_last,
                   std::uint16_t sport, std::uint16_t dport) {
    auto t = w.begin_nested(type);
    auto ip = w.begin_nested(CTA_TUPLE_IP);
    w.attr_u32_be(CTA_IP_V4_SRC, 0x7f000000u | src_last);
    w.attr_u32_be(CTA_IP_V4_DST, 0x7f000001u);
    w.end_nested(ip);
    auto proto = w.begin_nested(CTA_TUPLE_PROTO);
    w.attr_u8(CTA_PROTO_NUM, IPPROTO_UDP);
    w.attr_u16_be(CTA_PROTO_SRC_PORT, sport);
    w.attr_u16_be(CTA_PROTO_DST_PORT, dport);
    w.end_nested(proto);
    w.attr_u16_be(CTA_TUPLE_ZONE, 3);
    w.end_nested(t);
  };
  tuple(CTA_TUPLE_ORIG, 2, 40000, 53);
  tuple(CTA_TUPLE_REPLY, 1, 53, 40000);
  w.attr_u32_be(CTA_STATUS, 0x188);
  auto pi = w.begin_nested(CTA_PROTOINFO);
  auto tcp = w.begin_nested(CTA_PROTOINFO_TCP);
  w.attr_u8(CTA_PROTOINFO_TCP_STATE, 3);
  w.end_nested(tcp);
  w.end_nested(pi);
  w.attr_u32_be(CTA_TIMEOUT, 30);
  w.attr_u32_be(CTA_MARK, 0xbeef);
  w.attr_u32_be(CTA_USE, 1);
  w.attr_u32_be(CTA_ID, 0x12345678);
  w.attr_u16_be(CTA_ZONE, 3);
  w.attr_u32_be(999, 1); // unknown: skipped
  w.end();
  return byte_buffer(out.begin() + 16, out.end());
}

// An event with every attribute of the table set.
log_event full_event() {
  log_event e;
  e.family = NFPROTO_BRIDGE;
  e.group = 65535;
  e.hw_protocol = 0x8100;
  e.hook = NF_INET_FORWARD;
  e.mark = 0xdeadbeef;
  e.timestamp = timestamp{1700000000, 123456};
  e.indev = 2;
  e.outdev = 3;
  e.physindev = 4;
  e.physoutdev = 5;
  e.hwaddr = hw_address{6, {0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0}};
  e.payload = byte_buffer{0x45, 0x00, 0x00, 0x1c, 0xff};
  e.prefix = "every field";
  e.uid = 1000;
  e.gid = 100;
  e.seq = 42;
  e.seq_global = 4242;
  e.hwtype = 1;
  e.hwlen = 14;
  e.hwheader = byte_buffer(14, 0xab);
  e.ct = ct_bytes();
  e.ctinfo = 2;
  e.vlan = vlan_tag{0x8100, 0x2064};
  e.l2hdr = byte_buffer(18, 0xcd);
  return e;
}

nl::message as_message(const byte_buffer& buf) {
  nl::message_reader r{buf};
  BOOST_REQUIRE(r.next());
  return r.get();
}

// A packet message with nfgenmsg (ipv4, group 1) and raw attribute bytes.
byte_buffer packet_with(const byte_buffer& attrs) {
  byte_buffer out;
  nl::message_writer w{out};
  w.begin((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET, 0, 0);
  w.put_nfgenmsg(NFPROTO_IPV4, 1);
  w.put_raw(attrs);
  w.end();
  return out;
}

} // namespace nflog_decode

BOOST_AUTO_TEST_SUITE(nflog_decode)

BOOST_AUTO_TEST_CASE(every_attribute_round_trips) {
  auto want = full_event();
  byte_buffer buf;
  append_packet(buf, want, 9);
  auto got = decode_packet(as_message(buf));
  NFACTOR_REQUIRE_OK(got);
  BOOST_REQUIRE(got->conntrack);
  want.conntrack = got->conntrack; // derived from `ct`, checked below
  BOOST_TEST((*got == want));
  // A second encode is byte-identical.
  byte_buffer again;
  append_packet(again, *got, 9);
  BOOST_TEST(test::bytes_equal(again, buf));
}

BOOST_AUTO_TEST_CASE(conntrack_fields_are_parsed) {
  auto ct = decode_conntrack(ct_bytes());
  NFACTOR_REQUIRE_OK(ct);
  BOOST_REQUIRE(ct->orig);
  BOOST_TEST(ct->orig->src->to_string() == "127.0.0.2");
  BOOST_TEST(ct->orig->dst->to_string() == "127.0.0.1");
  BOOST_TEST((ct->orig->l4proto == std::uint8_t{IPPROTO_UDP}));
  BOOST_TEST((ct->orig->src_port == std::uint16_t{40000}));
  BOOST_TEST((ct->orig->dst_port == std::uint16_t{53}));
  BOOST_TEST((ct->orig->zone == std::uint16_t{3}));
  BOOST_REQUIRE(ct->reply);
  BOOST_TEST((ct->reply->src_port == std::uint16_t{53}));
  BOOST_TEST((ct->status == 0x188u));
  BOOST_TEST((ct->tcp_state == std::uint8_t{3}));
  BOOST_TEST((ct->timeout == 30u));
  BOOST_TEST((ct->mark == 0xbeefu));
  BOOST_TEST((ct->use == 1u));
  BOOST_TEST((ct->id == 0x12345678u));
  BOOST_TEST((ct->zone == std::uint16_t{3}));

  ip_address v6;
  v6.version = 6;
  v6.bytes[15] = 1;
  BOOST_TEST(v6.to_string() == "::1");
}

BOOST_AUTO_TEST_CASE(absent_is_not_zero) {
  log_event e;
  e.family = NFPROTO_IPV4;
  e.group = 3;
  e.mark = 0; // present, zero
  byte_buffer buf;
  append_packet(buf, e);
  auto got = decode_packet(as_message(buf));
  NFACTOR_REQUIRE_OK(got);
  BOOST_TEST((got->mark == 0u));
  BOOST_TEST(!got->uid);
  BOOST_TEST(!got->payload);
  BOOST_TEST(!got->prefix);
  BOOST_TEST(got->group == 3u);
}

BOOST_AUTO_TEST_CASE(unknown_attributes_are_skipped) {
  auto buf =
      packet_with(test::bytes({0x08, 0x00, 0x02, 0x00, 0, 0, 0, 7, // mark
                               0x08, 0x00, 0x63, 0x00, 1, 2, 3, 4, // 99
                               0x04, 0x00, 0x16, 0x00}));          // 22, empty
  auto got = decode_packet(as_message(buf));
  NFACTOR_REQUIRE_OK(got);
  BOOST_TEST((got->mark == 7u));
  BOOST_TEST(attribute_name(NFULA_MARK) == "NFULA_MARK");
  BOOST_TEST(attribute_name(NFULA_L2HDR) == "NFULA_L2HDR");
  BOOST_TEST(attribute_name(99).empty());
}

BOOST_AUTO_TEST_CASE(every_prefix_of_a_message_is_an_error_or_a_subset) {
  byte_buffer buf;
  append_packet(buf, full_event());
  auto full = as_message(buf);
  // Cut the payload at every length; the reader must never read past it.
  for (std::size_t n = 0; n < full.payload.size(); ++n) {
    nl::message m = full;
    m.payload = full.payload.first(n);
    auto got = decode_packet(m);
    if (n < 4) {
      BOOST_TEST(!got, "cut at " << n);
    } else if (got) {
      BOOST_TEST(!(*got == full_event()), "cut at " << n);
    } else {
      BOOST_TEST((got.err().code == make_error_code(errc::truncated) ||
                  got.err().code == make_error_code(errc::bad_attribute)),
                 "cut at " << n << ": " << got.err().message());
    }
  }
}

BOOST_AUTO_TEST_CASE(wrong_lengths_name_the_attribute) {
  struct bad_case {
    byte_buffer attrs;
    const char* detail_starts;
  };
  const bad_case cases[] = {
      {test::bytes({0x06, 0x00, 0x02, 0x00, 1, 2, 0, 0}), "NFULA_MARK: "},
      {test::bytes({0x07, 0x00, 0x01, 0x00, 8, 0, 3, 0}), "NFULA_PACKET_HDR: "},
      {test::bytes({0x08, 0x00, 0x03, 0x00, 0, 0, 0, 0}), "NFULA_TIMESTAMP: "},
      {test::bytes({0x05, 0x00, 0x0f, 0x00, 1, 0, 0, 0}), "NFULA_HWTYPE: "},
      // hw_addrlen 9 > 8
      {test::bytes(
           {0x10, 0x00, 0x08, 0x00, 0, 9, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}),
       "NFULA_HWADDR: hw_addrlen 9"},
      // a VLAN nest whose inner attribute claims 12 bytes of 4
      {test::bytes(
           {0x0c, 0x00, 0x14, 0x80, 0x0c, 0x00, 0x01, 0x00, 0x81, 0x00, 0, 0}),
       "NFULA_VLAN: "},
      // a CT nest whose tuple's inner IP nest overruns it
      {test::bytes({0x10, 0x00, 0x12, 0x80,               // NFULA_CT
                    0x0c, 0x00, 0x01, 0x80,               // CTA_TUPLE_ORIG
                    0x10, 0x00, 0x01, 0x80, 0, 0, 0, 0}), // CTA_TUPLE_IP
       "NFULA_CT: "},
      // a CT address of the wrong size
      {test::bytes({0x18, 0x00, 0x12, 0x80, 0x14, 0x00, 0x01, 0x80,
                    0x10, 0x00, 0x01, 0x80, 0x08, 0x00, 0x01, 0x00,
                    127,  0,    0,    1,    0x04, 0x00, 0x02, 0x00}),
       "NFULA_CT: "},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.detail_starts) {
      auto got = decode_packet(as_message(packet_with(c.attrs)));
      BOOST_REQUIRE(!got);
      BOOST_TEST(got.err().op == "decode NFLOG packet");
      BOOST_TEST(got.err().detail.rfind(c.detail_starts, 0) == 0u,
                 got.err().detail);
    }
  }
}

BOOST_AUTO_TEST_CASE(an_attribute_longer_than_the_message_is_truncated) {
  auto got = decode_packet(as_message(
      packet_with(test::bytes({0x40, 0x00, 0x09, 0x00, 1, 2, 3, 4}))));
  BOOST_REQUIRE(!got);
  BOOST_TEST(got.err().code == make_error_code(errc::truncated));
}

BOOST_AUTO_TEST_CASE(other_messages_are_refused) {
  byte_buffer out;
  nl::message_writer w{out};
  w.begin((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG, 0, 0);
  w.put_nfgenmsg(0, 1);
  w.end();
  auto m = as_message(out);
  BOOST_TEST(!is_packet(m));
  auto got = decode_packet(m);
  BOOST_REQUIRE(!got);
  BOOST_TEST(got.err().code == make_error_code(errc::bad_message));
}

// Random corruption of a valid message (a cheap stand-in for fuzzing; the
// sanitizer build turns any over-read into a failure): every mutant decodes
// or fails with an error, and a decoded mutant encodes and decodes again to
// the same event.
BOOST_AUTO_TEST_CASE(corrupted_messages_never_over_read) {
  byte_buffer good;
  append_packet(good, full_event());
  std::uint32_t rng = 12345;
  auto next = [&] {
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
  };
  std::size_t decoded = 0, failed = 0;
  for (int i = 0; i < 20000; ++i) {
    auto bad = good;
    auto flips = 1 + next() % 4;
    for (std::uint32_t f = 0; f < flips; ++f)
      bad[16 + next() % (bad.size() - 16)] = static_cast<std::uint8_t>(next());
    nl::message m = as_message(good);
    m.payload = byte_view{bad}.subspan(16);
    auto got = decode_packet(m);
    if (!got) {
      ++failed;
      continue;
    }
    ++decoded;
    byte_buffer again;
    append_packet(again, *got);
    auto back = decode_packet(as_message(again));
    BOOST_REQUIRE_MESSAGE(back, "mutant " << i << ": " << test::why(back));
    back->conntrack = got->conntrack; // parsed from `ct`, may differ in
    BOOST_TEST((*back == *got), "mutant " << i); // unknown nested parts
  }
  BOOST_TEST(decoded > 0u);
  BOOST_TEST(failed > 0u);
  BOOST_TEST_MESSAGE(decoded << " mutants decoded, " << failed << " refused");
}

BOOST_AUTO_TEST_CASE(seq_gaps_count_loss_exactly) {
  seq_tracker t{0u};
  BOOST_TEST(t.observe(0) == 0u);
  BOOST_TEST(t.observe(1) == 0u);
  BOOST_TEST(t.observe(5) == 3u); // 2, 3, 4 lost
  BOOST_TEST(t.observe(6) == 0u);
  BOOST_TEST(t.lost() == 3u);
  seq_tracker late{0u};
  BOOST_TEST(late.observe(10) == 10u); // the first ten never arrived

  seq_tracker wrap;
  BOOST_TEST(wrap.observe(0xfffffffeu) == 0u); // learns the start
  BOOST_TEST(wrap.observe(0xffffffffu) == 0u);
  BOOST_TEST(wrap.observe(2u) == 2u); // 0 and 1 lost across the wrap
  BOOST_TEST(wrap.lost() == 2u);

  seq_tracker back{0u};
  back.observe(100);
  BOOST_TEST(back.observe(0) == 0u); // re-bound: restart, no loss
  BOOST_TEST(back.restarts() == 1u);
  BOOST_TEST(back.lost() == 100u);
}

BOOST_AUTO_TEST_SUITE_END()
