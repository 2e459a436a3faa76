// SPDX-License-Identifier: Apache-2.0
// The conntrack monitor in a scratch namespace: NEW and DESTROY batches
// with counters, the kernel-side filter, snapshot + tail under concurrent
// flows (no flow lost, none counted twice), ENOBUFS from a stalled owner
// turning into ct_resync_needed and a snapshot equal to the table, a
// supervised restart after a broken socket, bad options, an owner on
// another node (CAF's middleman over TLS), and the FTP helper's
// expectations: their events, dump and delete (conntrack -L expect as
// the oracle).
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include <caf/all.hpp>

#include "ct_support.hpp"
#include "kernel_features.hpp"
#include "node_support.hpp"
#include "sup_fixture.hpp"
#include "nfactor/actors/conntrack.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/node/security.hpp"
#include "nfactor/actors/sup/failure.hpp"
#include "nfactor/actors/sup/supervisor.hpp"
#include "nfactor/ct/ops.hpp"
#include "nfactor/ct/text.hpp"
#include "nfactor/sys/socket.hpp"
#include "tx_helpers.hpp"

namespace ct_monitor {
using namespace nfactor;
using nfactor::test::needs_kernel;
namespace sup = nfactor::actors::sup;

// An owner that forwards what it gets to the test's scoped actor; with a
// gate, its first batch handler waits for the gate to open (holding the
// monitor's credits, as a stalled owner does).
actors::ct_owner spawn_forwarder(caf::actor_system& sys, caf::actor to,
                                 std::shared_future<void> gate = {}) {
  // The target goes in as an argument: for none, CAF 0.17.6 dereferences a
  // null argument tuple.
  return sys.spawn<caf::detached>(
      [gate](actors::ct_owner::pointer,
             caf::actor to) -> actors::ct_owner::behavior_type {
        return {
            [to](actors::ct_started& m) { caf::anon_send(to, std::move(m)); },
            [to](actors::ct_snapshot& m) { caf::anon_send(to, std::move(m)); },
            [to, gate](actors::ct_batch& m) {
              if (gate.valid())
                gate.wait();
              caf::anon_send(to, std::move(m));
            },
            [to](actors::ct_exp_batch& m) { caf::anon_send(to, std::move(m)); },
            [to](actors::ct_resync_needed& m) {
              caf::anon_send(to, std::move(m));
            },
        };
      },
      std::move(to));
}

struct monitor_fixture : test::ct_netns_fixture, test::sup_fixture {
  actors::conntrack_monitor_options options() const {
    actors::conntrack_monitor_options o;
    o.ns = netns.ns();
    return o;
  }

  sys::socket table() { return test::open_socket(netns); }

  // Starts a monitor for a forwarding owner and takes its ct_started.
  actors::conntrack_monitor start(actors::conntrack_monitor_options o,
                                  std::shared_future<void> gate = {}) {
    owner = spawn_forwarder(sys, caf::actor{self}, std::move(gate));
    auto m = actors::start_conntrack_monitor(sys, owner, std::move(o));
    // (Boost evaluates the message of a passing check too.)
    BOOST_REQUIRE_MESSAGE(
        m, "start: " << (m ? std::string{"ok"} : actors::describe(m.error())));
    self->monitor(*m);
    bool started = false;
    self->receive([&](actors::ct_started& s) { started = s.portid != 0; },
                  caf::after(test::patience) >> [] {});
    BOOST_REQUIRE(started);
    return *m;
  }

  // Events from batches until `done(events)`; snapshots and notices that
  // come in between are kept (with where each snapshot came in the
  // events).
  template <class Done>
  std::vector<ct::event> events_until(Done done) {
    std::vector<ct::event> out;
    while (!done(out)) {
      bool got = false;
      self->receive(
          [&](actors::ct_batch& b) {
            got = true;
            for (auto& ev : b.events)
              out.push_back(std::move(ev));
          },
          [&](actors::ct_snapshot& s) {
            got = true;
            snapshot_at.push_back(out.size());
            snapshots.push_back(std::move(s));
          },
          [&](actors::ct_resync_needed& r) {
            got = true;
            resyncs.push_back(r);
          },
          [&](caf::down_msg& d) {
            BOOST_FAIL("the monitor stopped: " << actors::describe(d.reason));
          },
          caf::after(test::patience) >> [] {});
      BOOST_REQUIRE_MESSAGE(got, "no batch within the patience");
    }
    return out;
  }

  void stop(const actors::conntrack_monitor& m) {
    self->send(m, actors::stop_atom_v);
    self->receive([](caf::down_msg&) {},
                  caf::after(test::patience) >>
                      [] { BOOST_FAIL("monitor did not stop"); });
    self->send_exit(owner, caf::exit_reason::user_shutdown);
  }

  actors::ct_monitor_stats stats(const actors::conntrack_monitor& m) {
    actors::ct_monitor_stats out;
    self->request(m, test::patience, actors::stats_atom_v)
        .receive([&](actors::ct_monitor_stats& s) { out = s; },
                 [](caf::error& e) { BOOST_FAIL(actors::describe(e)); });
    return out;
  }

  // A test that failed half-way leaves no actor behind: the monitor stops
  // with its owner.
  ~monitor_fixture() {
    if (owner)
      self->send_exit(owner, caf::exit_reason::user_shutdown);
  }

  actors::ct_owner owner;
  std::vector<actors::ct_snapshot> snapshots;
  // For each snapshot, how many events of its `events_until` came before.
  std::vector<std::size_t> snapshot_at;
  std::vector<actors::ct_resync_needed> resyncs;
};

std::size_t count(const std::vector<ct::event>& evs, ct::change k,
                  std::uint16_t port) {
  std::size_t n = 0;
  for (const auto& ev : evs)
    n += ev.kind == k && ev.ct.orig && ev.ct.orig->dst_port == port;
  return n;
}

auto has(ct::change k, std::uint16_t port, std::size_t n = 1) {
  return [=](const std::vector<ct::event>& evs) {
    return count(evs, k, port) >= n;
  };
}

} // namespace ct_monitor

BOOST_AUTO_TEST_SUITE(ct_monitor, *boost::unit_test::precondition(needs_kernel))

BOOST_FIXTURE_TEST_CASE(new_and_destroy_batches_with_counters,
                        monitor_fixture) {
  auto m = start(options());
  auto t = table();
  test::udp_sink sink{netns.ns(), AF_INET6, 5001};
  BOOST_TEST(test::send_udp(netns.ns(), AF_INET6, 5001, "12345", 4) == 4);
  auto evs = events_until(has(ct::change::created, 5001));
  ct::tuple orig;
  for (const auto& ev : evs)
    if (ev.ct.orig && ev.ct.orig->dst_port == 5001)
      orig = *ev.ct.orig;
  NFACTOR_REQUIRE_OK(ct::remove(t, orig));
  evs = events_until(has(ct::change::destroyed, 5001));
  for (const auto& ev : evs)
    if (ev.kind == ct::change::destroyed) {
      BOOST_TEST_REQUIRE(ev.ct.counters_orig.has_value());
      BOOST_TEST(ev.ct.counters_orig->packets == 4u);
      BOOST_TEST(ev.ct.counters_orig->bytes ==
                 4 * test::udp_wire_bytes(AF_INET6, 5));
    }
  auto stats = [&] {
    actors::ct_monitor_stats out;
    self->request(m, test::patience, actors::stats_atom_v)
        .receive([&](actors::ct_monitor_stats& s) { out = s; },
                 [](caf::error& e) { BOOST_FAIL(actors::describe(e)); });
    return out;
  };
  // Events count as delivered when the owner's answer reaches the monitor
  // (the core's credit accounting), which may be after the batch reached
  // this test: poll until then, with one deadline.
  auto st = stats();
  for (auto until = std::chrono::steady_clock::now() + test::patience;
       st.common.delivered != st.common.received &&
       std::chrono::steady_clock::now() < until;
       st = stats())
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  BOOST_TEST(st.common.received >= 2u);
  BOOST_TEST(st.common.delivered == st.common.received);
  BOOST_TEST(st.common.enobufs == 0u);
  BOOST_TEST(st.common.rcvbuf.has_value());
  stop(m);
}

// Flows run while the monitor starts with a snapshot: every flow in the
// table afterwards is in the snapshot or in a NEW, and none in both.
BOOST_FIXTURE_TEST_CASE(snapshot_and_tail_lose_nothing_and_repeat_nothing,
                        monitor_fixture) {
  test::udp_sink sink{netns.ns(), AF_INET, 5002};
  BOOST_TEST(test::udp_flows(netns.ns(), AF_INET, 30000, 50, 5002) == 50);
  auto opts = options();
  opts.snapshot = true;
  std::thread traffic{[&] {
    test::udp_flows(netns.ns(), AF_INET, 31000, 400, 5002);
  }};
  auto m = start(opts);
  traffic.join();
  BOOST_TEST(test::udp_flows(netns.ns(), AF_INET, 32000, 10, 5002) == 10);
  // The last flow (source port 32009) ends the wait.
  auto evs = events_until([&](const std::vector<ct::event>& e) {
    for (const auto& ev : e)
      if (ev.ct.orig && ev.ct.orig->src_port == 32009)
        return !snapshots.empty();
    return false;
  });
  BOOST_TEST_REQUIRE(snapshots.size() == 1u);
  std::set<std::uint32_t> in_snapshot;
  for (const auto& ev : snapshots.front().entries)
    in_snapshot.insert(*ev.ct.id);
  std::set<std::uint32_t> announced;
  for (const auto& ev : evs)
    if (ev.kind == ct::change::created) {
      BOOST_TEST(in_snapshot.count(*ev.ct.id) == 0u,
                 "NEW repeats a snapshot entry");
      BOOST_TEST(announced.insert(*ev.ct.id).second, "NEW twice");
    }
  auto t = table();
  auto all = ct::dump(t);
  NFACTOR_REQUIRE_OK(all);
  BOOST_TEST(all->size() == 460u);
  std::set<std::uint32_t> known = in_snapshot;
  known.insert(announced.begin(), announced.end());
  std::set<std::uint32_t> table_ids;
  for (const auto& e : *all)
    table_ids.insert(*e.id);
  BOOST_TEST((known == table_ids));
  BOOST_TEST(in_snapshot.size() >= 50u);
  stop(m);
}

// A stalled owner holds the monitor's credits; a burst overruns the tiny
// buffer. The owner then hears of the loss, with the kernel's count of
// dropped events, and gets the table: every ct_resync_needed promises a
// snapshot and each comes. How many overrun episodes one burst makes
// depends on scheduling (the monitor may read, and overrun again, while
// the burst runs), so the test holds the monitor to its promise: the last
// snapshot and the events after it are the table, the snapshot equals
// `conntrack -L` for its entries, and every event was read or counted as
// dropped.
BOOST_FIXTURE_TEST_CASE(overrun_gives_resync_and_a_fresh_snapshot,
                        monitor_fixture) {
  // No flow may end (and send a DESTROY) while the test runs.
  auto r = netns.exec("sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.output);
  auto opts = options();
  opts.rcvbuf = 4096;
  opts.max_batch = 1;
  opts.max_in_flight = 1;
  std::promise<void> open;
  auto m = start(opts, open.get_future().share());
  test::udp_sink sink{netns.ns(), AF_INET, 5003};
  constexpr int flows = 300;
  BOOST_TEST(test::udp_flows(netns.ns(), AF_INET, 33000, flows, 5003) == flows);
  open.set_value();
  auto evs = events_until([&](const auto&) { return !snapshots.empty(); });
  auto first_wait = snapshots.size();
  // A marker flow after the burst; once the owner knows it and the monitor
  // has no answer outstanding, the owner has everything. The marker comes
  // as a NEW or, when the buffer was still congested and the kernel
  // dropped it too, in the snapshot of the next resync.
  test::udp_sink later{netns.ns(), AF_INET, 5004};
  BOOST_TEST(test::send_udp(netns.ns(), AF_INET, 5004, "x", 1) == 1);
  auto marker_in_snapshot = [&] {
    for (auto i = first_wait; i < snapshots.size(); ++i)
      for (const auto& e : snapshots[i].entries)
        if (e.ct.orig && e.ct.orig->dst_port == 5004)
          return true;
    return false;
  };
  auto more = events_until([&](const std::vector<ct::event>& e) {
    return has(ct::change::created, 5004)(e) || marker_in_snapshot();
  });
  // One timeline: where each snapshot came in all the events.
  std::vector<std::size_t> at;
  for (std::size_t i = 0; i < snapshot_at.size(); ++i)
    at.push_back(snapshot_at[i] + (i < first_wait ? 0 : evs.size()));
  evs.insert(evs.end(), std::make_move_iterator(more.begin()),
             std::make_move_iterator(more.end()));
  // Takes one message the owner forwarded, waiting up to `wait`.
  auto take = [&](std::chrono::milliseconds wait) {
    bool got = true;
    self->receive(
        [&](actors::ct_batch& b) {
          for (auto& ev : b.events)
            evs.push_back(std::move(ev));
        },
        [&](actors::ct_snapshot& s) {
          at.push_back(evs.size());
          snapshots.push_back(std::move(s));
        },
        [&](actors::ct_resync_needed& n) { resyncs.push_back(n); },
        caf::after(wait) >> [&] { got = false; });
    return got;
  };
  // The owner forwards before it answers, so what was answered is in this
  // mailbox before the stats that say so. The monitor may still hold
  // queued events or uncounted drops when the owner is idle (with one
  // credit it reads one event per answer), so wait for every event of the
  // burst and the marker to be read or counted as dropped as well.
  auto st = stats(m);
  for (auto until = std::chrono::steady_clock::now() + test::patience;
       (st.in_flight != 0 || st.snapshots != snapshots.size() ||
        st.resyncs != resyncs.size() ||
        st.common.received + st.dropped !=
            static_cast<std::uint64_t>(flows + 1)) &&
       std::chrono::steady_clock::now() < until;
       st = stats(m))
    take(std::chrono::milliseconds{10});
  while (take(std::chrono::milliseconds{0}))
    ;
  BOOST_TEST_MESSAGE(resyncs.size()
                     << " resyncs, " << snapshots.size() << " snapshots, "
                     << st.dropped << " dropped, " << st.common.enobufs
                     << " ENOBUFS");
  // Every notice promised a snapshot, and each came; nothing else did.
  BOOST_TEST_REQUIRE(!resyncs.empty());
  for (const auto& n : resyncs)
    BOOST_TEST(n.snapshot_follows);
  BOOST_TEST(snapshots.size() == resyncs.size());
  BOOST_TEST(st.snapshots == snapshots.size());
  BOOST_TEST(st.resyncs == resyncs.size());
  // The counts: the kernel's drop counter, per notice and in the stats;
  // every event of the burst and the marker was read or dropped.
  std::uint64_t dropped = 0;
  std::uint64_t overruns = 0;
  for (const auto& n : resyncs) {
    BOOST_TEST(n.dropped > 0u);
    dropped += n.dropped;
    overruns += n.overruns;
  }
  BOOST_TEST(dropped == st.dropped);
  BOOST_TEST(st.common.enobufs >= 1u);
  BOOST_TEST(overruns <= st.common.enobufs);
  BOOST_TEST(st.common.received + st.dropped ==
             static_cast<std::uint64_t>(flows + 1));
  BOOST_TEST(st.common.lost == st.dropped);
  // The last snapshot plus the events after it is the table.
  auto t = table();
  auto all = ct::dump(t);
  NFACTOR_REQUIRE_OK(all);
  BOOST_TEST(all->size() == static_cast<std::size_t>(flows + 1));
  std::set<std::uint32_t> table_ids;
  for (const auto& e : *all)
    table_ids.insert(*e.id);
  std::set<std::uint32_t> held;
  for (const auto& e : snapshots.back().entries)
    held.insert(*e.ct.id);
  std::set<std::uint32_t> in_snapshot = held;
  for (auto i = at.back(); i < evs.size(); ++i) {
    if (evs[i].kind == ct::change::created)
      held.insert(*evs[i].ct.id);
    else if (evs[i].kind == ct::change::destroyed)
      held.erase(*evs[i].ct.id);
  }
  BOOST_TEST((held == table_ids));
  // The snapshot is what `conntrack -L` lists for its entries.
  std::vector<std::string> listed;
  for (const auto& line : test::conntrack_listing(netns)) {
    auto id = line.find(" id=");
    BOOST_REQUIRE(id != std::string::npos);
    if (in_snapshot.count(
            static_cast<std::uint32_t>(std::stoul(line.substr(id + 4)))) != 0)
      listed.push_back(line);
  }
  auto snapshot_lines = test::ct_lines(snapshots.back().entries);
  BOOST_TEST(snapshot_lines.size() == in_snapshot.size());
  BOOST_TEST((snapshot_lines == listed), test::joined(snapshot_lines)
                                             << "\nconntrack -L:"
                                             << test::joined(listed));
  stop(m);
}

BOOST_FIXTURE_TEST_CASE(kernel_filter_from_options, monitor_fixture) {
  auto opts = options();
  opts.filter.l4protos = {IPPROTO_UDP};
  auto m = start(opts);
  test::udp_sink sink{netns.ns(), AF_INET, 5005};
  BOOST_TEST(test::send_echo(netns.ns(), AF_INET, 0x77, "no"));
  BOOST_TEST(test::send_udp(netns.ns(), AF_INET, 5005, "yes", 1) == 1);
  auto evs = events_until(has(ct::change::created, 5005));
  BOOST_TEST(evs.size() == 1u);
  stop(m);
}

BOOST_FIXTURE_TEST_CASE(bad_options_are_typed_errors, monitor_fixture) {
  auto bad = [&](auto change) {
    auto o = options();
    change(o);
    auto m = actors::spawn_conntrack_monitor(
        sys, spawn_forwarder(sys, caf::actor{self}), o);
    BOOST_REQUIRE(!m);
    BOOST_TEST((actors::from_caf_error(m.error()).code ==
                make_error_code(errc::invalid_argument)));
  };
  bad([](auto& o) { o.max_batch = 0; });
  bad([](auto& o) { o.groups = ct::event_groups{false, false, false}; });
  bad([](auto& o) { o.max_in_flight = 1; });
  bad([](auto& o) {
    o.filter.sources = {ct::prefix{*ct::ip_address::parse("10.0.0.0"), 40}};
  });
  bad([](auto& o) {
    o.snapshot = true;
    o.snapshot_filter.family = 99;
  });
}

// The event socket breaks: the monitor fails with the cause, its
// supervisor starts a new one; the owner is told events may be lost
// (ct_resync_needed), the new monitor greets it, sends the table, counts
// the restart in its stats and works.
BOOST_FIXTURE_TEST_CASE(supervised_restart_after_a_broken_socket,
                        monitor_fixture) {
  owner = spawn_forwarder(sys, caf::actor{self});
  auto s = sup::spawn_supervisor(
      sys, observed(),
      {actors::conntrack_monitor_child("ct", owner, options())});
  auto first = await("ct", sup::child_state::running);
  auto m = sup::handle_as<actors::conntrack_monitor>(first);
  std::uint32_t portid = 0;
  self->request(m, test::patience, actors::stats_atom_v)
      .receive([&](actors::ct_monitor_stats& st) { portid = st.portid; },
               [](caf::error& e) { BOOST_FAIL(actors::describe(e)); });
  BOOST_REQUIRE(portid != 0u);
  // The flow exists before the socket breaks: the new monitor may dump the
  // table before the next datagram is sent (the dead descriptor can wake
  // the first monitor's poll by itself).
  test::udp_sink sink{netns.ns(), AF_INET, 5006};
  BOOST_TEST(test::send_udp(netns.ns(), AF_INET, 5006, "x", 1) == 1);
  BOOST_REQUIRE(test::replace_netfilter_socket(
      [&](const sockaddr_nl& nl) { return nl.nl_pid == portid; }));
  // Another datagram wakes the poll on the dead descriptor (or the next
  // turn does).
  BOOST_TEST(test::send_udp(netns.ns(), AF_INET, 5006, "w", 1) == 1);
  auto failed = await("ct", sup::child_state::restarting);
  BOOST_TEST_MESSAGE(
      "monitor failed with: " << actors::describe(failed.last_reason));
  BOOST_TEST(failed.last_reason != caf::error{});
  auto second = await("ct", sup::child_state::running);
  BOOST_TEST(second.restarts == 1u);
  // The gap is announced, then the new monitor greets and sends the table.
  std::optional<actors::ct_resync_needed> notice;
  self->receive([&](actors::ct_resync_needed& r) { notice = r; },
                caf::after(test::patience) >> [] {});
  BOOST_TEST_REQUIRE(notice.has_value());
  BOOST_TEST((*notice == actors::ct_resync_needed{0, true, 0}));
  // Two greetings: the first monitor's (still in the mailbox) and the new
  // one's (the same port id, maybe: the old socket's is free again).
  int greetings = 0;
  for (int i = 0; i < 2; ++i)
    self->receive([&](actors::ct_started&) { ++greetings; },
                  caf::after(test::patience) >> [] {});
  BOOST_TEST(greetings == 2);
  bool table = false;
  self->receive(
      [&](actors::ct_snapshot& snap) { table = !snap.entries.empty(); },
      caf::after(test::patience) >> [] {});
  BOOST_TEST(table); // the flow to 5006 at least
  auto m2 = sup::handle_as<actors::conntrack_monitor>(second);
  self->request(m2, test::patience, actors::stats_atom_v)
      .receive(
          [&](actors::ct_monitor_stats& st) {
            BOOST_TEST(st.common.restarts == 1u);
            BOOST_TEST(st.snapshots == 1u);
          },
          [](caf::error& e) { BOOST_FAIL(actors::describe(e)); });
  BOOST_TEST(test::send_udp(netns.ns(), AF_INET, 5006, "y", 1) == 1);
  self->send_exit(s, caf::exit_reason::user_shutdown);
  self->send_exit(owner, caf::exit_reason::user_shutdown);
}

// Flow start and end reach an owner on another node; the owner's death
// across the connection stops the monitor normally.
BOOST_FIXTURE_TEST_CASE(an_owner_on_another_node_gets_flow_events,
                        test::ct_netns_fixture) {
  test::test_certs certs;
  test::node_side owner_node{netns.ns(), test::tls_options(certs, "node"),
                             "127.0.0.1"};
  test::node_side monitor_node{netns.ns(), test::tls_options(certs, "client"),
                               "127.0.0.1"};
  caf::scoped_actor self{*owner_node.sys};
  auto owner = spawn_forwarder(*owner_node.sys, caf::actor{self});
  owner_node.to_stop.push_back(owner.address());
  auto port = actors::node::publish(owner, 0, "127.0.0.1", true);
  BOOST_REQUIRE_MESSAGE(port, (port ? "" : caf::to_string(port.error())));
  test::watchdog connecting{"connecting to the owner's node"};
  auto remote = actors::node::connect<actors::ct_owner>(
      *monitor_node.sys, "127.0.0.1", *port, true);
  connecting.disarm();
  BOOST_REQUIRE_MESSAGE(remote, (remote ? "" : caf::to_string(remote.error())));

  actors::conntrack_monitor_options o;
  o.ns = netns.ns();
  auto m = actors::start_conntrack_monitor(*monitor_node.sys, *remote, o);
  BOOST_REQUIRE_MESSAGE(
      m, "start: " << (m ? std::string{"ok"} : actors::describe(m.error())));
  auto monitor = caf::actor_cast<caf::actor>(*m);
  monitor_node.to_stop.push_back(monitor.address());
  caf::scoped_actor local{*monitor_node.sys};
  local->monitor(monitor);
  bool started = false;
  self->receive([&](actors::ct_started& s) { started = s.portid != 0; },
                caf::after(test::patience) >> [] {});
  BOOST_REQUIRE(started);

  test::udp_sink sink{netns.ns(), AF_INET, 5002};
  BOOST_TEST(test::send_udp(netns.ns(), AF_INET, 5002, "abc", 3) == 3);
  // NEW, then (after a delete through a table socket) DESTROY with the
  // counters, both as batches that crossed the connection.
  std::optional<ct::tuple> orig;
  std::optional<ct::counters> counted;
  sys::socket_options so;
  so.ns = netns.ns();
  auto table = sys::socket::open(so);
  NFACTOR_REQUIRE_OK(table);
  while (!counted)
    self->receive(
        [&](actors::ct_batch& b) {
          for (auto& ev : b.events) {
            if (!ev.ct.orig || ev.ct.orig->dst_port != 5002)
              continue;
            if (ev.kind == ct::change::created && !orig) {
              orig = *ev.ct.orig;
              NFACTOR_REQUIRE_OK(ct::remove(*table, *orig));
            } else if (ev.kind == ct::change::destroyed) {
              BOOST_TEST_REQUIRE(ev.ct.counters_orig.has_value());
              counted = *ev.ct.counters_orig;
            }
          }
        },
        [](actors::ct_resync_needed&) { BOOST_FAIL("unexpected loss"); },
        caf::after(test::patience) >>
            [&] {
              BOOST_FAIL((orig ? "no DESTROY" : "no NEW") << " across nodes");
            });
  BOOST_TEST(counted->packets == 3u);
  BOOST_TEST(counted->bytes == 3 * test::udp_wire_bytes(AF_INET, 3));

  self->send_exit(owner, caf::exit_reason::kill);
  bool down = false;
  while (!down)
    local->receive(
        [&](const caf::down_msg& dm) {
          if (dm.source == monitor.address()) {
            down = true;
            BOOST_TEST(actors::sup::is_normal_exit(dm.reason),
                       caf::to_string(dm.reason));
          }
        },
        caf::after(std::chrono::seconds{15}) >>
            [] { BOOST_FAIL("monitor outlived its remote owner"); });
}

namespace {

// The table actor's answer to one request (or its error).
template <class R, class... Ts>
caf::expected<R> ask(caf::scoped_actor& self, const actors::conntrack_table& t,
                     Ts&&... xs) {
  caf::expected<R> out{caf::sec::request_timeout};
  self->request(t, test::patience, std::forward<Ts>(xs)...)
      .receive([&](R& r) { out = std::move(r); },
               [&](caf::error& e) { out = std::move(e); });
  return out;
}

ct::tuple tcp_tuple(const char* src, const char* dst, std::uint16_t sport,
                    std::uint16_t dport) {
  ct::tuple t;
  t.src = ct::ip_address::parse(src);
  t.dst = ct::ip_address::parse(dst);
  t.l4proto = IPPROTO_TCP;
  t.src_port = sport;
  t.dst_port = dport;
  return t;
}

// The expectation lines of `conntrack -L expect` in `ns`, without the
// timeout (the first field), which moves from one second to the next.
std::vector<std::string> conntrack_expectations(const test::scratch_netns& ns) {
  auto r = ns.exec("conntrack -L expect 2>/dev/null");
  BOOST_REQUIRE_MESSAGE(r.status == 0, "conntrack -L expect: " << r.output);
  std::vector<std::string> out;
  std::istringstream in{r.output};
  for (std::string line; std::getline(in, line);)
    if (auto sp = line.find(' '); sp != std::string::npos)
      out.push_back(line.substr(sp + 1));
  return out;
}

} // namespace

// The kernel's FTP helper announces a data connection: a PORT command from
// 127.0.0.1:40021 to 127.0.0.1:21 makes an expectation for 127.0.0.1 ->
// 127.0.0.1:50000. A monitor with the expectation groups gets it as a
// typed NEW in a ct_exp_batch, the table actor's dump lists it as
// `conntrack -L expect` does, and a delete by tuple and id removes it
// (a DESTROY event; dump and conntrack then list none). On loopback the
// helper sees each segment twice (output and input), so the kernel
// replaces the first expectation by an equal one: a NEW, DESTROY, NEW
// for the same tuple. Without the helper in the kernel, nft refuses the
// ruleset and the monitor still joins the groups and gets nothing.
BOOST_FIXTURE_TEST_CASE(ftp_helper_expectations, monitor_fixture) {
  auto o = options();
  o.groups.exp_created = true;
  o.groups.exp_destroyed = true;
  actors::conntrack_table_options to;
  to.ns = netns.ns();
  auto table = actors::spawn_conntrack_table(sys, to);
  auto stop_table = [&] {
    self->send_exit(table, caf::exit_reason::user_shutdown);
  };
  auto helper =
      netns.exec(std::string{"nft '"} + test::ftp_helper_ruleset + "' 2>&1");
  if (!test::features().ftp_helper) {
    BOOST_TEST_MESSAGE("probed: no FTP conntrack helper in this kernel");
    BOOST_TEST(helper.status != 0, "nft took an ftp helper: " << helper.output);
    auto m = start(o);
    auto none = ask<std::vector<ct::exp_event>>(
        self, table, actors::ct_exp_dump_atom_v, std::uint8_t{0});
    BOOST_TEST_REQUIRE(static_cast<bool>(none));
    BOOST_TEST(none->empty());
    stop(m);
    stop_table();
    return;
  }
  BOOST_TEST_REQUIRE(helper.status == 0, helper.output);
  auto m = start(o);
  const auto expected = tcp_tuple("127.0.0.1", "127.0.0.1", 0, 50000);
  const auto mask = tcp_tuple("255.255.255.255", "255.255.255.255", 0, 0xffff);
  const auto master = tcp_tuple("127.0.0.1", "127.0.0.1", 40021, 21);
  test::ftp_port_session ftp{netns.ns(), 40021, 50000};

  // Expectation events until `done`; entry batches are the control
  // connection's and pass.
  std::vector<ct::exp_event> seen;
  auto exp_events_until = [&](auto done) {
    while (!done()) {
      bool got = false;
      self->receive(
          [&](actors::ct_exp_batch& b) {
            got = true;
            for (auto& ev : b.events)
              seen.push_back(std::move(ev));
          },
          [&](actors::ct_batch&) { got = true; },
          [&](actors::ct_resync_needed&) { BOOST_FAIL("unexpected loss"); },
          caf::after(test::patience) >> [] {});
      BOOST_REQUIRE_MESSAGE(got, "no expectation event within the patience");
    }
  };
  exp_events_until([&] { return !seen.empty(); });
  const auto& first = seen.front();
  BOOST_TEST((first.kind == ct::change::created));
  BOOST_TEST(first.family == AF_INET);
  BOOST_TEST((first.exp.expected == expected));
  BOOST_TEST((first.exp.mask == mask));
  BOOST_TEST((first.exp.master == master));
  BOOST_TEST((first.exp.helper == std::optional<std::string>{"ftp"}));
  BOOST_TEST((first.exp.expect_class == std::optional<std::uint32_t>{0}));
  BOOST_TEST((first.exp.flags == std::optional<std::uint32_t>{0}));
  BOOST_TEST_REQUIRE(first.exp.timeout.has_value());
  BOOST_TEST((*first.exp.timeout > 0 && *first.exp.timeout <= 300));
  BOOST_TEST(first.exp.id.has_value());

  // The dump: one expectation, what conntrack lists.
  auto dumped = ask<std::vector<ct::exp_event>>(
      self, table, actors::ct_exp_dump_atom_v, std::uint8_t{AF_INET});
  BOOST_TEST_REQUIRE(static_cast<bool>(dumped));
  BOOST_TEST_REQUIRE(dumped->size() == 1u);
  const auto listed = dumped->front();
  BOOST_TEST((listed.exp.expected == expected));
  BOOST_TEST((listed.exp.master == master));
  BOOST_TEST((listed.exp.helper == std::optional<std::string>{"ftp"}));
  auto ours = ct::to_text(listed.exp);
  auto theirs = conntrack_expectations(netns);
  BOOST_TEST_REQUIRE(theirs.size() == 1u);
  BOOST_TEST(ours.substr(ours.find(' ') + 1) == theirs.front());
  // The events announce the expectation the dump lists (after the
  // replacement loopback causes), each for the same tuple.
  exp_events_until([&] {
    return std::any_of(seen.begin(), seen.end(), [&](const ct::exp_event& e) {
      return e.kind == ct::change::created && e.exp.id == listed.exp.id;
    });
  });
  for (const auto& ev : seen)
    BOOST_TEST((ev.exp.expected == expected));

  // Deleted by tuple and id: a DESTROY of that id, and nothing listed.
  auto wrong_id = ask<caf::ok_atom>(self, table, actors::ct_exp_delete_atom_v,
                                    expected, *listed.exp.id + 1);
  BOOST_TEST_REQUIRE(!wrong_id);
  BOOST_TEST(actors::from_caf_error(wrong_id.error()).errno_value() == ENOENT);
  auto del = ask<caf::ok_atom>(self, table, actors::ct_exp_delete_atom_v,
                               expected, *listed.exp.id);
  BOOST_TEST_REQUIRE(static_cast<bool>(del),
                     (del ? std::string{} : actors::describe(del.error())));
  // (The replaced expectation's DESTROY came before: look after it.)
  auto destroyed = [&, from = seen.size()] {
    return std::any_of(
        seen.begin() + from, seen.end(), [&](const ct::exp_event& e) {
          return e.kind == ct::change::destroyed && e.exp.id == listed.exp.id;
        });
  };
  exp_events_until(destroyed);
  auto after = ask<std::vector<ct::exp_event>>(
      self, table, actors::ct_exp_dump_atom_v, std::uint8_t{0});
  BOOST_TEST_REQUIRE(static_cast<bool>(after));
  BOOST_TEST(after->empty());
  BOOST_TEST(conntrack_expectations(netns).empty());
  // A flush of none is fine.
  BOOST_TEST(static_cast<bool>(
      ask<caf::ok_atom>(self, table, actors::ct_exp_flush_atom_v)));
  auto st = stats(m);
  BOOST_TEST(st.decode_errors == 0u);
  stop(m);
  stop_table();
}

BOOST_AUTO_TEST_SUITE_END()
