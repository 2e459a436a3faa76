// SPDX-License-Identifier: Apache-2.0
// The supervisor's contract with small test children (no kernel): restarts
// keep the real reason, the restart limit names the child and its last
// reason, normal exits and owner-down stops are not restarted,
// rest_for_one restarts later siblings, and backoff delays restarts.
// Every wait is for a message (the supervisor's observer reports each
// state change); time-outs only bound a broken test.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "nfactor/actors/error.hpp"
#include "nfactor/actors/sup/failure.hpp"
#include "nfactor/actors/sup/owner.hpp"
#include "nfactor/actors/sup/stats.hpp"
#include "nfactor/actors/sup/supervisor.hpp"
#include "nfactor/actors/system.hpp"
#include "sup_fixture.hpp"

namespace sup_supervisor {
using namespace nfactor;
using namespace std::chrono_literals;
namespace sup = nfactor::actors::sup;

using fail_atom = caf::atom_constant<caf::atom("fail")>;
using throw_atom = caf::atom_constant<caf::atom("throw")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
constexpr fail_atom fail_atom_v{};
constexpr throw_atom throw_atom_v{};
constexpr done_atom done_atom_v{};

nfactor::error injected() {
  auto e = make_error(errno_code(EIO), "test recv", "injected fault");
  e.extack = "kernel says no";
  return e;
}

// A child that fails on request (with an nfactor error, or by throwing
// one), stops normally on `done`, and stops normally when its owner goes
// down.
caf::behavior test_child(caf::event_based_actor* self, caf::actor owner) {
  self->set_exception_handler(sup::keep_cause);
  sup::stop_with_owner(self, owner);
  return {
      [=](fail_atom) { sup::fail_with(self, injected()); },
      [=](throw_atom) { throw sup::failure{injected()}; },
      [=](done_atom) { self->quit(); },
  };
}

sup::child_spec test_spec(const std::string& name, caf::actor owner = {},
                          sup::restart_type r = sup::restart_type::transient) {
  return sup::child(
      name,
      [owner](caf::actor_system& sys) { return sys.spawn(test_child, owner); },
      r);
}

using fixture = test::sup_fixture;
using test::patience;

void check_injected(const caf::error& reason) {
  auto back = actors::from_caf_error(reason);
  BOOST_TEST(back.errno_value() == EIO);
  BOOST_TEST(back.op == "test recv");
  BOOST_TEST(back.detail == "injected fault");
  BOOST_TEST(back.extack == "kernel says no");
}

} // namespace sup_supervisor

BOOST_AUTO_TEST_SUITE(sup_supervisor)

BOOST_FIXTURE_TEST_CASE(restart_keeps_the_real_reason, fixture) {
  auto s = sup::spawn_supervisor(sys, observed(), {test_spec("a")});
  auto first = await("a", sup::child_state::running);
  BOOST_TEST(first.restarts == 0u);
  BOOST_REQUIRE(first.handle);

  self->send(first.handle, fail_atom_v);
  auto failed = await("a", sup::child_state::restarting);
  check_injected(failed.last_reason);
  auto second = await("a", sup::child_state::running);
  BOOST_TEST(second.restarts == 1u);
  BOOST_TEST(second.handle != first.handle);
  check_injected(second.last_reason);

  // A thrown failure keeps its cause too (sup::keep_cause).
  self->send(second.handle, throw_atom_v);
  auto third = await("a", sup::child_state::running);
  BOOST_TEST(third.restarts == 2u);
  check_injected(third.last_reason);

  auto info = whereis(s, "a");
  BOOST_TEST(info.handle == third.handle);
  BOOST_TEST(info.restarts == 2u);
  self->send_exit(s, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(restart_limit_names_the_child_and_last_reason,
                        fixture) {
  sup::options o;
  o.max_restarts = 2;
  o.window = std::chrono::hours{1};
  auto s = sup::spawn_supervisor(sys, observed(o),
                                 {test_spec("calm"), test_spec("flaky")});
  self->monitor(s);
  for (int i = 0; i < 3; ++i) {
    auto x = await("flaky", sup::child_state::running);
    BOOST_TEST(x.restarts == static_cast<unsigned>(i));
    self->send(x.handle, fail_atom_v);
  }
  auto reason = await_down(s);
  auto limit = sup::as_restart_limit(reason);
  BOOST_REQUIRE_MESSAGE(limit.has_value(), caf::to_string(reason));
  BOOST_TEST(limit->child == "flaky");
  BOOST_TEST(limit->restarts == 2u);
  check_injected(limit->last_reason);
  auto text = sup::describe(reason);
  BOOST_TEST_MESSAGE("supervisor exit: " << text);
  BOOST_TEST(text.find("'flaky' after 2 restarts") != std::string::npos);
  BOOST_TEST(text.find("test recv") != std::string::npos);
  BOOST_TEST(text.find("kernel says no") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(normal_exit_is_not_restarted, fixture) {
  auto s = sup::spawn_supervisor(
      sys, observed(),
      {test_spec("transient"),
       test_spec("permanent", {}, sup::restart_type::permanent),
       test_spec("temporary", {}, sup::restart_type::temporary)});
  auto t = await("transient", sup::child_state::running);
  auto p = await("permanent", sup::child_state::running);
  auto tmp = await("temporary", sup::child_state::running);

  self->send(t.handle, done_atom_v);
  auto stopped = await("transient", sup::child_state::stopped);
  BOOST_TEST(sup::is_normal_exit(stopped.last_reason));
  BOOST_TEST(!stopped.handle);

  self->send(p.handle, done_atom_v); // permanent: restarted even so
  auto again = await("permanent", sup::child_state::running);
  BOOST_TEST(again.restarts == 1u);

  self->send(tmp.handle, fail_atom_v); // temporary: never restarted
  auto gone = await("temporary", sup::child_state::stopped);
  check_injected(gone.last_reason);

  // Nothing else happened: the transient child is still stopped.
  BOOST_TEST(whereis(s, "transient").state == sup::child_state::stopped);
  BOOST_TEST(whereis(s, "transient").restarts == 0u);
  self->send_exit(s, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(rest_for_one_restarts_later_siblings, fixture) {
  sup::options o;
  o.strat = sup::strategy::rest_for_one;
  auto s = sup::spawn_supervisor(
      sys, observed(o), {test_spec("a"), test_spec("b"), test_spec("c")});
  auto a = await("a", sup::child_state::running);
  auto b = await("b", sup::child_state::running);
  auto c = await("c", sup::child_state::running);

  self->send(b.handle, fail_atom_v);
  // b waits, c is stopped (not failed), then both start in order.
  std::vector<std::string> seen;
  sup::child_info b2, c2;
  while (!(b2.handle && c2.handle)) {
    auto x = next_event();
    seen.push_back(x.name + ":" + std::string{to_string(x.state)});
    if (x.state == sup::child_state::running)
      (x.name == "b" ? b2 : c2) = x;
  }
  std::vector<std::string> want{"b:restarting", "c:stopping", "c:restarting",
                                "b:running", "c:running"};
  BOOST_TEST(seen == want, boost::test_tools::per_element());
  BOOST_TEST(b2.restarts == 1u);
  BOOST_TEST(c2.restarts == 1u);
  BOOST_TEST(b2.handle != b.handle);
  BOOST_TEST(c2.handle != c.handle);
  BOOST_TEST(sup::is_normal_exit(c2.last_reason)); // c was shut down
  auto a2 = whereis(s, "a");
  BOOST_TEST(a2.handle == a.handle);
  BOOST_TEST(a2.restarts == 0u);

  // With one_for_one semantics for the last child: c alone.
  self->send(c2.handle, fail_atom_v);
  BOOST_TEST(await("c", sup::child_state::running).restarts == 2u);
  BOOST_TEST(whereis(s, "b").handle == b2.handle);
  self->send_exit(s, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(backoff_delays_the_restart, fixture) {
  // A backoff far longer than the test: the child waits in `restarting`
  // until asked to start, so the order is fixed without any timing.
  sup::options o;
  o.backoff = std::chrono::hours{1};
  auto s = sup::spawn_supervisor(sys, observed(o), {test_spec("a")});
  auto a = await("a", sup::child_state::running);
  self->send(a.handle, fail_atom_v);
  await("a", sup::child_state::restarting);
  auto waiting = whereis(s, "a");
  BOOST_TEST(waiting.state == sup::child_state::restarting);
  BOOST_TEST(!waiting.handle);

  sup::child_info started;
  self->request(s, patience, sup::start_child_atom_v, std::string{"a"})
      .receive([&](const sup::child_info& x) { started = x; },
               [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  BOOST_TEST(started.state == sup::child_state::running);
  BOOST_TEST(started.restarts == 1u);
  BOOST_TEST(await("a", sup::child_state::running).handle == started.handle);
  self->send_exit(s, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(short_backoff_is_honoured, fixture) {
  // The restart never comes before the backoff (a lower bound only).
  sup::options o;
  o.backoff = 50ms;
  o.max_backoff = 200ms;
  auto s = sup::spawn_supervisor(sys, observed(o), {test_spec("a")});
  auto a = await("a", sup::child_state::running);
  for (int i = 1; i <= 3; ++i) {
    self->send(a.handle, fail_atom_v);
    await("a", sup::child_state::restarting);
    auto t0 = std::chrono::steady_clock::now();
    a = await("a", sup::child_state::running);
    auto waited = std::chrono::steady_clock::now() - t0;
    auto expected = std::min(50ms * (1 << (i - 1)), 200ms);
    BOOST_TEST_MESSAGE(
        "restart "
        << i << " after "
        << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()
        << " ms (backoff " << expected.count() << " ms)");
    BOOST_TEST(waited >= expected - 5ms); // event stamped after the decision
  }
  self->send_exit(s, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(owner_down_stops_the_child_normally, fixture) {
  auto owner = spawn_owner();
  auto s = sup::spawn_supervisor(sys, observed(), {test_spec("a", owner)});
  await("a", sup::child_state::running);
  self->send_exit(owner, caf::exit_reason::kill);
  auto x = await("a", sup::child_state::stopped);
  BOOST_TEST(sup::is_normal_exit(x.last_reason));
  BOOST_TEST(x.restarts == 0u);
  BOOST_TEST(whereis(s, "a").state == sup::child_state::stopped);
  self->send_exit(s, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(stop_and_start_on_request, fixture) {
  auto s = sup::spawn_supervisor(sys, observed(), {test_spec("a")});
  auto a = await("a", sup::child_state::running);
  self->monitor(a.handle);
  sup::child_info stopped;
  self->request(s, patience, actors::stop_atom_v, std::string{"a"})
      .receive([&](const sup::child_info& x) { stopped = x; },
               [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  BOOST_TEST(stopped.state == sup::child_state::stopped);
  BOOST_TEST(stopped.last_reason == caf::exit_reason::user_shutdown);

  self->request(s, patience, actors::stop_atom_v, std::string{"nope"})
      .receive([](const sup::child_info&) { BOOST_FAIL("stopped 'nope'"); },
               [](const caf::error& e) {
                 BOOST_TEST((e == sup::errc::unknown_child));
                 BOOST_TEST(sup::describe(e) == "no child named 'nope'");
               });

  std::vector<sup::child_info> all;
  self->request(s, patience, sup::children_atom_v)
      .receive([&](std::vector<sup::child_info>& xs) { all = std::move(xs); },
               [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  BOOST_REQUIRE(all.size() == 1u);
  BOOST_TEST(all[0].state == sup::child_state::stopped);

  sup::child_info started;
  self->request(s, patience, sup::start_child_atom_v, std::string{"a"})
      .receive([&](const sup::child_info& x) { started = x; },
               [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  BOOST_TEST(started.state == sup::child_state::running);
  BOOST_TEST(started.handle);

  // Stopping the supervisor stops its children.
  self->monitor(started.handle);
  self->send_exit(s, caf::exit_reason::user_shutdown);
  bool child_down = false;
  while (!child_down)
    self->receive(
        [&](caf::down_msg& dm) {
          child_down = dm.source == started.handle.address();
        },
        [](const sup::child_info&) {},
        caf::after(patience) >>
            [] { BOOST_FAIL("child outlived supervisor"); });
}

// A supervisor that goes down while a `stop` waits for its child answers
// the waiter and lets go of what it held (a response promise holds its
// own actor: undelivered, it kept the supervisor, its children and the
// specs' captures alive for ever, and ~actor_system waited for a
// detached child's thread).
BOOST_FIXTURE_TEST_CASE(going_down_while_a_stop_waits_lets_go, fixture) {
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> watch = token;
  // A child that ignores user_shutdown: the stop waits for it.
  auto spec = sup::child("slow", [token](caf::actor_system& sys) {
    return sys.spawn(
        [](caf::event_based_actor* self, const std::string&) -> caf::behavior {
          self->set_exit_handler([](caf::exit_msg&) {});
          return {[=](done_atom) {
            self->quit();
          }};
        },
        std::string{"slow"});
  });
  token.reset();
  auto s = sup::spawn_supervisor(sys, observed(), {spec});
  spec = {};
  auto slow = await("slow", sup::child_state::running);
  self->monitor(s);
  auto stop =
      self->request(s, patience, actors::stop_atom_v, std::string{"slow"});
  await("slow", sup::child_state::stopping); // the stop waits
  self->send_exit(s, caf::exit_reason::user_shutdown);
  s = nullptr;
  stop.receive([](const sup::child_info&) { BOOST_FAIL("stopped"); },
               [&](const caf::error& e) {
                 BOOST_TEST((e == caf::sec::request_receiver_down),
                            caf::to_string(e));
               });
  bool down = false;
  while (!down)
    self->receive([&](caf::down_msg&) { down = true; },
                  [](const sup::child_info&) {},
                  caf::after(patience) >> [] { BOOST_FAIL("no down"); });
  BOOST_TEST(watch.expired()); // the specs went with it
  self->send_exit(slow.handle, caf::exit_reason::kill);
}

BOOST_FIXTURE_TEST_CASE(killed_supervisor_stops_its_children, fixture) {
  auto s =
      sup::spawn_supervisor(sys, observed(), {test_spec("a"), test_spec("b")});
  auto a = await("a", sup::child_state::running);
  auto b = await("b", sup::child_state::running);
  self->monitor(a.handle);
  self->monitor(b.handle);
  self->send_exit(s, caf::exit_reason::kill);
  int down = 0;
  while (down < 2)
    self->receive(
        [&](caf::down_msg& dm) {
          BOOST_TEST(dm.reason == caf::exit_reason::user_shutdown);
          ++down;
        },
        caf::after(patience) >> [] { BOOST_FAIL("children outlived it"); });
}

BOOST_FIXTURE_TEST_CASE(supervisors_nest, fixture) {
  // The inner supervisor gives up at the first failure; the outer one
  // restarts it, and with it the inner child.
  sup::options inner_opts = observed();
  inner_opts.max_restarts = 0;
  auto inner = sup::child("inner", [=](caf::actor_system& sys) {
    return sup::spawn_supervisor(sys, inner_opts, {test_spec("leaf")});
  });
  auto outer = sup::spawn_supervisor(sys, observed(), {inner});
  auto leaf = await("leaf", sup::child_state::running);
  self->send(leaf.handle, fail_atom_v);
  auto gave_up = await("inner", sup::child_state::restarting);
  auto limit = sup::as_restart_limit(gave_up.last_reason);
  BOOST_REQUIRE(limit.has_value());
  BOOST_TEST(limit->child == "leaf");
  check_injected(limit->last_reason);
  // Two supervisors report; their order is not fixed.
  sup::child_info inner2, leaf2;
  while (!(inner2.handle && leaf2.handle)) {
    auto x = next_event();
    if (x.state == sup::child_state::running)
      (x.name == "inner" ? inner2 : leaf2) = x;
  }
  BOOST_TEST(inner2.restarts == 1u);
  BOOST_TEST(leaf2.restarts == 0u); // a new inner supervisor, a fresh count
  BOOST_TEST(leaf2.handle != leaf.handle);
  self->send_exit(outer, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(start_errors_count_as_failures, fixture) {
  sup::options o;
  o.max_restarts = 1;
  auto bad = sup::child(
      "bad", [](const sup::start_context&) -> caf::expected<caf::actor> {
        return actors::to_caf_error(make_error(errno_code(EPERM), "open"));
      });
  auto s = sup::spawn_supervisor(sys, o, {std::move(bad)});
  self->monitor(s);
  auto reason = await_down(s);
  auto limit = sup::as_restart_limit(reason);
  BOOST_REQUIRE_MESSAGE(limit.has_value(), caf::to_string(reason));
  BOOST_TEST(limit->child == "bad");
  BOOST_TEST(actors::from_caf_error(limit->last_reason).errno_value() == EPERM);
}

BOOST_FIXTURE_TEST_CASE(records_serialize, fixture) {
  sup::stats st;
  st.received = 10;
  st.delivered = 9;
  st.lost = 1;
  st.enobufs = 1;
  st.restarts = 2;
  st.uptime = std::chrono::seconds{3};
  st.rcvbuf = 16 << 20;
  st.foreign = 3;
  BOOST_TEST((round_trip(st) == st));
  st.rcvbuf.reset();
  BOOST_TEST((round_trip(st) == st));

  sup::child_info ci{"x",
                     {},
                     sup::child_state::restarting,
                     4,
                     actors::to_caf_error(injected())};
  auto back = round_trip(ci);
  BOOST_TEST(back.name == "x");
  BOOST_TEST((back.state == sup::child_state::restarting));
  BOOST_TEST(back.restarts == 4u);
  check_injected(back.last_reason);
}

BOOST_AUTO_TEST_SUITE_END()
