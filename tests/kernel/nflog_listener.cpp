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

#include "netns_fixture.hpp"
#include "nfactor/nflog/group.hpp"
#include "nfactor/nflog/listener.hpp"

using namespace nfactor;
using namespace nfactor::nflog;
using nfactor::test::needs_kernel;
using nfactor::test::netns_fixture;

namespace {

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
std::vector<log_event> collect(listener& l, std::size_t want) {
  std::vector<log_event> out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    auto ready = l.wait_readable(std::chrono::milliseconds{100});
    BOOST_REQUIRE(ready);
    if (!*ready)
      continue;
    auto r = l.drain([&](log_event& ev) { out.push_back(std::move(ev)); });
    NFACTOR_REQUIRE_OK(r);
  }
  return out;
}

std::uint32_t lo_index(const test::scratch_netns& ns) {
  auto out = ns.exec("cat /sys/class/net/lo/ifindex");
  return static_cast<std::uint32_t>(std::stoul(out.output));
}

std::string tail(const byte_buffer& b, std::size_t n) {
  if (b.size() < n)
    return {};
  return std::string{b.end() - static_cast<std::ptrdiff_t>(n), b.end()};
}

} // namespace

BOOST_AUTO_TEST_SUITE(nflog_listener, *boost::unit_test::precondition(needs_kernel))

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
  std::printf("%s\n", to_string(ev).c_str());
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

BOOST_AUTO_TEST_SUITE_END()
