// SPDX-License-Identifier: Apache-2.0
// The nf_tables monitor (nfactor::actors::monitor_actor) under a
// supervisor, in a scratch namespace: an injected socket failure is
// restarted, the owner is told `resync_needed` (commits may have been
// missed while the monitor was down) and commits arrive again; the
// owner's death stops the monitor normally, without a restart.
//
// The resync notice comes from the child spec, not the monitor: a start
// function with `ctx.restarts > 0` tells the owner before it spawns the new
// incarnation, so the notice precedes every commit the new one reports.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <caf/all.hpp>

#include "netns_fixture.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/monitor.hpp"
#include "nfactor/actors/nft_types.hpp"
#include "nfactor/actors/sup/failure.hpp"
#include "nfactor/actors/sup/supervisor.hpp"
#include "sup_fixture.hpp"

namespace sup_monitor {
using namespace nfactor;
namespace sup = nfactor::actors::sup;
using test::patience;

// Forwards the monitor's reports to the test.
caf::behavior forwarding_owner(caf::event_based_actor*, caf::actor test) {
  return {
      [=](const nft::transaction& t) { caf::anon_send(test, t); },
      [=](const actors::resync_needed& r) { caf::anon_send(test, r); },
  };
}

// A supervised monitor whose restarts tell the owner to resynchronise.
sup::child_spec monitor_spec(const sys::netns& ns, caf::actor owner) {
  return sup::child("monitor", [=](const sup::start_context& ctx) {
    if (ctx.restarts > 0)
      caf::anon_send(owner, actors::resync_needed{});
    actors::monitor_options o;
    o.ns = ns;
    o.restarts = ctx.restarts;
    return actors::spawn_monitor(ctx.sys, owner, o);
  });
}

struct fixture : test::netns_fixture, test::sup_fixture {
  caf::actor spawn_forwarding_owner() {
    return sys.spawn(forwarding_owner, caf::actor{self});
  }

  // Asks the monitor for its stats: it answers once subscribed.
  actors::monitor_stats await_subscribed(const caf::actor& monitor) {
    actors::monitor_stats out;
    self->request(caf::actor_cast<actors::monitor_actor>(monitor), patience,
                  actors::stats_atom_v)
        .receive([&](const actors::monitor_stats& s) { out = s; },
                 [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    return out;
  }

  nft::transaction await_transaction() {
    nft::transaction out;
    self->receive([&](const nft::transaction& t) { out = t; },
                  caf::after(patience) >> [] { BOOST_FAIL("no commit seen"); });
    return out;
  }
};

bool subscribed_to_nftables(const sockaddr_nl& nl) {
  return (nl.nl_groups & (1u << (NFNLGRP_NFTABLES - 1))) != 0;
}

} // namespace sup_monitor

BOOST_AUTO_TEST_SUITE(sup_monitor,
                      *boost::unit_test::precondition(test::needs_kernel))

BOOST_FIXTURE_TEST_CASE(restart_resubscribes_and_announces_resync, fixture) {
  auto owner = spawn_forwarding_owner();
  auto s =
      sup::spawn_supervisor(sys, observed(), {monitor_spec(netns.ns(), owner)});
  auto first = await("monitor", sup::child_state::running);
  BOOST_TEST(await_subscribed(first.handle).common.restarts == 0u);
  netns.nft("add table inet a");
  auto t1 = await_transaction();

  BOOST_REQUIRE(test::replace_netfilter_socket(subscribed_to_nftables));
  // Wake the monitor so it polls the replaced descriptor at once.
  caf::anon_send(caf::actor_cast<actors::monitor_actor>(first.handle),
                 actors::stats_atom_v);
  auto failed = await("monitor", sup::child_state::restarting);
  BOOST_TEST_MESSAGE(
      "monitor failed with: " << actors::describe(failed.last_reason));
  BOOST_TEST(actors::from_caf_error(failed.last_reason).errno_value() ==
             ENOTSOCK);
  auto second = await("monitor", sup::child_state::running);
  BOOST_TEST(second.restarts == 1u);
  // The notice reached the owner before anything from the new monitor.
  bool resync = false;
  self->receive([&](const actors::resync_needed&) { resync = true; },
                caf::after(patience) >> [] {});
  BOOST_TEST(resync);

  BOOST_TEST(await_subscribed(second.handle).common.restarts == 1u);
  netns.nft("add table inet b");
  auto t2 = await_transaction();
  BOOST_TEST(t2.gen_id > t1.gen_id);
  self->send_exit(s, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(owner_death_stops_the_monitor_normally, fixture) {
  auto owner = spawn_forwarding_owner();
  auto s =
      sup::spawn_supervisor(sys, observed(), {monitor_spec(netns.ns(), owner)});
  auto first = await("monitor", sup::child_state::running);
  await_subscribed(first.handle);
  self->send_exit(owner, caf::exit_reason::kill);
  auto x = await("monitor", sup::child_state::stopped);
  BOOST_TEST(sup::is_normal_exit(x.last_reason));
  BOOST_TEST(x.restarts == 0u);
  self->send_exit(s, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()
