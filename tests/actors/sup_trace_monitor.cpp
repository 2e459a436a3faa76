// SPDX-License-Identifier: Apache-2.0
// The trace monitor under a supervisor (trace_monitor_child), in a scratch
// namespace: an injected socket failure (ENOTSOCK) restarts it with a new
// socket and a new snapshot, and traces arrive again with their rules
// named; its owner's death stops it normally, without a restart.
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <caf/all.hpp>

#include "netns_fixture.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/sup/failure.hpp"
#include "nfactor/actors/sup/supervisor.hpp"
#include "nfactor/actors/trace_monitor.hpp"
#include "sup_fixture.hpp"
#include "trace_support.hpp"
#include "traffic.hpp"

namespace sup_trace_monitor {
using namespace nfactor;
namespace sup = nfactor::actors::sup;
using test::patience;

struct fixture : test::netns_fixture, test::sup_fixture {
  sup::child_spec spec(caf::actor owner) {
    actors::trace_options o;
    o.ns = netns.ns();
    return actors::trace_monitor_child("trace", std::move(owner), o);
  }

  // Asks the monitor for its stats: it answers once subscribed.
  void await_subscribed(const caf::actor& monitor) {
    self->request(caf::actor_cast<actors::trace_monitor_actor>(monitor),
                  patience, actors::stats_atom_v)
        .receive([](const actors::trace_stats&) {},
                 [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  }

  // Sends one datagram the ruleset drops and returns its trace.
  nft::packet_trace traced_drop() {
    test::send_udp(netns.ns(), AF_INET, 9999, "x");
    std::optional<nft::packet_trace> out;
    while (!out)
      self->receive(
          [&](actors::trace_batch& b) {
            for (auto& t : b.traces)
              if (t.verdict() == NF_DROP)
                out = std::move(t);
          },
          caf::after(patience) >> [] { BOOST_FAIL("no trace seen"); });
    return *out;
  }
};

bool subscribed_to_nftrace(const sockaddr_nl& nl) {
  return (nl.nl_groups & (1u << (NFNLGRP_NFTRACE - 1))) != 0;
}

} // namespace sup_trace_monitor

BOOST_AUTO_TEST_SUITE(sup_trace_monitor,
                      *boost::unit_test::precondition(test::needs_kernel))

BOOST_FIXTURE_TEST_CASE(restart_takes_a_new_socket_and_snapshot, fixture) {
  netns.nft_script(test::traced_ruleset);
  auto s = sup::spawn_supervisor(sys, observed(), {spec(caf::actor{self})});
  auto first = await("trace", sup::child_state::running);
  await_subscribed(first.handle);
  auto t1 = traced_drop();
  BOOST_TEST((t1.steps.back().rule ==
              std::optional<std::string>("udp dport 9999 drop")));

  BOOST_REQUIRE(test::replace_netfilter_socket(subscribed_to_nftrace));
  // Wake the monitor so it polls the replaced descriptor at once.
  caf::anon_send(caf::actor_cast<actors::trace_monitor_actor>(first.handle),
                 actors::stats_atom_v);
  auto failed = await("trace", sup::child_state::restarting);
  BOOST_TEST(actors::from_caf_error(failed.last_reason).errno_value() ==
             ENOTSOCK);
  auto second = await("trace", sup::child_state::running);
  BOOST_TEST(second.restarts == 1u);
  await_subscribed(second.handle);
  // The new incarnation names rules, one added after it started too.
  netns.nft("insert rule ip t sub udp dport 9999 counter");
  auto t2 = traced_drop();
  BOOST_TEST((t2.steps.back().rule ==
              std::optional<std::string>("udp dport 9999 drop")));
  bool counter = false;
  for (const auto& st : t2.steps)
    counter =
        counter ||
        (st.rule && st.rule->starts_with("udp dport 9999 counter packets 0"));
  BOOST_TEST(counter);
  self->request(caf::actor_cast<actors::trace_monitor_actor>(second.handle),
                patience, actors::stats_atom_v)
      .receive(
          [](const actors::trace_stats& st) {
            BOOST_TEST(st.common.restarts == 1u);
            BOOST_TEST(st.unresolved == 0u);
          },
          [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  self->send_exit(s, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(owner_death_stops_it_normally, fixture) {
  netns.nft_script(test::traced_ruleset);
  auto owner = spawn_owner();
  auto s = sup::spawn_supervisor(sys, observed(), {spec(owner)});
  auto first = await("trace", sup::child_state::running);
  await_subscribed(first.handle);
  self->send_exit(owner, caf::exit_reason::kill);
  auto x = await("trace", sup::child_state::stopped);
  BOOST_TEST(sup::is_normal_exit(x.last_reason));
  BOOST_TEST(x.restarts == 0u);
  self->send_exit(s, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()
