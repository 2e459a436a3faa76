// SPDX-License-Identifier: Apache-2.0
// The packed batch form of NFLOG events (nflog/packed.hpp): golden bytes
// written by hand from the layout diagram, for the kernel's messages and
// for decoded events encoded again, a round trip of every attribute, and
// malformed input (every prefix, another version or byte order, reserved
// bits, trailing bytes, an impossible count) — errors, never over-reads.
#include <boost/test/unit_test.hpp>

#include <vector>

#include "bytes_check.hpp"
#include "nfactor/nflog/packed.hpp"

namespace nflog_packed {
using namespace nfactor;
using namespace nfactor::nflog;

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

// Every attribute the decoder reads (but the conntrack nest: see
// nflog_decode), with values that differ per byte, and every interface
// named (a name is carried by a name record, "" as none).
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
  ev.physindev_name = "eth1";
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
  ev.ctinfo = 2;
  ev.vlan = vlan_tag{0x8100, 0x0064};
  ev.l2hdr = byte_buffer{0xff, 0xff};
  return ev;
}

log_event empty_event_of_group(std::uint16_t group) {
  log_event ev;
  ev.family = 2;
  ev.group = group;
  return ev;
}

} // namespace nflog_packed

BOOST_AUTO_TEST_SUITE(nflog_packed)

// -- the kernel's messages, undecoded
// ------------------------------------------

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

// Written by hand from the diagram in nflog/packed.hpp.
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

BOOST_AUTO_TEST_CASE(batches_append_but_not_of_another_byte_order) {
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
  auto other_order = netlink_golden();
  other_order[1] = 2;
  BOOST_TEST(!append_packed(batch, other_order));
  auto version_1 = netlink_golden();
  version_1[0] = 1;
  BOOST_TEST(!append_packed(batch, version_1));
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
  BOOST_TEST(!unpack_events(with(0, 1)));     // version 1 (retired)
  BOOST_TEST(!unpack_events(with(2, 1)));     // reserved bits
  BOOST_TEST(!unpack_events(with(1, 2)));     // the other byte order
  BOOST_TEST(!unpack_events(with(1, 3)));     // no byte order
  BOOST_TEST(!unpack_events(with(4, 2)));     // count 2, one event
  BOOST_TEST(!unpack_events(with(4, 0)));     // count 0, one event
  BOOST_TEST(!unpack_events(with(13, 0x7f))); // a message of another type
  BOOST_TEST(!unpack_events(with(52, 0x09))); // PACKET_HDR of 5 bytes
  auto trailing = golden;
  trailing.push_back(0);
  BOOST_TEST(!unpack_events(trailing));
  // A count no input could hold, without reserving memory for it.
  auto r = unpack_events(with(7, 0xff));
  BOOST_TEST_REQUIRE(!r);
  BOOST_TEST(r.err().message().find("cannot fit") != std::string::npos,
             r.err().message());
}

// -- decoded events, encoded again (a node whose listener filters)
// ---------------

// `meta_event()` as the kernel's message, seq 7 in the header too: the
// kernel message above without NFULA_IFINDEX_OUTDEV.
byte_buffer meta_golden() {
  auto out = test::bytes({
      0x02, 0x01, 0x00, 0x00, // version 2, little-endian, reserved
      0x01, 0x00, 0x00, 0x00, // 1 event
      0x2c, 0x00, 0x00, 0x00, // nlmsg_len 44
      0x00, 0x04, 0x00, 0x00, // type NFNL_SUBSYS_ULOG << 8 | PACKET, flags 0
      0x07, 0x00, 0x00, 0x00, // seq 7 (the event's)
      0x00, 0x00, 0x00, 0x00, // pid 0
      0x02, 0x00, 0x00, 0x05, // nfgenmsg: family 2, version 0, res_id 5
      0x08, 0x00, 0x01, 0x00, // NFULA_PACKET_HDR
      0x08, 0x00, 0x03, 0x00, //   hw_protocol 0x0800 (BE), hook 3, pad
      0x08, 0x00, 0x0a, 0x00, // NFULA_PREFIX
      'n',  'f',  'x',  0x00, //   "nfx" with its NUL
      0x08, 0x00, 0x0c, 0x00, // NFULA_SEQ
      0x00, 0x00, 0x00, 0x07, //   7 (BE)
  });
  return out;
}

BOOST_AUTO_TEST_CASE(a_decoded_event_packs_to_the_golden_bytes) {
  std::vector<log_event> evs{meta_event()};
  BOOST_TEST(test::bytes_equal(pack_events(evs), meta_golden()));
  auto back = unpack_events(meta_golden());
  BOOST_TEST_REQUIRE(back);
  BOOST_TEST_REQUIRE(back->size() == 1u);
  BOOST_TEST(((*back)[0] == meta_event()));
  auto n = packed_count(meta_golden());
  BOOST_TEST_REQUIRE(n);
  BOOST_TEST(*n == 1u);
}

BOOST_AUTO_TEST_CASE(every_attribute_round_trips_and_packs_identically_again) {
  log_event empty;
  log_event empty_strings;
  empty_strings.prefix = "";
  empty_strings.payload = byte_buffer{};
  auto renamed = full_event();
  renamed.indev_name = "lo2";
  std::vector<log_event> evs{full_event(),  empty,   meta_event(),
                             empty_strings, renamed, full_event()};
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
      test::bytes_equal(bytes, test::bytes({0x02, 0x01, 0, 0, 0, 0, 0, 0})));
  auto back = unpack_events(bytes);
  BOOST_TEST_REQUIRE(back);
  BOOST_TEST(back->empty());
}

BOOST_AUTO_TEST_CASE(appending_keeps_what_was_there) {
  std::vector<log_event> out{full_event()};
  BOOST_TEST_REQUIRE(unpack_events(meta_golden(), out));
  BOOST_TEST_REQUIRE(out.size() == 2u);
  BOOST_TEST((out[1] == meta_event()));
  // A failed decode leaves `out` as it was.
  auto bad = meta_golden();
  bad.pop_back();
  BOOST_TEST(!unpack_events(bad, out));
  BOOST_TEST(out.size() == 2u);
}

BOOST_AUTO_TEST_CASE(appended_batches_decode_as_one) {
  // Without names: a batch of its own repeats the names in force.
  auto unnamed = full_event();
  for (const auto& m : interface_members)
    unnamed.*m.name = std::nullopt;
  std::vector<log_event> first{unnamed, meta_event()};
  std::vector<log_event> second{empty_event_of_group(9)};
  byte_buffer batch;
  BOOST_TEST_REQUIRE(append_packed(batch, pack_events(first)));
  BOOST_TEST(test::bytes_equal(batch, pack_events(first)));
  BOOST_TEST_REQUIRE(append_packed(batch, pack_events(second)));
  auto all = first;
  all.push_back(second.front());
  // The same bytes as packing all three at once.
  BOOST_TEST(test::bytes_equal(batch, pack_events(all)));
  auto back = unpack_events(batch);
  BOOST_TEST_REQUIRE(back);
  BOOST_TEST((*back == all));
}

BOOST_AUTO_TEST_CASE(every_prefix_of_a_batch_is_an_error) {
  std::vector<log_event> evs{full_event(), meta_event()};
  auto bytes = pack_events(evs);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto r = unpack_events(byte_view{bytes.data(), n});
    BOOST_TEST(!r, "prefix of " << n << " bytes decoded");
  }
}

BOOST_AUTO_TEST_SUITE_END()
