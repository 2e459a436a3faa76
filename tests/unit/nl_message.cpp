// SPDX-License-Identifier: Apache-2.0
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <cstring>

#include <linux/netlink.h>

#include "bytes_check.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/nl/message.hpp"

namespace nl_message {
using namespace nfactor;
using namespace nfactor::nl;
using nfactor::test::bytes;

// An NLMSG_ERROR as the kernel sends it with NETLINK_CAP_ACK and
// NETLINK_EXT_ACK: nlmsgerr (error + request header), then TLVs.
byte_buffer error_message(int err, std::uint32_t seq, const char* text,
                          std::optional<std::uint32_t> offset) {
  byte_buffer buf;
  message_writer w{buf};
  std::uint16_t flags = NLM_F_CAPPED;
  if (text || offset)
    flags |= NLM_F_ACK_TLVS;
  w.begin(NLMSG_ERROR, flags, seq, 1234);
  nlmsgerr e{};
  e.error = -err;
  e.msg.nlmsg_len = 100; // capped: the payload is not echoed
  e.msg.nlmsg_type = 0x0a06;
  e.msg.nlmsg_seq = seq;
  w.put_raw({reinterpret_cast<const std::uint8_t*>(&e), sizeof(e)});
  if (text)
    w.attr_str(NLMSGERR_ATTR_MSG, text);
  if (offset)
    w.attr_u32_ne(NLMSGERR_ATTR_OFFS, *offset);
  w.end();
  return buf;
}

} // namespace nl_message

BOOST_AUTO_TEST_SUITE(nl_message)

BOOST_AUTO_TEST_CASE(reads_consecutive_messages) {
  byte_buffer buf;
  message_writer w{buf};
  w.begin(100, NLM_F_MULTI, 5, 77);
  w.attr_u32_be(1, 9);
  w.end();
  w.begin(NLMSG_DONE, NLM_F_MULTI, 5, 77);
  w.put_raw(bytes({0, 0, 0, 0}));
  w.end();
  message_reader r{buf};
  BOOST_REQUIRE(r.next());
  BOOST_TEST(r.get().type == 100);
  BOOST_TEST(r.get().seq == 5u);
  BOOST_TEST(r.get().portid == 77u);
  BOOST_TEST(r.get().payload.size() == 8u);
  BOOST_REQUIRE(r.next());
  BOOST_TEST(r.get().type == NLMSG_DONE);
  BOOST_TEST(!r.next());
  BOOST_TEST(r.status());
}

BOOST_AUTO_TEST_CASE(truncated_and_lying_headers) {
  auto short_hdr = bytes({20, 0, 0, 0, 1, 0});
  message_reader a{short_hdr};
  BOOST_TEST(!a.next());
  BOOST_TEST(a.status().err().code == make_error_code(errc::truncated));

  byte_buffer lying(16, 0);
  std::uint32_t len = 64; // claims more than there is
  std::memcpy(lying.data(), &len, 4);
  message_reader b{lying};
  BOOST_TEST(!b.next());
  BOOST_TEST(b.status().err().code == make_error_code(errc::bad_message));

  byte_buffer tiny(16, 0);
  len = 8; // less than a header
  std::memcpy(tiny.data(), &len, 4);
  message_reader c{tiny};
  BOOST_TEST(!c.next());
}

BOOST_AUTO_TEST_CASE(ack_with_extack_text_and_offset) {
  auto buf = error_message(ENOENT, 42, "No such table", 20u);
  message_reader r{buf};
  BOOST_REQUIRE(r.next());
  auto a = decode_ack(r.get());
  BOOST_REQUIRE(a);
  BOOST_TEST(a->error == ENOENT);
  BOOST_TEST(a->seq == 42u);
  BOOST_TEST(a->request_type == 0x0a06);
  BOOST_TEST(a->extack == "No such table");
  BOOST_REQUIRE(a->extack_offset);
  BOOST_TEST(*a->extack_offset == 20u);
  auto e = ack_error(*a, "NFT_MSG_NEWRULE");
  BOOST_TEST(e.errno_value() == ENOENT);
  BOOST_TEST(e.message().find("No such table") != std::string::npos);
  BOOST_TEST(e.message().find("NFT_MSG_NEWRULE") != std::string::npos);
  BOOST_TEST(e.message().find("seq 42") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(plain_ack) {
  auto buf = error_message(0, 3, nullptr, std::nullopt);
  message_reader r{buf};
  BOOST_REQUIRE(r.next());
  auto a = decode_ack(r.get());
  BOOST_REQUIRE(a);
  BOOST_TEST(a->error == 0);
  BOOST_TEST(a->extack.empty());
  BOOST_TEST(!a->extack_offset);
}

BOOST_AUTO_TEST_CASE(garbage_error_messages_are_errors) {
  // Too short for nlmsgerr.
  byte_buffer buf;
  message_writer w{buf};
  w.begin(NLMSG_ERROR, 0, 1);
  w.put_raw(bytes({0xff, 0xff, 0xff, 0xff}));
  w.end();
  message_reader r{buf};
  BOOST_REQUIRE(r.next());
  auto a = decode_ack(r.get());
  BOOST_REQUIRE(!a);
  BOOST_TEST(a.err().code == make_error_code(errc::truncated));

  // A positive "errno".
  auto pos = error_message(0, 1, nullptr, std::nullopt);
  std::int32_t bad = 5;
  std::memcpy(pos.data() + NLMSG_HDRLEN, &bad, 4);
  message_reader r2{pos};
  BOOST_REQUIRE(r2.next());
  BOOST_TEST(!decode_ack(r2.get()));

  // TLV flag set but the extack attribute is cut short.
  auto cut = error_message(EINVAL, 1, "xxxxxxxx", std::nullopt);
  std::uint16_t attr_len = 200;
  std::memcpy(cut.data() + NLMSG_HDRLEN + sizeof(nlmsgerr), &attr_len, 2);
  message_reader r3{cut};
  BOOST_REQUIRE(r3.next());
  BOOST_TEST(!decode_ack(r3.get()));
}

BOOST_AUTO_TEST_CASE(error_message_text) {
  auto e = make_error(errno_code(EPERM), "NFULNL_CFG_CMD_BIND group 5",
                      "owned by portid 123");
  BOOST_TEST(e.errno_value() == EPERM);
  BOOST_TEST(e.message() ==
             "NFULNL_CFG_CMD_BIND group 5: Operation not permitted (errno "
             "1): owned by portid 123");
  BOOST_TEST(make_error(errc::overrun, "recv").is_overrun());
  BOOST_TEST(make_error(errno_code(ENOBUFS), "recv").is_overrun());
  BOOST_TEST(!make_error(errc::timeout, "recv").is_overrun());
}

BOOST_AUTO_TEST_SUITE_END()
