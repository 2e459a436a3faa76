// SPDX-License-Identifier: Apache-2.0
// Malformed NFLOG input, one class per case, each asserting the typed
// error (errc) and what the detail names: truncated headers, nested
// attribute overruns, wrong lengths, absurd lengths, unknown attribute ids
// (skipped), NLMSG_ERROR and other messages in the event stream, and a
// datagram cut inside its last message. The bytes are hand-written wire
// images (nlattr: u16 length, u16 type, little-endian as on x86).
#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>

#include "bytes_check.hpp"
#include "netns_fixture.hpp"
#include "nfactor/nflog/decode.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/nl/message.hpp"

namespace nflog_malformed {
using namespace nfactor;
using namespace nfactor::nflog;

constexpr std::uint16_t packet_type =
    (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;

// One message of `type` whose payload is `payload` (not padded).
byte_buffer raw_message(std::uint16_t type, const byte_buffer& payload) {
  byte_buffer out(NLMSG_HDRLEN, 0);
  nlmsghdr h{};
  h.nlmsg_len = static_cast<std::uint32_t>(NLMSG_HDRLEN + payload.size());
  h.nlmsg_type = type;
  std::memcpy(out.data(), &h, sizeof h);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

// A packet event: nfgenmsg (ipv4, group 1), then the attribute bytes.
byte_buffer packet(const byte_buffer& attrs) {
  auto p = test::bytes({NFPROTO_IPV4, 0, 0, 1});
  p.insert(p.end(), attrs.begin(), attrs.end());
  return raw_message(packet_type, p);
}

nl::message first(const byte_buffer& buf) {
  nl::message_reader r{buf};
  BOOST_REQUIRE(r.next());
  return r.get();
}

struct bad_case {
  const char* what;
  byte_buffer datagram;
  errc code;
  const char* detail; // a substring of the error's detail
};

void expect(const bad_case& c) {
  BOOST_TEST_CONTEXT(c.what) {
    auto got = decode_packet(first(c.datagram));
    BOOST_REQUIRE(!got);
    BOOST_TEST(got.err().code == make_error_code(c.code), got.err().message());
    BOOST_TEST(got.err().detail.find(c.detail) != std::string::npos,
               got.err().detail);
    // The hot path gives the same error and leaves no element behind.
    std::vector<log_event> out(1);
    std::optional<error> err;
    auto keeper = std::make_shared<const byte_buffer>(c.datagram);
    BOOST_TEST(!decode_packet_back(first(*keeper), out, err, keeper));
    BOOST_TEST(out.size() == 1u);
    BOOST_TEST((err && err->code == got.err().code));
  }
}

} // namespace nflog_malformed

BOOST_AUTO_TEST_SUITE(nflog_malformed)

BOOST_AUTO_TEST_CASE(truncated_headers) {
  // The nfgenmsg is cut (2 of 4 bytes).
  expect({"nfgenmsg", raw_message(packet_type, test::bytes({2, 0})),
          errc::truncated, "the header needs 4"});
  // An attribute header of 3 bytes after a valid mark.
  expect({"attribute header",
          packet(test::bytes({8, 0, NFULA_MARK, 0, 0, 0, 0, 1, 9, 0, 2})),
          errc::truncated, "needs 4 bytes, 3 left"});
  // The netlink header itself is cut: the datagram reader refuses it.
  auto cut = packet(test::bytes({8, 0, NFULA_MARK, 0, 0, 0, 0, 1}));
  cut.resize(NLMSG_HDRLEN - 4);
  nl::message_reader r{cut};
  BOOST_TEST(!r.next());
  BOOST_TEST(r.status().err().code == make_error_code(errc::truncated));
}

BOOST_AUTO_TEST_CASE(nested_attribute_overruns) {
  // NFULA_CT → CTA_TUPLE_ORIG → CTA_TUPLE_PROTO whose CTA_PROTO_NUM claims
  // 12 bytes of the 8 its nest holds: the error surfaces on the root.
  expect(
      {"three levels deep",
       packet(test::bytes({0x14, 0, NFULA_CT, 0x80, //
                           0x10, 0, 1,        0x80, // TUPLE_ORIG
                           0x0c, 0, 2,        0x80, // TUPLE_PROTO
                           0x0c, 0, 1,        0,    17, 0, 0, 0})), // PROTO_NUM
       errc::truncated, "NFULA_CT: attribute type 1"});
  // A VLAN nest whose own length runs past the message.
  expect({"nest past the message",
          packet(test::bytes({0x20, 0, NFULA_VLAN, 0x80, 6, 0, 1, 0})),
          errc::truncated, "has length 32"});
}

BOOST_AUTO_TEST_CASE(wrong_lengths) {
  expect({"u32 with 2 bytes",
          packet(test::bytes({6, 0, NFULA_UID, 0, 1, 2, 0, 0})),
          errc::bad_attribute, "NFULA_UID: attribute type 11 has 2"});
  expect({"u16 with 4 bytes",
          packet(test::bytes({8, 0, NFULA_HWLEN, 0, 0, 0, 0, 14})),
          errc::bad_attribute, "NFULA_HWLEN: "});
  expect({"struct with 9 bytes",
          packet(test::bytes(
              {13, 0, NFULA_TIMESTAMP, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0})),
          errc::bad_attribute, "expected 16"});
  // A conntrack status of 8 bytes, inside the CT nest.
  expect({"nested u32 with 8 bytes",
          packet(test::bytes({0x10, 0, NFULA_CT, 0x80, 0x0c, 0, 3, 0, 0, 0, 0,
                              0, 0, 0, 0, 8})),
          errc::bad_attribute, "NFULA_CT: attribute type 3 has 8"});
}

BOOST_AUTO_TEST_CASE(absurd_lengths) {
  // nla_len 0xffff in a 12-byte attribute stream.
  expect({"nla_len 65535",
          packet(test::bytes({0xff, 0xff, NFULA_PAYLOAD, 0, 1, 2, 3, 4})),
          errc::truncated, "has length 65535"});
  // nla_len below the attribute header.
  expect({"nla_len 2", packet(test::bytes({2, 0, NFULA_MARK, 0, 0, 0, 0, 1})),
          errc::truncated, "has length 2"});
  // hw_addrlen 0xffff for an 8-byte address field.
  expect({"hw_addrlen 65535",
          packet(test::bytes({16, 0, NFULA_HWADDR, 0, 0xff, 0xff, 0, 0, 1, 2, 3,
                              4, 5, 6, 7, 8})),
          errc::bad_attribute, "hw_addrlen 65535 exceeds 8 bytes"});
  // nlmsg_len 0xffffffff: the datagram reader refuses the message.
  auto buf = packet(test::bytes({8, 0, NFULA_MARK, 0, 0, 0, 0, 1}));
  std::uint32_t huge = 0xffffffff;
  std::memcpy(buf.data(), &huge, 4);
  nl::message_reader r{buf};
  BOOST_TEST(!r.next());
  BOOST_TEST(r.status().err().code == make_error_code(errc::bad_message));
  BOOST_TEST(r.status().err().detail.find("claims 4294967295 bytes") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_attribute_ids_are_skipped_at_every_level) {
  // Unknown ids: 0x3fff at the top (with NLA_F_NET_BYTEORDER), 200 inside
  // the CT nest, 9 inside the VLAN nest; the known ones around them count.
  auto got = decode_packet(first(packet(test::bytes({
      8,    0, 0xff,
      0x7f, 1, 2,
      3,    4, // 0x3fff | BYTEORDER
      8,    0, NFULA_MARK,
      0,    0, 0,
      0,    7, // mark 7
      0x14, 0, NFULA_CT,
      0x80, // CT nest
      8,    0, 200,
      0,    0, 0,
      0,    0, //   unknown 200
      8,    0, 3,
      0,    0, 0,
      0,    2, //   CTA_STATUS 2
      0x14, 0, NFULA_VLAN,
      0x80, // VLAN nest
      8,    0, 9,
      0,    0, 0,
      0,    0, //   unknown 9
      6,    0, NFULA_VLAN_TCI,
      0,    0, 5,
      0,    0, //   TCI 5
  }))));
  NFACTOR_REQUIRE_OK(got);
  BOOST_TEST((got->mark == 7u));
  BOOST_REQUIRE(got->conntrack);
  BOOST_TEST((got->conntrack->status == 2u));
  BOOST_REQUIRE(got->vlan);
  BOOST_TEST(got->vlan->tci == 5u);
  BOOST_TEST(got->vlan->proto == 0u);
}

BOOST_AUTO_TEST_CASE(nlmsg_error_and_other_messages_are_refused) {
  // An NLMSG_ERROR with a garbage body in the event stream.
  expect({"NLMSG_ERROR", raw_message(NLMSG_ERROR, test::bytes({0xde, 0xad})),
          errc::bad_message, "message type 2 is not NFULNL_MSG_PACKET"});
  // A config message, a DONE and an nf_tables message.
  expect({"NFULNL_MSG_CONFIG",
          raw_message((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG,
                      test::bytes({0, 0, 0, 1})),
          errc::bad_message, "is not NFULNL_MSG_PACKET"});
  expect({"NLMSG_DONE", raw_message(NLMSG_DONE, test::bytes({0, 0, 0, 0})),
          errc::bad_message, "message type 3"});
  expect({"nf_tables", raw_message(NFNL_SUBSYS_NFTABLES << 8, {}),
          errc::bad_message, "message type 2560"});
}

BOOST_AUTO_TEST_CASE(a_datagram_cut_in_its_last_message) {
  // Two events; the datagram ends 6 bytes into the second one's
  // attributes: the first decodes, the reader then fails typed.
  auto one = packet(test::bytes({8, 0, NFULA_MARK, 0, 0, 0, 0, 1}));
  auto dgram = one;
  dgram.insert(dgram.end(), one.begin(), one.end() - 6);
  nl::message_reader r{dgram};
  BOOST_REQUIRE(r.next());
  auto ev = decode_packet(r.get());
  NFACTOR_REQUIRE_OK(ev);
  BOOST_TEST((ev->mark == 1u));
  BOOST_TEST(!r.next());
  BOOST_TEST(r.status().err().code == make_error_code(errc::bad_message));
}

BOOST_AUTO_TEST_SUITE_END()
