// SPDX-License-Identifier: Apache-2.0
// Trace events: golden NFT_MSG_TRACE messages captured from the kernel
// (tests/golden/capture_trace.py) decode to what the kernel sent and
// re-encode to the same attributes; grouped and rendered, they give the
// lines `nft monitor trace` printed for the same packets. The assembler's
// time-outs and cuts, the resolver and the scoped nftrace batch.
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <linux/if_arp.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bytes_check.hpp"
#include "netns_fixture.hpp"
#include "nfactor/nft/batch_ops.hpp"
#include "nfactor/nft/json.hpp"
#include "nfactor/nft/nftrace.hpp"
#include "nfactor/nft/packet_trace.hpp"
#include "nfactor/nft/rule_builder.hpp"
#include "nfactor/nft/trace.hpp"
#include "nft_golden.hpp"
#include "nft_trace_golden_data.hpp"
#include "trace_lines.hpp"
#include "trace_print.hpp"
#include "trace_support.hpp"

namespace nft_trace {
using namespace nfactor;
using nfactor::test::is_packet_line;
using nfactor::test::lines_of;
using namespace std::chrono_literals;
using nfactor::test::as_message;
using nfactor::test::bytes_equal;
using nfactor::test::golden_attrs;
using nfactor::test::reencode;
using nfactor::test::trace_golden_messages;

using clock_type = nft::trace_assembler::clock;

std::vector<nft::trace_event> golden_events() {
  std::vector<nft::trace_event> out;
  for (const auto& g : trace_golden_messages()) {
    auto e = nft::decode_trace(as_message(g.bytes));
    BOOST_REQUIRE_MESSAGE(e.has_value(), g.source);
    out.push_back(std::move(*e));
  }
  return out;
}

// The golden events grouped, each rule named as nft lists it.
std::vector<nft::packet_trace> golden_traces() {
  nft::trace_assembler a;
  std::vector<nft::packet_trace> out;
  auto now = clock_type::now();
  for (auto& e : golden_events())
    a.feed(std::move(e), now, out);
  BOOST_TEST(a.open() == 0u);
  for (auto& t : out)
    for (auto& s : t.steps)
      if (s.event.rule_handle)
        s.rule = test::trace_golden_rules().at(*s.event.rule_handle);
  return out;
}

nft::trace_event event(std::uint32_t id, nft::trace_type type,
                       std::optional<std::int32_t> verdict = {},
                       bool packet = false) {
  nft::trace_event e;
  e.family = NFPROTO_IPV4;
  e.id = id;
  e.type = static_cast<std::uint32_t>(type);
  e.table = "t";
  e.chain = "c";
  if (verdict)
    e.verdict = nft::verdict{*verdict, std::nullopt, std::nullopt};
  if (type == nft::trace_type::policy)
    e.policy = NF_ACCEPT;
  if (packet)
    e.oif = 1;
  return e;
}

} // namespace nft_trace

BOOST_AUTO_TEST_SUITE(nft_trace)

BOOST_AUTO_TEST_CASE(golden_messages_round_trip) {
  BOOST_TEST(trace_golden_messages().size() >= 20u);
  for (const auto& g : trace_golden_messages()) {
    BOOST_TEST_CONTEXT(g.source) {
      auto m = as_message(g.bytes);
      BOOST_TEST(nft::is_trace(m));
      auto e = nft::decode_trace(m);
      NFACTOR_REQUIRE_OK(e);
      BOOST_TEST(e->family == NFPROTO_IPV4);
      BOOST_TEST(e->table == "t");
      BOOST_TEST((e->nfproto == std::optional<std::uint32_t>(NFPROTO_IPV4)));
      BOOST_TEST(bytes_equal(reencode(*e, m), golden_attrs(m)));
    }
  }
}

BOOST_AUTO_TEST_CASE(golden_first_event_carries_the_packet) {
  auto events = golden_events();
  const auto& first = events.front(); // ping, output: the nftrace rule
  BOOST_TEST(first.kind() == nft::trace_type::rule);
  BOOST_TEST(first.chain == "out");
  BOOST_TEST((first.rule_handle == std::optional<std::uint64_t>(9)));
  BOOST_REQUIRE(first.verdict);
  BOOST_TEST(first.verdict->code == NFT_CONTINUE);
  BOOST_TEST((first.oif == std::optional<std::uint32_t>(1)));
  BOOST_TEST((first.oif_type == std::optional<std::uint16_t>(ARPHRD_LOOPBACK)));
  BOOST_TEST(!first.iif);
  BOOST_REQUIRE(first.network_header);
  BOOST_TEST((*first.network_header)[0] == 0x45);
  BOOST_REQUIRE(first.transport_header);
  BOOST_TEST((*first.transport_header)[0] == 8); // echo-request
  // Conntrack: a new connection in the original direction.
  BOOST_TEST((first.ct_state == std::optional<std::uint32_t>(8)));
  BOOST_TEST((first.ct_direction == std::optional<std::uint8_t>(0)));
  BOOST_TEST(first.ct_id.has_value());
  BOOST_TEST(first.carries_packet());
  BOOST_TEST(!events[1].carries_packet());
  // The jump names its target; the input path has iif and the MAC header.
  bool jump = false, input = false, mark = false;
  for (const auto& e : events) {
    if (e.verdict && e.verdict->code == NFT_JUMP) {
      jump = true;
      BOOST_TEST((e.verdict->chain == std::optional<std::string>("sub")));
    }
    if (e.iif) {
      input = true;
      BOOST_TEST(e.chain == "in");
      BOOST_TEST((e.iif_type == std::optional<std::uint16_t>(ARPHRD_LOOPBACK)));
      BOOST_TEST(e.ll_header.has_value());
      BOOST_TEST(e.ct_status.has_value());
    }
    mark = mark || e.mark == std::optional<std::uint32_t>(0x2a);
  }
  BOOST_TEST(jump);
  BOOST_TEST(input);
  BOOST_TEST(mark);
}

BOOST_AUTO_TEST_CASE(grouped_traces_print_what_nft_monitor_trace_printed) {
  auto traces = golden_traces();
  // One ping (request and reply, output and input each), UDP to 9999
  // (dropped at output), UDP to 9997 (output, input) and its ICMP port
  // unreachable (output, input).
  BOOST_TEST(traces.size() == 9u);
  std::string text;
  for (const auto& t : traces) {
    BOOST_TEST(t.end == nft::trace_end::verdict);
    BOOST_TEST(t.verdict().has_value());
    text += nft::trace_text(t, [](std::uint32_t i) {
      return i == 1 ? std::optional<std::string>("lo") : std::nullopt;
    });
  }
  auto ours = lines_of(text);
  const auto& nft = test::trace_golden_nft_lines();
  std::vector<std::string> ours_events, nft_events;
  for (const auto& l : ours)
    if (!is_packet_line(l))
      ours_events.push_back(l);
  for (const auto& l : nft)
    if (!is_packet_line(l))
      nft_events.push_back(l);
  BOOST_TEST(ours_events == nft_events, boost::test_tools::per_element());
  // Packet lines: the same packets in the same order; ours is shorter but
  // says nothing nft does not ("oif \"lo\" ip saddr 127.0.0.1 ...").
  std::vector<std::string> ours_packets, nft_packets;
  for (const auto& l : ours)
    if (is_packet_line(l))
      ours_packets.push_back(l);
  for (const auto& l : nft)
    if (is_packet_line(l))
      nft_packets.push_back(l);
  BOOST_REQUIRE(ours_packets.size() == nft_packets.size());
  for (std::size_t i = 0; i < ours_packets.size(); ++i) {
    auto head = ours_packets[i].substr(0, ours_packets[i].find(" ip saddr"));
    BOOST_TEST(nft_packets[i].starts_with(head));
    BOOST_TEST(nft_packets[i].find("ip saddr 127.0.0.1 ip daddr 127.0.0.1") !=
               std::string::npos);
  }
  // The dropped datagram: its trace ends in sub with drop.
  int drops = 0;
  for (const auto& t : traces)
    if (t.verdict() == std::optional<std::int32_t>(NF_DROP)) {
      ++drops;
      BOOST_TEST(t.steps.back().event.chain == "sub");
    }
  BOOST_TEST(drops == 1);
}

BOOST_AUTO_TEST_CASE(verdicts_that_end_a_base_chain) {
  using nft::trace_type;
  BOOST_TEST(nft::ends_base_chain(event(1, trace_type::policy)));
  BOOST_TEST(nft::ends_base_chain(event(1, trace_type::rule, NF_ACCEPT)));
  BOOST_TEST(nft::ends_base_chain(event(1, trace_type::rule, NF_DROP)));
  BOOST_TEST(nft::ends_base_chain(event(1, trace_type::rule, NF_STOLEN)));
  // queue num 3: the number rides in the upper bits.
  BOOST_TEST(nft::ends_base_chain(event(
      1, trace_type::rule, static_cast<std::int32_t>(3u << 16 | NF_QUEUE))));
  for (auto code : {NFT_CONTINUE, NFT_JUMP, NFT_GOTO, NFT_RETURN, NFT_BREAK})
    BOOST_TEST(!nft::ends_base_chain(event(1, trace_type::rule, code)));
  BOOST_TEST(!nft::ends_base_chain(event(1, trace_type::ret, NFT_CONTINUE)));
  BOOST_TEST(!nft::ends_base_chain(event(1, trace_type::rule)));
}

BOOST_AUTO_TEST_CASE(assembler_times_out_cuts_and_hides) {
  using nft::trace_type;
  nft::assembler_options o;
  o.timeout = 100ms;
  o.max_open = 2;
  o.max_steps = 3;
  o.hidden_tables = {"hidden"};
  nft::trace_assembler a{o};
  std::vector<nft::packet_trace> out;
  auto t0 = clock_type::now();
  a.feed(event(1, trace_type::rule, NFT_CONTINUE, true), t0, out);
  a.feed(event(2, trace_type::rule, NFT_CONTINUE, true), t0 + 10ms, out);
  BOOST_TEST(out.empty());
  BOOST_TEST(a.open() == 2u);
  BOOST_TEST(
      (a.next_expiry() == std::optional<clock_type::time_point>(t0 + 100ms)));
  // Time-out: only trace 1 is idle long enough.
  a.expire(t0 + 105ms, out);
  BOOST_REQUIRE(out.size() == 1u);
  BOOST_TEST(out[0].id == 1u);
  BOOST_TEST(out[0].end == nft::trace_end::timeout);
  BOOST_TEST(!out[0].verdict());
  out.clear();
  // A new packet under id 2 (its next base chain) cuts the open one.
  a.feed(event(2, trace_type::rule, NFT_CONTINUE, true), t0 + 106ms, out);
  BOOST_REQUIRE(out.size() == 1u);
  BOOST_TEST(out[0].end == nft::trace_end::cut);
  out.clear();
  // Too many open: the oldest is cut.
  a.feed(event(3, trace_type::rule, NFT_CONTINUE), t0 + 107ms, out);
  a.feed(event(4, trace_type::rule, NFT_CONTINUE), t0 + 108ms, out);
  BOOST_REQUIRE(out.size() == 1u);
  BOOST_TEST(out[0].id == 2u);
  BOOST_TEST(out[0].end == nft::trace_end::cut);
  out.clear();
  // Too many steps.
  a.feed(event(4, trace_type::rule, NFT_CONTINUE), t0 + 109ms, out);
  a.feed(event(4, trace_type::rule, NFT_CONTINUE), t0 + 109ms, out);
  BOOST_REQUIRE(out.size() == 1u);
  BOOST_TEST(out[0].steps.size() == 3u);
  BOOST_TEST(out[0].end == nft::trace_end::cut);
  out.clear();
  // Hidden tables never open a trace.
  auto h = event(5, trace_type::policy);
  h.table = "hidden";
  a.feed(h, t0 + 110ms, out);
  BOOST_TEST(out.empty());
  BOOST_TEST(a.hidden() == 1u);
  // A verdict closes; close_all takes the rest.
  a.feed(event(3, trace_type::rule, NF_DROP), t0 + 111ms, out);
  BOOST_REQUIRE(out.size() == 1u);
  BOOST_TEST((out[0].verdict() == std::optional<std::int32_t>(NF_DROP)));
  BOOST_TEST(out[0].steps.size() == 2u);
  out.clear();
  a.feed(event(6, trace_type::rule, NFT_JUMP), t0 + 112ms, out);
  a.close_all(nft::trace_end::lost, out);
  BOOST_REQUIRE(out.size() == 1u);
  BOOST_TEST(out[0].end == nft::trace_end::lost);
  BOOST_TEST(a.open() == 0u);
  BOOST_TEST(!a.next_expiry());
}

BOOST_AUTO_TEST_CASE(resolver_names_rules_added_after_the_snapshot) {
  auto r1 = nft::front::rule_builder{nfnl::family::ipv4, "t", "c"}
                .match(nft::front::udp::dport, 53)
                .accept()
                .build();
  NFACTOR_REQUIRE_OK(r1);
  r1->handle = 4;
  nft::ruleset rs;
  rs.gen_id = 7;
  rs.rules.push_back(*r1);
  nft::trace_resolver res{rs, &nft::json::rule_name};
  auto step = [](std::uint64_t handle) {
    auto e = event(1, nft::trace_type::rule, NF_ACCEPT);
    e.rule_handle = handle;
    nft::packet_trace t;
    t.id = 1;
    t.steps.push_back({e, std::nullopt});
    return t;
  };
  auto t = step(4);
  res.resolve(t);
  BOOST_TEST(
      (t.steps[0].rule == std::optional<std::string>("udp dport 53 accept")));
  // A commit after the snapshot adds handle 5 and deletes handle 4.
  auto r2 = nft::front::rule_builder{nfnl::family::ipv4, "t", "c"}
                .match(nft::front::ip::daddr, "127.0.0.1")
                .drop()
                .build();
  NFACTOR_REQUIRE_OK(r2);
  r2->handle = 5;
  nft::transaction tx;
  tx.gen_id = 8;
  tx.changes.push_back({true, 0, *r2});
  tx.changes.push_back({false, 0, *r1});
  res.apply(tx);
  BOOST_TEST(res.rules().gen_id == 8u);
  auto t5 = step(5);
  res.resolve(t5);
  BOOST_TEST((t5.steps[0].rule ==
              std::optional<std::string>("ip daddr 127.0.0.1 drop")));
  auto t4 = step(4);
  res.resolve(t4);
  BOOST_TEST(!t4.steps[0].rule);
  BOOST_TEST(lines_of(nft::trace_text(t4)).at(0) ==
             "trace id 00000001 ip t c rule unknown rule handle 4 (verdict "
             "accept)");
}

BOOST_AUTO_TEST_CASE(nftrace_batch_adds_a_table_and_removes_it_whole) {
  auto s = test::udp_scope("tr", 9999);
  s.max_rate = 10;
  nft::batch b;
  nft::add_nftrace(b, s);
  auto enc = std::move(b).finish();
  NFACTOR_REQUIRE_OK(enc);
  std::vector<std::string> ops;
  for (const auto& op : enc->ops)
    ops.push_back(op.describe());
  std::vector<std::string> want = {
      "NEWTABLE #0 table inet tr", "NEWCHAIN #1 chain inet tr prerouting",
      "NEWRULE #2 rule inet tr prerouting", "NEWCHAIN #3 chain inet tr output",
      "NEWRULE #4 rule inet tr output"};
  BOOST_TEST(ops == want, boost::test_tools::per_element());
  nft::batch rm;
  nft::remove_nftrace(rm, s);
  auto enc_rm = std::move(rm).finish();
  NFACTOR_REQUIRE_OK(enc_rm);
  BOOST_REQUIRE(enc_rm->ops.size() == 1u);
  BOOST_TEST(enc_rm->ops[0].msg_type == NFT_MSG_DELTABLE);
  // No hook: an error, nothing to send.
  s.hooks.clear();
  nft::batch none;
  nft::add_nftrace(none, s);
  BOOST_TEST(!std::move(none).finish().has_value());
}

BOOST_AUTO_TEST_SUITE_END()
