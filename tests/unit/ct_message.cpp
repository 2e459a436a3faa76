// SPDX-License-Identifier: Apache-2.0
// ctnetlink messages (ct/message.hpp, ct/events.hpp): request golden bytes
// from <linux/netfilter/nfnetlink_conntrack.h>, event kinds, statistics
// round trips, bad requests as typed errors, and the event filter
// program's shape.
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include "bytes_check.hpp"
#include "netns_fixture.hpp"
#include "nfactor/ct/events.hpp"
#include "nfactor/ct/message.hpp"
#include "nfactor/nl/message.hpp"

namespace ct_message {
using namespace nfactor;
using namespace nfactor::ct;

tuple udp_tuple() {
  tuple t;
  t.src = ip_address::parse("127.0.0.1");
  t.dst = ip_address::parse("127.0.0.1");
  t.l4proto = IPPROTO_UDP;
  t.src_port = 1000;
  t.dst_port = 2000;
  return t;
}

// The one message in `bytes`.
nl::message only(const byte_buffer& bytes) {
  nl::message_reader r{bytes};
  BOOST_REQUIRE(r.next());
  return r.get();
}

} // namespace ct_message

BOOST_AUTO_TEST_SUITE(ct_message)

// `conntrack -D -p udp --orig-src 127.0.0.1 --orig-dst 127.0.0.1 --sport
// 1000 --dport 2000` sends the same attributes.
BOOST_AUTO_TEST_CASE(a_delete_request_is_golden) {
  auto req = delete_request(udp_tuple(), 0x01020304, std::nullopt, 9);
  NFACTOR_REQUIRE_OK(req);
  auto want = test::bytes({
      0x50, 0x00, 0x00, 0x00, // nlmsg_len 80
      0x02, 0x01,             // NFNL_SUBSYS_CTNETLINK << 8 | CT_DELETE
      0x05, 0x00,             // NLM_F_REQUEST | NLM_F_ACK
      0x09, 0x00, 0x00, 0x00, // seq 9
      0x00, 0x00, 0x00, 0x00, // portid
      0x02, 0x00, 0x00, 0x00, // nfgenmsg AF_INET, v0, res_id 0
      0x34, 0x00, 0x01, 0x80, // CTA_TUPLE_ORIG
      0x14, 0x00, 0x01, 0x80, //   CTA_TUPLE_IP
      0x08, 0x00, 0x01, 0x00, 0x7f, 0x00, 0x00, 0x01, // V4_SRC
      0x08, 0x00, 0x02, 0x00, 0x7f, 0x00, 0x00, 0x01, // V4_DST
      0x1c, 0x00, 0x02, 0x80,                         //   CTA_TUPLE_PROTO
      0x05, 0x00, 0x01, 0x00, 0x11, 0x00, 0x00, 0x00, // NUM 17
      0x06, 0x00, 0x02, 0x00, 0x03, 0xe8, 0x00, 0x00, // SRC_PORT 1000
      0x06, 0x00, 0x03, 0x00, 0x07, 0xd0, 0x00, 0x00, // DST_PORT 2000
      0x08, 0x00, 0x0c, 0x00, 0x01, 0x02, 0x03, 0x04, // CTA_ID
  });
  BOOST_TEST(test::bytes_equal(*req, want));
}

BOOST_AUTO_TEST_CASE(a_filtered_dump_request_is_golden) {
  filter f;
  f.family = AF_INET;
  f.mark = 0x10;
  f.mark_mask = 0xf0;
  tuple t;
  t.l4proto = IPPROTO_TCP;
  t.dst_port = 22;
  f.orig = t;
  auto req = dump_request(f, 3);
  NFACTOR_REQUIRE_OK(req);
  auto want = test::bytes({
      0x48, 0x00, 0x00, 0x00, // nlmsg_len 72
      0x01, 0x01,             // CTNETLINK << 8 | CT_GET
      0x01, 0x03,             // NLM_F_REQUEST | NLM_F_DUMP
      0x03, 0x00, 0x00, 0x00, // seq 3
      0x00, 0x00, 0x00, 0x00, //
      0x02, 0x00, 0x00, 0x00, // AF_INET
      0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x10, // CTA_MARK
      0x08, 0x00, 0x15, 0x00, 0x00, 0x00, 0x00, 0xf0, // CTA_MARK_MASK
      0x18, 0x00, 0x01, 0x80,                         // CTA_TUPLE_ORIG
      0x14, 0x00, 0x02, 0x80,                         //   CTA_TUPLE_PROTO
      0x05, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, // NUM 6
      0x06, 0x00, 0x03, 0x00, 0x00, 0x16, 0x00, 0x00, // DST_PORT 22
      0x0c, 0x00, 0x19, 0x80,                         // CTA_FILTER
      0x08, 0x00, 0x01, 0x00,                         //   ORIG_FLAGS (host
      0x28, 0x00, 0x00, 0x00, //   order): PROTO_NUM | PROTO_DST_PORT
  });
  BOOST_TEST(test::bytes_equal(*req, want));
}

BOOST_AUTO_TEST_CASE(stats_requests_are_golden) {
  BOOST_TEST(test::bytes_equal(
      stats_request(4),
      test::bytes({
          0x14, 0x00, 0x00, 0x00, 0x05, 0x01, 0x05, 0x00, 0x04, 0x00,
          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      })));
  auto cpu = stats_cpu_request(5);
  BOOST_TEST(cpu[4] == IPCTNL_MSG_CT_GET_STATS_CPU);
  BOOST_TEST(cpu[6] == (NLM_F_REQUEST | NLM_F_DUMP) % 256);
  BOOST_TEST(cpu[7] == (NLM_F_REQUEST | NLM_F_DUMP) / 256);
}

BOOST_AUTO_TEST_CASE(event_kinds_follow_type_and_flags) {
  event ev;
  ev.family = AF_INET6;
  ev.ct.id = 7;
  for (auto kind : {change::created, change::updated, change::destroyed}) {
    ev.kind = kind;
    byte_buffer out;
    append_event(out, ev, 0);
    auto back = decode_event(only(out));
    NFACTOR_REQUIRE_OK(back);
    BOOST_TEST((*back == ev), to_string(kind));
  }
  // A dump part (NLM_F_MULTI) lists an existing entry: created.
  ev.kind = change::created;
  byte_buffer out;
  append_event(out, ev, 1, true);
  auto msg = only(out);
  BOOST_TEST((msg.flags & NLM_F_MULTI) != 0);
  BOOST_TEST((decode_event(msg)->kind == change::created));
  // Another subsystem's message is refused.
  msg.type = NFNL_SUBSYS_QUEUE << 8;
  BOOST_TEST(!decode_event(msg));
}

BOOST_AUTO_TEST_CASE(stats_round_trip) {
  cpu_stats s;
  s.cpu = 3;
  s.found = 1;
  s.invalid = 2;
  s.insert = 3;
  s.insert_failed = 4;
  s.drop = 5;
  s.early_drop = 6;
  s.error = 7;
  s.search_restart = 8;
  s.clash_resolve = 9;
  s.chain_toolong = 10;
  byte_buffer out;
  append_cpu_stats(out, s);
  auto back = decode_cpu_stats(only(out));
  NFACTOR_REQUIRE_OK(back);
  BOOST_TEST((*back == s));
  global_stats g{12, 262144};
  out.clear();
  append_global_stats(out, g);
  auto gb = decode_global_stats(only(out));
  NFACTOR_REQUIRE_OK(gb);
  BOOST_TEST((*gb == g));
}

BOOST_AUTO_TEST_CASE(bad_requests_are_typed_errors) {
  auto invalid = make_error_code(errc::invalid_argument);
  auto half = udp_tuple();
  half.dst.reset();
  BOOST_TEST((get_request(half, {}, 1).err().code == invalid));
  entry e;
  e.orig = udp_tuple();
  BOOST_TEST((create_request(e, 1).err().code == invalid)); // no reply
  e.reply = udp_tuple();
  BOOST_TEST((create_request(e, 1).err().code == invalid)); // no timeout
  e.timeout = 30;
  NFACTOR_REQUIRE_OK(create_request(e, 1));
  entry nothing;
  nothing.orig = udp_tuple();
  BOOST_TEST((update_request(nothing, 1).err().code == invalid));
  filter f;
  f.family = 7;
  BOOST_TEST((dump_request(f, 1).err().code == invalid));
  f = {};
  f.mark_mask = 1;
  BOOST_TEST((flush_request(f, 1).err().code == invalid));
  f = {};
  tuple by_addr;
  by_addr.src = ip_address::parse("::1");
  f.orig = by_addr;
  BOOST_TEST((dump_request(f, 1).err().code == invalid)); // no family
  f.family = AF_INET;
  BOOST_TEST((dump_request(f, 1).err().code == invalid)); // wrong family
  f.family = AF_INET6;
  NFACTOR_REQUIRE_OK(dump_request(f, 1));
}

BOOST_AUTO_TEST_CASE(update_sends_only_what_an_update_changes) {
  entry e;
  e.orig = udp_tuple();
  e.mark = 5;
  e.counters_orig = counters{1, 2}; // not an update's business
  auto req = update_request(e, 1);
  NFACTOR_REQUIRE_OK(req);
  auto msg = only(*req);
  BOOST_TEST((msg.flags & NLM_F_CREATE) == 0);
  auto back = decode_event(msg);
  NFACTOR_REQUIRE_OK(back);
  entry want;
  want.orig = e.orig;
  want.mark = 5;
  BOOST_TEST((back->ct == want));
}

BOOST_AUTO_TEST_CASE(groups_and_filter_programs) {
  event_groups g;
  BOOST_TEST(
      (group_numbers(g) == std::vector<unsigned>{NFNLGRP_CONNTRACK_NEW,
                                                 NFNLGRP_CONNTRACK_DESTROY}));
  event_filter f;
  BOOST_TEST(f.empty());
  f.l4protos = {IPPROTO_UDP, IPPROTO_TCP};
  f.sources = {prefix{*ip_address::parse("10.0.0.0"), 8},
               prefix{*ip_address::parse("::1"), 128}};
  f.tcp_states = {3};
  auto prog = compile_filter(f);
  NFACTOR_REQUIRE_OK(prog);
  BOOST_TEST(prog->size() > 20u);
  BOOST_TEST(prog->back().code == (BPF_RET | BPF_K));
  BOOST_TEST(prog->back().k == 0xffffffffu);
  f.sources = {prefix{*ip_address::parse("10.0.0.0"), 33}};
  BOOST_TEST((compile_filter(f).err().code ==
              make_error_code(errc::invalid_argument)));
  // Too many values for 8-bit jumps is an error, not a broken program.
  f.sources.clear();
  f.l4protos.assign(300, 1);
  BOOST_TEST(!compile_filter(f));
}

BOOST_AUTO_TEST_SUITE_END()
