// SPDX-License-Identifier: Apache-2.0
// Resource hygiene of every actor kind, through public APIs only: after a
// log listener, monitor, transactor, supervisor (with its children) or
// node stops — on request, by its owner's death, or after a supervisor
// restarted it — no file descriptor, thread or kernel binding is left.
//
// Oracles: /proc/self/fd and /proc/self/task (counted before and after;
// one warm-up round first, so CAF's lazily started parts are in the
// baseline, then two measured rounds, each checked), the
// namespace's /proc/net/netfilter/nfnetlink_log (bound NFLOG groups) and
// /proc/net/netlink (NETLINK_NETFILTER sockets; the test holds none), both
// read inside the test's namespace. Every round ends on the actors'
// down_msg; threads of detached actors end just after it, so the counts
// are compared once they settle (bounded by `patience`, never a timing
// assertion).
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include <unistd.h>

#include <caf/all.hpp>

#include "netns_fixture.hpp"
#include "nfactor/actors/log_listener.hpp"
#include "nfactor/actors/monitor.hpp"
#include "nfactor/actors/node/node.hpp"
#include "nfactor/actors/sup/supervisor.hpp"
#include "nfactor/actors/transactor.hpp"
#include "sup_fixture.hpp"

namespace resource_hygiene {
using namespace nfactor;
namespace fs = std::filesystem;
namespace sup = nfactor::actors::sup;
namespace node = nfactor::actors::node;
using test::patience;

struct usage {
  std::size_t fds = 0;
  std::size_t threads = 0;
};

std::size_t entries(const char* dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator{dir})
    ++n;
  return n;
}

usage now() {
  return {entries("/proc/self/fd"), entries("/proc/self/task")};
}

// What each open descriptor is, for a failure message.
std::string open_fds() {
  std::ostringstream out;
  for (auto& e : fs::directory_iterator{"/proc/self/fd"}) {
    std::error_code ec;
    out << e.path().filename().string() << " -> "
        << fs::read_symlink(e.path(), ec).string() << "\n";
  }
  return out.str();
}

// Waits until the process is back to `base` (threads of detached actors
// finish after their down_msg), bounded by `bound`; returns the usage then.
usage settle(usage base, std::chrono::steady_clock::duration bound) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  auto u = now();
  while ((u.fds != base.fds || u.threads != base.threads) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    u = now();
  }
  return u;
}

// User-space NETLINK_NETFILTER sockets in the namespace (/proc/net/netlink:
// column "Eth" is the protocol, "Pid" the port id; the kernel's own
// nfnetlink socket has port id 0).
std::size_t netfilter_sockets(const test::scratch_netns& n) {
  auto out = n.exec("cat /proc/net/netlink");
  BOOST_REQUIRE_MESSAGE(out.status == 0, out.output);
  std::istringstream in{out.output};
  std::string line;
  std::getline(in, line); // header
  std::size_t count = 0;
  while (std::getline(in, line)) {
    std::istringstream row{line};
    std::string sk;
    int proto = -1;
    std::uint32_t portid = 0;
    if (row >> sk >> proto >> portid && proto == NETLINK_NETFILTER &&
        portid != 0)
      ++count;
  }
  return count;
}

// Forwards log_started to the test; batches and loss are answered by
// nothing (this owner only needs to exist).
actors::log_batch_owner::behavior_type
log_owner(actors::log_batch_owner::pointer, caf::actor test) {
  return {
      [=](const actors::log_started& s) { caf::anon_send(test, s); },
      [](const actors::log_batch&) {},
      [](const actors::log_loss&) {},
  };
}

// A node subscriber that forwards log_started to the test.
caf::behavior subscriber(caf::event_based_actor*, caf::actor test) {
  return {
      [=](const actors::log_started& s) { caf::anon_send(test, s); },
      [](const actors::log_batch&) {},
      [](const actors::log_loss&) {},
      [](const nft::transaction&) {},
      [](const actors::resync_needed&) {},
      [](const node::node_loss&) {},
  };
}

struct fixture : test::netns_fixture, test::sup_fixture {
  actors::log_listener_options log_opts(std::uint16_t group) {
    actors::log_listener_options o;
    o.nflog.group = group;
    o.nflog.ns = netns.ns();
    return o;
  }

  actors::log_batch_owner spawn_log_owner() {
    return sys.spawn(log_owner, caf::actor{self});
  }

  actors::log_started await_started() {
    actors::log_started out;
    bool seen = false;
    while (!seen)
      self->receive([&](const actors::log_started& s) { out = s, seen = true; },
                    [](const sup::child_info&) {},
                    caf::after(patience) >>
                        [] { BOOST_FAIL("listener never started"); });
    return out;
  }

  // Waits for the down_msg of `a` (monitored by the caller).
  template <class Handle>
  void await_down_of(const Handle& a) {
    auto addr = caf::actor_cast<caf::actor_addr>(a);
    bool seen = false;
    while (!seen)
      self->receive([&](caf::down_msg& dm) { seen = dm.source == addr; },
                    [](const sup::child_info&) {},
                    [](const actors::log_started&) {},
                    caf::after(patience) >> [] { BOOST_FAIL("no down_msg"); });
  }

  // One warm-up round, then two measured rounds; after each round the
  // process and the namespace return to what they held before.
  void check_clean(const std::string& what,
                   const std::function<void()>& round) {
    auto start = now();
    round();
    // What the warm-up leaves for good (CAF starts some parts lazily) is
    // the baseline; wait briefly for its detached threads to end first.
    auto before = settle(start, std::chrono::seconds{2});
    for (int i = 0; i < 2; ++i) {
      round();
      auto after = settle(before, patience);
      BOOST_TEST_MESSAGE(what << ", round " << i + 1 << ": " << before.fds
                              << " fds, " << before.threads
                              << " threads before; " << after.fds << " fds, "
                              << after.threads << " threads after");
      BOOST_TEST(after.fds == before.fds, what << ":\n" << open_fds());
      BOOST_TEST(after.threads == before.threads, what);
      BOOST_TEST(test::nflog_groups(netns).empty(), what);
      BOOST_TEST(netfilter_sockets(netns) == 0u, what);
    }
  }
};

} // namespace resource_hygiene

BOOST_AUTO_TEST_SUITE(resource_hygiene,
                      *boost::unit_test::precondition(test::needs_kernel))

BOOST_FIXTURE_TEST_CASE(log_listener_stopped, fixture) {
  check_clean("log listener, stop_atom", [&] {
    auto owner = spawn_log_owner();
    auto l = actors::spawn_log_listener(sys, owner, log_opts(5));
    BOOST_REQUIRE(l);
    self->monitor(*l);
    auto started = await_started();
    BOOST_TEST(test::nflog_groups(netns)[5] == started.portid);
    self->send(*l, actors::stop_atom_v);
    await_down_of(*l);
    self->send_exit(owner, caf::exit_reason::user_shutdown);
  });
}

BOOST_FIXTURE_TEST_CASE(log_listener_owner_died, fixture) {
  check_clean("log listener, owner killed", [&] {
    auto owner = spawn_log_owner();
    auto l = actors::spawn_log_listener(sys, owner, log_opts(5));
    BOOST_REQUIRE(l);
    self->monitor(*l);
    await_started();
    self->send_exit(owner, caf::exit_reason::kill);
    await_down_of(*l);
  });
}

BOOST_FIXTURE_TEST_CASE(monitor_stopped_and_owner_died, fixture) {
  actors::monitor_options o;
  o.ns = netns.ns();
  auto start = [&](caf::actor owner) {
    auto m = test::require_spawned(actors::spawn_monitor(sys, owner, o));
    self->monitor(m);
    // A reply means its socket is open and subscribed.
    self->request(m, patience, actors::stats_atom_v)
        .receive([](const actors::monitor_stats&) {},
                 [](const caf::error& e) {
                   BOOST_FAIL("monitor stats: " << caf::to_string(e));
                 });
    BOOST_TEST(netfilter_sockets(netns) >= 1u);
    return m;
  };
  check_clean("monitor, stop_atom", [&] {
    auto owner = spawn_owner();
    auto m = start(owner);
    self->send(m, actors::stop_atom_v);
    await_down_of(m);
    self->send_exit(owner, caf::exit_reason::user_shutdown);
  });
  check_clean("monitor, owner killed", [&] {
    auto owner = spawn_owner();
    auto m = start(owner);
    self->send_exit(owner, caf::exit_reason::kill);
    await_down_of(m);
  });
}

BOOST_FIXTURE_TEST_CASE(transactor_exited, fixture) {
  actors::transactor_options o;
  o.ns = netns.ns();
  check_clean("transactor, exit", [&] {
    auto t = actors::spawn_transactor(sys, o);
    self->monitor(t);
    self->request(t, patience, actors::get_gen_atom_v)
        .receive([](const nft::gen_info&) {},
                 [](const caf::error& e) {
                   BOOST_FAIL("transactor get_gen: " << caf::to_string(e));
                 });
    self->send_exit(t, caf::exit_reason::user_shutdown);
    await_down_of(t);
  });
}

BOOST_FIXTURE_TEST_CASE(supervisor_children_after_shutdown_and_restart,
                        fixture) {
  actors::monitor_options mo;
  mo.ns = netns.ns();
  auto children = [&](actors::log_batch_owner owner, caf::actor mon_owner) {
    return std::vector<sup::child_spec>{
        sup::child("log-5",
                   [=, this](caf::actor_system& s) {
                     return actors::spawn_log_listener(s, owner, log_opts(5));
                   }),
        sup::child("monitor", [=](caf::actor_system& s) {
          return actors::spawn_monitor(s, mon_owner, mo);
        })};
  };
  check_clean("supervisor, shutdown", [&] {
    auto owner = spawn_log_owner();
    auto mon_owner = spawn_owner();
    auto s = sup::spawn_supervisor(sys, observed(), children(owner, mon_owner));
    self->monitor(s);
    await_started();
    BOOST_TEST(whereis(s, "monitor").state == sup::child_state::running);
    self->send_exit(s, caf::exit_reason::user_shutdown);
    await_down(s);
    self->send_exit(owner, caf::exit_reason::user_shutdown);
    self->send_exit(mon_owner, caf::exit_reason::user_shutdown);
  });
  check_clean("supervisor, after a restart", [&] {
    auto owner = spawn_log_owner();
    auto mon_owner = spawn_owner();
    auto s = sup::spawn_supervisor(sys, observed(), children(owner, mon_owner));
    self->monitor(s);
    auto first = await_started();
    // The listener's socket fails under it (see sup_log_listener.cpp).
    BOOST_REQUIRE(test::replace_netfilter_socket(
        [&](const sockaddr_nl& nl) { return nl.nl_pid == first.portid; }));
    // Wakes the listener so it finds its socket broken. Anonymous: a reply
    // left unread in the test's mailbox would keep the dead incarnation
    // (its sender) referenced, and its thread alive.
    caf::anon_send(sup::handle_as<actors::log_listener>(whereis(s, "log-5")),
                   actors::stats_atom_v);
    await("log-5", sup::child_state::restarting);
    auto second = await_started();
    BOOST_TEST(test::nflog_groups(netns)[5] == second.portid);
    self->send_exit(s, caf::exit_reason::user_shutdown);
    await_down(s);
    self->send_exit(owner, caf::exit_reason::user_shutdown);
    self->send_exit(mon_owner, caf::exit_reason::user_shutdown);
  });
}

BOOST_FIXTURE_TEST_CASE(node_with_subscriptions_exited, fixture) {
  check_clean("node, exit", [&] {
    node::node_options o;
    o.name = "hygiene";
    o.groups = {6};
    o.log.nflog.group = 6;
    o.log.nflog.ns = netns.ns();
    o.monitor.ns = netns.ns();
    o.tx.ns = netns.ns();
    auto n = node::spawn_node(sys, o);
    BOOST_REQUIRE(n);
    self->monitor(*n);
    auto sub = sys.spawn(subscriber, caf::actor{self});
    self->request(*n, patience, node::subscribe_atom_v, node::log_atom_v,
                  std::uint16_t{6}, caf::actor_cast<node::subscriber>(sub),
                  std::uint32_t{0})
        .receive([](const node::node_subscription&) {},
                 [](const caf::error& e) {
                   BOOST_FAIL("subscribe: " << caf::to_string(e));
                 });
    BOOST_TEST(test::nflog_groups(netns).count(6) == 1u);
    self->send_exit(*n, caf::exit_reason::user_shutdown);
    await_down_of(*n);
    self->send_exit(sub, caf::exit_reason::user_shutdown);
  });
}

BOOST_AUTO_TEST_SUITE_END()
