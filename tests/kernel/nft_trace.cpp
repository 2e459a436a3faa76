// SPDX-License-Identifier: Apache-2.0
// Trace events from the kernel, grouped and named, against `nft monitor
// trace` (the oracle) run in the same scratch namespace for the same
// packets: a ruleset with a jump, a goto, a drop and an accept; one ping
// and UDP datagrams to 127.0.0.1. Rules, verdicts and their order must be
// nft's. A rule added after tracing started is named (nft's cache does
// not know it). The scoped nftrace table traces what its match selects
// and nothing else, and is gone after its removal.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "netns_fixture.hpp"
#include "nfactor/nft/batch_ops.hpp"
#include "nfactor/nft/json.hpp"
#include "nfactor/nft/nftrace.hpp"
#include "nfactor/nft/packet_trace.hpp"
#include "nfactor/nft/rule_builder.hpp"
#include "nfactor/nft/snapshot.hpp"
#include "nfactor/nft/trace.hpp"
#include "nfactor/nft/transaction.hpp"
#include "trace_lines.hpp"
#include "trace_print.hpp"
#include "trace_support.hpp"
#include "traffic.hpp"
#include "tx_helpers.hpp"

namespace nft_trace {
using namespace nfactor;
using nfactor::test::is_packet_line;
using nfactor::test::lines_of;
using namespace std::chrono_literals;
using nfactor::test::needs_kernel;
using nfactor::test::netns_fixture;
using nfactor::test::traced_ruleset;

// `nft monitor trace` in the namespace, line-buffered into a file, bounded
// by `timeout` and stopped by pid at the end.
class nft_monitor_trace {
 public:
  explicit nft_monitor_trace(const test::scratch_netns& ns)
    : file_("/tmp/" + ns.name() + ".trace") {
    auto r = ns.exec("timeout 60 stdbuf -oL nft monitor trace > " + file_ +
                     " 2>&1 & echo $!");
    BOOST_REQUIRE(r.status == 0);
    pid_ = std::stoi(r.output);
  }
  ~nft_monitor_trace() {
    test::run_command("kill " + std::to_string(pid_));
    std::remove(file_.c_str());
  }

  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::ifstream in{file_};
    for (std::string l; std::getline(in, l);) {
      while (!l.empty() && l.back() == ' ')
        l.pop_back();
      out.push_back(l);
    }
    return out;
  }

 private:
  std::string file_;
  int pid_ = 0;
};

// Reads the monitor socket (trace and ruleset groups) into closed,
// resolved packet traces.
class trace_reader {
 public:
  trace_reader(const test::scratch_netns& ns)
    : mon_(test::open_socket(ns, {NFNLGRP_NFTABLES, NFNLGRP_NFTRACE}, 4 << 20)),
      req_(test::open_socket(ns)) {
    auto rs = nft::pull(req_, tail_);
    NFACTOR_REQUIRE_OK(rs);
    resolver_.reset(std::move(*rs));
  }

  // Reads until `done(traces so far)`; every wait is for the socket, at
  // most 5 s.
  void read_until(const std::function<bool()>& done) {
    std::vector<std::uint8_t> buf(1 << 16);
    while (!done()) {
      auto ready = mon_.wait_readable(5s);
      BOOST_REQUIRE(ready && *ready);
      auto r = mon_.recv(buf);
      NFACTOR_REQUIRE_OK(r);
      BOOST_REQUIRE(r->status == sys::recv_status::data);
      nl::message_reader rd{byte_view{buf}.first(r->size)};
      while (rd.next()) {
        const auto& m = rd.get();
        if (nft::is_trace(m)) {
          auto e = nft::decode_trace(m);
          NFACTOR_REQUIRE_OK(e);
          std::vector<nft::packet_trace> closed;
          assembler_.feed(std::move(*e), nft::trace_assembler::clock::now(),
                          closed);
          for (auto& t : closed) {
            resolver_.resolve(t);
            traces.push_back(std::move(t));
          }
          continue;
        }
        auto tx = tail_.feed(m);
        NFACTOR_REQUIRE_OK(tx);
        if (*tx)
          resolver_.apply(**tx);
      }
    }
  }

  std::vector<nft::packet_trace> traces;

 private:
  sys::socket mon_;
  sys::socket req_;
  nft::commit_framer tail_;
  nft::trace_resolver resolver_{&nft::json::rule_name};
  nft::trace_assembler assembler_;
};

// The IPv4 total length of a trace's packet (markers are told apart by
// their payload size).
std::size_t ip_length(const nft::packet_trace& t) {
  auto* p = t.packet();
  if (!p || !p->network_header || p->network_header->size() < 4)
    return 0;
  return static_cast<std::size_t>((*p->network_header)[2] << 8 |
                                  (*p->network_header)[3]);
}

std::optional<std::string> lo_name(std::uint32_t i) {
  return i == 1 ? std::optional<std::string>("lo") : std::nullopt;
}

// Marker datagrams to port 9999 (dropped in chain sub): 20 bytes of IP, 8
// of UDP and the payload.
const std::string start_marker = "ss"; // ip length 30
const std::string end_marker = "eee";  // ip length 31

// Index of the nft line that prints the drop of the marker whose packet
// line has "udp length N", from `from`; npos when not (yet) there.
std::size_t marker_drop(const std::vector<std::string>& lines,
                        std::size_t udp_length, std::size_t from = 0) {
  auto tag = "udp length " + std::to_string(udp_length) + " ";
  for (std::size_t i = from; i < lines.size(); ++i)
    if (is_packet_line(lines[i]) && lines[i].find(tag) != std::string::npos)
      for (std::size_t j = i + 1; j < lines.size(); ++j)
        if (lines[j].ends_with("(verdict drop)"))
          return j;
  return std::string::npos;
}

} // namespace nft_trace

BOOST_AUTO_TEST_SUITE(nft_trace, *boost::unit_test::precondition(needs_kernel))

BOOST_FIXTURE_TEST_CASE(grouped_traces_equal_nft_monitor_trace, netns_fixture) {
  netns.nft_script(traced_ruleset);
  trace_reader ours{netns};
  nft_monitor_trace nft{netns};

  // nft subscribes some time after it starts, and says nothing when it
  // has: send the start marker until nft prints its drop (at most 10 s).
  std::size_t start = std::string::npos;
  for (int i = 0; i < 200 && start == std::string::npos; ++i) {
    test::send_udp(netns.ns(), AF_INET, 9999, start_marker);
    std::this_thread::sleep_for(50ms);
    start = marker_drop(nft.lines(), 10);
  }
  BOOST_REQUIRE_MESSAGE(start != std::string::npos,
                        "nft monitor trace printed no marker");

  // The packets: a ping (request and reply), UDP to 9997 (goto, and the
  // ICMP port unreachable it causes), UDP to 9999 (drop); then the end
  // marker.
  BOOST_REQUIRE(netns.exec("ping -c1 -W2 127.0.0.1").status == 0);
  test::send_udp(netns.ns(), AF_INET, 9997, "x");
  test::send_udp(netns.ns(), AF_INET, 9999, "x");
  test::send_udp(netns.ns(), AF_INET, 9999, end_marker);

  // Ours: every trace up to the end marker's.
  auto is_end = [](const nft::packet_trace& t) {
    return ip_length(t) == 31 && t.verdict() == NF_DROP;
  };
  ours.read_until(
      [&] { return !ours.traces.empty() && is_end(ours.traces.back()); });
  // nft's: wait (at most 10 s) until it printed the end marker's drop.
  std::vector<std::string> theirs;
  for (int i = 0; i < 200; ++i) {
    theirs = nft.lines();
    if (marker_drop(theirs, 11, start) != std::string::npos)
      break;
    std::this_thread::sleep_for(50ms);
  }
  auto end = marker_drop(theirs, 11, start);
  BOOST_REQUIRE(end != std::string::npos);

  // Compare the traces between the last start marker and the end marker.
  std::size_t first = 0;
  for (std::size_t i = 0; i < ours.traces.size(); ++i)
    if (ip_length(ours.traces[i]) == 30)
      first = i + 1;
  std::string text;
  for (std::size_t i = first; i + 1 < ours.traces.size(); ++i) {
    BOOST_TEST(ours.traces[i].end == nft::trace_end::verdict);
    text += nft::trace_text(ours.traces[i], lo_name);
  }
  // nft: from the line after the last start marker's drop ...
  std::size_t nft_first = start + 1;
  for (auto s = marker_drop(theirs, 10, nft_first);
       s != std::string::npos && s < end; s = marker_drop(theirs, 10, s + 1))
    nft_first = s + 1;
  // ... up to the end marker's packet line (trace ids are pseudo ids:
  // the "x" to 9999 and the end marker may share one).
  auto end_packet = end;
  while (end_packet > nft_first && !is_packet_line(theirs[end_packet]))
    --end_packet;
  std::vector<std::string> want;
  for (std::size_t i = nft_first; i < end_packet; ++i)
    if (!is_packet_line(theirs[i]) && theirs[i].starts_with("trace id"))
      want.push_back(theirs[i]);
  std::vector<std::string> got;
  for (const auto& l : lines_of(text))
    if (!is_packet_line(l))
      got.push_back(l);
  BOOST_TEST(got.size() >= 15u); // ping out/in x2, 9997 out/in, ICMP, drop
  BOOST_TEST(got == want, boost::test_tools::per_element());
  if (got != want) {
    std::string all;
    for (const auto& l : theirs)
      all += l + "\n";
    BOOST_TEST_MESSAGE("ours:\n" << text << "nft:\n" << all);
  }
}

BOOST_FIXTURE_TEST_CASE(a_rule_added_after_tracing_started_is_named,
                        netns_fixture) {
  netns.nft_script(traced_ruleset);
  trace_reader ours{netns}; // snapshot taken here
  netns.nft("add rule ip t out udp dport 9996 accept");
  test::send_udp(netns.ns(), AF_INET, 9996, "x");
  ours.read_until([&] {
    return !ours.traces.empty() && ours.traces.back().verdict() == NF_ACCEPT &&
           ours.traces.back().steps.back().event.chain == "out";
  });
  const auto& t = ours.traces.back();
  BOOST_TEST((t.steps.back().rule ==
              std::optional<std::string>("udp dport 9996 accept")));
  auto text = nft::trace_text(t, lo_name);
  BOOST_TEST_MESSAGE(text);
  BOOST_TEST(text.find("rule udp dport 9996 accept (verdict accept)") !=
             std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(scoped_nftrace_traces_its_match_and_is_removed,
                        netns_fixture) {
  netns.nft_script(test::dropping_ruleset);
  auto req = test::open_socket(netns);
  auto scope = test::udp_scope("trace_test", 9999);
  scope.max_rate = 100;
  nft::batch b;
  nft::add_nftrace(b, scope);
  auto enc = std::move(b).finish();
  NFACTOR_REQUIRE_OK(enc);
  auto committed = nft::commit(req, *enc);
  NFACTOR_REQUIRE_OK(committed);
  auto listing = netns.nft("list table inet trace_test");
  BOOST_TEST(listing.find("udp dport 9999 limit rate 100/second burst 100 "
                          "packets meta nftrace set 1") != std::string::npos,
             listing);
  BOOST_TEST(listing.find("flags owner") != std::string::npos, listing);

  trace_reader ours{netns};
  test::send_udp(netns.ns(), AF_INET, 9998, "not traced");
  test::send_udp(netns.ns(), AF_INET, 9999, "traced");
  ours.read_until([&] {
    return !ours.traces.empty() && ours.traces.back().verdict() == NF_DROP;
  });
  // Every trace is of the datagram to 9999 (the one to 9998 set no
  // nftrace): the scope table's own chain, then the user's.
  for (const auto& t : ours.traces) {
    auto* p = t.packet();
    BOOST_REQUIRE(p && p->transport_header);
    BOOST_TEST(((*p->transport_header)[2] << 8 | (*p->transport_header)[3]) ==
               9999);
  }
  BOOST_TEST(ours.traces.front().steps.front().event.table == "trace_test");
  BOOST_TEST((ours.traces.back().steps.back().rule ==
              std::optional<std::string>("udp dport 9999 drop")));

  nft::batch rm;
  nft::remove_nftrace(rm, scope);
  auto enc_rm = std::move(rm).finish();
  NFACTOR_REQUIRE_OK(enc_rm);
  auto removed = nft::commit(req, *enc_rm);
  NFACTOR_REQUIRE_OK(removed);
  BOOST_TEST(netns.nft("list tables").find("trace_test") == std::string::npos);

  // Owned: a scope whose socket closes goes with it.
  {
    auto owner = test::open_socket(netns);
    nft::batch again;
    nft::add_nftrace(again, scope);
    auto enc2 = std::move(again).finish();
    NFACTOR_REQUIRE_OK(enc2);
    auto again_committed = nft::commit(owner, *enc2);
    NFACTOR_REQUIRE_OK(again_committed);
    BOOST_TEST(netns.nft("list tables").find("trace_test") !=
               std::string::npos);
  }
  BOOST_TEST(netns.nft("list tables").find("trace_test") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
