// SPDX-License-Identifier: Apache-2.0
// The NFQUEUE packet decoder and verdict encoders: golden bytes assembled
// from the uapi layout (<linux/netfilter/nfnetlink_queue.h>, <linux/
// netfilter.h> for the verdict word), round trips through the one
// descriptor table, and malformed input (every prefix, wrong lengths,
// random corruption): errors, never over-reads.
#include <boost/test/unit_test.hpp>

#include <string>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "bytes_check.hpp"
#include "netns_fixture.hpp"
#include "nfactor/nfqueue/decode.hpp"
#include "nfactor/nfqueue/verdict.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/nl/message.hpp"

namespace nfqueue_codec {
using namespace nfactor;
using namespace nfactor::nfqueue;
using nfactor::test::bytes;
using nfactor::test::bytes_equal;

nl::message as_message(const byte_buffer& buf) {
  nl::message_reader r{buf};
  BOOST_REQUIRE(r.next());
  return r.get();
}

// The message the kernel sends for a 29-byte UDP datagram queued at
// OUTPUT (queue 7, packet id 1, out lo, mark 0x10, skb info "checksum not
// ready"), laid out as __nfqnl_build_packet_message writes it.
const byte_buffer golden_packet = bytes({
    0x4c, 0x00, 0x00, 0x00,             // nlmsg_len 76
    0x00, 0x03, 0x00, 0x00,             // QUEUE << 8 | PACKET, flags 0
    0x00, 0x00, 0x00, 0x00,             // seq 0
    0x00, 0x00, 0x00, 0x00,             // pid 0
    0x02, 0x00, 0x00, 0x07,             // NFPROTO_IPV4, v0, queue 7
    0x0b, 0x00, 0x01, 0x00,             // NFQA_PACKET_HDR, 7 bytes
    0x00, 0x00, 0x00, 0x01,             //   packet_id 1
    0x08, 0x00, 0x03, 0x00,             //   ETH_P_IP, NF_INET_LOCAL_OUT, pad
    0x08, 0x00, 0x06, 0x00,             // NFQA_IFINDEX_OUTDEV
    0x00, 0x00, 0x00, 0x01,             //   1 (lo)
    0x08, 0x00, 0x03, 0x00,             // NFQA_MARK
    0x00, 0x00, 0x00, 0x10,             //   0x10
    0x08, 0x00, 0x0e, 0x00,             // NFQA_SKB_INFO
    0x00, 0x00, 0x00, 0x01,             //   NFQA_SKB_CSUMNOTREADY
    0x11, 0x00, 0x0a, 0x00,             // NFQA_PAYLOAD, 13 bytes
    0x45, 0x00, 0x00, 0x1d, 0x00, 0x00, //   the first 13 bytes of
    0x40, 0x00, 0x40, 0x11, 0x00, 0x00, //   an IPv4 header
    0x7f, 0x00, 0x00, 0x00,             //   + pad
});

// A ctnetlink nest with a tuple and a connmark.
byte_buffer ct_bytes() {
  byte_buffer out;
  nl::message_writer w{out};
  w.begin(0, 0, 0); // a scratch message; only the attributes are kept
  auto t = w.begin_nested(CTA_TUPLE_ORIG);
  auto ip = w.begin_nested(CTA_TUPLE_IP);
  w.attr_u32_be(CTA_IP_V4_SRC, 0x7f000001u);
  w.attr_u32_be(CTA_IP_V4_DST, 0x7f000001u);
  w.end_nested(ip);
  w.end_nested(t);
  w.attr_u32_be(CTA_MARK, 0xbeef);
  w.end();
  return byte_buffer(out.begin() + 16, out.end());
}

// A packet with every attribute of the table set.
queue_packet full_packet() {
  queue_packet p;
  p.family = NFPROTO_BRIDGE;
  p.queue = 65535;
  p.id = 0xfffffffe;
  p.hw_protocol = 0x8100;
  p.hook = NF_INET_FORWARD;
  p.indev = 2;
  p.physindev = 4;
  p.outdev = 3;
  p.physoutdev = 5;
  p.priority = 6;
  p.mark = 0xdeadbeef;
  p.hwaddr = hw_address{6, {0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0}};
  p.vlan = vlan_tag{0x8100, 0x2064};
  p.l2hdr = byte_buffer(18, 0xcd);
  p.timestamp = timestamp{1700000000, 123456};
  p.uid = 1000;
  p.gid = 100;
  p.secctx = "system_u:object_r:unlabeled_t:s0";
  p.ct = ct_bytes();
  p.conntrack = nflog::decode_conntrack(*p.ct).value();
  p.ctinfo = 2;
  p.exp = byte_buffer(12, 0xee);
  p.cap_len = 1500;
  p.skb_info = NFQA_SKB_GSO;
  p.payload = byte_buffer{0x45, 0x00, 0x00, 0x1c, 0xff};
  return p;
}

// A packet message (ipv4, queue 1) whose attributes are `attrs`.
byte_buffer packet_with(const byte_buffer& attrs) {
  byte_buffer out;
  nl::message_writer w{out};
  w.begin((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET, 0, 0);
  w.put_nfgenmsg(NFPROTO_IPV4, 1);
  w.put_raw(attrs);
  w.end();
  return out;
}

// The one verdict message in `buf`, checked for type and flags.
byte_view verdict_payload(const byte_buffer& buf, std::uint8_t type,
                          std::uint16_t flags = NLM_F_REQUEST) {
  nl::message_reader r{buf};
  BOOST_REQUIRE(r.next());
  auto msg = r.get();
  BOOST_TEST(msg.type == ((NFNL_SUBSYS_QUEUE << 8) | type));
  BOOST_TEST(msg.flags == flags);
  BOOST_TEST(msg.bytes.size() == buf.size());
  return msg.payload;
}

} // namespace nfqueue_codec

BOOST_AUTO_TEST_SUITE(nfqueue_codec)

BOOST_AUTO_TEST_CASE(golden_packet_decodes_and_encodes_back) {
  auto got = decode_packet(as_message(golden_packet));
  BOOST_REQUIRE_MESSAGE(got, test::why(got));
  BOOST_TEST(got->family == NFPROTO_IPV4);
  BOOST_TEST(got->queue == 7u);
  BOOST_TEST(got->id == 1u);
  BOOST_TEST(got->hw_protocol == 0x0800u);
  BOOST_TEST(got->hook == NF_INET_LOCAL_OUT);
  BOOST_TEST((got->outdev == 1u));
  BOOST_TEST(!got->indev);
  BOOST_TEST((got->mark == 0x10u));
  BOOST_TEST((got->skb_info == std::uint32_t{NFQA_SKB_CSUMNOTREADY}));
  BOOST_TEST(!got->is_gso());
  BOOST_REQUIRE(got->payload);
  BOOST_TEST(got->payload->size() == 13u);
  BOOST_TEST((*got->payload)[0] == 0x45);
  BOOST_TEST(to_string(*got) == "queue 7 id 1 ip output out 1 mark 0x10 "
                                "len 13");
  byte_buffer again;
  append_packet(again, *got);
  BOOST_TEST(bytes_equal(again, golden_packet)); // kernel attribute order
  BOOST_TEST((peek_packet_id(as_message(golden_packet)) == 1u));
}

BOOST_AUTO_TEST_CASE(every_attribute_round_trips) {
  auto want = full_packet();
  byte_buffer buf;
  append_packet(buf, want, 9);
  auto got = decode_packet(as_message(buf));
  BOOST_REQUIRE_MESSAGE(got, test::why(got));
  BOOST_TEST((*got == want));
  BOOST_TEST(got->is_gso());
  BOOST_REQUIRE(got->conntrack);
  BOOST_TEST((got->conntrack->mark == 0xbeefu));
  byte_buffer twice;
  append_packet(twice, *got, 9);
  BOOST_TEST(bytes_equal(twice, buf));
  BOOST_TEST(attribute_name(NFQA_PACKET_HDR) == "NFQA_PACKET_HDR");
  BOOST_TEST(attribute_name(NFQA_PRIORITY) == "NFQA_PRIORITY");
  BOOST_TEST(attribute_name(NFQA_VERDICT_HDR).empty()); // not in packets
  BOOST_TEST(attribute_name(99).empty());
}

BOOST_AUTO_TEST_CASE(a_packet_without_an_id_is_refused) {
  auto got = decode_packet(
      as_message(packet_with(bytes({0x08, 0x00, 0x03, 0x00, 0, 0, 0, 1}))));
  BOOST_REQUIRE(!got);
  BOOST_TEST(got.err().code == make_error_code(errc::bad_attribute));
  BOOST_TEST(got.err().detail.find("NFQA_PACKET_HDR is missing") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_attributes_are_skipped) {
  auto got = decode_packet(as_message(
      packet_with(bytes({0x0b, 0x00, 0x01, 0x00, 0,    0,    0, 5, 0x08, 0x00,
                         0x03, 0x00, 0x08, 0x00, 0x3f, 0x00, 1, 2, 3,    4}))));
  BOOST_REQUIRE_MESSAGE(got, test::why(got));
  BOOST_TEST(got->id == 5u);
}

BOOST_AUTO_TEST_CASE(every_prefix_of_a_message_is_an_error_or_a_subset) {
  byte_buffer buf;
  append_packet(buf, full_packet());
  auto full = as_message(buf);
  for (std::size_t n = 0; n < full.payload.size(); ++n) {
    nl::message m = full;
    m.payload = full.payload.first(n);
    auto got = decode_packet(m);
    if (n < 4 + 11) { // nfgenmsg + the packet header (without its pad)
      BOOST_TEST(!got, "cut at " << n);
    } else if (got) {
      // Equal only when just the last attribute's padding is cut (the
      // 5-byte payload is padded by 3).
      BOOST_TEST((*got == full_packet()) == (n + 3 >= full.payload.size()),
                 "cut at " << n);
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
      {bytes({0x0a, 0x00, 0x01, 0x00, 0, 0, 0, 1, 8, 0, 0, 0}),
       "NFQA_PACKET_HDR: "},
      {bytes({0x06, 0x00, 0x03, 0x00, 1, 2, 0, 0}), "NFQA_MARK: "},
      {bytes({0x08, 0x00, 0x04, 0x00, 0, 0, 0, 0}), "NFQA_TIMESTAMP: "},
      {bytes({0x05, 0x00, 0x0d, 0x00, 1, 0, 0, 0}), "NFQA_CAP_LEN: "},
      {bytes({0x10, 0x00, 0x09, 0x00, 0, 9, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}),
       "NFQA_HWADDR: hw_addrlen 9"},
      {bytes(
           {0x0c, 0x00, 0x13, 0x80, 0x0c, 0x00, 0x01, 0x00, 0x81, 0x00, 0, 0}),
       "NFQA_VLAN: "},
      {bytes({0x10, 0x00, 0x0b, 0x80,               // NFQA_CT
              0x0c, 0x00, 0x01, 0x80,               // CTA_TUPLE_ORIG
              0x10, 0x00, 0x01, 0x80, 0, 0, 0, 0}), // CTA_TUPLE_IP overruns
       "NFQA_CT: "},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.detail_starts) {
      auto got = decode_packet(as_message(packet_with(c.attrs)));
      BOOST_REQUIRE(!got);
      BOOST_TEST(got.err().op == "decode NFQUEUE packet");
      BOOST_TEST(got.err().detail.rfind(c.detail_starts, 0) == 0u,
                 got.err().detail);
    }
  }
}

BOOST_AUTO_TEST_CASE(other_messages_are_refused) {
  byte_buffer out;
  append_verdict(out, 1, 1, 1, verdict::accept());
  auto m = as_message(out);
  BOOST_TEST(!is_packet(m));
  BOOST_TEST(!peek_packet_id(m));
  auto got = decode_packet(m);
  BOOST_REQUIRE(!got);
  BOOST_TEST(got.err().code == make_error_code(errc::bad_message));
}

// Random corruption of a valid message (the sanitizer build turns any
// over-read into a failure): every mutant decodes or fails with an error,
// and a decoded mutant encodes and decodes again to the same packet.
BOOST_AUTO_TEST_CASE(corrupted_messages_never_over_read) {
  byte_buffer good;
  append_packet(good, full_packet());
  std::uint32_t rng = 4711;
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
    back->conntrack = got->conntrack;
    BOOST_TEST((*back == *got), "mutant " << i);
  }
  BOOST_TEST(decoded > 0u);
  BOOST_TEST(failed > 0u);
}

// -- verdicts -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(verdicts_from_the_uapi_layout) {
  byte_buffer b;
  verdict v = verdict::accept();
  v.mark = 0x10;
  append_verdict(b, 5, 7, 42, v);
  BOOST_TEST(bytes_equal(verdict_payload(b, NFQNL_MSG_VERDICT),
                         bytes({0x00, 0x00, 0x00, 0x07,     // AF_UNSPEC, q 7
                                0x0c, 0x00, 0x02, 0x00,     // VERDICT_HDR
                                0x00, 0x00, 0x00, 0x01,     //   NF_ACCEPT
                                0x00, 0x00, 0x00, 0x2a,     //   id 42
                                0x08, 0x00, 0x03, 0x00,     // NFQA_MARK
                                0x00, 0x00, 0x00, 0x10}))); //   0x10
  b.clear();
  append_verdict(b, 6, 7, 43, verdict::to_queue(9, true), true);
  BOOST_TEST(bytes_equal(
      verdict_payload(b, NFQNL_MSG_VERDICT, NLM_F_REQUEST | NLM_F_ACK),
      bytes({0x00, 0x00, 0x00, 0x07, 0x0c, 0x00, 0x02, 0x00, 0x00, 0x09, 0x80,
             0x03, // NF_QUEUE_NR(9)|BYPASS
             0x00, 0x00, 0x00, 0x2b})));
  b.clear();
  verdict ct = verdict::drop();
  ct.connmark = 5;
  ct.payload = byte_buffer{0xaa, 0xbb, 0xcc};
  append_verdict(b, 7, 7, 44, ct);
  BOOST_TEST(bytes_equal(
      verdict_payload(b, NFQNL_MSG_VERDICT),
      bytes({0x00, 0x00, 0x00, 0x07, 0x0c, 0x00, 0x02, 0x00,
             0x00, 0x00, 0x00, 0x00,                         // NF_DROP
             0x00, 0x00, 0x00, 0x2c, 0x0c, 0x00, 0x0b, 0x80, // NFQA_CT (nested)
             0x08, 0x00, 0x08, 0x00,                         //   CTA_MARK
             0x00, 0x00, 0x00, 0x05,                         //   5
             0x07, 0x00, 0x0a, 0x00,                         // NFQA_PAYLOAD
             0xaa, 0xbb, 0xcc, 0x00})));
  b.clear();
  verdict rep = verdict::repeat();
  rep.priority = 3;
  BOOST_TEST(append_verdict_batch(b, 8, 7, 100, rep));
  BOOST_TEST(bytes_equal(verdict_payload(b, NFQNL_MSG_VERDICT_BATCH),
                         bytes({0x00, 0x00, 0x00, 0x07, 0x0c, 0x00,
                                0x02, 0x00, 0x00, 0x00, 0x00, 0x04, // NF_REPEAT
                                0x00, 0x00, 0x00, 0x64, // ids up to 100
                                0x08, 0x00, 0x15, 0x00, // NFQA_PRIORITY
                                0x00, 0x00, 0x00, 0x03})));
}

BOOST_AUTO_TEST_CASE(a_batch_verdict_refuses_what_the_kernel_ignores) {
  byte_buffer b;
  verdict v = verdict::accept();
  v.payload = byte_buffer{1};
  BOOST_TEST(!v.batchable());
  auto st = append_verdict_batch(b, 1, 1, 1, v);
  BOOST_REQUIRE(!st);
  BOOST_TEST(st.err().code == make_error_code(errc::invalid_argument));
  BOOST_TEST(b.empty());
  v = verdict::accept();
  v.connmark = 1;
  BOOST_TEST(!append_verdict_batch(b, 1, 1, 1, v));
}

BOOST_AUTO_TEST_CASE(every_verdict_round_trips) {
  std::vector<verdict> all = {
      verdict::accept(), verdict::drop(),          verdict::repeat(),
      verdict::stop(),   verdict::to_queue(65535), verdict::to_queue(3, true)};
  verdict full = verdict::accept();
  full.mark = 1;
  full.priority = 2;
  full.connmark = 3;
  full.labels = ct_labels{1, 2, 3};
  full.labels_mask = ct_labels{0xff};
  full.payload = byte_buffer(1400, 0x5a);
  all.push_back(full);
  for (const auto& v : all) {
    BOOST_TEST_CONTEXT(to_string(v.kind)) {
      byte_buffer b;
      append_verdict(b, 1, 12, 77, v);
      auto got = decode_verdict(as_message(b));
      BOOST_REQUIRE_MESSAGE(got, test::why(got));
      BOOST_TEST((*got == verdict_message{12, 77, false, v}));
      if (v.batchable()) {
        b.clear();
        BOOST_TEST(append_verdict_batch(b, 1, 12, 78, v));
        got = decode_verdict(as_message(b));
        BOOST_REQUIRE_MESSAGE(got, test::why(got));
        BOOST_TEST((*got == verdict_message{12, 78, true, v}));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(malformed_verdicts_are_refused) {
  // No verdict header.
  byte_buffer b;
  nl::message_writer w{b};
  w.begin((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT, NLM_F_REQUEST, 0);
  w.put_nfgenmsg(0, 1);
  w.attr_u32_be(NFQA_MARK, 1);
  w.end();
  auto got = decode_verdict(as_message(b));
  BOOST_REQUIRE(!got);
  BOOST_TEST(got.err().detail.find("NFQA_VERDICT_HDR is missing") !=
             std::string::npos);
  // NF_STOLEN is not a verdict userspace may give.
  b.clear();
  append_verdict(b, 1, 1, 1, verdict::accept());
  b[16 + 4 + 4 + 3] = NF_STOLEN;
  got = decode_verdict(as_message(b));
  BOOST_REQUIRE(!got);
  BOOST_TEST(got.err().code == make_error_code(errc::bad_attribute));
  BOOST_TEST(!decode_verdict(as_message(golden_packet)));
}

BOOST_AUTO_TEST_SUITE_END()
