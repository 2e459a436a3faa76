// SPDX-License-Identifier: Apache-2.0
// Malformed replies through the real socket path (sys::request / sys::dump),
// each asserting the typed error: a multipart dump without NLMSG_DONE, an
// NLMSG_ERROR with garbage, a lying nlmsg_len, a DONE carrying an error.
// The "kernel" here is a second netlink socket in the same scratch
// namespace that unicasts crafted datagrams to the requester's portid
// (allowed with CAP_NET_ADMIN); the request itself is an NLMSG_NOOP
// without NLM_F_ACK, which the kernel accepts silently, so the crafted
// datagrams are the only replies.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstring>

#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "netns_fixture.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/sys/request.hpp"
#include "nfactor/sys/socket.hpp"

using namespace nfactor;
using nfactor::test::needs_kernel;
using nfactor::test::netns_fixture;

namespace {

struct peers {
  sys::socket client;
  sys::socket fake_kernel;
};

peers open_peers(const test::scratch_netns& netns) {
  sys::socket_options o;
  o.ns = netns.ns();
  auto a = sys::socket::open(o);
  auto b = sys::socket::open(o);
  BOOST_REQUIRE_MESSAGE(a && b, "open: " << test::why(a) << test::why(b));
  return {std::move(*a), std::move(*b)};
}

// Sends `datagram` from `from` to the socket with portid `to`.
void inject(const sys::socket& from, std::uint32_t to,
            const byte_buffer& datagram) {
  sockaddr_nl dst{};
  dst.nl_family = AF_NETLINK;
  dst.nl_pid = to;
  auto n = ::sendto(from.fd(), datagram.data(), datagram.size(), 0,
                    reinterpret_cast<const sockaddr*>(&dst), sizeof dst);
  BOOST_REQUIRE_MESSAGE(n == static_cast<ssize_t>(datagram.size()),
                        "sendto: " << std::strerror(errno));
}

// The silent request: NLMSG_NOOP, no NLM_F_ACK.
byte_buffer noop(std::uint32_t seq) {
  byte_buffer out;
  nl::message_writer w{out};
  w.begin(NLMSG_NOOP, NLM_F_REQUEST, seq);
  w.end();
  return out;
}

byte_buffer message(std::uint16_t type, std::uint16_t flags, std::uint32_t seq,
                    const byte_buffer& payload) {
  byte_buffer out;
  nl::message_writer w{out};
  w.begin(type, flags, seq);
  w.put_raw(payload);
  w.end();
  return out;
}

// A dump part: NEWTABLE "t" with NLM_F_MULTI.
byte_buffer table_part(std::uint32_t seq) {
  byte_buffer out;
  nl::message_writer w{out};
  w.begin(NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWTABLE, NLM_F_MULTI, seq);
  w.put_nfgenmsg(NFPROTO_INET);
  w.attr_str(NFTA_TABLE_NAME, "t");
  w.end();
  return out;
}

sys::exchange_options quick() {
  sys::exchange_options o;
  o.timeout = std::chrono::milliseconds(300);
  return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(sys_bad_replies,
                      *boost::unit_test::precondition(needs_kernel))

BOOST_FIXTURE_TEST_CASE(multipart_without_done_times_out_typed, netns_fixture) {
  auto p = open_peers(netns);
  auto seq = p.client.next_seq();
  auto parts = table_part(seq);
  auto second = table_part(seq);
  parts.insert(parts.end(), second.begin(), second.end());
  inject(p.fake_kernel, p.client.portid(), parts);
  int seen = 0;
  auto st = sys::dump(
      p.client, noop(seq), seq, "dump tables",
      [&](const nl::message&) {
        ++seen;
        return result<void>{};
      },
      quick());
  BOOST_REQUIRE(!st);
  BOOST_TEST(st.err().code == make_error_code(errc::timeout),
             st.err().message());
  BOOST_TEST(st.err().op == "dump tables");
  BOOST_TEST(seen == 2); // both parts were delivered before the time-out
}

BOOST_FIXTURE_TEST_CASE(nlmsg_error_with_garbage_is_typed, netns_fixture) {
  auto p = open_peers(netns);
  // Too short for struct nlmsgerr.
  auto seq = p.client.next_seq();
  inject(p.fake_kernel, p.client.portid(),
         message(NLMSG_ERROR, 0, seq, byte_buffer{0xff, 0xff}));
  auto st = sys::request(p.client, noop(seq), seq, "short error", {}, quick());
  BOOST_REQUIRE(!st);
  BOOST_TEST(st.err().code == make_error_code(errc::truncated),
             st.err().message());
  // A positive "errno" and a garbage header copy.
  seq = p.client.next_seq();
  byte_buffer body(sizeof(nlmsgerr), 0xab);
  std::int32_t positive = 17;
  std::memcpy(body.data(), &positive, 4);
  inject(p.fake_kernel, p.client.portid(), message(NLMSG_ERROR, 0, seq, body));
  st = sys::request(p.client, noop(seq), seq, "positive error", {}, quick());
  BOOST_REQUIRE(!st);
  BOOST_TEST(st.err().code == make_error_code(errc::bad_message),
             st.err().message());
  // Extended-ACK flag set, TLV area cut.
  seq = p.client.next_seq();
  std::int32_t einval = -EINVAL;
  std::memcpy(body.data(), &einval, 4);
  nlmsghdr inner{};
  inner.nlmsg_len = 4000; // claims a copied request we do not carry
  std::memcpy(body.data() + 4, &inner, sizeof inner);
  inject(p.fake_kernel, p.client.portid(),
         message(NLMSG_ERROR, NLM_F_ACK_TLVS, seq, body));
  st = sys::request(p.client, noop(seq), seq, "cut extack", {}, quick());
  BOOST_REQUIRE(!st);
  BOOST_TEST(st.err().code == make_error_code(errc::truncated),
             st.err().message());
}

BOOST_FIXTURE_TEST_CASE(lying_lengths_and_failed_done_are_typed,
                        netns_fixture) {
  auto p = open_peers(netns);
  // A reply whose nlmsg_len claims more than the datagram holds.
  auto seq = p.client.next_seq();
  auto lie = table_part(seq);
  std::uint32_t huge = 1u << 20;
  std::memcpy(lie.data(), &huge, 4);
  inject(p.fake_kernel, p.client.portid(), lie);
  auto st = sys::dump(p.client, noop(seq), seq, "lying dump", {}, quick());
  BOOST_REQUIRE(!st);
  BOOST_TEST(st.err().code == make_error_code(errc::bad_message),
             st.err().message());
  // NLMSG_DONE carrying -EPERM: the dump's own failure, as errno.
  seq = p.client.next_seq();
  std::int32_t eperm = -EPERM;
  byte_buffer status(4);
  std::memcpy(status.data(), &eperm, 4);
  auto dgram = table_part(seq);
  auto done = message(NLMSG_DONE, NLM_F_MULTI, seq, status);
  dgram.insert(dgram.end(), done.begin(), done.end());
  inject(p.fake_kernel, p.client.portid(), dgram);
  st = sys::dump(p.client, noop(seq), seq, "failed dump", {}, quick());
  BOOST_REQUIRE(!st);
  BOOST_TEST(st.err().errno_value() == EPERM, st.err().message());
  // A part flagged NLM_F_DUMP_INTR, then DONE: the dump was interrupted.
  seq = p.client.next_seq();
  dgram = table_part(seq);
  dgram[6] |= NLM_F_DUMP_INTR & 0xff; // nlmsg_flags, low byte
  status.assign(4, 0);
  done = message(NLMSG_DONE, NLM_F_MULTI, seq, status);
  dgram.insert(dgram.end(), done.begin(), done.end());
  inject(p.fake_kernel, p.client.portid(), dgram);
  st = sys::dump(p.client, noop(seq), seq, "interrupted dump", {}, quick());
  BOOST_REQUIRE(!st);
  BOOST_TEST(st.err().code == make_error_code(errc::dump_interrupted),
             st.err().message());
}

BOOST_AUTO_TEST_SUITE_END()
