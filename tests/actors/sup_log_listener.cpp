// SPDX-License-Identifier: Apache-2.0
// Fault tests of the real log listener (nfactor::actors::log_listener)
// under a supervisor, in a scratch namespace: an injected socket failure
// is restarted and events resume (time to resume printed, asserted only
// loosely); a foreign owner of the group makes every restart fail with
// EPERM until the supervisor gives up; the owner's death frees the group
// (/proc/net/netfilter/nfnetlink_log is the oracle).
//
// The fault is injected from outside, without a hook in the listener: the
// listener's NETLINK_NETFILTER socket (found by its port id) is replaced
// with /dev/null under it (dup2), as a stray close would do. The kernel
// releases the group with the old socket; the listener's next recv fails
// with ENOTSOCK and it exits with that error.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

#include <linux/netlink.h>
#include <sys/socket.h>

#include <caf/all.hpp>

#include "netns_fixture.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/log_listener.hpp"
#include "nfactor/actors/sup/failure.hpp"
#include "nfactor/actors/sup/supervisor.hpp"
#include "nfactor/nflog/config.hpp"
#include "nfactor/sys/request.hpp"
#include "nfactor/sys/socket.hpp"
#include "sup_fixture.hpp"
#include "traffic.hpp"

namespace sup_log_listener {
using namespace nfactor;
using namespace std::chrono_literals;
namespace sup = nfactor::actors::sup;
using test::patience;

using clock_type = std::chrono::steady_clock;

constexpr std::uint16_t port = 9999;

// Forwards what the listener sends to the test (batches as event counts).
actors::log_batch_owner::behavior_type
forwarding_owner(actors::log_batch_owner::pointer, caf::actor test) {
  return {
      [=](const actors::log_started& s) { caf::anon_send(test, s); },
      [=](const actors::log_batch& b) {
        caf::anon_send(test, static_cast<std::uint64_t>(b.events.size()));
      },
      [=](const actors::log_loss& l) { caf::anon_send(test, l); },
  };
}

actors::log_listener_options listener_options(const sys::netns& ns,
                                              std::uint16_t group) {
  actors::log_listener_options o;
  o.nflog.group = group;
  o.nflog.ns = ns;
  return o;
}

sup::child_spec listener_spec(const sys::netns& ns, std::uint16_t group,
                              actors::log_batch_owner owner) {
  return sup::child("log-" + std::to_string(group),
                    [=](const sup::start_context& ctx) {
                      auto o = listener_options(ns, group);
                      o.restarts = ctx.restarts;
                      return actors::spawn_log_listener(ctx.sys, owner, o);
                    });
}

struct fixture : test::netns_fixture, test::sup_fixture {
  fixture() {
    netns.nft("add table inet t; "
              "add chain inet t out { type filter hook output priority 0; }; "
              "add rule inet t out udp dport 9999 log group 5; "
              "add chain inet t in { type filter hook input priority 0; }; "
              "add rule inet t in udp dport 9999 drop");
  }

  actors::log_batch_owner spawn_owner() {
    return sys.spawn(forwarding_owner, caf::actor{self});
  }

  actors::log_started await_started() {
    actors::log_started out;
    bool seen = false;
    while (!seen)
      self->receive([&](const actors::log_started& s) { out = s, seen = true; },
                    [](const sup::child_info&) {}, [](std::uint64_t) {},
                    caf::after(patience) >>
                        [] { BOOST_FAIL("listener never started"); });
    return out;
  }

  // Sends one packet and waits for the batch with its event.
  void await_event() {
    BOOST_REQUIRE(test::send_udp(netns.ns(), AF_INET, port, "ping") == 1);
    bool seen = false;
    while (!seen)
      self->receive([&](std::uint64_t n) { seen = n > 0; },
                    [](const sup::child_info&) {},
                    [](const actors::log_loss&) {},
                    caf::after(patience) >> [] { BOOST_FAIL("no event"); });
  }
};

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0)
      .count();
}

} // namespace sup_log_listener

BOOST_AUTO_TEST_SUITE(sup_log_listener,
                      *boost::unit_test::precondition(test::needs_kernel))

BOOST_FIXTURE_TEST_CASE(socket_failure_is_restarted_and_events_resume,
                        fixture) {
  auto owner = spawn_owner();
  auto s = sup::spawn_supervisor(sys, observed(),
                                 {listener_spec(netns.ns(), 5, owner)});
  auto first = await_started();
  BOOST_TEST(test::nflog_groups(netns)[5] == first.portid);
  await_event();

  auto child = whereis(s, "log-5");
  auto t0 = clock_type::now();
  BOOST_REQUIRE(test::replace_netfilter_socket(
      [&](const sockaddr_nl& nl) { return nl.nl_pid == first.portid; }));
  // Wake the listener so it polls the replaced descriptor at once.
  self->send(sup::handle_as<actors::log_listener>(child), actors::stats_atom_v);

  auto failed = await("log-5", sup::child_state::restarting);
  auto why = actors::from_caf_error(failed.last_reason);
  BOOST_TEST_MESSAGE(
      "listener failed with: " << actors::describe(failed.last_reason));
  BOOST_TEST(why.errno_value() == ENOTSOCK);
  auto second = await_started();
  auto rebound_ms = ms_since(t0);
  await_event();
  auto resumed_ms = ms_since(t0);
  BOOST_TEST_MESSAGE("time to resume: group bound again after "
                     << rebound_ms << " ms, first event after " << resumed_ms
                     << " ms");
  BOOST_TEST(resumed_ms < 5000.0); // loose: the target is < 200 ms
  BOOST_TEST(whereis(s, "log-5").restarts == 1u);
  BOOST_TEST(test::nflog_groups(netns)[5] == second.portid);
  // The common stats record (issue 7) carries the restart count.
  self->request(sup::handle_as<actors::log_listener>(whereis(s, "log-5")),
                patience, actors::stats_atom_v)
      .receive(
          [&](const actors::log_stats& st) {
            BOOST_TEST(st.common.restarts == 1u);
            BOOST_TEST(st.common.received >= 1u);
            BOOST_TEST(st.common.rcvbuf.has_value());
          },
          [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  self->send_exit(s, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(foreign_owner_fails_every_restart_with_eperm, fixture) {
  sys::socket_options so;
  so.ns = netns.ns();
  auto other = sys::socket::open(so);
  NFACTOR_REQUIRE_OK(other);
  byte_buffer bind;
  auto seq = other->next_seq();
  nflog::append_bind(bind, seq, 5);
  auto bound = sys::request(*other, bind, seq, "bind group 5");
  NFACTOR_REQUIRE_OK(bound);

  sup::options o;
  o.max_restarts = 3;
  o.window = std::chrono::minutes{10};
  auto s = sup::spawn_supervisor(sys, observed(o),
                                 {listener_spec(netns.ns(), 5, spawn_owner())});
  self->monitor(s);
  auto reason = await_down(s);
  auto limit = sup::as_restart_limit(reason);
  BOOST_REQUIRE_MESSAGE(limit.has_value(), caf::to_string(reason));
  BOOST_TEST(limit->child == "log-5");
  BOOST_TEST(limit->restarts == 3u);
  BOOST_TEST(actors::from_caf_error(limit->last_reason).errno_value() == EPERM);
  BOOST_TEST_MESSAGE("supervisor exit: " << sup::describe(reason));
  BOOST_TEST(test::nflog_groups(netns)[5] == other->portid());
}

BOOST_FIXTURE_TEST_CASE(owner_death_frees_the_group, fixture) {
  auto owner = spawn_owner();
  auto s = sup::spawn_supervisor(sys, observed(),
                                 {listener_spec(netns.ns(), 5, owner)});
  auto started = await_started();
  BOOST_TEST(test::nflog_groups(netns)[5] == started.portid);
  self->send_exit(owner, caf::exit_reason::kill);
  auto x = await("log-5", sup::child_state::stopped);
  BOOST_TEST(sup::is_normal_exit(x.last_reason));
  BOOST_TEST(x.restarts == 0u);
  BOOST_TEST(test::nflog_groups(netns).count(5) == 0u);
  self->send_exit(s, caf::exit_reason::user_shutdown);
}

// An exception thrown inside the listener (here by the owner's filter, which
// runs on the listener's thread) reaches the owner's monitor and the
// supervisor with its what() text, not CAF's "unhandled exception".
BOOST_FIXTURE_TEST_CASE(an_exception_in_the_listener_keeps_its_text, fixture) {
  auto owner = spawn_owner();
  auto spec = sup::child(
      "log-5",
      [=, ns = netns.ns()](const sup::start_context& ctx) {
        auto o = listener_options(ns, 5);
        o.filter = [](nflog::log_event& ev) -> bool {
          throw std::runtime_error("filter refused seq " +
                                   std::to_string(ev.seq.value_or(0)));
        };
        return actors::spawn_log_listener(ctx.sys, owner, o);
      },
      sup::restart_type::temporary);
  auto s = sup::spawn_supervisor(sys, observed(), {spec});
  await_started();
  auto child = whereis(s, "log-5");
  self->monitor(child.handle); // as an owner would
  BOOST_REQUIRE(test::send_udp(netns.ns(), AF_INET, port, "boom") == 1);
  auto stopped = await("log-5", sup::child_state::stopped);
  auto text = actors::describe(stopped.last_reason);
  BOOST_TEST_MESSAGE("listener exit reason: " << text);
  BOOST_TEST(text.find("filter refused seq 0") != std::string::npos, text);
  BOOST_TEST(text.find("unhandled exception") == std::string::npos, text);
  caf::error seen;
  bool down = false;
  while (!down)
    self->receive(
        [&](caf::down_msg& dm) {
          if (dm.source == child.handle.address()) {
            seen = dm.reason;
            down = true;
          }
        },
        [](const sup::child_info&) {}, [](std::uint64_t) {},
        caf::after(patience) >> [&] { BOOST_FAIL("no down message"); });
  BOOST_TEST(actors::describe(seen).find("filter refused seq 0") !=
                 std::string::npos,
             actors::describe(seen));
  BOOST_TEST(test::nflog_groups(netns).count(5) == 0u); // unbound on exit
  self->send_exit(s, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()
