// SPDX-License-Identifier: Apache-2.0
// The log listener actor against the real kernel, each test in its own
// namespace: owners get started/batch/event/loss messages, a slow owner
// makes the listener stop reading (the kernel drops, the owner is told the
// exact loss), owner death and stop free the group at once.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "traffic.hpp" // system socket headers before <linux/*.h>

#include <caf/all.hpp>

#include "actor_system_fixture.hpp"
#include "kernel_features.hpp"
#include "netns_fixture.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/log_listener.hpp"
#include "nfactor/actors/system.hpp"
#include "nfactor/nflog/group.hpp"
#include "nfactor/nflog/listener.hpp"

namespace log_listener {
using namespace nfactor;
using namespace nfactor::actors;
using nfactor::test::needs_kernel;

constexpr std::uint16_t group = 11;
constexpr auto patience = std::chrono::seconds{10}; // bounds failures only

struct fixture : test::actor_system_fixture {
  test::scratch_netns netns;
  caf::scoped_actor probe;

  // Actors to kill at the end, so a failed test cannot leave the actor
  // system waiting for them.
  std::vector<caf::actor> spawned;

  template <class Handle>
  Handle keep(Handle h) {
    spawned.push_back(caf::actor_cast<caf::actor>(h));
    return h;
  }

  ~fixture() {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::kill);
  }

  fixture() : probe(sys) {
    netns.nft_script("table inet t {\n chain o { type filter hook output "
                     "priority 0;\n  udp dport 9020 log group 11 prefix "
                     "\"act\"\n }\n}\n");
  }

  log_listener_options opts() const {
    log_listener_options o;
    o.nflog.group = group;
    o.nflog.ns = netns.ns();
    o.nflog.mode = nflog::copy_mode::packet;
    return o;
  }

  void send(const std::string& data, int count = 1) {
    BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET, 9020, data, count),
                        count);
  }
};

// Forwards everything to `probe` (a typed actor cannot send() to an
// untyped one, hence anon_send).
log_batch_owner::behavior_type batch_forwarder(log_batch_owner::pointer,
                                               caf::actor probe) {
  return {
      [=](log_started& s) { caf::anon_send(probe, s); },
      [=](log_batch& b) { caf::anon_send(probe, std::move(b)); },
      [=](log_loss& l) { caf::anon_send(probe, l); },
  };
}

log_event_owner::behavior_type event_forwarder(log_event_owner::pointer,
                                               caf::actor probe) {
  return {
      [=](log_started& s) { caf::anon_send(probe, s); },
      [=](nflog::log_event& e) { caf::anon_send(probe, std::move(e)); },
      [=](log_loss& l) { caf::anon_send(probe, l); },
  };
}

// Blocks (on its own thread) in its first batch until `release` is set:
// the slowest owner there is.
log_batch_owner::behavior_type
stalling_forwarder(log_batch_owner::pointer, caf::actor probe,
                   std::shared_future<void> release) {
  auto first = std::make_shared<bool>(true);
  return {
      [=](log_started& s) { caf::anon_send(probe, s); },
      [=](log_batch& b) {
        caf::anon_send(probe, std::move(b));
        if (std::exchange(*first, false))
          release.wait();
      },
      [=](log_loss& l) { caf::anon_send(probe, l); },
  };
}

// The error of `x`, or "ok" (Boost evaluates messages of passing checks).
template <class T>
std::string why(const caf::expected<T>& x) {
  return x ? std::string{"ok"} : describe(x.error());
}

log_started expect_started(caf::scoped_actor& probe) {
  log_started got;
  probe->receive([&](log_started& s) { got = s; },
                 caf::after(patience) >> [] { BOOST_FAIL("no log_started"); });
  return got;
}

// Starts a listener for `owner`, requires success and its log_started.
template <class Fixture, class Owner>
caf::expected<actors::log_listener> start(Fixture& f, Owner owner,
                                          log_listener_options o) {
  auto l = start_log_listener(f.sys, owner, std::move(o));
  BOOST_REQUIRE_MESSAGE(l, why(l));
  f.keep(*l);
  expect_started(f.probe);
  return l;
}

} // namespace log_listener

BOOST_AUTO_TEST_SUITE(log_listener,
                      *boost::unit_test::precondition(needs_kernel))

BOOST_FIXTURE_TEST_CASE(batch_owner_gets_started_events_and_stats, fixture) {
  auto owner = keep(sys.spawn(batch_forwarder, caf::actor{probe}));
  auto l = start_log_listener(sys, owner, opts());
  BOOST_REQUIRE_MESSAGE(l, why(l));
  keep(*l);
  auto started = expect_started(probe);
  BOOST_TEST(started.group == group);
  BOOST_TEST(started.rcvbuf >= (8 << 20));
  auto bound = nflog::find_binding(netns.ns(), group);
  BOOST_REQUIRE(bound);
  BOOST_TEST(bound->portid == started.portid);

  send("one");
  send("two");
  send("three");
  std::vector<nflog::log_event> evs;
  while (evs.size() < 3u) {
    probe->receive(
        [&](log_batch& b) {
          BOOST_TEST(b.group == group);
          BOOST_TEST(!b.events.empty());
          for (auto& e : b.events)
            evs.push_back(std::move(e));
        },
        caf::after(patience) >> [] { BOOST_FAIL("no batch"); });
  }
  BOOST_REQUIRE_EQUAL(evs.size(), 3u);
  for (std::uint32_t i = 0; i < 3; ++i) {
    BOOST_TEST((evs[i].prefix == std::string{"act"}));
    BOOST_TEST((evs[i].seq == i));
    BOOST_TEST((evs[i].outdev_name == std::string{"lo"}));
  }
  probe->request(*l, patience, stats_atom_v)
      .receive(
          [&](const log_stats& s) {
            BOOST_TEST(s.group == group);
            BOOST_TEST(s.portid == started.portid);
            BOOST_TEST(s.common.received == 3u);
            BOOST_TEST(s.common.delivered + s.in_flight == 3u);
            BOOST_TEST(s.common.lost == 0u);
            BOOST_TEST(s.common.enobufs == 0u);
            BOOST_TEST(s.common.restarts == 0u);
            BOOST_TEST((s.common.rcvbuf == started.rcvbuf));
            BOOST_TEST(s.common.uptime.count() > 0);
            BOOST_TEST(s.datagrams >= 1u);
          },
          [&](caf::error& e) { BOOST_FAIL(describe(e)); });
  caf::anon_send_exit(*l, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(event_owner_gets_one_message_per_event, fixture) {
  auto owner = keep(sys.spawn(event_forwarder, caf::actor{probe}));
  auto l = start(*this, owner, opts());
  send("a", 2);
  for (std::uint32_t i = 0; i < 2; ++i)
    probe->receive(
        [&](nflog::log_event& e) {
          BOOST_TEST((e.seq == i));
          BOOST_TEST((e.prefix == std::string{"act"}));
        },
        caf::after(patience) >> [] { BOOST_FAIL("no event"); });
  caf::anon_send_exit(*l, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(owner_death_unbinds_the_group, fixture) {
  auto owner = keep(sys.spawn(batch_forwarder, caf::actor{probe}));
  auto l = start(*this, owner, opts());
  probe->monitor(*l);
  caf::anon_send_exit(owner, caf::exit_reason::kill);
  probe->receive(
      [&](caf::down_msg& dm) {
        BOOST_TEST((dm.source == l->address()));
        BOOST_TEST(!dm.reason); // a normal stop
      },
      caf::after(patience) >> [] { BOOST_FAIL("listener did not stop"); });
  BOOST_TEST(!nflog::find_binding(netns.ns(), group));
  auto again = nflog::listener::open(opts().nflog);
  BOOST_TEST(again);
}

BOOST_FIXTURE_TEST_CASE(stop_unbinds_before_it_replies, fixture) {
  auto owner = keep(sys.spawn(batch_forwarder, caf::actor{probe}));
  auto l = start(*this, owner, opts());
  probe->request(*l, patience, stop_atom_v)
      .receive([] {}, [&](caf::error& e) { BOOST_FAIL(describe(e)); });
  BOOST_TEST(!nflog::find_binding(netns.ns(), group));
  // A new listener actor binds the group right away.
  auto l2 = start(*this, owner, opts());
  caf::anon_send_exit(*l2, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(a_held_group_fails_with_eperm_and_the_owner, fixture) {
  auto holder = nflog::listener::open(opts().nflog);
  NFACTOR_REQUIRE_OK(holder);
  auto owner = keep(sys.spawn(batch_forwarder, caf::actor{probe}));
  auto l = start_log_listener(sys, owner, opts());
  BOOST_REQUIRE(!l);
  auto e = from_caf_error(l.error());
  BOOST_TEST(e.errno_value() == EPERM);
  BOOST_TEST(e.op == "NFULNL_CFG_CMD_BIND group 11");
  BOOST_TEST(
      e.detail.find("netlink portid " + std::to_string(holder->portid())) !=
      std::string::npos);
}

// The conntrack flag on a kernel without NETLINK_GLUE_CT (this one): the
// start fails with the kernel's EOPNOTSUPP as a typed error (errno code,
// the failing step, the missing kernel option), across the actor boundary.
// Where the glue exists the listener starts and events carry `ct`.
BOOST_FIXTURE_TEST_CASE(conntrack_without_kernel_glue_is_a_typed_error,
                        fixture) {
  auto owner = keep(sys.spawn(batch_forwarder, caf::actor{probe}));
  auto o = opts();
  o.nflog.flags.conntrack = true;
  auto l = start_log_listener(sys, owner, o);
  if (auto glue = test::features().conntrack_glue)
    BOOST_TEST_REQUIRE(static_cast<bool>(l) == *glue,
                       "kernel config: glue "
                           << *glue
                           << ", start: " << (l ? "ok" : describe(l.error())));
  if (l) {
    keep(*l);
    BOOST_TEST_MESSAGE("this kernel has conntrack glue; nothing to check");
    return;
  }
  auto e = from_caf_error(l.error());
  BOOST_TEST(e.errno_value() == EOPNOTSUPP);
  BOOST_TEST((e.code == std::errc::operation_not_supported));
  BOOST_TEST(e.op == "NFULA_CFG_FLAGS group 11");
  BOOST_TEST(e.detail.find("CONFIG_NETFILTER_NETLINK_GLUE_CT") !=
             std::string::npos);
  BOOST_TEST_MESSAGE("start failed as expected: " << describe(l.error()));
  BOOST_TEST(!nflog::find_binding(netns.ns(), group)); // nothing left bound
}

BOOST_FIXTURE_TEST_CASE(bad_options_fail_before_spawning, fixture) {
  auto owner = keep(sys.spawn(batch_forwarder, caf::actor{probe}));
  auto o = opts();
  o.nflog.qthresh = 5000;
  auto l = spawn_log_listener(sys, owner, o);
  BOOST_REQUIRE(!l);
  BOOST_TEST(l.error() == errc::invalid_argument);
  BOOST_TEST(describe(l.error()).find("qthresh must be 1..1024") !=
             std::string::npos);
  o = opts();
  o.max_in_flight = 10;
  o.max_batch = 100;
  auto l2 = spawn_log_listener(sys, owner, o);
  BOOST_REQUIRE(!l2);
  BOOST_TEST(describe(l2.error()).find("max_in_flight") != std::string::npos);
  BOOST_TEST(!spawn_log_listener(sys, log_batch_owner{}, opts()));
}

// The owner stalls in its first batch; with one event in flight allowed the
// listener stops reading, the burst overflows a tiny receive buffer, and
// once the owner resumes it gets a loss report whose count is exact.
BOOST_FIXTURE_TEST_CASE(slow_owner_means_kernel_drops_and_exact_loss, fixture) {
  std::promise<void> release;
  auto owner = keep(sys.spawn<caf::detached>(
      stalling_forwarder, caf::actor{probe}, release.get_future().share()));
  auto o = opts();
  o.nflog.rcvbuf = 4096;
  o.nflog.qthresh = 1;
  o.max_batch = 1;
  o.max_in_flight = 1;
  auto l = start(*this, owner, o);
  send("first");
  probe->receive([](log_batch&) {},
                 caf::after(patience) >> [] { BOOST_FAIL("no first batch"); });
  const int burst = 300;
  send(std::string(64, 'x'), burst); // nobody reads: the kernel drops
  release.set_value();
  // Once the overrun is reported, answer every batch with a marker until
  // one arrives: the socket stays congested (and drops) until its queue is
  // empty, and the arriving marker's sequence number reveals every gap.
  std::uint64_t events = 1, overruns = 0, total_lost = 0, markers = 0;
  bool marking = false, marker = false;
  auto mark = [&] {
    if (marking && !marker) {
      ++markers;
      send("marker");
    }
  };
  while (!(marker && events + total_lost == 1 + burst + markers)) {
    bool timed_out = false;
    probe->receive(
        [&](log_batch& b) {
          for (auto& e : b.events) {
            ++events;
            if (e.payload && e.payload->size() == 28 + 6)
              marker = true;
          }
          mark();
        },
        [&](log_loss& loss) {
          BOOST_TEST(loss.exact);
          overruns += loss.overruns;
          total_lost = loss.total_lost;
          marking = true;
          mark();
        },
        caf::after(patience) >> [&] { timed_out = true; });
    BOOST_REQUIRE_MESSAGE(!timed_out, "events " << events << " lost "
                                                << total_lost << " overruns "
                                                << overruns << " markers "
                                                << markers);
  }
  BOOST_TEST(overruns >= 1u);
  BOOST_TEST(total_lost > 0u);
  BOOST_TEST_MESSAGE("delivered " << events << ", lost " << total_lost << " in "
                                  << overruns << " overrun(s)");
  probe->request(*l, patience, stats_atom_v)
      .receive(
          [&](const log_stats& s) {
            BOOST_TEST(s.common.received == events);
            BOOST_TEST(s.common.lost == total_lost);
            BOOST_TEST(s.common.enobufs == overruns);
          },
          [&](caf::error& e) { BOOST_FAIL(describe(e)); });
  caf::anon_send_exit(*l, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(messages_serialize_with_and_without_optionals) {
  test::actor_system_fixture fx;
  nflog::log_event e;
  e.family = 2;
  e.group = 5;
  e.hook = 3;
  e.prefix = "p";
  e.payload = byte_buffer{1, 2, 3};
  e.hwaddr = nflog::hw_address{6, {1, 2, 3, 4, 5, 6, 0, 0}};
  e.conntrack = nflog::conntrack{};
  e.conntrack->orig = nflog::ct_tuple{};
  e.conntrack->orig->src = nflog::ip_address{4, {127, 0, 0, 1}};
  e.timestamp = nflog::timestamp{1, 2};
  e.vlan = nflog::vlan_tag{0x8100, 7};
  log_batch b{5, {e, nflog::log_event{}}};
  BOOST_TEST((fx.round_trip(b) == b));
  BOOST_TEST(caf::type_id<log_batch>::value == 302u);
}

BOOST_AUTO_TEST_SUITE_END()
