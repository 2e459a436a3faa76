// SPDX-License-Identifier: Apache-2.0
// nfactor-log's output formats (apps/nfactor-log/format.hpp), no kernel:
// the JSON encoder's exact bytes for events with every field it shows,
// strings that need escaping (quotes, backslashes, control characters,
// UTF-8 passed through), IPv6 with an extension header, fragments,
// metadata-only and non-IP payloads; and the pcap records built in place,
// byte for byte, with the empty payload TLV of metadata-only events. The
// events go in as the listener hands them over: a packed batch
// (nflog::pack_events, the library's encoder), names from its records.
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <string>
#include <vector>

#include <sys/uio.h>

#include "format.hpp"
#include "nfactor/nflog/decode.hpp"
#include "nfactor/nflog/packed.hpp"

namespace log_format {
using namespace nfactor;
using nflog::log_event;

// An IPv4 header (20 bytes, no options) for `proto`, 127.0.0.1 ->
// 10.200.3.4, then `l4`.
byte_buffer ipv4(std::uint8_t proto, byte_buffer l4,
                 std::uint16_t frag_off = 0x4000) {
  byte_buffer p = {0x45,
                   0x00,
                   0x00,
                   0x00,
                   0x12,
                   0x34,
                   static_cast<std::uint8_t>(frag_off >> 8),
                   static_cast<std::uint8_t>(frag_off),
                   64,
                   proto,
                   0x00,
                   0x00,
                   127,
                   0,
                   0,
                   1,
                   10,
                   200,
                   3,
                   4};
  auto total = p.size() + l4.size();
  p[2] = static_cast<std::uint8_t>(total >> 8);
  p[3] = static_cast<std::uint8_t>(total);
  p.insert(p.end(), l4.begin(), l4.end());
  return p;
}

// Source port 443, destination port 51515 (TCP/UDP/SCTP alike).
const byte_buffer ports_443_51515 = {0x01, 0xbb, 0xc9, 0x3b,
                                     0x00, 0x00, 0x00, 0x00};

// Every field the JSON shows, strings that need escaping.
log_event every_field() {
  log_event ev;
  ev.family = 2; // NFPROTO_IPV4
  ev.group = 65535;
  ev.hook = 1; // NF_INET_LOCAL_IN
  ev.hw_protocol = 0x0800;
  ev.prefix = std::string{"a\"b\\c\x01\t\x7f\xc3\xa9 "};
  ev.indev = 2;
  ev.indev_name = "eth\"0\\";
  ev.outdev = 3;
  ev.outdev_name = ""; // no name: none shown
  ev.physindev = 100;
  ev.physindev_name = "br-x";
  ev.physoutdev = 4294967295u; // no name known
  ev.mark = 0xffffffff;
  ev.uid = 1000;
  ev.gid = 255;
  ev.seq = 256;
  ev.seq_global = 4294967295u;
  ev.timestamp = nflog::timestamp{1700000000, 5};
  ev.hwtype = 1;
  nflog::hw_address hw;
  hw.len = 6;
  hw.bytes = {0x00, 0x11, 0x22, 0xaa, 0xbb, 0xff, 0, 0};
  ev.hwaddr = hw;
  ev.payload = nflog::shared_bytes{ipv4(6, ports_443_51515)};
  return ev;
}

// IPv6 UDP behind a hop-by-hop header, at forward, no prefix.
log_event ipv6_udp() {
  log_event ev;
  ev.family = 10; // NFPROTO_IPV6
  ev.group = 1;
  ev.hook = 2; // NF_INET_FORWARD
  ev.hw_protocol = 0x86dd;
  byte_buffer p = {0x60, 0, 0, 0, 0, 16, 0 /* hop-by-hop */, 64};
  byte_buffer src = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                     0,    0,    0,    0,    0, 0, 0, 1};
  byte_buffer dst = {0xfe, 0x80, 0,    0,    0,    0,    0,    0,
                     0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55};
  p.insert(p.end(), src.begin(), src.end());
  p.insert(p.end(), dst.begin(), dst.end());
  byte_buffer hbh = {17 /* udp */, 0, 1, 4, 0, 0, 0, 0};
  p.insert(p.end(), hbh.begin(), hbh.end());
  p.insert(p.end(), ports_443_51515.begin(), ports_443_51515.end());
  ev.payload = nflog::shared_bytes{p};
  ev.seq = 0;
  return ev;
}

// A later IPv4 fragment of protocol 253 (no name, no ports): 17 bytes of
// payload after the header, so the hex has a tail shorter than 16.
log_event fragment() {
  log_event ev;
  ev.family = 2;
  ev.group = 9;
  ev.hook = 4; // NF_INET_POST_ROUTING
  ev.hw_protocol = 0x0800;
  ev.prefix = "";
  ev.payload = nflog::shared_bytes{ipv4(253, byte_buffer(17, 0xab), 0x0010)};
  return ev;
}

// Metadata only (no payload), bridge family at prerouting.
log_event meta_only() {
  log_event ev;
  ev.family = 7; // NFPROTO_BRIDGE
  ev.group = 2;
  ev.hook = 0; // NF_BR_PRE_ROUTING
  ev.hw_protocol = 0x86dd;
  ev.indev = 1;
  ev.indev_name = "lo";
  ev.prefix = "meta";
  return ev;
}

// A payload that is neither IPv4 nor IPv6: hex only, no summary.
log_event not_ip() {
  log_event ev;
  ev.family = 3; // NFPROTO_ARP
  ev.group = 3;
  ev.payload = nflog::shared_bytes{byte_buffer{0x00, 0x01, 0x08, 0x00, 0xff}};
  return ev;
}

std::string json_of(const std::vector<log_event>& events) {
  auto batch = nflog::pack_events(events);
  app::text_buffer out;
  auto r = app::append_json(out, batch);
  BOOST_TEST(!r.first_error);
  BOOST_TEST(r.events == events.size());
  BOOST_TEST(r.skipped == 0u);
  return std::string{out.view()};
}

} // namespace log_format

BOOST_AUTO_TEST_SUITE(log_format)

BOOST_AUTO_TEST_CASE(json_golden_bytes) {
  auto text =
      json_of({every_field(), ipv6_udp(), fragment(), meta_only(), not_ip()});
  const std::string want =
      // Keys in a fixed order; the prefix's quote, backslash and control
      // characters escaped (DEL and UTF-8 pass as they are); the interface
      // without a name shows only its index.
      "{\"group\":65535,\"family\":\"ip\",\"hook\":\"input\","
      "\"prefix\":\"a\\\"b\\\\c\\u0001\\u0009\x7f\xc3\xa9 \","
      "\"indev\":\"eth\\\"0\\\\\",\"indev_index\":2,\"outdev_index\":3,"
      "\"physindev\":\"br-x\",\"physindev_index\":100,"
      "\"physoutdev_index\":4294967295,\"mark\":4294967295,\"uid\":1000,"
      "\"gid\":255,\"seq\":256,\"seq_global\":4294967295,"
      "\"timestamp\":1700000000.000005,\"hw_protocol\":2048,\"hw_type\":1,"
      "\"hw_addr\":\"00:11:22:aa:bb:ff\",\"payload_len\":28,"
      "\"payload\":\"4500001c123440004006000"
      "07f0000010ac8030401bbc93b00000000\","
      "\"src\":\"127.0.0.1\",\"dst\":\"10.200.3.4\",\"proto\":\"tcp\","
      "\"sport\":443,\"dport\":51515}\n"
      // IPv6: addresses as inet_ntop writes them, the transport protocol
      // after the hop-by-hop header.
      "{\"group\":1,\"family\":\"ip6\",\"hook\":\"forward\",\"seq\":0,"
      "\"hw_protocol\":34525,\"payload_len\":56,\"payload\":"
      "\"600000000010004020010db800000000"
      "0000000000000001fe800000000000000211"
      "22fffe3344551100010400000000"
      "01bbc93b00000000\",\"src\":\"2001:db8::1\","
      "\"dst\":\"fe80::211:22ff:fe33:4455\",\"proto\":\"udp\","
      "\"sport\":443,\"dport\":51515}\n"
      // A later fragment: no ports; an unnamed protocol as its number.
      "{\"group\":9,\"family\":\"ip\",\"hook\":\"postrouting\","
      "\"prefix\":\"\",\"hw_protocol\":2048,\"payload_len\":37,"
      "\"payload\":\"45000025123400104"
      "0fd00007f0000010ac80304ababababababababababababababababab\","
      "\"src\":\"127.0.0.1\",\"dst\":\"10.200.3.4\",\"proto\":253}\n"
      // Metadata only: no payload keys at all.
      "{\"group\":2,\"family\":\"bridge\",\"hook\":\"prerouting\","
      "\"prefix\":\"meta\",\"indev\":\"lo\",\"indev_index\":1,"
      "\"hw_protocol\":34525}\n"
      // Not IP: the bytes, no summary.
      "{\"group\":3,\"family\":\"arp\",\"payload_len\":5,"
      "\"payload\":\"00010800ff\"}\n";
  BOOST_TEST(text == want);
}

BOOST_AUTO_TEST_CASE(pcap_file_header_is_libpcaps) {
  // struct pcap_file_header, host order (little-endian here): magic,
  // version 2.4, thiszone 0, sigfigs 0, snaplen 65535, LINKTYPE_NFLOG.
  const std::uint32_t magic = 0xa1b2c3d4;
  std::uint8_t first = 0;
  std::memcpy(&first, &magic, 1);
  BOOST_TEST_REQUIRE(first == 0xd4, "the expected bytes are little-endian");
  const std::vector<std::uint8_t> want = {0xd4, 0xc3, 0xb2, 0xa1, 2,   0, 4, 0,
                                          0,    0,    0,    0,    0,   0, 0, 0,
                                          0xff, 0xff, 0,    0,    239, 0, 0, 0};
  auto h = app::pcap_file_header();
  BOOST_TEST(std::vector<std::uint8_t>(h.begin(), h.end()) == want,
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(pcap_records_are_the_messages_after_their_headers) {
  std::vector<log_event> events = {every_field(), meta_only(), not_ip()};
  auto batch = nflog::pack_events(events);
  app::pcap_batch pcap;
  pcap.build(batch, [] { return nflog::timestamp{1, 2}; });
  BOOST_TEST(pcap.records() == 3u);
  std::vector<std::uint8_t> got;
  for (const auto& piece : pcap.pieces()) {
    auto* p = static_cast<const std::uint8_t*>(piece.iov_base);
    got.insert(got.end(), p, p + piece.iov_len);
  }
  // Each record: {sec, usec, caplen, len} and the kernel's message after
  // its netlink header. The events without NFULA_TIMESTAMP get the
  // batch's clock; the one without a payload gets an empty NFULA_PAYLOAD
  // TLV {4, 9} after its padding. Name records are left out.
  std::vector<std::uint8_t> want;
  auto u32 = [&](std::uint32_t v) {
    std::uint8_t b[4];
    std::memcpy(b, &v, 4);
    want.insert(want.end(), b, b + 4);
  };
  const std::uint32_t times[3][2] = {{1700000000, 5}, {1, 2}, {1, 2}};
  for (std::size_t i = 0; i < events.size(); ++i) {
    byte_buffer msg;
    nflog::append_packet(msg, events[i], events[i].seq.value_or(0));
    std::vector<std::uint8_t> data(msg.begin() + 16, msg.end());
    if (!events[i].payload) {
      data.resize((data.size() + 3) & ~std::size_t{3});
      data.insert(data.end(), {4, 0, 9, 0});
    }
    u32(times[i][0]);
    u32(times[i][1]);
    u32(static_cast<std::uint32_t>(data.size()));
    u32(static_cast<std::uint32_t>(data.size()));
    want.insert(want.end(), data.begin(), data.end());
  }
  BOOST_TEST(got == want, boost::test_tools::per_element());
  // The records lie where the messages were: adjacent ones are one piece.
  BOOST_TEST(pcap.pieces().size() <= 5u);
}

BOOST_AUTO_TEST_CASE(pcap_of_a_short_or_empty_batch_is_empty) {
  app::pcap_batch pcap;
  byte_buffer none;
  pcap.build(none, [] { return nflog::timestamp{}; });
  BOOST_TEST(pcap.records() == 0u);
  BOOST_TEST(pcap.pieces().empty());
  auto empty = nflog::pack_events({});
  pcap.build(empty, [] { return nflog::timestamp{}; });
  BOOST_TEST(pcap.records() == 0u);
  BOOST_TEST(pcap.pieces().empty());
}

BOOST_AUTO_TEST_SUITE_END()
