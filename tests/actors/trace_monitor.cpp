// SPDX-License-Identifier: Apache-2.0
// The trace monitor and the scoped nftrace actor in a scratch namespace:
// traces arrive in batches with every rule named (one added after the
// monitor started included); the scoped nftrace table, committed through a
// transactor, is gone after its packet limit and after its time limit; a
// receive buffer overflow becomes a typed loss; trace types survive the
// trip between nodes, and an owner on another node (mutual TLS) gets named
// traces and ends the monitor when it goes away; bad options are refused.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <caf/all.hpp>

#include "actor_system_fixture.hpp"
#include "netns_fixture.hpp"
#include "node_support.hpp"
#include "nfactor/actors/node/security.hpp"
#include "nfactor/actors/nftrace.hpp"
#include "nfactor/actors/sup/failure.hpp"
#include "nfactor/actors/system.hpp"
#include "nfactor/actors/trace_monitor.hpp"
#include "nfactor/actors/transactor.hpp"
#include "nfactor/nft/rule_builder.hpp"
#include "trace_print.hpp"
#include "trace_support.hpp"
#include "traffic.hpp"

namespace trace_monitor {
using namespace nfactor;
using namespace std::chrono_literals;
using nfactor::test::needs_kernel;
using nfactor::test::netns_fixture;

struct trace_fixture : netns_fixture, test::actor_system_fixture {
  caf::scoped_actor self;
  std::vector<caf::actor> started;
  actors::transactor tx;

  trace_fixture() : self(sys) {}

  ~trace_fixture() {
    for (auto& a : started)
      self->send_exit(a, caf::exit_reason::user_shutdown);
  }

  actors::trace_monitor_actor start(actors::trace_options o = {}) {
    o.ns = netns.ns();
    auto m = actors::start_trace_monitor(sys, caf::actor{self}, o);
    BOOST_REQUIRE(m);
    started.push_back(caf::actor_cast<caf::actor>(*m));
    // Subscribed and snapshot taken once it answers.
    self->request(*m, 5s, actors::stats_atom_v)
        .receive([](const actors::trace_stats&) {},
                 [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    return *m;
  }

  // Receives batches (acknowledging each) until `done(trace)` holds for a
  // trace; at most 5 s per message. Returns every trace received.
  std::vector<nft::packet_trace>
  receive_until(const std::function<bool(const nft::packet_trace&)>& done) {
    std::vector<nft::packet_trace> all;
    bool found = false;
    while (!found) {
      self->receive(
          [&](actors::trace_batch& b) {
            for (auto& t : b.traces) {
              found = found || done(t);
              all.push_back(std::move(t));
            }
          },
          [&](const actors::trace_loss&) { BOOST_FAIL("unexpected loss"); },
          caf::after(5s) >> [] { BOOST_FAIL("no trace within 5 s"); });
    }
    return all;
  }

  // Starts a scoped nftrace for UDP to 9999 (table "scoped") through a
  // transactor of the namespace, monitored, and waits until it is armed.
  caf::actor arm(actors::nftrace_options no) {
    if (!tx) {
      actors::transactor_options to;
      to.ns = netns.ns();
      tx = actors::spawn_transactor(sys, to);
      started.push_back(caf::actor_cast<caf::actor>(tx));
    }
    no.scope = test::udp_scope("scoped", 9999);
    auto scoped = actors::start_nftrace(sys, tx, caf::actor{self}, no);
    auto a = caf::actor_cast<caf::actor>(scoped);
    self->monitor(a);
    self->request(scoped, 5s, actors::armed_atom_v)
        .receive([](const nft::commit_result& r) { BOOST_TEST(r.changed); },
                 [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    BOOST_TEST(table_exists("scoped"));
    return a;
  }

  bool table_exists(const std::string& name) {
    return netns.nft("list tables").find(name) != std::string::npos;
  }

  // Waits for the down message of `a` (monitored), at most 10 s.
  caf::error wait_down(const caf::actor& a) {
    caf::error reason;
    bool down = false;
    while (!down)
      self->receive(
          [&](caf::down_msg& dm) {
            if (dm.source == a.address()) {
              down = true;
              reason = dm.reason;
            }
          },
          [&](actors::trace_batch&) {}, [&](const actors::trace_loss&) {},
          caf::after(10s) >> [] { BOOST_FAIL("actor did not stop"); });
    return reason;
  }
};

// The owner of a trace monitor on another node: forwards every batch and
// loss to `observer`; answering a batch acknowledges it across the network.
caf::behavior trace_forwarder(caf::event_based_actor* self,
                              caf::actor observer) {
  return {
      [=](actors::trace_batch& b) { self->send(observer, std::move(b)); },
      [=](actors::trace_loss& l) { self->send(observer, l); },
  };
}

} // namespace trace_monitor

BOOST_AUTO_TEST_SUITE(trace_monitor,
                      *boost::unit_test::precondition(needs_kernel))

BOOST_FIXTURE_TEST_CASE(batches_name_every_rule_even_one_added_later,
                        trace_fixture) {
  netns.nft_script(test::traced_ruleset);
  auto m = start();
  netns.nft("add rule ip t out udp dport 9996 accept");
  test::send_udp(netns.ns(), AF_INET, 9996, "x");
  auto accepted = [](const nft::packet_trace& t) {
    return t.verdict() == NF_ACCEPT && t.steps.back().event.chain == "out" &&
           t.steps.back().event.rule_handle.has_value();
  };
  auto traces = receive_until(accepted);
  // Batches hold every trace closed meanwhile (the input path too).
  auto it = std::find_if(traces.begin(), traces.end(), accepted);
  BOOST_REQUIRE(it != traces.end());
  const auto& t = *it;
  BOOST_TEST(t.end == nft::trace_end::verdict);
  std::vector<std::string> rules;
  for (const auto& s : t.steps)
    if (s.rule)
      rules.push_back(*s.rule);
  std::vector<std::string> want = {
      "meta l4proto { icmp, udp } meta nftrace set 1",
      "ip daddr 127.0.0.1 jump sub", "return", "udp dport 9996 accept"};
  BOOST_TEST(rules == want, boost::test_tools::per_element());
  BOOST_TEST(t.packet() != nullptr);
  self->request(m, 5s, actors::stats_atom_v)
      .receive(
          [](const actors::trace_stats& s) {
            BOOST_TEST(s.common.received >= 5u);
            BOOST_TEST(s.common.delivered >= 1u);
            BOOST_TEST(s.by_verdict >= 1u);
            BOOST_TEST(s.resolved >= 4u);
            BOOST_TEST(s.unresolved == 0u);
            BOOST_TEST(s.commits >= 1u);
            BOOST_TEST(s.snapshots == 1u);
            BOOST_TEST(s.common.enobufs == 0u);
          },
          [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
}

BOOST_FIXTURE_TEST_CASE(scoped_nftrace_is_gone_after_its_packet_limit,
                        trace_fixture) {
  netns.nft_script(test::dropping_ruleset);
  actors::nftrace_options no;
  no.max_packets = 2;
  auto scoped_actor = arm(no);

  actors::trace_options o;
  o.grouping.hidden_tables = {"scoped"};
  o.traced_sink = scoped_actor;
  start(o);
  test::send_udp(netns.ns(), AF_INET, 9998, "not traced");
  test::send_udp(netns.ns(), AF_INET, 9999, "traced", 3);
  auto traces = receive_until(
      [](const nft::packet_trace& t) { return t.verdict() == NF_DROP; });
  // Only the user's chain: the scope's own table is hidden.
  for (const auto& t : traces)
    for (const auto& s : t.steps)
      BOOST_TEST(s.event.table == "t");
  BOOST_TEST((traces.front().steps.back().rule ==
              std::optional<std::string>("udp dport 9999 drop")));
  // Two packets marked: the scope removes its table and stops.
  BOOST_TEST(!wait_down(scoped_actor));
  BOOST_TEST(!table_exists("scoped"));
}

BOOST_FIXTURE_TEST_CASE(scoped_nftrace_is_gone_after_its_time_limit,
                        trace_fixture) {
  netns.nft_script(test::dropping_ruleset);
  actors::nftrace_options no;
  no.max_packets = 0;
  no.duration = 300ms;
  auto scoped_actor = arm(no);
  BOOST_TEST(!wait_down(scoped_actor));
  BOOST_TEST(!table_exists("scoped"));
  // Stopped by its owner before the limit: removed as well.
  no.duration = 60s;
  auto again = arm(no);
  self->send(again, actors::stop_atom_v);
  BOOST_TEST(!wait_down(again));
  BOOST_TEST(!table_exists("scoped"));
}

BOOST_FIXTURE_TEST_CASE(overflow_is_a_typed_loss, trace_fixture) {
  netns.nft_script(test::traced_ruleset);
  actors::trace_options o;
  o.rcvbuf = 4096; // the kernel's minimum: a few events
  o.max_in_flight = 1;
  o.max_batch = 1;
  start(o);
  // The owner reads nothing while 200 traced datagrams go out: one batch
  // is in flight, the monitor stops reading, the kernel drops.
  test::send_udp(netns.ns(), AF_INET, 9999, "x", 200);
  bool lost = false;
  std::size_t traces = 0;
  while (!lost)
    self->receive([&](actors::trace_batch& b) { traces += b.traces.size(); },
                  [&](const actors::trace_loss& l) {
                    lost = true;
                    BOOST_TEST(l.overruns >= 1u);
                  },
                  caf::after(5s) >> [] { BOOST_FAIL("no loss reported"); });
  BOOST_TEST(traces < 200u);
}

BOOST_FIXTURE_TEST_CASE(trace_types_survive_the_trip_between_nodes,
                        test::actor_system_fixture) {
  nft::trace_event e;
  e.family = NFPROTO_IPV4;
  e.nfproto = NFPROTO_IPV4;
  e.type = static_cast<std::uint32_t>(nft::trace_type::rule);
  e.id = 0x2013dc05;
  e.table = "t";
  e.chain = "out";
  e.rule_handle = 7;
  e.verdict = nft::verdict{NFT_JUMP, "sub", std::nullopt};
  e.oif = 1;
  e.oif_type = 772;
  e.network_header = byte_buffer{0x45, 0, 0, 84};
  e.ct_state = 8;
  e.ct_direction = 0;
  e.ct_id = 12345;
  nft::packet_trace t;
  t.id = e.id;
  t.steps.push_back({e, std::string{"ip daddr 127.0.0.1 jump sub"}});
  t.steps.push_back({e, std::nullopt});
  t.end = nft::trace_end::timeout;
  actors::trace_batch b{{t, t}};
  BOOST_TEST((round_trip(b) == b));
  actors::trace_loss l{3, 2};
  BOOST_TEST((round_trip(l) == l));
}

BOOST_FIXTURE_TEST_CASE(an_owner_on_another_node_gets_named_traces,
                        netns_fixture) {
  test::test_certs certs;
  test::node_side owner_node{netns.ns(), test::tls_options(certs, "node"),
                             "127.0.0.1"};
  test::node_side monitor_node{netns.ns(), test::tls_options(certs, "client"),
                               "127.0.0.1"};
  caf::scoped_actor self{*owner_node.sys};
  auto forwarder = owner_node.sys->spawn(trace_forwarder, caf::actor{self});
  owner_node.to_stop.push_back(forwarder.address());
  auto port = actors::node::publish(forwarder, 0, "127.0.0.1", true);
  BOOST_REQUIRE_MESSAGE(port, (port ? "" : caf::to_string(port.error())));
  test::watchdog connecting{"connecting to the owner's node"};
  auto owner = actors::node::connect<caf::actor>(*monitor_node.sys, "127.0.0.1",
                                                 *port, true);
  connecting.disarm();
  BOOST_REQUIRE_MESSAGE(owner, (owner ? "" : caf::to_string(owner.error())));

  netns.nft_script(test::traced_ruleset);
  actors::trace_options o;
  o.ns = netns.ns();
  auto m = actors::start_trace_monitor(*monitor_node.sys, *owner, o);
  BOOST_REQUIRE(m);
  auto monitor = caf::actor_cast<caf::actor>(*m);
  monitor_node.to_stop.push_back(monitor.address());
  caf::scoped_actor local{*monitor_node.sys};
  local->monitor(monitor);
  local->request(*m, 5s, actors::stats_atom_v)
      .receive([](const actors::trace_stats&) {},
               [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  netns.nft("add rule ip t out udp dport 9996 accept");
  BOOST_REQUIRE(test::send_udp(netns.ns(), AF_INET, 9996, "x") == 1);

  // The accepted packet's trace, its rules named on the monitor's node.
  std::optional<nft::packet_trace> accepted;
  while (!accepted)
    self->receive(
        [&](actors::trace_batch& b) {
          for (auto& t : b.traces)
            if (t.verdict() == NF_ACCEPT &&
                t.steps.back().event.chain == "out" &&
                t.steps.back().event.rule_handle.has_value())
              accepted = std::move(t);
        },
        [&](const actors::trace_loss&) { BOOST_FAIL("unexpected loss"); },
        caf::after(10s) >> [] { BOOST_FAIL("no trace across nodes"); });
  std::vector<std::string> rules;
  for (const auto& s : accepted->steps)
    if (s.rule)
      rules.push_back(*s.rule);
  std::vector<std::string> want = {
      "meta l4proto { icmp, udp } meta nftrace set 1",
      "ip daddr 127.0.0.1 jump sub", "return", "udp dport 9996 accept"};
  BOOST_TEST(rules == want, boost::test_tools::per_element());
  BOOST_TEST(accepted->packet() != nullptr);

  // The owner going away on its node stops the monitor normally.
  self->send_exit(forwarder, caf::exit_reason::kill);
  bool down = false;
  while (!down)
    local->receive(
        [&](caf::down_msg& dm) {
          if (dm.source == monitor.address()) {
            down = true;
            BOOST_TEST(actors::sup::is_normal_exit(dm.reason),
                       caf::to_string(dm.reason));
          }
        },
        caf::after(15s) >> [] { BOOST_FAIL("monitor outlived its owner"); });
}

BOOST_FIXTURE_TEST_CASE(bad_options_are_refused, test::actor_system_fixture) {
  actors::trace_options o;
  o.max_batch = 0;
  auto m = actors::start_trace_monitor(sys, caf::actor{}, o);
  BOOST_TEST(!m);
}

BOOST_AUTO_TEST_SUITE_END()
