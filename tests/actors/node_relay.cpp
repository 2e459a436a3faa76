// SPDX-License-Identifier: Apache-2.0
// The node's relay in one process, two actor systems joined by mutual TLS
// on loopback inside a scratch namespace: a batch with every field of an
// event set arrives equal, credits bound the batches in flight, dropped
// batches are counted and reported before the next one, a subscriber
// going away ends its subscription (and the kernel's list of bound groups
// says the group was unbound), and a listener or monitor that fails is
// restarted by the node's supervisors, its subscribers told
// (`stream_restarted`, ruleset subscribers also `resync_needed`). Faults are
// injected without a hook: the actor's netlink socket is replaced with
// /dev/null under it (test::replace_netfilter_socket).
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "nfactor/actors/error.hpp"
#include "nfactor/actors/node/client.hpp"
#include "nfactor/actors/node/node.hpp"
#include "node_support.hpp"
#include "sup_fixture.hpp"
#include "traffic.hpp"

// Tells the test subscriber to answer the batches it holds.
CAF_ADD_ATOM(nfactor_node, nfactor::actors::node, release_atom, "release")

namespace node_relay {
using namespace nfactor;
using namespace nfactor::actors;
using namespace std::chrono_literals;

template <class T>
std::string why(const caf::expected<T>& x) {
  return x ? std::string{"ok"} : caf::to_string(x.error());
}

// Every field of an NFLOG event set (values as the decoder would give).
nflog::log_event full_event(std::uint32_t seq) {
  nflog::log_event e;
  e.family = 2;
  e.group = 5;
  e.hw_protocol = 0x0800;
  e.hook = 3;
  e.mark = 0xdeadbeef;
  e.timestamp = nflog::timestamp{1700000000, 123456};
  e.indev = 1;
  e.outdev = 2;
  e.physindev = 3;
  e.physoutdev = 4;
  e.indev_name = "lo";
  e.outdev_name = "veth0";
  e.physindev_name = "br0";
  e.physoutdev_name = "eth1";
  e.hwaddr = nflog::hw_address{6, {0, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0}};
  e.payload = byte_buffer{0x45, 0, 0, 28, 0xff, 0};
  e.prefix = "nfx \"quoted\"";
  e.uid = 1000;
  e.gid = 100;
  e.seq = seq;
  e.seq_global = seq + 1000;
  e.hwtype = 1;
  e.hwlen = 14;
  e.hwheader = byte_buffer(14, 0xab);
  // A raw CTA_* nest (CTA_STATUS 0x188) and what the decoder makes of it:
  // a batch carries the raw bytes, and the receiver decodes them again.
  e.ct = byte_buffer{0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x88};
  auto ct = nflog::decode_conntrack(*e.ct);
  BOOST_REQUIRE(ct);
  e.conntrack = *ct;
  e.ctinfo = 2;
  e.vlan = nflog::vlan_tag{0x8100, 0x0123};
  e.l2hdr = byte_buffer{1, 2, 3};
  return e;
}

log_batch batch_of(std::size_t n, std::uint32_t first_seq) {
  log_batch b;
  b.group = 5;
  for (std::size_t i = 0; i < n; ++i)
    b.events.push_back(full_event(first_seq + static_cast<std::uint32_t>(i)));
  return b;
}

// Receives until a message of type T arrives and returns it, dropping
// those of the types `Ignored` on the way; fails the test at `deadline`
// (one limit for the whole wait, however many others arrive).
template <class T, class... Ignored>
T await(caf::scoped_actor& self, const std::string& what,
        std::chrono::steady_clock::time_point deadline) {
  std::optional<T> got;
  while (!got) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    BOOST_REQUIRE_MESSAGE(left.count() > 0, "no " << what);
    auto take = [&](T& x) {
      got = std::move(x);
    };
    auto fail = [&] {
      BOOST_FAIL("no " << what);
    };
    self->receive(
        take, [](Ignored&) { /* dropped */ }..., caf::after(left) >> fail);
  }
  return std::move(*got);
}

// The end of a wait that starts now.
std::chrono::steady_clock::time_point deadline() {
  return std::chrono::steady_clock::now() + test::patience;
}

struct held_state {
  std::vector<caf::response_promise> held;
};

// A subscriber that forwards what it gets to `observer`; with `hold`, it
// answers no batch until told (`release_atom`).
caf::behavior test_subscriber(caf::stateful_actor<held_state>* self,
                              caf::actor observer, bool hold) {
  return {
      [=](log_started& s) { self->send(observer, s); },
      [=](node::packed_log_batch& p) -> caf::result<void> {
        // A batch that fails to unpack never reaches the observer (and
        // the test waiting for it fails).
        if (auto b = node::unpack(p))
          self->send(observer, std::move(*b));
        if (!hold)
          return caf::unit;
        auto rp = self->make_response_promise();
        self->state.held.push_back(rp);
        return caf::delegated<void>{};
      },
      [=](log_loss& l) { self->send(observer, l); },
      [=](node::node_loss& l) { self->send(observer, l); },
      [=](node::stream_restarted& r) { self->send(observer, r); },
      [=](resync_needed& r) { self->send(observer, r); },
      [=](nft::transaction& t) { self->send(observer, t); },
      [=](node::release_atom) {
        for (auto& rp : self->state.held)
          rp.deliver(caf::unit);
        self->state.held.clear();
      },
  };
}

struct relay_fixture : test::netns_fixture {
  test::test_certs certs;
  test::node_side server{netns.ns(), test::tls_options(certs, "node"),
                         "127.0.0.1"};
  test::node_side client{netns.ns(), test::tls_options(certs, "client"),
                         "127.0.0.1"};
  node::node_actor node_handle;
  node::node_actor remote;
  // The node's observer: receives its `node_report`s.
  caf::scoped_actor reports{*server.sys};

  explicit relay_fixture(std::uint64_t max_held_events = 16384,
                         std::uint32_t max_restarts = 3) {
    node::node_options opts;
    opts.max_held_events = max_held_events;
    opts.max_restarts = max_restarts;
    opts.observer = caf::actor{reports};
    opts.name = "local";
    opts.groups = {5};
    opts.log.nflog.ns = netns.ns();
    opts.monitor.ns = netns.ns();
    opts.tx.ns = netns.ns();
    auto n = node::spawn_node(*server.sys, opts);
    BOOST_REQUIRE(n);
    node_handle = *n;
    server.to_stop.push_back(n->address());
    auto port = node::publish(node_handle, 0, "127.0.0.1", true);
    BOOST_REQUIRE_MESSAGE(port, why(port));
    test::watchdog connecting{"connecting to the node"};
    auto r = node::connect_node(*client.sys, {"127.0.0.1", *port}, true);
    connecting.disarm();
    BOOST_REQUIRE_MESSAGE(r, why(r));
    remote = *r;
  }

  // Injects `b` as if the group's listener had read it.
  void inject(log_batch b) {
    caf::anon_send(caf::actor_cast<node::node_impl>(node_handle), std::move(b));
  }

  // Subscribes a subscriber that forwards to `self` to group 5, which
  // logs UDP to port 9999, and waits for its `log_started`; then replaces
  // the listener's socket with /dev/null and sends a packet that wakes
  // it: its next recv fails (ENOTSOCK). The first `log_started`.
  log_started break_the_listener(caf::scoped_actor& self) {
    netns.nft("add table inet t; "
              "add chain inet t out { type filter hook output priority 0; }; "
              "add rule inet t out udp dport 9999 log group 5; "
              "add chain inet t in { type filter hook input priority 0; }; "
              "add rule inet t in udp dport 9999 drop");
    auto sub = client.sys->spawn(test_subscriber, caf::actor{self}, false);
    client.to_stop.push_back(sub.address());
    subscribe(self, caf::actor_cast<node::subscriber>(sub), 0);
    log_started first;
    self->receive([&](log_started& st) { first = st; },
                  caf::after(10s) >> [] { BOOST_FAIL("no log_started"); });
    BOOST_TEST(test::nflog_groups(netns)[5] == first.portid);
    BOOST_REQUIRE(test::replace_netfilter_socket(
        [&](const sockaddr_nl& nl) { return nl.nl_pid == first.portid; }));
    BOOST_REQUIRE(test::send_udp(netns.ns(), AF_INET, 9999, "wake") == 1);
    return first;
  }

  node::node_stats stats(caf::scoped_actor& self) {
    node::node_stats out;
    self->request(remote, 10s, stats_atom_v)
        .receive([&](node::node_stats& s) { out = std::move(s); },
                 [&](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    return out;
  }

  // The node's stats once `done` holds for them, polled until one deadline;
  // the last ones seen otherwise (the caller's checks then fail).
  node::node_stats
  stats_when(caf::scoped_actor& self,
             const std::function<bool(const node::node_stats&)>& done) {
    auto until = deadline();
    auto st = stats(self);
    while (!done(st) && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(20ms);
      st = stats(self);
    }
    return st;
  }

  node::node_subscription subscribe(caf::scoped_actor& self,
                                    const node::subscriber& sub,
                                    std::uint32_t in_flight) {
    node::node_subscription out;
    self->request(remote, 10s, node::subscribe_atom_v, node::log_atom_v,
                  std::uint16_t{5}, sub, in_flight)
        .receive([&](node::node_subscription& s) { out = s; },
                 [&](caf::error& e) { BOOST_FAIL(describe(e)); });
    return out;
  }

  // Subscribes a test subscriber with one batch of credit, spends it on a
  // batch of 2 events, then injects three batches of 3 the subscriber has
  // no credit for.
  struct spent {
    caf::actor subscriber;
    node::node_subscription subscription;
  };
  spent spend_the_only_credit(caf::scoped_actor& self) {
    auto sub = client.sys->spawn(test_subscriber, caf::actor{self}, true);
    client.to_stop.push_back(sub.address());
    auto s = subscribe(self, caf::actor_cast<node::subscriber>(sub), 1);
    BOOST_TEST(s.max_in_flight == 1u);
    self->receive([](log_started&) {},
                  caf::after(10s) >> [] { BOOST_FAIL("no log_started"); });
    inject(batch_of(2, 0));
    self->receive([](log_batch& b) { BOOST_TEST(b.events.size() == 2u); },
                  caf::after(10s) >> [] { BOOST_FAIL("no batch"); });
    for (std::uint32_t i = 0; i < 3; ++i)
      inject(batch_of(3, 2 + 3 * i));
    return {sub, s};
  }
};

// A node that holds nothing back: without credit, a batch is dropped.
struct no_hold_fixture : relay_fixture {
  no_hold_fixture() : relay_fixture(0) {}
};

// A node whose supervisors give up at the first failure.
struct no_restart_fixture : relay_fixture {
  no_restart_fixture() : relay_fixture(16384, 0) {}
};

// The next report the node's observer receives (a test failure if none
// comes within 10 s).
node::node_report next_report(caf::scoped_actor& reports) {
  node::node_report out;
  reports->receive([&](node::node_report& r) { out = std::move(r); },
                   caf::after(10s) >> [] { BOOST_FAIL("no node_report"); });
  return out;
}

} // namespace node_relay

BOOST_AUTO_TEST_SUITE(node_relay,
                      *boost::unit_test::precondition(test::needs_kernel))

BOOST_FIXTURE_TEST_CASE(every_field_crosses_the_network_intact, relay_fixture) {
  caf::scoped_actor self{*client.sys};
  auto sub = client.sys->spawn(test_subscriber, caf::actor{self}, false);
  client.to_stop.push_back(sub.address());
  auto s = subscribe(self, caf::actor_cast<node::subscriber>(sub), 0);
  BOOST_TEST(s.source == "log:5");
  BOOST_TEST(s.max_in_flight == 32u); // the node's default
  self->receive([](log_started& st) { BOOST_TEST(st.group == 5); },
                caf::after(10s) >> [] { BOOST_FAIL("no log_started"); });
  auto sent = batch_of(3, 10);
  inject(sent);
  self->receive([&](log_batch& got) { BOOST_TEST((got == sent)); },
                caf::after(10s) >> [] { BOOST_FAIL("no batch"); });
  auto caps_ok = false;
  self->request(remote, 10s, node::caps_atom_v)
      .receive(
          [&](node::node_caps& c) {
            caps_ok = c.name == "local" &&
                      c.groups == std::vector<std::uint16_t>{5} &&
                      c.incarnation != 0;
          },
          [&](caf::error&) {});
  BOOST_TEST(caps_ok);
}

BOOST_FIXTURE_TEST_CASE(credits_bound_batches_in_flight_and_loss_is_reported,
                        no_hold_fixture) {
  caf::scoped_actor self{*client.sys};
  // No credit left for the last three batches: dropped and counted.
  auto credit = spend_the_only_credit(self);
  const auto& sub = credit.subscriber;
  const auto& s = credit.subscription;
  // The stats request queues behind the injected batches at the node only
  // if it comes from the same sender; poll until the node has seen them.
  auto st = stats_when(self, [](const node::node_stats& x) {
    return !x.subscriptions.empty() && x.subscriptions[0].batches_dropped == 3;
  });
  BOOST_REQUIRE_EQUAL(st.subscriptions.size(), 1u);
  BOOST_TEST(st.subscriptions[0].batches_sent == 1u);
  BOOST_TEST(st.subscriptions[0].in_flight == 1u);
  BOOST_TEST(st.subscriptions[0].batches_dropped == 3u);
  BOOST_TEST(st.subscriptions[0].events_dropped == 9u);
  BOOST_TEST(st.bound_groups == std::vector<std::uint16_t>{5});
  // The subscriber answers: the credit returns; the next batch is preceded
  // by the loss notice.
  self->send(sub, node::release_atom_v);
  st = stats_when(self, [](const node::node_stats& x) {
    return x.subscriptions.size() == 1 && x.subscriptions[0].in_flight == 0;
  });
  BOOST_REQUIRE_EQUAL(st.subscriptions.size(), 1u);
  BOOST_TEST(st.subscriptions[0].in_flight == 0u);
  inject(batch_of(1, 11));
  self->receive(
      [&](node::node_loss& l) {
        BOOST_TEST(l.subscription == s.id);
        BOOST_TEST(l.source == "log:5");
        BOOST_TEST(l.batches == 3u);
        BOOST_TEST(l.events == 9u);
        BOOST_TEST(l.total_events == 9u);
      },
      caf::after(10s) >> [] { BOOST_FAIL("no loss notice"); });
  self->receive(
      [](log_batch& b) {
        BOOST_TEST((b.events.at(0).seq == std::optional<std::uint32_t>{11}));
      },
      caf::after(10s) >> [] { BOOST_FAIL("no batch after the notice"); });
}

BOOST_FIXTURE_TEST_CASE(without_credit_batches_are_held_and_merged,
                        relay_fixture) {
  caf::scoped_actor self{*client.sys};
  // No credit left for the last three batches: held, not dropped.
  auto sub = spend_the_only_credit(self).subscriber;
  auto st = stats_when(self, [](const node::node_stats& x) {
    return x.subscriptions.size() == 1 && x.subscriptions[0].batches_sent == 1;
  });
  BOOST_REQUIRE_EQUAL(st.subscriptions.size(), 1u);
  // The credit returns: the three come as one batch, in order, no loss.
  self->send(sub, node::release_atom_v);
  self->receive(
      [](log_batch& b) {
        BOOST_REQUIRE_EQUAL(b.events.size(), 9u);
        for (std::uint32_t i = 0; i < 9; ++i)
          BOOST_TEST((b.events[i].seq == std::optional<std::uint32_t>{2 + i}));
      },
      [](node::node_loss&) { BOOST_FAIL("a loss notice"); },
      caf::after(10s) >> [] { BOOST_FAIL("no merged batch"); });
  self->send(sub, node::release_atom_v);
  st = stats(self);
  BOOST_TEST(st.subscriptions.at(0).batches_dropped == 0u);
  BOOST_TEST(st.subscriptions.at(0).events_sent == 11u);
}

BOOST_FIXTURE_TEST_CASE(a_subscriber_going_down_ends_its_subscriptions,
                        relay_fixture) {
  caf::scoped_actor self{*client.sys};
  auto sub = client.sys->spawn(test_subscriber, caf::actor{self}, false);
  client.to_stop.push_back(sub.address()); // should the test stop early
  auto s = subscribe(self, caf::actor_cast<node::subscriber>(sub), 0);
  self->receive([](log_started&) {},
                caf::after(10s) >> [] { BOOST_FAIL("no log_started"); });
  BOOST_TEST(stats(self).subscriptions.size() == 1u);
  BOOST_TEST(test::nflog_groups(netns).count(5) == 1u);
  self->send_exit(sub, caf::exit_reason::user_shutdown);
  // The listener unbinds in its on_exit, after the node has dropped the
  // subscription: the node's account and the kernel's, one deadline.
  auto st = stats_when(self, [&](const node::node_stats& x) {
    return x.subscriptions.empty() && x.bound_groups.empty() &&
           test::nflog_groups(netns).count(5) == 0;
  });
  BOOST_TEST(st.subscriptions.empty());
  BOOST_TEST(st.bound_groups.empty());                  // the group was unbound
  BOOST_TEST(test::nflog_groups(netns).count(5) == 0u); // says the kernel
  bool existed = true;
  self->request(remote, 10s, node::unsubscribe_atom_v, s.id)
      .receive([&](bool b) { existed = b; }, [](caf::error&) {});
  BOOST_TEST(!existed);
}

BOOST_FIXTURE_TEST_CASE(groups_not_offered_are_refused, relay_fixture) {
  caf::scoped_actor self{*client.sys};
  auto sub = client.sys->spawn(test_subscriber, caf::actor{self}, false);
  client.to_stop.push_back(sub.address());
  std::string err;
  self->request(remote, 10s, node::subscribe_atom_v, node::log_atom_v,
                std::uint16_t{6}, caf::actor_cast<node::subscriber>(sub),
                std::uint32_t{0})
      .receive([](node::node_subscription&) {},
               [&](caf::error& e) { err = describe(e); });
  BOOST_TEST(err.find("group 6 is not offered") != std::string::npos, err);
}

BOOST_FIXTURE_TEST_CASE(a_failed_listener_is_restarted_and_subscribers_told,
                        relay_fixture) {
  caf::scoped_actor self{*client.sys};
  // The supervisor restarts the failed listener, and the subscriber hears
  // of it.
  auto first = break_the_listener(self);
  auto r = await<node::stream_restarted, log_batch>(self, "stream_restarted",
                                                    deadline());
  BOOST_TEST(r.source == "log:5");
  BOOST_TEST(r.restarts == 1u);
  BOOST_TEST_MESSAGE("restart reason: " << r.reason);
  BOOST_TEST(r.reason.find("Socket operation on non-socket") !=
                 std::string::npos,
             r.reason);
  // The node prints nothing: its observer hears of the restart.
  auto report = next_report(reports);
  BOOST_TEST(report.source == "log:5");
  BOOST_TEST((report.kind == node::report_kind::restarted));
  BOOST_TEST(report.restarts == 1u);
  BOOST_TEST(report.reason.find("Socket operation on non-socket") !=
                 std::string::npos,
             report.reason);
  BOOST_TEST(to_string(report).starts_with("log:5 restarted (1): "));
  // The new listener binds the group again; events flow on the same
  // subscription.
  auto second =
      await<log_started, log_batch>(self, "second log_started", deadline());
  BOOST_TEST(second.portid != first.portid);
  BOOST_TEST(test::nflog_groups(netns)[5] == second.portid);
  BOOST_REQUIRE(test::send_udp(netns.ns(), AF_INET, 9999, "after") == 1);
  for (auto until = deadline();
       await<log_batch>(self, "an event after the restart", until)
           .events.empty();) {
  }
  auto st = stats(self);
  BOOST_TEST(st.restarts == 1u);
  BOOST_TEST(st.subscriptions.size() == 1u);
  BOOST_TEST(st.bound_groups == std::vector<std::uint16_t>{5});
}

BOOST_FIXTURE_TEST_CASE(a_failed_monitor_is_restarted_and_subscribers_resync,
                        relay_fixture) {
  caf::scoped_actor self{*client.sys};
  auto sub = client.sys->spawn(test_subscriber, caf::actor{self}, false);
  client.to_stop.push_back(sub.address());
  self->request(remote, 10s, node::subscribe_atom_v, node::ruleset_atom_v,
                caf::actor_cast<node::subscriber>(sub), std::uint32_t{0})
      .receive(
          [](node::node_subscription& s) { BOOST_TEST(s.source == "ruleset"); },
          [](caf::error& e) { BOOST_FAIL(describe(e)); });
  netns.nft("add table ip before");
  self->receive([](nft::transaction&) {},
                caf::after(10s) >> [] { BOOST_FAIL("no first commit"); });
  // The monitor's socket is the one subscribed to NFNLGRP_NFTABLES.
  BOOST_REQUIRE(test::replace_netfilter_socket([](const sockaddr_nl& nl) {
    return (nl.nl_groups & (1u << (NFNLGRP_NFTABLES - 1))) != 0;
  }));
  netns.nft("add table ip wake"); // wakes the monitor: its recv fails
  auto r = await<node::stream_restarted, nft::transaction>(
      self, "stream_restarted", deadline());
  BOOST_TEST(r.source == "ruleset");
  BOOST_TEST(r.restarts == 1u);
  BOOST_TEST_MESSAGE("restart reason: " << r.reason);
  auto report = next_report(reports);
  BOOST_TEST(report.source == "ruleset");
  BOOST_TEST((report.kind == node::report_kind::restarted));
  BOOST_TEST(report.restarts == 1u);
  await<resync_needed, nft::transaction>(self, "resync_needed", deadline());
  // A snapshot from the new monitor (it refuses until it has one), then
  // commits flow again.
  std::size_t tables = 0;
  for (auto until = deadline();
       tables != 2 && std::chrono::steady_clock::now() < until;)
    self->request(remote, 10s, node::snapshot_atom_v, std::uint8_t{0},
                  std::string{})
        .receive([&](nft::ruleset& rs) { tables = rs.tables.size(); },
                 [&](caf::error&) { std::this_thread::sleep_for(100ms); });
  BOOST_TEST(tables == 2u); // before, wake
  netns.nft("add table ip after");
  // The commit of "after", whatever else is still queued ("wake" may or
  // may not have been read before the old monitor went down).
  auto names_after = [](const nft::transaction& t) {
    auto* table = t.changes.size() == 1
                      ? std::get_if<nft::table>(&t.changes[0].entity)
                      : nullptr;
    return table != nullptr && table->name == "after";
  };
  auto until = deadline();
  while (!names_after(
      await<nft::transaction>(self, "the commit of table after", until))) {
  }
  BOOST_TEST(stats(self).restarts == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_supervisor_giving_up_is_reported_to_the_observer,
                        no_restart_fixture) {
  caf::scoped_actor self{*client.sys};
  break_the_listener(self);
  // No restart allowed: the group's supervisor gives up, the observer
  // hears why, and the stream's subscriptions end.
  auto report = next_report(reports);
  BOOST_TEST(report.source == "log:5");
  BOOST_TEST((report.kind == node::report_kind::gave_up));
  BOOST_TEST(report.reason.find("Socket operation on non-socket") !=
                 std::string::npos,
             report.reason);
  BOOST_TEST(to_string(report).starts_with("log:5: gave up: "));
  node::node_stats st;
  for (int i = 0; i < 500; ++i) {
    st = stats(self);
    if (st.subscriptions.empty())
      break;
    std::this_thread::sleep_for(10ms);
  }
  BOOST_TEST(st.subscriptions.empty());
  BOOST_TEST(st.bound_groups.empty());
}

BOOST_AUTO_TEST_SUITE_END()
