// SPDX-License-Identifier: Apache-2.0
// The NFQUEUE queue handle against the real kernel: every test binds its
// own queue in its own scratch namespace, queues UDP to 127.0.0.1 / ::1
// with an iptables NFQUEUE rule, and checks what the receiver gets, what
// later rules see, and /proc/net/netfilter/nfnetlink_queue.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "nfqueue_helpers.hpp" // system socket headers before <linux/*.h>

#include <linux/netfilter.h>

#include "nfactor/nfqueue/checksum.hpp"
#include "nfactor/nfqueue/queue.hpp"

namespace nfqueue_queue {
using namespace nfactor;
using namespace nfactor::nfqueue;
using nfactor::test::add_queue_rule;
using nfactor::test::needs_kernel;
using nfactor::test::netns_fixture;
using nfactor::test::udp_receiver;
using nfactor::test::udp_text;

constexpr std::uint16_t queue_num = 7;
constexpr std::uint16_t port = 9999;

options opts_for(const test::scratch_netns& ns) {
  options o;
  o.queue = queue_num;
  o.ns = ns.ns();
  return o;
}

// Reads packets until `want` arrived or 5 s passed (the deadline only
// bounds a failure).
std::vector<queue_packet> collect(queue_handle& q, std::size_t want) {
  std::vector<queue_packet> out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    auto ready = q.wait_readable(std::chrono::milliseconds{100});
    NFACTOR_REQUIRE_OK(ready);
    if (!*ready)
      continue;
    auto r = q.drain_into(out, want);
    NFACTOR_REQUIRE_OK(r);
  }
  BOOST_REQUIRE_EQUAL(out.size(), want);
  return out;
}

// Requires success of a call that must run once (NFACTOR_REQUIRE_OK
// evaluates its argument twice).
template <class R>
void require_ok(const R& res) {
  NFACTOR_REQUIRE_OK(res);
}

void send(const test::scratch_netns& ns, int family, const std::string& text) {
  BOOST_REQUIRE_EQUAL(test::send_udp(ns.ns(), family, port, text), 1);
}

} // namespace nfqueue_queue

BOOST_AUTO_TEST_SUITE(nfqueue_queue,
                      *boost::unit_test::precondition(needs_kernel))

BOOST_FIXTURE_TEST_CASE(accepted_arrive_dropped_do_not, netns_fixture) {
  for (int family : {AF_INET, AF_INET6}) {
    BOOST_TEST_CONTEXT((family == AF_INET ? "127.0.0.1" : "::1")) {
      add_queue_rule(netns, family, port, queue_num);
      udp_receiver rx{netns, family, port};
      auto q = queue_handle::open(opts_for(netns));
      NFACTOR_REQUIRE_OK(q);
      for (auto* t : {"keep", "lose", "end"})
        send(netns, family, t);
      auto pkts = collect(*q, 3);
      BOOST_TEST(pkts[0].family ==
                 (family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6));
      BOOST_TEST(pkts[0].hook == NF_INET_LOCAL_OUT);
      BOOST_TEST(pkts[0].queue == queue_num);
      BOOST_TEST(pkts[1].id == pkts[0].id + 1);
      for (const auto& p : pkts) {
        auto v = udp_text(p) == "lose" ? verdict::drop() : verdict::accept();
        require_ok(q->add_verdict(p.id, v));
      }
      require_ok(q->flush_verdicts());
      auto got = rx.until("end");
      BOOST_TEST((got == std::vector<std::string>{"keep", "end"}));
      BOOST_TEST(test::binding_of(netns, queue_num).queue_total == 0u);
      BOOST_TEST(q->counters().verdict_errors == 0u);
      require_ok(q->close());
      BOOST_TEST(!find_binding(netns.ns(), queue_num)); // unbound
    }
  }
}

BOOST_FIXTURE_TEST_CASE(verdicts_out_of_order_and_by_batch, netns_fixture) {
  add_queue_rule(netns, AF_INET, port, queue_num);
  udp_receiver rx{netns, AF_INET, port};
  auto q = queue_handle::open(opts_for(netns));
  NFACTOR_REQUIRE_OK(q);
  for (auto* t : {"a", "b", "c"})
    send(netns, AF_INET, t);
  auto pkts = collect(*q, 3);
  BOOST_TEST(test::binding_of(netns, queue_num).queue_total == 3u);
  // The last first: each verdict names its packet.
  require_ok(q->add_verdict(pkts[2].id, verdict::accept()));
  require_ok(q->add_verdict(pkts[0].id, verdict::accept()));
  require_ok(q->flush_verdicts());
  BOOST_TEST(test::binding_of(netns, queue_num).queue_total == 1u);
  require_ok(q->add_verdict(pkts[1].id, verdict::accept()));
  require_ok(q->flush_verdicts());
  BOOST_TEST(test::binding_of(netns, queue_num).queue_total == 0u);
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i)
    if (auto d = rx.recv())
      got.push_back(*d);
  std::sort(got.begin(), got.end());
  BOOST_TEST((got == std::vector<std::string>{"a", "b", "c"}));
  // A batch: one message for every packet up to the last id.
  for (auto* t : {"d", "e", "f", "g"})
    send(netns, AF_INET, t);
  pkts = collect(*q, 4);
  require_ok(q->add_batch_verdict(pkts.back().id, verdict::accept()));
  require_ok(q->flush_verdicts());
  BOOST_TEST(test::binding_of(netns, queue_num).queue_total == 0u);
  BOOST_TEST(q->counters().batch_verdicts == 1u);
  send(netns, AF_INET, "end");
  auto end = collect(*q, 1);
  require_ok(q->add_verdict(end[0].id, verdict::accept()));
  require_ok(q->flush_verdicts());
  BOOST_TEST(
      (rx.until("end") == std::vector<std::string>{"d", "e", "f", "g", "end"}));
  // A verdict on an id the kernel no longer holds comes back as ENOENT.
  require_ok(q->add_verdict(end[0].id, verdict::accept()));
  require_ok(q->flush_verdicts());
  std::vector<queue_packet> none;
  auto r = q->drain_into(none, 1);
  NFACTOR_REQUIRE_OK(r);
  BOOST_TEST(r->verdict_errors == 1u);
  BOOST_REQUIRE(q->last_verdict_error());
  BOOST_TEST(q->last_verdict_error()->errno_value() == ENOENT);
}

BOOST_FIXTURE_TEST_CASE(a_mark_in_the_verdict_is_seen_by_a_later_rule,
                        netns_fixture) {
  add_queue_rule(netns, AF_INET, port, queue_num);
  // iptables' OUTPUT chain has priority 0; this one runs after it.
  netns.nft("add table ip later; add chain ip later out { type filter hook "
            "output priority 10; }; add rule ip later out meta mark 0x2a "
            "counter");
  udp_receiver rx{netns, AF_INET, port};
  auto q = queue_handle::open(opts_for(netns));
  NFACTOR_REQUIRE_OK(q);
  send(netns, AF_INET, "marked");
  send(netns, AF_INET, "plain");
  auto pkts = collect(*q, 2);
  BOOST_TEST(!pkts[0].mark); // the kernel sends a mark only when non-zero
  verdict v = verdict::accept();
  v.mark = 0x2a;
  require_ok(q->add_verdict(pkts[0].id, v));
  require_ok(q->add_verdict(pkts[1].id, verdict::accept()));
  require_ok(q->flush_verdicts());
  BOOST_TEST(
      (rx.until("plain") == std::vector<std::string>{"marked", "plain"}));
  auto listing = netns.nft("list chain ip later out");
  BOOST_TEST(listing.find("counter packets 1 ") != std::string::npos, listing);
}

BOOST_FIXTURE_TEST_CASE(a_rewritten_payload_arrives_with_valid_checksums,
                        netns_fixture) {
  for (int family : {AF_INET, AF_INET6}) {
    BOOST_TEST_CONTEXT((family == AF_INET ? "127.0.0.1" : "::1")) {
      add_queue_rule(netns, family, port, queue_num);
      udp_receiver rx{netns, family, port};
      auto q = queue_handle::open(opts_for(netns));
      NFACTOR_REQUIRE_OK(q);
      send(netns, family, "hello");
      auto pkts = collect(*q, 1);
      BOOST_REQUIRE(pkts[0].payload);
      auto bytes = pkts[0].payload->to_buffer();
      std::string text = "HELLO, rewritten by the owner";
      bytes.resize(bytes.size() - 5); // the headers
      bytes.insert(bytes.end(), text.begin(), text.end());
      verdict v = verdict::accept();
      v.payload = bytes; // lengths and checksums still the old ones
      require_ok(q->add_verdict(pkts[0].id, v));
      send(netns, family, "bad sums");
      require_ok(fix_lengths_and_checksums(bytes));
      v.payload = bytes;
      send(netns, family, "end");
      auto next = collect(*q, 2);
      require_ok(q->add_verdict(next[0].id, v));
      require_ok(q->add_verdict(next[1].id, verdict::accept()));
      require_ok(q->flush_verdicts());
      // The first rewrite kept the old length fields: the receiving stack
      // refuses it; the fixed one arrives.
      BOOST_TEST((rx.until("end") == std::vector<std::string>{text, "end"}));
      require_ok(q->close());
    }
  }
}

BOOST_FIXTURE_TEST_CASE(fail_open_accepts_what_a_full_queue_would_drop,
                        netns_fixture) {
  for (bool fail_open : {false, true}) {
    BOOST_TEST_CONTEXT("fail_open " << fail_open) {
      add_queue_rule(netns, AF_INET, port, queue_num);
      udp_receiver rx{netns, AF_INET, port};
      auto o = opts_for(netns);
      o.max_queue_len = 2;
      o.flags.fail_open = fail_open;
      auto q = queue_handle::open(o);
      NFACTOR_REQUIRE_OK(q);
      for (auto* t : {"1", "2", "3", "4", "5"})
        send(netns, AF_INET, t);
      auto held = collect(*q, 2);
      auto b = test::binding_of(netns, queue_num);
      BOOST_TEST(b.queue_total == 2u);
      BOOST_TEST(b.queue_dropped == (fail_open ? 0u : 3u));
      std::vector<std::string> passed;
      if (fail_open) // 3..5 went on without a verdict
        passed = rx.until("5");
      BOOST_TEST(passed.size() == (fail_open ? 3u : 0u));
      auto read = q->settle_all(verdict::accept());
      NFACTOR_REQUIRE_OK(read);
      BOOST_TEST(*read == 0u);
      BOOST_TEST(test::binding_of(netns, queue_num).queue_total == 0u);
      BOOST_TEST((rx.until("2") == std::vector<std::string>{"1", "2"}));
      require_ok(q->close());
      netns.exec("iptables -w -F OUTPUT");
    }
  }
}

BOOST_FIXTURE_TEST_CASE(a_full_receive_buffer_shows_as_id_gaps, netns_fixture) {
  add_queue_rule(netns, AF_INET, port, queue_num);
  auto o = opts_for(netns);
  o.rcvbuf = 4096; // the kernel doubles it: a handful of packets fit
  auto q = queue_handle::open(o);
  NFACTOR_REQUIRE_OK(q);
  std::string big(1000, 'x');
  BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET, port, big, 40), 40);
  auto b = test::binding_of(netns, queue_num);
  BOOST_TEST_REQUIRE(b.user_dropped > 0u); // lost on the way to the socket
  std::vector<queue_packet> got;
  for (int i = 0; i < 100; ++i) {
    auto r = q->drain_into(got, 100);
    NFACTOR_REQUIRE_OK(r);
    if (r->would_block)
      break;
  }
  BOOST_TEST(got.size() + b.user_dropped == 40u);
  BOOST_TEST(q->counters().enobufs >= 1u);
  // The gaps count the packets the kernel could not send exactly, unless
  // the lost ones were the last (no later id shows their gap).
  BOOST_TEST(q->counters().id_gaps + (40u - got.back().id) == b.user_dropped);
  require_ok(q->settle_all(verdict::drop()));
  BOOST_TEST(test::binding_of(netns, queue_num).queue_total == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_queue_bound_elsewhere_is_a_typed_error,
                        netns_fixture) {
  auto first = queue_handle::open(opts_for(netns));
  NFACTOR_REQUIRE_OK(first);
  auto second = queue_handle::open(opts_for(netns));
  BOOST_REQUIRE(!second);
  BOOST_TEST(second.err().code == make_error_code(errc::busy));
  BOOST_TEST(second.err().detail ==
                 "queue 7 is bound by another socket (netlink portid " +
                     std::to_string(first->portid()) + ")",
             second.err().message());
  // The holder binding again: EBUSY, also typed.
  auto again = bind_queue(first->socket(), opts_for(netns));
  BOOST_REQUIRE(!again);
  BOOST_TEST(again.err().code == make_error_code(errc::busy));
  BOOST_TEST(again.err().detail.find("already bound by this socket") !=
             std::string::npos);
  auto b = test::binding_of(netns, queue_num);
  BOOST_TEST(b.portid == first->portid());
  BOOST_TEST(b.copy_mode == NFQNL_COPY_PACKET);
  require_ok(first->close());
  auto third = queue_handle::open(opts_for(netns)); // free again
  NFACTOR_REQUIRE_OK(third);
}

BOOST_FIXTURE_TEST_CASE(uid_gid_and_meta_mode, netns_fixture) {
  add_queue_rule(netns, AF_INET, port, queue_num);
  auto o = opts_for(netns);
  o.mode = copy_mode::meta;
  o.flags.uid_gid = true;
  auto q = queue_handle::open(o);
  NFACTOR_REQUIRE_OK(q);
  send(netns, AF_INET, "meta");
  auto pkts = collect(*q, 1);
  BOOST_TEST(!pkts[0].payload);
  BOOST_TEST((pkts[0].uid == 0u));
  BOOST_TEST((pkts[0].gid == 0u));
  BOOST_TEST(pkts[0].outdev.has_value());
  require_ok(q->settle_all(verdict::accept()));
}

BOOST_FIXTURE_TEST_CASE(conntrack_flag_works_or_says_what_is_missing,
                        netns_fixture) {
  add_queue_rule(netns, AF_INET, port, queue_num);
  // A ct rule turns conntrack on in the namespace.
  netns.nft(
      "add table ip track; add chain ip track out { type filter hook output "
      "priority -10; }; add rule ip track out ct state new counter");
  auto o = opts_for(netns);
  o.flags.conntrack = true;
  auto q = queue_handle::open(o);
  if (!q) {
    BOOST_TEST(q.err().errno_value() == EOPNOTSUPP, q.err().message());
    BOOST_TEST(q.err().detail.find("conntrack glue") != std::string::npos);
    BOOST_TEST_MESSAGE("this kernel has no conntrack glue for NFQUEUE");
    return;
  }
  send(netns, AF_INET, "ct");
  auto pkts = collect(*q, 1);
  BOOST_REQUIRE(pkts[0].conntrack);
  BOOST_REQUIRE(pkts[0].conntrack->orig);
  BOOST_TEST((pkts[0].conntrack->orig->dst_port == port));
  BOOST_TEST(pkts[0].ctinfo.has_value());
  require_ok(q->settle_all(verdict::accept()));
}

BOOST_AUTO_TEST_SUITE_END()
