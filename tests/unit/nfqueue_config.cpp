// SPDX-License-Identifier: Apache-2.0
// NFQUEUE config messages against golden bytes, and option validation.
//
// Provenance of the golden payloads (everything after the 16-byte
// nlmsghdr): assembled by hand from the uapi layout in
// <linux/netfilter/nfnetlink_queue.h> (struct nfqnl_msg_config_cmd
// {u8 command, u8 pad, BE16 pf}, struct nfqnl_msg_config_params {BE32
// range, u8 mode} packed, BE32 maxlen, mask and flags), and accepted by
// kernel 6.18 in tests/kernel/nfqueue_queue.cpp.
#include <boost/test/unit_test.hpp>

#include <functional>
#include <string>

#include <linux/netlink.h>

#include "bytes_check.hpp"
#include "nfactor/nfqueue/bindings.hpp"
#include "nfactor/nfqueue/config.hpp"
#include "nfactor/nfqueue/queue.hpp"
#include "nfactor/nl/message.hpp"

namespace nfqueue_config {
using namespace nfactor;
using namespace nfactor::nfqueue;
using nfactor::test::bytes;
using nfactor::test::bytes_equal;

// The one message in `buf`, checked for type, flags and sequence number.
byte_view config_payload(const byte_buffer& buf, std::uint32_t seq) {
  nl::message_reader r{buf};
  BOOST_REQUIRE(r.next());
  auto msg = r.get();
  BOOST_TEST(msg.type == ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG));
  BOOST_TEST(msg.flags == (NLM_F_REQUEST | NLM_F_ACK));
  BOOST_TEST(msg.seq == seq);
  BOOST_TEST(msg.bytes.size() == buf.size()); // exactly one message
  BOOST_TEST(!r.next());
  return msg.payload;
}

} // namespace nfqueue_config

BOOST_AUTO_TEST_SUITE(nfqueue_config)

BOOST_AUTO_TEST_CASE(commands_from_the_uapi_layout) {
  byte_buffer b;
  append_pf_bind(b, 11, nfnl::family::ipv6);
  BOOST_TEST(b.size() == 28u);
  BOOST_TEST(bytes_equal(config_payload(b, 11),
                         bytes({0x00, 0x00, 0x00, 0x00,     // AF_UNSPEC, q 0
                                0x08, 0x00, 0x01, 0x00,     // NFQA_CFG_CMD
                                0x03, 0x00, 0x00, 0x0a}))); // PF_BIND, pf 10
  b.clear();
  append_pf_unbind(b, 12, nfnl::family::ipv4);
  BOOST_TEST(bytes_equal(config_payload(b, 12),
                         bytes({0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01, 0x00,
                                0x04, 0x00, 0x00, 0x02})));
  b.clear();
  append_bind(b, 13, 7);
  BOOST_TEST(bytes_equal(config_payload(b, 13),
                         bytes({0x00, 0x00, 0x00, 0x07,     // queue 7 (BE)
                                0x08, 0x00, 0x01, 0x00,     // NFQA_CFG_CMD
                                0x01, 0x00, 0x00, 0x00}))); // BIND, pf 0
  b.clear();
  append_unbind(b, 14, 65535);
  BOOST_TEST(bytes_equal(config_payload(b, 14),
                         bytes({0x00, 0x00, 0xff, 0xff, 0x08, 0x00, 0x01, 0x00,
                                0x02, 0x00, 0x00, 0x00})));
}

BOOST_AUTO_TEST_CASE(settings_from_the_uapi_layout) {
  byte_buffer b;
  append_params(b, 1, 7, copy_mode::packet, 128);
  BOOST_TEST(b.size() == 32u);
  BOOST_TEST(bytes_equal(config_payload(b, 1),
                         bytes({0x00, 0x00, 0x00, 0x07,     //
                                0x09, 0x00, 0x02, 0x00,     // PARAMS, 5 bytes
                                0x00, 0x00, 0x00, 0x80,     // range 128 (BE)
                                0x02, 0x00, 0x00, 0x00}))); // packet, pad
  b.clear();
  append_max_queue_len(b, 2, 7, 8192);
  BOOST_TEST(bytes_equal(config_payload(b, 2),
                         bytes({0x00, 0x00, 0x00, 0x07, 0x08, 0x00, 0x03, 0x00,
                                0x00, 0x00, 0x20, 0x00})));
  b.clear();
  queue_flags f;
  f.fail_open = true;
  f.uid_gid = true;
  append_flags(b, 3, 7, f);
  BOOST_TEST(bytes_equal(config_payload(b, 3),
                         bytes({0x00, 0x00, 0x00, 0x07,     //
                                0x08, 0x00, 0x04, 0x00,     // NFQA_CFG_MASK
                                0x00, 0x00, 0x00, 0x1f,     // all five flags
                                0x08, 0x00, 0x05, 0x00,     // NFQA_CFG_FLAGS
                                0x00, 0x00, 0x00, 0x09}))); // fail-open|uid
  b.clear();
  append_flags(b, 4, 7, f, NFQA_CFG_F_FAIL_OPEN);
  BOOST_TEST(config_payload(b, 4)[11] == NFQA_CFG_F_FAIL_OPEN); // mask
  BOOST_TEST(config_payload(b, 4)[19] == NFQA_CFG_F_FAIL_OPEN); // masked
}

BOOST_AUTO_TEST_CASE(bind_and_configure_in_one_message) {
  options o;
  o.queue = 300;
  o.copy_range = 1500;
  o.max_queue_len = 4096;
  o.flags.conntrack = true;
  byte_buffer b;
  append_bind_configured(b, 9, o);
  BOOST_TEST(bytes_equal(config_payload(b, 9),
                         bytes({0x00, 0x00, 0x01, 0x2c,     // queue 300
                                0x08, 0x00, 0x01, 0x00,     // CMD
                                0x01, 0x00, 0x00, 0x00,     // BIND
                                0x09, 0x00, 0x02, 0x00,     // PARAMS
                                0x00, 0x00, 0x05, 0xdc,     // range 1500
                                0x02, 0x00, 0x00, 0x00,     // packet
                                0x08, 0x00, 0x03, 0x00,     // QUEUE_MAXLEN
                                0x00, 0x00, 0x10, 0x00,     // 4096
                                0x08, 0x00, 0x04, 0x00,     // MASK
                                0x00, 0x00, 0x00, 0x1f,     //
                                0x08, 0x00, 0x05, 0x00,     // FLAGS
                                0x00, 0x00, 0x00, 0x02}))); // conntrack
}

BOOST_AUTO_TEST_CASE(defaults_are_valid) {
  options o;
  BOOST_TEST(o.validate());
  BOOST_TEST(o.queue == 0u);
  BOOST_TEST((o.mode == copy_mode::packet));
  BOOST_TEST(o.copy_range == 0u);
  BOOST_TEST(o.max_queue_len == 8192u);
  BOOST_TEST(o.rcvbuf == 8 << 20);
  BOOST_TEST((o.flags == queue_flags{}));
  BOOST_TEST(o.families.size() == 2u);
  o.queue = 65535;
  BOOST_TEST(o.validate());
}

BOOST_AUTO_TEST_CASE(bad_options_say_what_and_why) {
  struct bad_case {
    const char* name;
    std::function<void(options&)> change;
    const char* says;
  };
  const bad_case cases[] = {
      {"queue 65536", [](options& o) { o.queue = 65536; },
       "queue must be 0..65535 (got 65536)"},
      {"mode none", [](options& o) { o.mode = copy_mode::none; },
       "copy_mode none queues nothing"},
      {"range without packet",
       [](options& o) {
         o.mode = copy_mode::meta;
         o.copy_range = 10;
       },
       "needs copy_mode packet"},
      {"range too big", [](options& o) { o.copy_range = 70000; },
       "copy_range must be 0 (whole packet) or 1..65531"},
      {"bad mode", [](options& o) { o.mode = static_cast<copy_mode>(9); },
       "copy_mode 9"},
      {"maxlen 0", [](options& o) { o.max_queue_len = 0; },
       "max_queue_len must be 1..1048576 packets (got 0)"},
      {"maxlen huge", [](options& o) { o.max_queue_len = 1u << 21; },
       "max_queue_len must be 1..1048576"},
      {"no families", [](options& o) { o.families.clear(); },
       "families must name"},
      {"inet family", [](options& o) { o.families = {nfnl::family::inet}; },
       "family inet (1) cannot be queued"},
      {"rcvbuf", [](options& o) { o.rcvbuf = 100; }, "rcvbuf must be"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      options o;
      c.change(o);
      auto st = o.validate();
      BOOST_REQUIRE(!st);
      BOOST_TEST(st.err().code == make_error_code(errc::invalid_argument));
      BOOST_TEST(st.err().op == "validate NFQUEUE options");
      BOOST_TEST(st.err().detail.find(c.says) != std::string::npos,
                 st.err().detail);
      // A queue handle refuses them before touching the kernel.
      auto q = queue_handle::open(o);
      BOOST_REQUIRE(!q);
      BOOST_TEST(q.err().code == make_error_code(errc::invalid_argument));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
