// SPDX-License-Identifier: Apache-2.0
// NFLOG config messages against golden bytes, and option validation.
//
// Provenance of the golden payloads (everything after the 16-byte nlmsghdr):
//  - PF_BIND, BIND, MODE (packet, 128): `strace -xx -e sendto tcpdump -i
//    nflog:5 -s 128` (tcpdump 4.99.3, libpcap 1.10.3, Debian 12).
//  - QTHRESH 64, TIMEOUT 1, NLBUFSIZ 131072: the attributes that
//    peer-bench's nflog_limit (`-g 7 -q 64 -T 1 -B 131072`) sends, seen
//    with the same strace command (it packs them into one message; nfactor
//    sends one acknowledged message per setting, so the attribute bytes are
//    compared one by one).
//  - FLAGS and UNBIND: no peer at hand sends them; assembled from the uapi
//    layout (<linux/netfilter/nfnetlink_log.h>) and accepted by the kernel
//    in tests/kernel/nflog_listener.cpp.
#include <boost/test/unit_test.hpp>

#include <functional>
#include <string>

#include <linux/netlink.h>

#include "bytes_check.hpp"
#include "nfactor/nflog/config.hpp"
#include "nfactor/nflog/listener.hpp"
#include "nfactor/nl/message.hpp"

namespace nflog_config {
using namespace nfactor;
using namespace nfactor::nflog;
using nfactor::test::bytes;
using nfactor::test::bytes_equal;

// The one message in `buf`, checked for type, flags and sequence number.
byte_view config_payload(const byte_buffer& buf, std::uint32_t seq) {
  nl::message_reader r{buf};
  BOOST_REQUIRE(r.next());
  auto msg = r.get();
  BOOST_TEST(msg.type == ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG));
  BOOST_TEST(msg.flags == (NLM_F_REQUEST | NLM_F_ACK));
  BOOST_TEST(msg.seq == seq);
  BOOST_TEST(msg.bytes.size() == buf.size()); // exactly one message
  BOOST_TEST(!r.next());
  return msg.payload;
}

} // namespace nflog_config

BOOST_AUTO_TEST_SUITE(nflog_config)

BOOST_AUTO_TEST_CASE(commands_match_libpcap) {
  byte_buffer b;
  append_pf_bind(b, 11, nfnl::family::ipv4);
  BOOST_TEST(b.size() == 28u);
  BOOST_TEST(bytes_equal(config_payload(b, 11),
                         bytes({0x02, 0x00, 0x00, 0x00, // AF_INET, v0, res_id 0
                                0x05, 0x00, 0x01, 0x00, // NFULA_CFG_CMD
                                0x03, 0x00, 0x00, 0x00}))); // PF_BIND + pad
  b.clear();
  append_bind(b, 12, 5);
  BOOST_TEST(
      bytes_equal(config_payload(b, 12),
                  bytes({0x00, 0x00, 0x00, 0x05, // AF_UNSPEC, group 5
                         0x05, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00})));
  b.clear();
  append_mode(b, 13, 5, copy_mode::packet, 128);
  BOOST_TEST(b.size() == 32u);
  BOOST_TEST(bytes_equal(config_payload(b, 13),
                         bytes({0x00, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x02, 0x00,
                                0x00, 0x00, 0x00, 0x80,     // range 128 (BE)
                                0x02, 0x00, 0x00, 0x00}))); // packet, pad
}

BOOST_AUTO_TEST_CASE(settings_match_nflog_limit) {
  byte_buffer b;
  append_qthresh(b, 1, 7, 64);
  BOOST_TEST(bytes_equal(config_payload(b, 1),
                         bytes({0x00, 0x00, 0x00, 0x07, 0x08, 0x00, 0x05, 0x00,
                                0x00, 0x00, 0x00, 0x40})));
  b.clear();
  append_timeout(b, 2, 7, centiseconds{1});
  BOOST_TEST(bytes_equal(config_payload(b, 2),
                         bytes({0x00, 0x00, 0x00, 0x07, 0x08, 0x00, 0x04, 0x00,
                                0x00, 0x00, 0x00, 0x01})));
  b.clear();
  append_nlbufsiz(b, 3, 7, 131072);
  BOOST_TEST(bytes_equal(config_payload(b, 3),
                         bytes({0x00, 0x00, 0x00, 0x07, 0x08, 0x00, 0x03, 0x00,
                                0x00, 0x02, 0x00, 0x00})));
  b.clear();
  append_mode(b, 4, 7, copy_mode::packet, 96);
  BOOST_TEST(
      bytes_equal(config_payload(b, 4),
                  bytes({0x00, 0x00, 0x00, 0x07, 0x0a, 0x00, 0x02, 0x00, 0x00,
                         0x00, 0x00, 0x60, 0x02, 0x00, 0x00, 0x00})));
}

BOOST_AUTO_TEST_CASE(flags_unbind_and_pf_unbind_from_the_uapi_layout) {
  byte_buffer b;
  append_flags(b, 5, 300, log_flags{true, true, true});
  BOOST_TEST(
      bytes_equal(config_payload(b, 5),
                  bytes({0x00, 0x00, 0x01, 0x2c,     // group 300 (BE)
                         0x06, 0x00, 0x06, 0x00,     // NFULA_CFG_FLAGS
                         0x00, 0x07, 0x00, 0x00}))); // BE16 seq|global|ct
  b.clear();
  append_flags(b, 5, 300, log_flags{});
  BOOST_TEST(config_payload(b, 5)[9] == NFULNL_CFG_F_SEQ); // default: seq only
  b.clear();
  append_unbind(b, 6, 65535);
  BOOST_TEST(bytes_equal(config_payload(b, 6),
                         bytes({0x00, 0x00, 0xff, 0xff, 0x05, 0x00, 0x01, 0x00,
                                0x02, 0x00, 0x00, 0x00})));
  b.clear();
  append_pf_unbind(b, 7, nfnl::family::bridge);
  BOOST_TEST(bytes_equal(config_payload(b, 7),
                         bytes({0x07, 0x00, 0x00, 0x00, 0x05, 0x00, 0x01, 0x00,
                                0x04, 0x00, 0x00, 0x00})));
}

BOOST_AUTO_TEST_CASE(defaults_are_valid_once_a_group_is_set) {
  options o;
  BOOST_TEST(!o.validate()); // the group is required
  o.group = 1;
  BOOST_TEST(o.validate());
  BOOST_TEST(o.qthresh == 64u);
  BOOST_TEST(o.flush_timeout.count() == 1u);
  BOOST_TEST(o.nlbufsiz == 131072u);
  BOOST_TEST(o.rcvbuf == 8 << 20);
  BOOST_TEST((o.mode == copy_mode::meta));
  BOOST_TEST(o.flags.seq);
  BOOST_TEST(o.families.size() == 2u);
}

BOOST_AUTO_TEST_CASE(bad_options_say_what_and_why) {
  struct bad_case {
    const char* name;
    std::function<void(options&)> change;
    const char* says;
  };
  const bad_case cases[] = {
      {"group 0", [](options& o) { o.group = 0; }, "group is required"},
      {"qthresh 0", [](options& o) { o.qthresh = 0; },
       "qthresh must be 1..1024"},
      {"qthresh 1025", [](options& o) { o.qthresh = 1025; },
       "qthresh must be 1..1024 (got 1025)"},
      {"range without packet", [](options& o) { o.copy_range = 10; },
       "needs copy_mode packet"},
      {"range too big",
       [](options& o) {
         o.mode = copy_mode::packet;
         o.copy_range = 70000;
       },
       "copy_range must be 0 (whole packet) or 1..65531"},
      {"bad mode", [](options& o) { o.mode = static_cast<copy_mode>(9); },
       "copy_mode 9"},
      {"timeout", [](options& o) { o.flush_timeout = centiseconds{6001}; },
       "flush_timeout must be at most 60 s"},
      {"nlbufsiz small", [](options& o) { o.nlbufsiz = 1000; },
       "nlbufsiz must be 4096..131072"},
      {"nlbufsiz big", [](options& o) { o.nlbufsiz = 131073; },
       "nlbufsiz must be 4096..131072"},
      {"no families", [](options& o) { o.families.clear(); },
       "families must name"},
      {"inet family", [](options& o) { o.families = {nfnl::family::inet}; },
       "family inet (1) cannot be logged"},
      {"rcvbuf", [](options& o) { o.rcvbuf = 100; }, "rcvbuf must be"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      options o;
      o.group = 9;
      c.change(o);
      auto st = o.validate();
      BOOST_REQUIRE(!st);
      BOOST_TEST(st.err().code == make_error_code(errc::invalid_argument));
      BOOST_TEST(st.err().op == "validate NFLOG options");
      BOOST_TEST(st.err().detail.find(c.says) != std::string::npos,
                 st.err().detail);
      // A listener refuses them before touching the kernel.
      auto l = listener::open(o);
      BOOST_REQUIRE(!l);
      BOOST_TEST(l.err().code == make_error_code(errc::invalid_argument));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
