// SPDX-License-Identifier: Apache-2.0
// The NFLOG listener against the real kernel: every test binds its own
// group in its own scratch namespace, adds `log group` rules with nft and
// sends bounded traffic to 127.0.0.1 / ::1 inside that namespace.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "traffic.hpp" // system socket headers before <linux/*.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "kernel_features.hpp"
#include "netns_fixture.hpp"
#include "nfactor/nflog/group.hpp"
#include "nfactor/nflog/listener.hpp"

namespace nflog_listener {
using namespace nfactor;
using namespace nfactor::nflog;
using nfactor::test::needs_kernel;
using nfactor::test::netns_fixture;

constexpr std::uint16_t group = 7;

// The ruleset of a test: one inet table, output and input chains.
std::string rules(const std::string& out_rules,
                  const std::string& in_rules = "") {
  return "table inet t {\n chain o { type filter hook output priority 0;\n" +
         out_rules + "\n }\n chain i { type filter hook input priority 0;\n" +
         in_rules + "\n }\n}\n";
}

options packet_opts(const test::scratch_netns& ns) {
  options o;
  o.group = group;
  o.ns = ns.ns();
  o.mode = copy_mode::packet;
  return o;
}

// Reads events until `want` arrived or 5 s passed (the kernel flushes
// within the 10 ms flush timeout; the deadline only bounds a failure).
// With `seen`: adds up the drains' `lost`, and keeps the last drain's
// `uncounted_overrun`.
std::vector<log_event> collect(listener& l, std::size_t want,
                               drain_result* seen = nullptr) {
  std::vector<log_event> out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    auto ready = l.wait_readable(std::chrono::milliseconds{100});
    BOOST_REQUIRE(ready);
    if (!*ready)
      continue;
    auto r = l.drain([&](log_event& ev) { out.push_back(std::move(ev)); });
    NFACTOR_REQUIRE_OK(r);
    if (seen) {
      seen->lost += r->lost;
      seen->uncounted_overrun = r->uncounted_overrun;
    }
  }
  return out;
}

std::uint32_t lo_index(const test::scratch_netns& ns) {
  auto out = ns.exec("cat /sys/class/net/lo/ifindex");
  return static_cast<std::uint32_t>(std::stoul(out.output));
}

std::string tail(byte_view b, std::size_t n) {
  if (b.size() < n)
    return {};
  return std::string{b.end() - static_cast<std::ptrdiff_t>(n), b.end()};
}

} // namespace nflog_listener

BOOST_AUTO_TEST_SUITE(nflog_listener,
                      *boost::unit_test::precondition(needs_kernel))

BOOST_FIXTURE_TEST_CASE(udp4_output_event_has_every_expected_field,
                        netns_fixture) {
  netns.nft_script(rules("udp dport 9999 log group 7 prefix \"nfx-udp4\""));
  auto l = listener::open(packet_opts(netns));
  NFACTOR_REQUIRE_OK(l);
  BOOST_TEST(l->rcvbuf() >= (8 << 20));
  const std::string data = "hello nflog";
  BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET, 9999, data), 1);
  auto evs = collect(*l, 1);
  BOOST_REQUIRE_EQUAL(evs.size(), 1u);
  const auto& ev = evs[0];
  BOOST_TEST_MESSAGE(to_string(ev));
  BOOST_TEST(ev.family == NFPROTO_IPV4);
  BOOST_TEST(ev.group == group);
  BOOST_TEST((ev.hook == std::uint8_t{NF_INET_LOCAL_OUT}));
  BOOST_TEST((ev.hw_protocol == std::uint16_t{0x0800}));
  BOOST_TEST((ev.prefix == std::string{"nfx-udp4"}));
  BOOST_TEST(!ev.mark); // the kernel sends the mark only when non-zero
  BOOST_TEST(!ev.indev);
  BOOST_TEST((ev.outdev == lo_index(netns)));
  BOOST_TEST((ev.outdev_name == std::string{"lo"}));
  BOOST_TEST((ev.uid == 0u)); // the sending socket belongs to root
  BOOST_TEST((ev.gid == 0u));
  BOOST_TEST((ev.seq == 0u)); // the first event of a freshly bound group
  BOOST_TEST(!ev.seq_global);
  BOOST_TEST(!ev.ct);
  BOOST_REQUIRE(ev.payload);
  const auto& p = *ev.payload;
  BOOST_REQUIRE_EQUAL(p.size(), 20u + 8u + data.size()); // IPv4 + UDP + data
  BOOST_TEST(p[0] == 0x45);
  BOOST_TEST(p[9] == IPPROTO_UDP);
  BOOST_TEST(((p[16] << 24 | p[17] << 16 | p[18] << 8 | p[19]) == 0x7f000001));
  BOOST_TEST(((p[22] << 8 | p[23]) == 9999));
  BOOST_TEST(tail(p, data.size()) == data);
  BOOST_TEST(l->counters().received == 1u);
  BOOST_TEST(l->counters().lost == 0u);
}

BOOST_FIXTURE_TEST_CASE(udp6_output_and_input_events, netns_fixture) {
  netns.nft_script(rules("udp dport 9998 log group 7 prefix \"out6\"",
                         "udp dport 9998 log group 7 prefix \"in6\""));
  auto l = listener::open(packet_opts(netns));
  NFACTOR_REQUIRE_OK(l);
  const std::string data = "v6 data";
  BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET6, 9998, data), 1);
  auto evs = collect(*l, 2);
  BOOST_REQUIRE_EQUAL(evs.size(), 2u);
  const auto& out = evs[0];
  const auto& in = evs[1];
  auto lo = lo_index(netns);
  BOOST_TEST(out.family == NFPROTO_IPV6);
  BOOST_TEST((out.hook == std::uint8_t{NF_INET_LOCAL_OUT}));
  BOOST_TEST((out.hw_protocol == std::uint16_t{0x86dd}));
  BOOST_TEST((out.prefix == std::string{"out6"}));
  BOOST_TEST((out.outdev == lo));
  BOOST_TEST(!out.indev);
  BOOST_TEST((out.uid == 0u));
  BOOST_TEST((out.gid == 0u));
  BOOST_TEST((out.seq == 0u));
  BOOST_TEST(in.family == NFPROTO_IPV6);
  BOOST_TEST((in.hook == std::uint8_t{NF_INET_LOCAL_IN}));
  BOOST_TEST((in.prefix == std::string{"in6"}));
  BOOST_TEST((in.indev == lo));
  BOOST_TEST((in.indev_name == std::string{"lo"}));
  BOOST_TEST(!in.outdev);
  BOOST_TEST((in.seq == 1u));
  // An input packet has a link layer: loopback's (ARPHRD_LOOPBACK, a
  // 14-byte Ethernet header with zero addresses).
  BOOST_TEST((in.hwtype == std::uint16_t{772}));
  BOOST_TEST((in.hwlen == std::uint16_t{14}));
  BOOST_REQUIRE(in.hwheader);
  BOOST_TEST(in.hwheader->size() == 14u);
  BOOST_TEST(((*in.hwheader)[12] == 0x86 && (*in.hwheader)[13] == 0xdd));
  BOOST_REQUIRE(in.hwaddr);
  BOOST_TEST(in.hwaddr->to_string() == "00:00:00:00:00:00");
  BOOST_TEST(in.timestamp.has_value()); // received packets are stamped
  BOOST_TEST(!out.hwaddr);
  BOOST_TEST(!out.hwtype);
  for (const auto* ev : {&out, &in}) {
    BOOST_REQUIRE(ev->payload);
    const auto& p = *ev->payload;
    BOOST_REQUIRE_EQUAL(p.size(), 40u + 8u + data.size()); // IPv6 + UDP
    BOOST_TEST((p[0] >> 4) == 6);
    BOOST_TEST(p[6] == IPPROTO_UDP);
    BOOST_TEST(p[39] == 1); // destination ::1
    BOOST_TEST(((p[42] << 8 | p[43]) == 9998));
    BOOST_TEST(tail(p, data.size()) == data);
  }
}

BOOST_FIXTURE_TEST_CASE(tcp_syn_and_icmp_echo_with_mark, netns_fixture) {
  netns.nft_script(rules(
      "tcp dport 9997 tcp flags syn log group 7 prefix \"syn\"\n"
      "icmp type echo-request meta mark set 0x2a log group 7 prefix \"ping4\"\n"
      "icmpv6 type echo-request meta mark set 0x2b log group 7 prefix "
      "\"ping6\""));
  auto l = listener::open(packet_opts(netns));
  NFACTOR_REQUIRE_OK(l);
  BOOST_REQUIRE(test::send_tcp_syn(netns.ns(), AF_INET, 9997));
  BOOST_REQUIRE(test::send_echo(netns.ns(), AF_INET, 0x1234, "ping!"));
  BOOST_REQUIRE(test::send_echo(netns.ns(), AF_INET6, 0x4321, "ping6"));
  auto evs = collect(*l, 3);
  BOOST_REQUIRE_EQUAL(evs.size(), 3u);
  const auto& syn = evs[0];
  BOOST_TEST((syn.prefix == std::string{"syn"}));
  BOOST_TEST(syn.family == NFPROTO_IPV4);
  BOOST_TEST(!syn.mark);
  BOOST_TEST((syn.uid == 0u));
  BOOST_REQUIRE(syn.payload);
  const auto& t = *syn.payload;
  BOOST_REQUIRE(t.size() >= 40u); // IPv4 + TCP with options, no data
  auto ihl = (t[0] & 0x0f) * 4u;
  BOOST_TEST(t[9] == IPPROTO_TCP);
  BOOST_TEST(((t[ihl + 2] << 8 | t[ihl + 3]) == 9997));
  BOOST_TEST((t[ihl + 13] & 0x3f) == 0x02); // SYN only
  BOOST_TEST(t.size() == ihl + (t[ihl + 12] >> 4) * 4u);

  const auto& p4 = evs[1];
  BOOST_TEST((p4.prefix == std::string{"ping4"}));
  BOOST_TEST((p4.mark == 0x2au));
  BOOST_REQUIRE(p4.payload);
  BOOST_REQUIRE_EQUAL(p4.payload->size(), 20u + 8u + 5u);
  BOOST_TEST((*p4.payload)[9] == IPPROTO_ICMP);
  BOOST_TEST((*p4.payload)[20] == 8); // echo request
  BOOST_TEST((((*p4.payload)[24] << 8 | (*p4.payload)[25]) == 0x1234));
  BOOST_TEST(tail(*p4.payload, 5) == "ping!");

  const auto& p6 = evs[2];
  BOOST_TEST((p6.prefix == std::string{"ping6"}));
  BOOST_TEST(p6.family == NFPROTO_IPV6);
  BOOST_TEST((p6.mark == 0x2bu));
  BOOST_REQUIRE(p6.payload);
  BOOST_REQUIRE_EQUAL(p6.payload->size(), 40u + 8u + 5u);
  BOOST_TEST((*p6.payload)[6] == IPPROTO_ICMPV6);
  BOOST_TEST((*p6.payload)[40] == 128); // echo request
  BOOST_TEST(tail(*p6.payload, 5) == "ping6");
  BOOST_TEST((p6.seq == 2u));
}

BOOST_FIXTURE_TEST_CASE(snaplen_copy_range_and_meta_mode, netns_fixture) {
  netns.nft_script(
      rules("udp dport 9001 log group 7 snaplen 32 prefix \"snap\"\n"
            "udp dport 9002 log group 7 prefix \"range\""));
  const std::string data(200, 'x');
  {
    auto o = packet_opts(netns);
    o.copy_range = 40;
    auto l = listener::open(o);
    NFACTOR_REQUIRE_OK(l);
    BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET, 9001, data), 1);
    BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET, 9002, data), 1);
    auto evs = collect(*l, 2);
    BOOST_REQUIRE_EQUAL(evs.size(), 2u);
    BOOST_REQUIRE(evs[0].payload);
    BOOST_REQUIRE(evs[1].payload);
    BOOST_TEST(evs[0].payload->size() == 32u); // the rule's snaplen
    BOOST_TEST(evs[1].payload->size() == 40u); // the group's copy range
    BOOST_TEST((*evs[1].payload)[0] == 0x45);
    BOOST_TEST(l->close());
  }
  {
    auto o = packet_opts(netns);
    o.mode = copy_mode::meta;
    auto l = listener::open(o);
    NFACTOR_REQUIRE_OK(l);
    BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET, 9002, data), 1);
    auto evs = collect(*l, 1);
    BOOST_REQUIRE_EQUAL(evs.size(), 1u);
    BOOST_TEST(!evs[0].payload);
    BOOST_TEST((evs[0].prefix == std::string{"range"}));
    BOOST_TEST((evs[0].uid == 0u));
  }
}

BOOST_FIXTURE_TEST_CASE(global_seq_flag, netns_fixture) {
  netns.nft_script(rules("udp dport 9003 log group 7"));
  auto o = packet_opts(netns);
  o.flags.seq = false;
  o.flags.seq_global = true;
  auto l = listener::open(o);
  NFACTOR_REQUIRE_OK(l);
  BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET, 9003, "a", 3), 3);
  auto evs = collect(*l, 3);
  BOOST_REQUIRE_EQUAL(evs.size(), 3u);
  BOOST_REQUIRE(evs[0].seq_global);
  for (std::size_t i = 0; i < evs.size(); ++i) {
    BOOST_TEST(!evs[i].seq);
    BOOST_TEST((evs[i].seq_global == *evs[0].seq_global + i));
  }
  BOOST_TEST(l->counters().lost == 0u);
}

// NFULA_CT needs the kernel's conntrack glue; where it is missing the
// FLAGS step must fail with EOPNOTSUPP and say so, otherwise the event
// carries the parsed entry.
BOOST_FIXTURE_TEST_CASE(conntrack_flag, netns_fixture) {
  netns.nft_script(rules("ct state new udp dport 9003 log group 7"));
  auto o = packet_opts(netns);
  o.flags.conntrack = true;
  auto l = listener::open(o);
  if (auto glue = test::features().conntrack_glue)
    BOOST_TEST_REQUIRE(static_cast<bool>(l) == *glue,
                       "kernel config: glue " << *glue
                                              << ", open: " << test::why(l));
  if (!l) {
    BOOST_TEST(l.err().errno_value() == EOPNOTSUPP);
    BOOST_TEST(l.err().op == "NFULA_CFG_FLAGS group 7");
    BOOST_TEST(l.err().detail.find("CONFIG_NETFILTER_NETLINK_GLUE_CT") !=
               std::string::npos);
    BOOST_TEST_MESSAGE("kernel without conntrack glue: " << l.err().message());
    BOOST_TEST(!find_binding(netns.ns(), group)); // nothing left bound
    return;
  }
  BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET, 9003, "ct"), 1);
  auto evs = collect(*l, 1);
  BOOST_REQUIRE_EQUAL(evs.size(), 1u);
  const auto& ev = evs[0];
  BOOST_REQUIRE(ev.ct);
  BOOST_TEST((ev.ctinfo == 2u)); // IP_CT_NEW
  BOOST_REQUIRE(ev.conntrack);
  const auto& ct = *ev.conntrack;
  BOOST_TEST(ct.id.has_value());
  BOOST_TEST(ct.status.has_value());
  BOOST_REQUIRE(ct.orig);
  BOOST_REQUIRE(ct.orig->src);
  BOOST_TEST(ct.orig->src->to_string() == "127.0.0.1");
  BOOST_TEST((ct.orig->l4proto == std::uint8_t{IPPROTO_UDP}));
  BOOST_TEST((ct.orig->dst_port == std::uint16_t{9003}));
}

BOOST_FIXTURE_TEST_CASE(group_conflicts_name_the_owner, netns_fixture) {
  auto a = listener::open(packet_opts(netns));
  NFACTOR_REQUIRE_OK(a);
  auto owner = find_binding(netns.ns(), group);
  BOOST_REQUIRE(owner);
  BOOST_TEST(owner->portid == a->portid());
  BOOST_TEST(owner->copy_mode == NFULNL_COPY_PACKET);
  BOOST_TEST(owner->flush_timeout == 1u);

  // Another socket: EPERM, naming the group and the owner's port id.
  auto b = listener::open(packet_opts(netns));
  BOOST_REQUIRE(!b);
  BOOST_TEST(b.err().errno_value() == EPERM);
  BOOST_TEST(b.err().op == "NFULNL_CFG_CMD_BIND group 7");
  BOOST_TEST(b.err().detail == "group 7 is bound by another socket (netlink "
                               "portid " +
                                   std::to_string(a->portid()) + ")");

  // The same socket again: EBUSY.
  auto again = bind_group(a->socket(), group);
  BOOST_REQUIRE(!again);
  BOOST_TEST(again.err().errno_value() == EBUSY);
  BOOST_TEST(again.err().detail.find("already bound by this socket") !=
             std::string::npos);

  // The failed attempts left the owner's binding alone.
  auto still = find_binding(netns.ns(), group);
  BOOST_REQUIRE(still);
  BOOST_TEST(still->portid == a->portid());
}

BOOST_FIXTURE_TEST_CASE(close_unbinds_and_the_group_binds_again_at_once,
                        netns_fixture) {
  netns.nft_script(rules("udp dport 9006 log group 7"));
  auto a = listener::open(packet_opts(netns));
  NFACTOR_REQUIRE_OK(a);
  BOOST_TEST(a->close());
  BOOST_TEST(!a->is_open());
  BOOST_TEST(a->close()); // twice is fine
  BOOST_TEST(!find_binding(netns.ns(), group));
  auto b = listener::open(packet_opts(netns));
  NFACTOR_REQUIRE_OK(b);
  BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET, 9006, "again"), 1);
  auto evs = collect(*b, 1);
  BOOST_REQUIRE_EQUAL(evs.size(), 1u);
  BOOST_TEST((evs[0].seq == 0u)); // a fresh binding numbers from 0
  {
    auto moved = std::move(*b); // the destructor closes the socket
  }
  BOOST_TEST(!find_binding(netns.ns(), group));
}

// The destructor sends no UNBIND (it must not wait for an ack): closing
// the socket is enough, as the kernel releases the groups of a netlink
// socket when it closes (nfnetlink_log's NETLINK_URELEASE notifier). A new
// socket binds the group at once and gets a fresh binding's events.
BOOST_FIXTURE_TEST_CASE(a_listener_destroyed_without_close_releases_the_group,
                        netns_fixture) {
  netns.nft_script(rules("udp dport 9007 log group 7"));
  std::uint32_t old_portid = 0;
  {
    auto a = listener::open(packet_opts(netns));
    NFACTOR_REQUIRE_OK(a);
    old_portid = a->portid();
    auto bound = find_binding(netns.ns(), group);
    BOOST_REQUIRE(bound);
    BOOST_TEST(bound->portid == old_portid);
    BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET, 9007, "first"), 1);
    BOOST_REQUIRE_EQUAL(collect(*a, 1).size(), 1u);
  } // destroyed without close(): only the socket is closed
  BOOST_TEST(!find_binding(netns.ns(), group));
  auto b = listener::open(packet_opts(netns));
  NFACTOR_REQUIRE_OK(b);
  auto bound = find_binding(netns.ns(), group);
  BOOST_REQUIRE(bound);
  BOOST_TEST(bound->portid == b->portid());
  BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET, 9007, "again"), 1);
  auto evs = collect(*b, 1);
  BOOST_REQUIRE_EQUAL(evs.size(), 1u);
  BOOST_TEST((evs[0].seq == 0u)); // a fresh binding numbers from 0
}

// A tiny receive buffer and a burst that nobody reads: the kernel drops,
// the listener sees ENOBUFS, and the sequence gaps count every lost event.
BOOST_FIXTURE_TEST_CASE(overrun_is_reported_and_seq_gaps_count_loss_exactly,
                        netns_fixture) {
  netns.nft_script(rules("udp dport 9005 log group 7"));
  auto o = packet_opts(netns);
  o.rcvbuf = 4096;
  o.qthresh = 1;
  auto l = listener::open(o);
  NFACTOR_REQUIRE_OK(l);
  const int burst = 500;
  BOOST_REQUIRE_EQUAL(
      test::send_udp(netns.ns(), AF_INET, 9005, std::string(64, 'b'), burst),
      burst);
  std::vector<log_event> evs;
  auto sink = [&](log_event& ev) {
    evs.push_back(std::move(ev));
  };
  std::size_t overruns = 0;
  bool uncounted = false;
  for (;;) { // drain what the buffer kept
    auto r = l->drain(sink);
    NFACTOR_REQUIRE_OK(r);
    overruns += r->overruns;
    uncounted = r->uncounted_overrun;
    if (r->would_block)
      break;
  }
  BOOST_TEST(overruns >= 1u);
  BOOST_TEST(l->counters().enobufs >= 1u);
  BOOST_TEST(evs.size() < static_cast<std::size_t>(burst));
  // The buffer kept the burst's first events, numbered without a gap: the
  // drops after them are not counted yet, and the listener says so.
  BOOST_TEST(l->counters().lost == 0u);
  BOOST_TEST(uncounted);
  // Losses after the last kept event show up with the next one.
  BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET, 9005, "marker"), 1);
  drain_result seen;
  seen.uncounted_overrun = true;
  auto rest = collect(*l, 1, &seen);
  BOOST_TEST(!seen.uncounted_overrun);
  BOOST_TEST(seen.lost > 0u);
  BOOST_REQUIRE_EQUAL(rest.size(), 1u);
  BOOST_TEST(tail(*rest[0].payload, 6) == "marker");
  BOOST_TEST((rest[0].seq == static_cast<std::uint32_t>(burst)));
  const auto& c = l->counters();
  BOOST_TEST(c.received == evs.size() + 1);
  BOOST_TEST(c.lost > 0u);
  BOOST_TEST(c.received + c.lost == static_cast<std::uint64_t>(burst) + 1);
  BOOST_TEST_MESSAGE("kept " << c.received << ", lost " << c.lost << " in "
                             << c.enobufs << " overrun(s)");
}

BOOST_FIXTURE_TEST_CASE(batches_past_nlbufsiz_arrive_whole, netns_fixture) {
  // The kernel fills a batch to the size its allocator gave the buffer,
  // which rounds 128 KiB up to 256 KiB: with a high qthresh and large
  // events a datagram is larger than nlbufsiz. Every event must arrive,
  // none be cut off or fail the socket.
  netns.nft_script(rules("udp dport 9006 log group 7"));
  auto o = packet_opts(netns);
  o.qthresh = 1024;
  o.flush_timeout = centiseconds{100}; // batches end by size, not time
  auto l = listener::open(o);
  NFACTOR_REQUIRE_OK(l);
  const int burst = 600; // ~1.3 KiB events: ~800 KiB in all
  BOOST_REQUIRE_EQUAL(
      test::send_udp(netns.ns(), AF_INET, 9006, std::string(1200, 'x'), burst),
      burst);
  auto evs = collect(*l, burst);
  BOOST_TEST(evs.size() == static_cast<std::size_t>(burst));
  const auto& c = l->counters();
  BOOST_TEST(c.lost == 0u);
  BOOST_TEST(c.decode_errors == 0u);
  BOOST_TEST_MESSAGE(burst << " events in " << c.datagrams << " datagrams");
}

BOOST_AUTO_TEST_SUITE_END()
