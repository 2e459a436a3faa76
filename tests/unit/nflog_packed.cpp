// SPDX-License-Identifier: Apache-2.0
// The packed batch form of NFLOG events (nflog/packed.hpp): golden bytes
// written by hand from the layout diagram, a round trip of every row, and
// malformed input (every prefix, unknown bits, another version, trailing
// bytes, an impossible count) — errors, never over-reads.
#include <boost/test/unit_test.hpp>

#include <vector>

#include "bytes_check.hpp"
#include "nfactor/nflog/packed.hpp"

using namespace nfactor;
using namespace nfactor::nflog;

namespace {

// The event the kernel sends for `meta l4proto udp log group 5 prefix
// "nfx"` on an output UDP packet with the seq flag (as nflog_decode and
// the node tests see it), reduced to four rows.
log_event meta_event() {
  log_event ev;
  ev.family = 2; // NFPROTO_IPV4
  ev.group = 5;
  ev.hw_protocol = 0x0800;
  ev.hook = 3; // NF_INET_LOCAL_OUT
  ev.prefix = "nfx";
  ev.seq = 7;
  return ev;
}

// Written by hand from the diagram in nflog/packed.hpp.
const byte_buffer meta_golden = test::bytes({
    0x03, 0x1b, 0x00, 0x00, // version 3, 27 rows, reserved
    0x01, 0x00, 0x00, 0x00, // 1 event
    0x02, 0x05, 0x00,       // family 2, group 5
    0x03, 0x40, 0x02, 0x00, // present: rows 0, 1, 14, 17
    0x00, 0x08,             // 0 hw_protocol 0x0800
    0x03,                   // 1 hook 3
    0x03, 0x00, 0x00, 0x00, // 14 prefix: length 3
    'n',  'f',  'x',        //    "nfx"
    0x07, 0x00, 0x00, 0x00, // 17 seq 7
});

log_event conntrack_event() {
  log_event ev;
  ev.family = 2;
  ev.group = 6;
  conntrack ct;
  ct_tuple orig;
  ip_address src;
  src.version = 4;
  src.bytes = {127, 0, 0, 2};
  orig.src = src;
  orig.l4proto = 17;
  ct.orig = orig;
  ct.status = 0x188;
  ev.conntrack = ct;
  return ev;
}

// Written by hand from the diagram in nflog/packed.hpp.
const byte_buffer conntrack_golden = test::bytes({
    0x03, 0x1b, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, // header, 1 event
    0x02, 0x06, 0x00,                               // family 2, group 6
    0x00, 0x00, 0x80, 0x00,                         // present: row 23
    0x05, 0x00, 0x00, 0x00,                         // conntrack: rows 0, 2
    0x05, 0x00,                                     //   orig: rows 0, 2
    0x04, 0x7f, 0x00, 0x00, 0x02,                   //     src v4 127.0.0.2
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //     (16 bytes)
    0x00, 0x00, 0x00, 0x00,                         //
    0x11,                                           //     l4proto 17
    0x88, 0x01, 0x00, 0x00,                         //   status 0x188
});

ct_tuple full_tuple(std::uint8_t last) {
  ct_tuple t;
  ip_address a;
  a.version = 6;
  for (std::uint8_t i = 0; i < 16; ++i)
    a.bytes[i] = static_cast<std::uint8_t>(i + last);
  t.src = a;
  a.bytes[15] = 0xee;
  t.dst = a;
  t.l4proto = 58;
  t.src_port = 1234;
  t.dst_port = 53;
  t.echo_id = 0xabcd;
  t.icmp_type = 128;
  t.icmp_code = 1;
  t.zone = 7;
  return t;
}

// Every row and every nested row set, with values that differ per byte.
log_event full_event() {
  log_event ev;
  ev.family = 10;
  ev.group = 0xfffe;
  ev.hw_protocol = 0x86dd;
  ev.hook = 1;
  ev.mark = 0xdeadbeef;
  ev.timestamp = timestamp{-1700000000, 999999};
  ev.indev = 1;
  ev.outdev = 2;
  ev.physindev = 3;
  ev.physoutdev = 0xffffffff;
  ev.indev_name = "lo";
  ev.outdev_name = "veth-with-long-name";
  ev.physindev_name = "";
  ev.physoutdev_name = "br0";
  hw_address hw;
  hw.len = 6;
  hw.bytes = {0, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0};
  ev.hwaddr = hw;
  ev.payload = byte_buffer(300, 0xa5);
  ev.prefix = "drop: ";
  ev.uid = 1000;
  ev.gid = 100;
  ev.seq = 41;
  ev.seq_global = 0x80000000;
  ev.hwtype = 1;
  ev.hwlen = 14;
  ev.hwheader = byte_buffer{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 8, 0};
  ev.ct = byte_buffer{0x0c, 0x00, 0x01, 0x80};
  conntrack ct;
  ct.orig = full_tuple(1);
  ct.reply = full_tuple(2);
  ct.status = 0x18e;
  ct.tcp_state = 3;
  ct.id = 0x12345678;
  ct.mark = 0xbeef;
  ct.timeout = 30;
  ct.use = 1;
  ct.zone = 3;
  ev.conntrack = ct;
  ev.ctinfo = 2;
  ev.vlan = vlan_tag{0x8100, 0x0064};
  ev.l2hdr = byte_buffer{0xff, 0xff};
  return ev;
}

} // namespace

BOOST_AUTO_TEST_SUITE(nflog_packed)

BOOST_AUTO_TEST_CASE(a_metadata_event_packs_to_the_golden_bytes) {
  std::vector<log_event> evs{meta_event()};
  BOOST_TEST(test::bytes_equal(pack_events(evs), meta_golden));
  auto back = unpack_events(meta_golden);
  BOOST_TEST_REQUIRE(back);
  BOOST_TEST_REQUIRE(back->size() == 1u);
  BOOST_TEST(((*back)[0] == meta_event()));
  auto n = packed_count(meta_golden);
  BOOST_TEST_REQUIRE(n);
  BOOST_TEST(*n == 1u);
}

BOOST_AUTO_TEST_CASE(a_conntrack_event_packs_to_the_golden_bytes) {
  std::vector<log_event> evs{conntrack_event()};
  BOOST_TEST(test::bytes_equal(pack_events(evs), conntrack_golden));
  auto back = unpack_events(conntrack_golden);
  BOOST_TEST_REQUIRE(back);
  BOOST_TEST_REQUIRE(back->size() == 1u);
  BOOST_TEST(((*back)[0] == conntrack_event()));
}

BOOST_AUTO_TEST_CASE(every_row_round_trips_and_packs_identically_again) {
  log_event empty;
  log_event empty_strings;
  empty_strings.prefix = "";
  empty_strings.payload = byte_buffer{};
  std::vector<log_event> evs{full_event(),      empty,
                             meta_event(),      empty_strings,
                             conntrack_event(), full_event()};
  auto bytes = pack_events(evs);
  auto back = unpack_events(bytes);
  BOOST_TEST_REQUIRE(back);
  BOOST_TEST_REQUIRE(back->size() == evs.size());
  for (std::size_t i = 0; i < evs.size(); ++i)
    BOOST_TEST(((*back)[i] == evs[i]), "event " << i);
  BOOST_TEST(test::bytes_equal(pack_events(*back), bytes));
}

BOOST_AUTO_TEST_CASE(an_empty_batch_is_a_header) {
  auto bytes = pack_events(std::vector<log_event>{});
  BOOST_TEST(
      test::bytes_equal(bytes, test::bytes({0x03, 0x1b, 0, 0, 0, 0, 0, 0})));
  auto back = unpack_events(bytes);
  BOOST_TEST_REQUIRE(back);
  BOOST_TEST(back->empty());
}

BOOST_AUTO_TEST_CASE(appending_keeps_what_was_there) {
  std::vector<log_event> out{full_event()};
  BOOST_TEST_REQUIRE(unpack_events(meta_golden, out));
  BOOST_TEST_REQUIRE(out.size() == 2u);
  BOOST_TEST((out[1] == meta_event()));
  // A failed decode leaves `out` as it was.
  auto bad = meta_golden;
  bad.pop_back();
  BOOST_TEST(!unpack_events(bad, out));
  BOOST_TEST(out.size() == 2u);
}

BOOST_AUTO_TEST_CASE(appended_batches_decode_as_one) {
  std::vector<log_event> first{full_event(), meta_event()};
  std::vector<log_event> second{conntrack_event()};
  byte_buffer batch;
  BOOST_TEST_REQUIRE(append_packed(batch, pack_events(first)));
  BOOST_TEST(test::bytes_equal(batch, pack_events(first)));
  BOOST_TEST_REQUIRE(append_packed(batch, pack_events(second)));
  auto all = first;
  all.push_back(conntrack_event());
  // The same bytes as packing all three at once.
  BOOST_TEST(test::bytes_equal(batch, pack_events(all)));
  // Another version is refused and leaves the batch as it was.
  auto before = batch;
  auto bad = meta_golden;
  bad[0] = 2;
  BOOST_TEST(!append_packed(batch, bad));
  BOOST_TEST(test::bytes_equal(batch, before));
}

BOOST_AUTO_TEST_CASE(every_prefix_of_a_batch_is_an_error) {
  std::vector<log_event> evs{full_event(), meta_event()};
  auto bytes = pack_events(evs);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto r = unpack_events(byte_view{bytes.data(), n});
    BOOST_TEST(!r, "prefix of " << n << " bytes decoded");
  }
}

BOOST_AUTO_TEST_CASE(malformed_headers_and_bits_are_errors) {
  auto with = [](std::size_t at, std::uint8_t v) {
    auto b = meta_golden;
    b[at] = v;
    return b;
  };
  // Another version, another row count, reserved bits.
  BOOST_TEST(!unpack_events(with(0, 1))); // the 9-row conntrack layout
  BOOST_TEST(!unpack_events(with(0, 2)));
  BOOST_TEST(!unpack_events(with(1, 28)));
  BOOST_TEST(!unpack_events(with(2, 1)));
  // Row 27 (beyond the last) present.
  BOOST_TEST(!unpack_events(with(14, 0x08)));
  // A conntrack nest with row 31 (beyond the last) present.
  auto ct = conntrack_golden;
  ct[18] = 0x80;
  BOOST_TEST(!unpack_events(ct));
  // Trailing bytes.
  auto trailing = meta_golden;
  trailing.push_back(0);
  BOOST_TEST(!unpack_events(trailing));
  // A count no input could hold, without reserving memory for it.
  auto huge = with(7, 0xff);
  auto r = unpack_events(huge);
  BOOST_TEST_REQUIRE(!r);
  BOOST_TEST(r.err().message().find("cannot fit") != std::string::npos,
             r.err().message());
  // A string length beyond the input.
  BOOST_TEST(!unpack_events(with(21, 0xff)));
}

// -- layout 2: the kernel's messages, undecoded ------------------------------

// An NFULNL_MSG_PACKET message of the shape the kernel sends for `meta
// l4proto udp log group 5 prefix "nfx"` on an output packet with the seq
// flag (net/netfilter/nfnetlink_log.c, __build_packet_message), written by
// hand and reduced to four attributes; little-endian headers (x86).
const byte_buffer kernel_message = test::bytes({
    0x34, 0x00, 0x00, 0x00, // nlmsg_len 52
    0x00, 0x04, 0x00, 0x00, // type NFNL_SUBSYS_ULOG << 8 | PACKET, flags 0
    0x00, 0x00, 0x00, 0x00, // seq 0
    0x00, 0x00, 0x00, 0x00, // pid 0
    0x02, 0x00, 0x00, 0x05, // nfgenmsg: family 2, version 0, res_id 5 (BE)
    0x08, 0x00, 0x01, 0x00, // NFULA_PACKET_HDR
    0x08, 0x00, 0x03, 0x00, //   hw_protocol 0x0800 (BE), hook 3, pad
    0x08, 0x00, 0x05, 0x00, // NFULA_IFINDEX_OUTDEV
    0x00, 0x00, 0x00, 0x01, //   1 (BE)
    0x08, 0x00, 0x0a, 0x00, // NFULA_PREFIX
    'n',  'f',  'x',  0x00, //   "nfx" with its NUL
    0x08, 0x00, 0x0c, 0x00, // NFULA_SEQ
    0x00, 0x00, 0x00, 0x07, //   7 (BE)
});

// Written by hand from the layout-2 diagram in nflog/packed.hpp.
byte_buffer netlink_golden() {
  auto out = test::bytes({
      0x02, 0x01, 0x00, 0x00, // version 2, little-endian, reserved
      0x01, 0x00, 0x00, 0x00, // 1 event
      0x16, 0x00, 0x00, 0x00, // name record: nlmsg_len 22
      0x01, 0x7e, 0x00, 0x00, //   type 0x7e01, flags 0
      0x00, 0x00, 0x00, 0x00, //   seq 0
      0x00, 0x00, 0x00, 0x00, //   pid 0
      0x01, 0x00, 0x00, 0x00, //   ifindex 1
      'l',  'o',  0x00, 0x00, //   "lo", padding
  });
  out.insert(out.end(), kernel_message.begin(), kernel_message.end());
  return out;
}

log_event kernel_event() {
  auto ev = meta_event();
  ev.outdev = 1;
  ev.outdev_name = "lo";
  return ev;
}

BOOST_AUTO_TEST_CASE(a_kernel_message_batches_to_the_golden_bytes) {
  netlink_batch b;
  b.name(1, "lo");
  b.name(1, "lo"); // in force already: no second record
  b.add_event(kernel_message);
  BOOST_TEST(b.events() == 1u);
  auto bytes = b.take();
  BOOST_TEST(test::bytes_equal(bytes, netlink_golden()));
  BOOST_TEST(b.empty());
  BOOST_TEST(*packed_count(bytes) == 1u);
  auto back = unpack_events(bytes);
  BOOST_TEST_REQUIRE(back);
  BOOST_TEST_REQUIRE(back->size() == 1u);
  BOOST_TEST(((*back)[0] == kernel_event()));
}

BOOST_AUTO_TEST_CASE(names_apply_to_the_events_after_them) {
  netlink_batch b;
  b.add_event(kernel_message); // no name in force
  b.name(1, "lo");
  b.add_event(kernel_message);
  b.name(1, "veth0"); // renamed
  b.add_event(kernel_message);
  b.name(1, ""); // gone
  b.add_event(kernel_message);
  auto bytes = std::make_shared<const byte_buffer>(b.take());
  std::vector<log_event> out;
  BOOST_TEST_REQUIRE(unpack_events(bytes, out));
  BOOST_TEST_REQUIRE(out.size() == 4u);
  BOOST_TEST(!out[0].outdev_name);
  BOOST_TEST(*out[1].outdev_name == "lo");
  BOOST_TEST(*out[2].outdev_name == "veth0");
  BOOST_TEST(!out[3].outdev_name);
  // The byte fields point into the batch, which they keep alive.
  bytes.reset();
  BOOST_TEST(*out[3].prefix == "nfx");
  // A new batch starts with no names in force: "lo" is written again.
  b.name(1, "lo");
  b.add_event(kernel_message);
  BOOST_TEST(test::bytes_equal(b.take(), netlink_golden()));
}

BOOST_AUTO_TEST_CASE(netlink_batches_append_but_not_to_rows) {
  byte_buffer batch;
  BOOST_TEST_REQUIRE(append_packed(batch, netlink_golden()));
  netlink_batch b;
  b.name(1, "eth0");
  b.add_event(kernel_message);
  BOOST_TEST_REQUIRE(append_packed(batch, b.take()));
  BOOST_TEST(*packed_count(batch) == 2u);
  auto back = unpack_events(batch);
  BOOST_TEST_REQUIRE(back);
  BOOST_TEST_REQUIRE(back->size() == 2u);
  BOOST_TEST(*(*back)[0].outdev_name == "lo");
  BOOST_TEST(*(*back)[1].outdev_name == "eth0");
  auto before = batch;
  BOOST_TEST(!append_packed(batch, meta_golden));
  BOOST_TEST(test::bytes_equal(batch, before));
}

BOOST_AUTO_TEST_CASE(malformed_netlink_batches_are_errors) {
  auto golden = netlink_golden();
  for (std::size_t n = 0; n < golden.size(); ++n)
    BOOST_TEST(!unpack_events(byte_view{golden.data(), n}),
               "prefix of " << n << " bytes decoded");
  auto with = [&](std::size_t at, std::uint8_t v) {
    auto b = golden;
    b[at] = v;
    return b;
  };
  BOOST_TEST(!unpack_events(with(1, 2)));  // the other byte order
  BOOST_TEST(!unpack_events(with(1, 3)));  // no byte order
  BOOST_TEST(!unpack_events(with(4, 2)));  // count 2, one event
  BOOST_TEST(!unpack_events(with(4, 0)));  // count 0, one event
  BOOST_TEST(!unpack_events(with(13, 0x7f))); // a message of another type
  BOOST_TEST(!unpack_events(with(52, 0x09))); // PACKET_HDR of 5 bytes
  auto trailing = golden;
  trailing.push_back(0);
  BOOST_TEST(!unpack_events(trailing));
}

BOOST_AUTO_TEST_SUITE_END()
