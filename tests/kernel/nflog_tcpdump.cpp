// SPDX-License-Identifier: Apache-2.0
// tcpdump as an oracle for the NFLOG decoder: two rules log the same
// packets to two groups, nfactor listens on one, `tcpdump -i nflog:G -w`
// on the other, and every attribute tcpdump stored (LINKTYPE_NFLOG keeps
// the kernel's TLVs) must match the decoded event.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "traffic.hpp" // system socket headers before <linux/*.h>

#include <linux/netfilter/nfnetlink_log.h>

#include "netns_fixture.hpp"
#include "nfactor/nflog/group.hpp"
#include "nfactor/nflog/listener.hpp"

namespace nflog_tcpdump {
using namespace nfactor;
using namespace nfactor::nflog;
using nfactor::test::needs_kernel;
using nfactor::test::netns_fixture;

// One packet of a LINKTYPE_NFLOG (239) capture: the nflog header and its
// TLVs (length and type in host order, values as the kernel sent them).
struct pcap_nflog {
  std::uint8_t family = 0;
  std::uint16_t group = 0;
  std::map<std::uint16_t, byte_buffer> tlvs;
};

std::uint32_t le32(const std::uint8_t* p) {
  return p[0] | p[1] << 8 | p[2] << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

std::vector<pcap_nflog> read_pcap(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  byte_buffer f{std::istreambuf_iterator<char>{in}, {}};
  std::vector<pcap_nflog> out;
  BOOST_REQUIRE_MESSAGE(f.size() >= 24, "pcap too short: " << f.size());
  BOOST_REQUIRE(le32(f.data()) == 0xa1b2c3d4u); // little-endian, microseconds
  BOOST_REQUIRE(le32(f.data() + 20) == 239u);   // LINKTYPE_NFLOG
  std::size_t off = 24;
  while (off + 16 <= f.size()) {
    auto incl = le32(f.data() + off + 8);
    off += 16;
    BOOST_REQUIRE(off + incl <= f.size());
    const auto* p = f.data() + off;
    BOOST_REQUIRE(incl >= 4u);
    pcap_nflog pkt;
    pkt.family = p[0];
    pkt.group = static_cast<std::uint16_t>(p[2] << 8 | p[3]);
    std::size_t t = 4;
    while (t + 4 <= incl) {
      std::uint16_t len = static_cast<std::uint16_t>(p[t] | p[t + 1] << 8);
      std::uint16_t type = static_cast<std::uint16_t>(p[t + 2] | p[t + 3] << 8);
      BOOST_REQUIRE(len >= 4 && t + len <= incl);
      pkt.tlvs[type] = byte_buffer(p + t + 4, p + t + len);
      t += (len + 3u) & ~3u;
    }
    out.push_back(std::move(pkt));
    off += incl;
  }
  return out;
}

std::uint32_t be32(const byte_buffer& b) {
  BOOST_REQUIRE(b.size() == 4u);
  return static_cast<std::uint32_t>(b[0]) << 24 | b[1] << 16 | b[2] << 8 | b[3];
}

} // namespace nflog_tcpdump

BOOST_AUTO_TEST_SUITE(nflog_tcpdump,
                      *boost::unit_test::precondition(needs_kernel))

BOOST_FIXTURE_TEST_CASE(decoded_events_match_tcpdump, netns_fixture) {
  netns.nft_script(
      "table inet t {\n chain o { type filter hook output priority 0;\n"
      "  udp dport 9010 log group 7 prefix \"cmp\"\n"
      "  udp dport 9010 log group 8 prefix \"cmp\"\n"
      "  icmp type echo-request meta mark set 7 log group 7 prefix \"cmp\"\n"
      "  icmp type echo-request log group 8 prefix \"cmp\"\n }\n"
      " chain i { type filter hook input priority 0;\n"
      "  udp dport 9010 log group 7 prefix \"cmpin\"\n"
      "  udp dport 9010 log group 8 prefix \"cmpin\"\n }\n}\n");
  options o;
  o.group = 7;
  o.ns = netns.ns();
  o.mode = copy_mode::packet;
  auto l = listener::open(o);
  NFACTOR_REQUIRE_OK(l);

  const std::string pcap = "/tmp/nfactor-" + netns.name() + ".pcap";
  const int want = 5; // v4 out+in, v6 out+in, echo out
  test::command_result dump;
  std::thread tcpdump{[&] {
    dump = netns.exec("timeout 30 tcpdump -n -U -Z root -i nflog:8 -c " +
                      std::to_string(want) + " -w " + pcap + " 2>&1");
  }};
  // tcpdump announces nothing on binding: watch the kernel's binding list.
  for (int i = 0; i < 500 && !find_binding(netns.ns(), 8); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  bool bound = find_binding(netns.ns(), 8).has_value();
  if (bound) {
    test::send_udp(netns.ns(), AF_INET, 9010, "four");
    test::send_udp(netns.ns(), AF_INET6, 9010, "six!");
    test::send_echo(netns.ns(), AF_INET, 77, "echo");
  }
  tcpdump.join();
  BOOST_REQUIRE_MESSAGE(bound, "tcpdump never bound group 8: " << dump.output);
  BOOST_REQUIRE_MESSAGE(dump.status == 0, "tcpdump: " << dump.output);

  std::vector<log_event> evs;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
  while (evs.size() < static_cast<std::size_t>(want) &&
         std::chrono::steady_clock::now() < deadline) {
    auto ready = l->wait_readable(std::chrono::milliseconds{100});
    BOOST_REQUIRE(ready);
    auto r = l->drain([&](log_event& ev) { evs.push_back(std::move(ev)); });
    NFACTOR_REQUIRE_OK(r);
  }
  auto pkts = read_pcap(pcap);
  std::remove(pcap.c_str());
  BOOST_REQUIRE_EQUAL(evs.size(), static_cast<std::size_t>(want));
  BOOST_REQUIRE_EQUAL(pkts.size(), static_cast<std::size_t>(want));
  for (int i = 0; i < want; ++i) {
    BOOST_TEST_CONTEXT("event " << i << ": " << to_string(evs[i])) {
      const auto& ev = evs[i];
      auto& t = pkts[i].tlvs;
      BOOST_TEST(ev.family == pkts[i].family);
      BOOST_TEST(pkts[i].group == 8u);
      BOOST_REQUIRE(t.count(NFULA_PACKET_HDR));
      const auto& hdr = t[NFULA_PACKET_HDR];
      BOOST_TEST((ev.hw_protocol == std::uint16_t(hdr[0] << 8 | hdr[1])));
      BOOST_TEST((ev.hook == hdr[2]));
      BOOST_REQUIRE(t.count(NFULA_PREFIX));
      BOOST_TEST((ev.prefix == std::string{reinterpret_cast<const char*>(
                                   t[NFULA_PREFIX].data())}));
      BOOST_REQUIRE(t.count(NFULA_PAYLOAD));
      BOOST_REQUIRE(ev.payload);
      BOOST_TEST(test::bytes_equal(*ev.payload, t[NFULA_PAYLOAD]));
      auto same_u32 = [&](std::uint16_t type,
                          const std::optional<std::uint32_t>& got) {
        if (t.count(type)) {
          BOOST_TEST((got == be32(t[type])), "attribute " << type);
        } else {
          BOOST_TEST(!got, "attribute " << type << " only in nfactor");
        }
      };
      same_u32(NFULA_IFINDEX_INDEV, ev.indev);
      same_u32(NFULA_IFINDEX_OUTDEV, ev.outdev);
      same_u32(NFULA_UID, ev.uid);
      same_u32(NFULA_GID, ev.gid);
      same_u32(NFULA_MARK, ev.mark);
      if (t.count(NFULA_HWTYPE)) {
        BOOST_REQUIRE(ev.hwtype);
        BOOST_TEST(*ev.hwtype ==
                   (t[NFULA_HWTYPE][0] << 8 | t[NFULA_HWTYPE][1]));
        BOOST_REQUIRE(ev.hwheader);
        BOOST_TEST(test::bytes_equal(*ev.hwheader, t[NFULA_HWHEADER]));
      } else {
        BOOST_TEST(!ev.hwtype);
      }
    }
  }
  // The group 7 rule set the mark before both log statements ran.
  BOOST_TEST((evs[4].mark == 7u));
}

BOOST_AUTO_TEST_SUITE_END()
