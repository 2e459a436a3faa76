// SPDX-License-Identifier: Apache-2.0
// Replies that do not come from the kernel. A second netlink socket in the
// same scratch namespace (a process with CAP_NET_ADMIN can do this) unicasts
// crafted "replies" and "events" to our port id before the real exchange;
// every receive path drops them unread (sender nl_pid != 0), counts them in
// sys::socket::foreign_dropped(), and the kernel's real reply still completes
// the exchange. The malformed-reply classes themselves (multipart without
// DONE, garbage NLMSG_ERROR, lying nlmsg_len, DONE with errno) are fed to the
// same parsing code (sys::reply_reader) in tests/unit/sys_reply_reader.cpp;
// the time-out of a silent exchange is checked here with the real kernel.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "traffic.hpp" // system socket headers before <linux/*.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>

#include "netns_fixture.hpp"
#include "nfactor/nflog/listener.hpp"
#include "nfactor/nft/gen.hpp"
#include "nfactor/nft/table.hpp"
#include "nfactor/nl/attr.hpp"
#include "nfactor/sys/request.hpp"
#include "nfactor/sys/socket.hpp"
#include "tx_helpers.hpp"

namespace sys_bad_replies {
using namespace nfactor;
using nfactor::test::needs_kernel;
using nfactor::test::netns_fixture;
using nfactor::test::open_socket;

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

// An NLMSG_ERROR carrying -`err` for `seq`: a fake failure.
byte_buffer fake_error(std::uint32_t seq, int err) {
  byte_buffer out;
  nl::message_writer w{out};
  w.begin(NLMSG_ERROR, NLM_F_CAPPED, seq);
  nlmsgerr e{};
  e.error = -err;
  e.msg.nlmsg_seq = seq;
  w.put_raw({reinterpret_cast<const std::uint8_t*>(&e), sizeof e});
  w.end();
  return out;
}

// A NEWGEN reply with generation `id` for `seq`.
byte_buffer fake_gen(std::uint32_t seq, std::uint32_t id) {
  byte_buffer out;
  nl::message_writer w{out};
  w.begin(NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWGEN, 0, seq);
  w.put_nfgenmsg(NFPROTO_UNSPEC);
  w.attr_u32_be(NFTA_GEN_ID, id);
  w.end();
  return out;
}

// A dump part NEWTABLE `name`, then (if `status` is set) a DONE.
byte_buffer fake_tables(std::uint32_t seq, const std::string& name,
                        std::optional<std::int32_t> status) {
  byte_buffer out;
  nft::table t;
  t.family = NFPROTO_INET;
  t.name = name;
  nft::append(out, NFT_MSG_NEWTABLE, NLM_F_MULTI, seq, t);
  if (status) {
    nl::message_writer w{out};
    w.begin(NLMSG_DONE, NLM_F_MULTI, seq);
    w.put_raw({reinterpret_cast<const std::uint8_t*>(&*status), 4});
    w.end();
  }
  return out;
}

// An NFLOG packet event for `group` with prefix `prefix`.
byte_buffer fake_nflog_event(std::uint16_t group, const std::string& prefix) {
  byte_buffer out;
  nl::message_writer w{out};
  w.begin(NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_PACKET, 0, 0);
  w.put_nfgenmsg(NFPROTO_IPV4, group);
  nfulnl_msg_packet_hdr h{};
  h.hw_protocol = htons(0x0800);
  h.hook = NF_INET_LOCAL_OUT;
  w.attr_bytes(NFULA_PACKET_HDR,
               {reinterpret_cast<const std::uint8_t*>(&h), sizeof h});
  w.attr_str(NFULA_PREFIX, prefix);
  w.end();
  return out;
}

sys::exchange_options quick() {
  sys::exchange_options o;
  o.timeout = std::chrono::milliseconds(300);
  return o;
}

} // namespace sys_bad_replies

BOOST_AUTO_TEST_SUITE(sys_bad_replies,
                      *boost::unit_test::precondition(needs_kernel))

BOOST_FIXTURE_TEST_CASE(foreign_ack_and_reply_are_dropped_request_completes,
                        netns_fixture) {
  auto client = open_socket(netns);
  auto intruder = open_socket(netns);
  auto seq = client.next_seq();
  // Queued before the request: a fake EPERM "ack" and a fake generation,
  // both for the request's seq. Either would decide the request if read.
  inject(intruder, client.portid(), fake_error(seq, EPERM));
  inject(intruder, client.portid(), fake_gen(seq, 0xdeadbeef));
  byte_buffer req;
  nft::append_getgen(req, seq);
  std::vector<std::uint32_t> gens;
  auto st = sys::request(client, req, seq, "GETGEN", [&](const nl::message& m) {
    auto g = nft::decode_gen(m);
    if (!g)
      return result<void>{std::move(g).err()};
    gens.push_back(g->id);
    return result<void>{};
  });
  NFACTOR_REQUIRE_OK(st);
  BOOST_TEST(client.foreign_dropped() == 2u);
  BOOST_REQUIRE_EQUAL(gens.size(), 1u);
  BOOST_TEST(gens[0] != 0xdeadbeefu);
  // The generation is the kernel's: another socket reads the same one.
  auto other = open_socket(netns);
  auto g = nft::get_gen(other);
  NFACTOR_REQUIRE_OK(g);
  BOOST_TEST(gens[0] == g->id);
  BOOST_TEST(intruder.foreign_dropped() == 0u);
}

BOOST_FIXTURE_TEST_CASE(foreign_dump_parts_and_done_are_dropped,
                        netns_fixture) {
  netns.nft("add table inet real");
  auto client = open_socket(netns);
  auto intruder = open_socket(netns);
  auto seq = client.next_seq();
  // A fake part, a fake DONE with EPERM, and a fake successful dump with a
  // table that does not exist.
  inject(intruder, client.portid(), fake_tables(seq, "fake", -EPERM));
  inject(intruder, client.portid(), fake_tables(seq, "fake2", 0));
  byte_buffer req;
  nft::table all;
  all.family = NFPROTO_UNSPEC;
  nft::append(req, NFT_MSG_GETTABLE, NLM_F_REQUEST | NLM_F_DUMP, seq, all);
  std::vector<std::string> names;
  auto st =
      sys::dump(client, req, seq, "dump tables", [&](const nl::message& m) {
        auto t = nft::decode_table(m);
        if (!t)
          return result<void>{std::move(t).err()};
        names.push_back(t->name);
        return result<void>{};
      });
  NFACTOR_REQUIRE_OK(st);
  BOOST_TEST(client.foreign_dropped() == 2u);
  BOOST_TEST(names == std::vector<std::string>{"real"},
             boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(recv_drops_foreign_datagrams_of_any_size,
                        netns_fixture) {
  auto client = open_socket(netns);
  auto intruder = open_socket(netns);
  // Larger than the receive buffer: from the kernel this is ENOSPC; from
  // another sender it must not fail the socket.
  byte_buffer big(4096, 0);
  auto small = fake_gen(1, 1);
  std::memcpy(big.data(), small.data(), small.size());
  inject(intruder, client.portid(), big);
  inject(intruder, client.portid(), small);
  std::vector<std::uint8_t> buf(1024);
  auto r = client.recv(buf);
  NFACTOR_REQUIRE_OK(r);
  BOOST_TEST((r->status == sys::recv_status::would_block));
  BOOST_TEST(client.foreign_dropped() == 2u);
}

BOOST_FIXTURE_TEST_CASE(nflog_recvmmsg_drops_foreign_events, netns_fixture) {
  constexpr std::uint16_t group = 9;
  netns.nft_script("table inet t {\n chain o { type filter hook output "
                   "priority 0;\n udp dport 9997 log group 9 prefix "
                   "\"real\"\n }\n}\n");
  nflog::options o;
  o.group = group;
  o.ns = netns.ns();
  auto l = nflog::listener::open(o);
  NFACTOR_REQUIRE_OK(l);
  auto intruder = open_socket(netns);
  inject(intruder, l->portid(), fake_nflog_event(group, "fake"));
  inject(intruder, l->portid(), fake_nflog_event(group, "fake"));
  BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET, 9997, "x"), 1);
  std::vector<nflog::log_event> evs;
  // Bounded: the real event comes within the 10 ms flush time-out.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
  while (evs.empty() && std::chrono::steady_clock::now() < deadline) {
    auto ready = l->wait_readable(std::chrono::milliseconds{100});
    NFACTOR_REQUIRE_OK(ready);
    if (!*ready)
      continue;
    auto d = l->drain([&](nflog::log_event& ev) { evs.push_back(ev); });
    NFACTOR_REQUIRE_OK(d);
  }
  BOOST_REQUIRE_EQUAL(evs.size(), 1u);
  BOOST_TEST((evs[0].prefix == std::string{"real"}));
  BOOST_TEST(l->socket().foreign_dropped() == 2u);
  BOOST_TEST(l->counters().received == 1u);
  BOOST_TEST(l->counters().decode_errors == 0u); // never parsed
  // drain_into (the log listener actor's path) drops them too.
  inject(intruder, l->portid(), fake_nflog_event(group, "fake"));
  BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET, 9997, "y"), 1);
  evs.clear();
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
  while (evs.empty() && std::chrono::steady_clock::now() < deadline) {
    auto ready = l->wait_readable(std::chrono::milliseconds{100});
    NFACTOR_REQUIRE_OK(ready);
    if (!*ready)
      continue;
    auto d = l->drain_into(evs, 64);
    NFACTOR_REQUIRE_OK(d);
  }
  BOOST_REQUIRE_EQUAL(evs.size(), 1u);
  BOOST_TEST((evs[0].prefix == std::string{"real"}));
  BOOST_TEST(l->socket().foreign_dropped() == 3u);
}

BOOST_FIXTURE_TEST_CASE(silent_exchange_times_out_typed, netns_fixture) {
  // NLMSG_NOOP without NLM_F_ACK: the kernel accepts it silently, so the
  // exchange hears nothing (a multipart dump without DONE ends the same
  // way once its parts stop).
  auto client = open_socket(netns);
  auto seq = client.next_seq();
  byte_buffer req;
  nl::message_writer w{req};
  w.begin(NLMSG_NOOP, NLM_F_REQUEST, seq);
  w.end();
  auto st = sys::dump(client, req, seq, "dump tables", {}, quick());
  BOOST_REQUIRE(!st);
  BOOST_TEST(st.err().code == make_error_code(errc::timeout),
             st.err().message());
  BOOST_TEST(st.err().op == "dump tables");
}

BOOST_AUTO_TEST_SUITE_END()
