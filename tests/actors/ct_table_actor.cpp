// SPDX-License-Identifier: Apache-2.0
// The conntrack table actor in a scratch namespace: every operation as a
// typed request (dump, get, create, update, delete, flush, counts),
// the kernel's refusals as typed errors, a supervised restart after a
// broken socket; and the conntrack message types across the serializers.
#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include "ct_support.hpp"
#include "sup_fixture.hpp"
#include "nfactor/actors/conntrack.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/sup/supervisor.hpp"

namespace ct_table_actor {
using namespace nfactor;
using nfactor::test::needs_kernel;
namespace sup = nfactor::actors::sup;

struct ct_actor_fixture : test::ct_netns_fixture, test::sup_fixture {
  actors::conntrack_table spawn() {
    actors::conntrack_table_options o;
    o.ns = netns.ns();
    auto t = actors::spawn_conntrack_table(sys, o);
    self->monitor(t);
    return t;
  }

  // Sends a request and waits for its reply or error.
  template <class R, class... Ts>
  caf::expected<R> ask(const actors::conntrack_table& t, Ts&&... xs) {
    caf::expected<R> out{caf::sec::request_timeout};
    self->request(t, test::patience, std::forward<Ts>(xs)...)
        .receive([&](R& r) { out = std::move(r); },
                 [&](caf::error& e) { out = std::move(e); });
    return out;
  }

  void stop(const actors::conntrack_table& t) {
    self->send_exit(t, caf::exit_reason::user_shutdown);
    self->receive([](caf::down_msg&) {});
  }
};

template <class T>
std::string why(const caf::expected<T>& x) {
  return x ? std::string{"ok"} : actors::describe(x.error());
}

ct::entry udp_entry(const char* src, std::uint16_t sport) {
  ct::tuple o;
  o.src = ct::ip_address::parse(src);
  o.dst = ct::ip_address::parse("10.0.0.53");
  o.l4proto = IPPROTO_UDP;
  o.src_port = sport;
  o.dst_port = 53;
  ct::tuple r = o;
  std::swap(r.src, r.dst);
  std::swap(r.src_port, r.dst_port);
  ct::entry e;
  e.orig = o;
  e.reply = r;
  e.timeout = 60;
  return e;
}

} // namespace ct_table_actor

BOOST_AUTO_TEST_SUITE(ct_table_actor,
                      *boost::unit_test::precondition(needs_kernel))

BOOST_FIXTURE_TEST_CASE(operations_as_typed_requests, ct_actor_fixture) {
  auto t = spawn();
  auto a = udp_entry("10.0.0.1", 1001);
  auto b = udp_entry("10.0.0.2", 1002);
  for (auto* e : {&a, &b}) {
    auto ok = ask<caf::ok_atom>(t, actors::ct_create_atom_v, *e);
    BOOST_REQUIRE_MESSAGE(ok, why(ok));
  }
  auto all =
      ask<std::vector<ct::event>>(t, actors::ct_dump_atom_v, ct::filter{});
  BOOST_REQUIRE_MESSAGE(all, why(all));
  BOOST_TEST(all->size() == 2u);
  // The same entries as conntrack lists them.
  BOOST_TEST(test::ct_lines(*all) == test::conntrack_listing(netns));
  ct::entry m;
  m.orig = a.orig;
  m.mark = 0x5;
  BOOST_REQUIRE(ask<caf::ok_atom>(t, actors::ct_update_atom_v, m));
  auto got = ask<ct::entry>(t, actors::ct_get_atom_v, *a.orig);
  BOOST_REQUIRE_MESSAGE(got, why(got));
  BOOST_TEST((got->mark == 5u));
  ct::filter marked;
  marked.mark = 5;
  auto some = ask<std::vector<ct::event>>(t, actors::ct_dump_atom_v, marked);
  BOOST_REQUIRE(some);
  BOOST_TEST(some->size() == 1u);
  auto count = ask<ct::global_stats>(t, actors::ct_count_atom_v);
  BOOST_REQUIRE(count);
  BOOST_TEST(count->entries == 2u);
  auto cpus = ask<std::vector<ct::cpu_stats>>(t, actors::ct_cpu_atom_v);
  BOOST_REQUIRE(cpus);
  BOOST_TEST(!cpus->empty());
  // Delete by tuple and id; a wrong id leaves the entry alone (ENOENT).
  auto wrong =
      ask<caf::ok_atom>(t, actors::ct_delete_atom_v, *a.orig, *got->id + 1);
  BOOST_REQUIRE(!wrong);
  BOOST_TEST(actors::from_caf_error(wrong.error()).errno_value() == ENOENT);
  BOOST_REQUIRE(
      ask<caf::ok_atom>(t, actors::ct_delete_atom_v, *a.orig, *got->id));
  BOOST_REQUIRE(ask<caf::ok_atom>(t, actors::ct_flush_atom_v, ct::filter{}));
  count = ask<ct::global_stats>(t, actors::ct_count_atom_v);
  BOOST_REQUIRE(count);
  BOOST_TEST(count->entries == 0u);
  auto st = ask<sup::stats>(t, actors::stats_atom_v);
  BOOST_REQUIRE(st);
  BOOST_TEST(st->received >= 3u);
  stop(t);
}

BOOST_FIXTURE_TEST_CASE(refusals_are_typed_errors, ct_actor_fixture) {
  auto t = spawn();
  auto e = udp_entry("10.0.0.9", 9);
  BOOST_REQUIRE(ask<caf::ok_atom>(t, actors::ct_create_atom_v, e));
  auto again = ask<caf::ok_atom>(t, actors::ct_create_atom_v, e);
  BOOST_REQUIRE(!again);
  BOOST_TEST(actors::from_caf_error(again.error()).errno_value() == EEXIST);
  // Bad input: no reply tuple, refused before the kernel sees it.
  ct::entry half;
  half.orig = e.orig;
  half.timeout = 1;
  auto bad = ask<caf::ok_atom>(t, actors::ct_create_atom_v, half);
  BOOST_REQUIRE(!bad);
  BOOST_TEST((actors::from_caf_error(bad.error()).code ==
              make_error_code(errc::invalid_argument)));
  auto missing =
      ask<ct::entry>(t, actors::ct_get_atom_v, *udp_entry("10.0.0.8", 8).orig);
  BOOST_REQUIRE(!missing);
  BOOST_TEST(actors::from_caf_error(missing.error()).errno_value() == ENOENT);
  // Still serving after refusals.
  BOOST_TEST(
      static_cast<bool>(ask<ct::global_stats>(t, actors::ct_count_atom_v)));
  stop(t);
}

// A broken socket ends the actor with a typed reason; its supervisor
// starts a new one, which works.
BOOST_FIXTURE_TEST_CASE(supervised_restart_after_a_broken_socket,
                        ct_actor_fixture) {
  actors::conntrack_table_options o;
  o.ns = netns.ns();
  auto s = sup::spawn_supervisor(sys, observed(),
                                 {actors::conntrack_table_child("ct", o)});
  auto first = await("ct", sup::child_state::running);
  auto t = sup::handle_as<actors::conntrack_table>(first);
  BOOST_REQUIRE(ask<ct::global_stats>(t, actors::ct_count_atom_v));
  // The only netfilter socket of this process is the actor's.
  BOOST_REQUIRE(
      test::replace_netfilter_socket([](const sockaddr_nl&) { return true; }));
  auto broken = ask<ct::global_stats>(t, actors::ct_count_atom_v);
  BOOST_REQUIRE(!broken);
  BOOST_TEST(actors::from_caf_error(broken.error()).errno_value() == ENOTSOCK);
  auto failed = await("ct", sup::child_state::restarting);
  BOOST_TEST(actors::from_caf_error(failed.last_reason).errno_value() ==
             ENOTSOCK);
  auto second = await("ct", sup::child_state::running);
  BOOST_TEST(second.restarts == 1u);
  auto t2 = sup::handle_as<actors::conntrack_table>(second);
  auto count = ask<ct::global_stats>(t2, actors::ct_count_atom_v);
  BOOST_TEST_REQUIRE(static_cast<bool>(count), why(count));
  auto st = ask<sup::stats>(t2, actors::stats_atom_v);
  BOOST_REQUIRE(st);
  BOOST_TEST(st->restarts == 1u);
  self->send_exit(s, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(message_types_survive_the_serializers,
                        test::actor_system_fixture) {
  ct::event ev;
  ev.kind = ct::change::destroyed;
  ev.family = AF_INET6;
  ev.ct = udp_entry("10.1.1.1", 7);
  ev.ct.counters_orig = ct::counters{3, 99};
  ev.ct.labels = byte_buffer(16, 1);
  ev.ct.helper = "ftp";
  BOOST_TEST((round_trip(ev) == ev));
  actors::ct_snapshot snap{2, {ev, ev}};
  BOOST_TEST((round_trip(snap) == snap));
  actors::ct_resync_needed r{3, true, 1234};
  BOOST_TEST((round_trip(r) == r));
  ct::filter f;
  f.family = AF_INET;
  f.mark = 1;
  f.orig = *ev.ct.orig;
  BOOST_TEST((round_trip(f) == f));
  ct::exp_event x;
  x.kind = ct::change::destroyed;
  x.family = AF_INET;
  x.exp.expected = *ev.ct.orig;
  x.exp.mask = *ev.ct.orig;
  x.exp.master = *ev.ct.orig;
  x.exp.helper = "ftp";
  x.exp.id = 7;
  x.exp.nat_dir = 1;
  x.exp.nat_tuple = *ev.ct.orig;
  x.exp.function = "nat-follow-master";
  BOOST_TEST((round_trip(x) == x));
  actors::ct_exp_batch xb{{x, x}};
  BOOST_TEST((round_trip(xb) == xb));
  actors::ct_monitor_stats s;
  s.duplicates = 4;
  s.common.enobufs = 2;
  s.dropped = 1234;
  s.resyncs = 3;
  BOOST_TEST((round_trip(s) == s));
}

BOOST_AUTO_TEST_SUITE_END()
