// SPDX-License-Identifier: Apache-2.0
// Golden vectors from the Linx.Netlink.Nfnl.Codec reference documentation
// and from the kernel's uapi layout (<linux/netfilter/nfnetlink.h>).
#include <boost/test/unit_test.hpp>

#include <linux/netlink.h>

#include "bytes_check.hpp"
#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nl/message.hpp"

namespace nfnl_codec {
using namespace nfactor;
using namespace nfactor::nfnl;
using nfactor::test::bytes;
using nfactor::test::bytes_equal;
} // namespace nfnl_codec

BOOST_AUTO_TEST_SUITE(nfnl_codec)

BOOST_AUTO_TEST_CASE(nfgenmsg_golden_vectors) {
  BOOST_TEST(bytes_equal(encode_nfgenmsg(), bytes({0, 0, 0, 0})));
  BOOST_TEST(
      bytes_equal(encode_nfgenmsg(NFPROTO_UNSPEC, 10), bytes({0, 0, 0, 0x0a})));
  BOOST_TEST(bytes_equal(encode_nfgenmsg(NFPROTO_UNSPEC, 5000),
                         bytes({0, 0, 0x13, 0x88})));
  BOOST_TEST(bytes_equal(encode_nfgenmsg(family::ipv6, 0x1234),
                         bytes({10, 0, 0x12, 0x34})));
}

BOOST_AUTO_TEST_CASE(nfgenmsg_decodes_big_endian_res_id) {
  auto raw = bytes({2, 0, 0x13, 0x88, 0xaa, 0xbb});
  auto h = decode_nfgenmsg(raw);
  BOOST_REQUIRE(h);
  BOOST_TEST(h->family == 2);
  BOOST_TEST(h->version == 0);
  BOOST_TEST(h->res_id == 5000);
  BOOST_TEST(bytes_equal(h->rest, bytes({0xaa, 0xbb})));
}

BOOST_AUTO_TEST_CASE(nfgenmsg_round_trips_every_res_id) {
  for (unsigned id = 0; id <= 0xffff; ++id) {
    auto raw = encode_nfgenmsg(NFPROTO_INET, static_cast<std::uint16_t>(id));
    auto h = decode_nfgenmsg(raw);
    BOOST_REQUIRE(h);
    BOOST_REQUIRE_EQUAL(h->res_id, id);
    BOOST_REQUIRE_EQUAL(h->family, NFPROTO_INET);
    BOOST_REQUIRE(h->rest.empty());
  }
}

BOOST_AUTO_TEST_CASE(nfgenmsg_short_buffer_is_an_error) {
  for (size_t n = 0; n < 4; ++n) {
    byte_buffer raw(n, 0);
    auto h = decode_nfgenmsg(raw);
    BOOST_REQUIRE(!h);
    BOOST_TEST(h.err().code == make_error_code(errc::truncated));
    BOOST_TEST(h.err().message().find("needs 4") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(type_mux_golden_and_inverse) {
  BOOST_TEST(nlmsg_type(10, 0x10) == 0x0a10);
  BOOST_TEST(nlmsg_type(subsys::nftables, 0x10) == 0x0a10);
  BOOST_TEST(nlmsg_type(subsys::ulog, 1) == 0x0401);
  for (unsigned t = 0; t <= 0xffff; ++t) {
    auto s = split_type(static_cast<std::uint16_t>(t));
    BOOST_REQUIRE_EQUAL(nlmsg_type(s.subsys, s.msg), t);
  }
  BOOST_TEST((split_type(0x0a10) == split_type_result{10, 0x10}));
}

BOOST_AUTO_TEST_CASE(subsystem_constants) {
  BOOST_TEST(static_cast<int>(subsys::ctnetlink) == 1);
  BOOST_TEST(static_cast<int>(subsys::queue) == 3);
  BOOST_TEST(static_cast<int>(subsys::ulog) == 4);
  BOOST_TEST(static_cast<int>(subsys::nftables) == 10);
  BOOST_TEST(static_cast<int>(family::inet) == 1);
  BOOST_TEST(static_cast<int>(family::ipv4) == 2);
  BOOST_TEST(static_cast<int>(family::ipv6) == 10);
  BOOST_TEST(to_string(family::ipv6) == std::string{"ip6"});
  BOOST_TEST((family_from_string("bridge") == family::bridge));
  BOOST_TEST(!family_from_string("ipx"));
}

BOOST_AUTO_TEST_CASE(batch_begin_golden) {
  // Type 16 (NFNL_MSG_BATCH_BEGIN), flags NLM_F_REQUEST, seq 7, portid 0,
  // payload nfgenmsg {unspec, v0, res_id = 10 (nftables)}.
  auto msg = batch_begin(subsys::nftables, std::nullopt, 7);
  BOOST_TEST(bytes_equal(msg, bytes({20, 0, 0, 0, 16, 0, 1, 0, 7, 0,
                                     0,  0, 0, 0, 0,  0, 0, 0, 0, 10})));
  nl::message_reader r{msg};
  BOOST_REQUIRE(r.next());
  BOOST_TEST(r.get().type == 16);
  BOOST_TEST(bytes_equal(r.get().payload, bytes({0, 0, 0, 0x0a})));
  BOOST_TEST(!r.next());
}

BOOST_AUTO_TEST_CASE(batch_begin_with_genid_golden) {
  // NFNL_BATCH_GENID is attribute 1, u32 big-endian.
  auto msg = batch_begin(subsys::nftables, 0x01020304u, 1);
  BOOST_TEST(
      bytes_equal(msg, bytes({28, 0, 0, 0, 16, 0,  1, 0, 1, 0, 0, 0, 0, 0,
                              0,  0, 0, 0, 0,  10, 8, 0, 1, 0, 1, 2, 3, 4})));
}

BOOST_AUTO_TEST_CASE(batch_end_golden) {
  auto msg = batch_end(subsys::nftables, 9);
  BOOST_TEST(bytes_equal(msg, bytes({20, 0, 0, 0, 17, 0, 1, 0, 9, 0,
                                     0,  0, 0, 0, 0,  0, 0, 0, 0, 10})));
}

BOOST_AUTO_TEST_SUITE_END()
