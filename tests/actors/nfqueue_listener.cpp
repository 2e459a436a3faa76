// SPDX-License-Identifier: Apache-2.0
// The queue listener actor (nfactor::actors::queue_listener) against the
// real kernel, each test in its own scratch namespace with an iptables
// NFQUEUE rule for UDP to 127.0.0.1: verdicts per packet and per batch,
// deferred verdicts in any order, the verdict timeout, owner death, stop,
// a supervisor restart (the kernel's queue_total in /proc/net/netfilter/
// nfnetlink_queue is the oracle that no packet stays queued), typed loss,
// typed errors, the message types' trip through CAF's serializers, and an
// owner on another node (CAF's middleman over TLS) giving the verdicts.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "nfqueue_helpers.hpp" // system socket headers before <linux/*.h>

#include <caf/all.hpp>

#include "node_support.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/node/security.hpp"
#include "nfactor/actors/queue_listener.hpp"
#include "nfactor/actors/sup/failure.hpp"
#include "nfactor/actors/sup/supervisor.hpp"
#include "nfactor/nfqueue/queue.hpp"
#include "sup_fixture.hpp"

namespace nfqueue_listener {
using namespace nfactor;
using namespace nfactor::actors;
namespace sup = nfactor::actors::sup;
using nfactor::test::patience;
using nfqueue::verdict;

constexpr std::uint16_t queue_num = 4;
constexpr std::uint16_t port = 9999;

// The error text of an expected handle, or "ok" (Boost.Test evaluates
// the message even when the check passes).
template <class T>
std::string failure_of(const caf::expected<T>& x) {
  return x ? std::string{"ok"} : describe(x.error());
}

enum class answer_mode {
  /// A verdict per packet: drop "lose", mark "mark*" with 0x2a, accept the
  /// rest.
  each,
  /// One accept for the whole batch.
  all,
  /// No verdict: every packet waits for a queue_verdicts.
  later,
};

// Forwards everything the listener sends to the test and answers batches
// as `mode` says.
caf::behavior scripted_owner(caf::event_based_actor*, caf::actor test,
                             answer_mode mode) {
  return {
      [=](const queue_started& s) { caf::anon_send(test, s); },
      [=](const queue_batch& b) {
        caf::anon_send(test, b);
        if (mode == answer_mode::all)
          return queue_answer::all(verdict::accept());
        queue_answer a;
        if (mode == answer_mode::later)
          return a;
        for (const auto& p : b.packets) {
          auto text = test::udp_text(p);
          auto v = text == "lose" ? verdict::drop() : verdict::accept();
          if (text.rfind("mark", 0) == 0)
            v.mark = 0x2a;
          a.verdicts.push_back({p.id, v});
        }
        std::reverse(a.verdicts.begin(), a.verdicts.end()); // any order
        return a;
      },
      [=](const queue_loss& l) { caf::anon_send(test, l); },
  };
}

// Holds every batch's answer until it gets "release", then accepts all.
caf::behavior holding_owner(caf::event_based_actor* self, caf::actor test) {
  auto held = std::make_shared<std::vector<caf::response_promise>>();
  return {
      [=](const queue_started& s) { caf::anon_send(test, s); },
      [=](const queue_batch& b) {
        caf::anon_send(test, b);
        held->push_back(self->make_response_promise());
        return held->back();
      },
      [=](const queue_loss& l) { caf::anon_send(test, l); },
      [=](const std::string& cmd) {
        if (cmd != "release")
          return;
        for (auto& rp : *held)
          rp.deliver(queue_answer::all(verdict::accept()));
        held->clear();
      },
  };
}

struct fixture : test::netns_fixture, test::sup_fixture {
  fixture() { test::add_queue_rule(netns, AF_INET, port, queue_num); }

  // Every owner this test spawned is stopped (a holding owner keeps its
  // promises, and with them itself, alive).
  ~fixture() {
    for (auto& o : owners)
      self->send_exit(o, caf::exit_reason::user_shutdown);
  }

  std::vector<caf::actor> owners;

  queue_owner keep(caf::actor a) {
    owners.push_back(a);
    return caf::actor_cast<queue_owner>(a);
  }

  queue_listener_options options() {
    queue_listener_options o;
    o.queue.queue = queue_num;
    o.queue.ns = netns.ns();
    o.default_verdict = verdict::accept(); // lets the oracle see them
    return o;
  }

  queue_owner owner(answer_mode mode) {
    return keep(sys.spawn(scripted_owner, caf::actor{self}, mode));
  }

  void send(const std::string& text) {
    BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET, port, text), 1);
  }

  queue_started await_started() {
    queue_started out;
    bool seen = false;
    while (!seen)
      self->receive([&](const queue_started& s) { out = s, seen = true; },
                    [](const sup::child_info&) {},
                    caf::after(patience) >>
                        [] { BOOST_FAIL("listener never started"); });
    return out;
  }

  // The packets of the batches the owner saw, until `n` arrived.
  std::vector<nfqueue::queue_packet> await_packets(std::size_t n) {
    std::vector<nfqueue::queue_packet> out;
    while (out.size() < n)
      self->receive(
          [&](const queue_batch& b) {
            BOOST_TEST(b.queue == queue_num);
            out.insert(out.end(), b.packets.begin(), b.packets.end());
          },
          [](const sup::child_info&) {}, [](const queue_loss&) {},
          caf::after(patience) >>
              [&] {
                BOOST_FAIL("only " << out.size() << " of " << n << " packets");
              });
    return out;
  }

  queue_stats stats(const queue_listener& l) {
    queue_stats out;
    self->request(l, patience, stats_atom_v)
        .receive([&](const queue_stats& s) { out = s; },
                 [](const caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    return out;
  }

  void await_down(const caf::actor_addr& who) {
    bool down = false;
    while (!down)
      self->receive([&](const caf::down_msg& dm) { down = dm.source == who; },
                    [](const sup::child_info&) {}, [](const queue_batch&) {},
                    caf::after(patience) >>
                        [] { BOOST_FAIL("listener did not stop"); });
  }

  std::uint32_t queue_total() {
    return test::binding_of(netns, queue_num).queue_total;
  }
};

} // namespace nfqueue_listener

BOOST_AUTO_TEST_SUITE(nfqueue_listener)

BOOST_FIXTURE_TEST_CASE(message_types_survive_serialization,
                        test::actor_system_fixture) {
  nfqueue::queue_packet p;
  p.family = 2;
  p.queue = 3;
  p.id = 77;
  p.hook = 3;
  p.mark = 5;
  p.payload = byte_buffer{0x45, 0, 0, 20};
  p.conntrack = nflog::conntrack{};
  p.secctx = "ctx";
  queue_batch b{3, {p, p}};
  BOOST_TEST((round_trip(b) == b));
  verdict v = verdict::to_queue(9, true);
  v.mark = 1;
  v.connmark = 2;
  v.labels = nfqueue::ct_labels{1};
  v.payload = byte_buffer{1, 2, 3};
  queue_answer a;
  a.verdicts = {{77, v}, {78, verdict::drop()}};
  a.rest = verdict::repeat();
  BOOST_TEST((round_trip(a) == a));
  BOOST_TEST((round_trip(queue_answer::later()) == queue_answer::later()));
  queue_verdicts qv{{{1, verdict::stop()}}};
  BOOST_TEST((round_trip(qv) == qv));
  queue_loss l{3, 1, 2, 3, 4, 5, 6};
  BOOST_TEST((round_trip(l) == l));
  queue_stats s;
  s.common.received = 9;
  s.queue_dropped = 4;
  BOOST_TEST((round_trip(s) == s));
}

BOOST_FIXTURE_TEST_CASE(bad_options_are_typed_errors,
                        test::actor_system_fixture) {
  queue_listener_options o;
  o.queue.max_queue_len = 100; // fewer than max_in_flight
  auto h = spawn_queue_listener(sys, caf::actor_cast<queue_owner>(caf::actor{}),
                                o); // and no owner
  BOOST_REQUIRE(!h);
  BOOST_TEST(from_caf_error(h.error()).code ==
             make_error_code(errc::invalid_argument));
  BOOST_TEST(o.validate().err().detail.find("max_queue_len") !=
             std::string::npos);
  o = {};
  o.default_verdict.payload = byte_buffer{1};
  BOOST_TEST(!o.validate());
  o = {};
  o.queue.queue = 70000;
  BOOST_TEST(o.validate().err().detail.find("queue must be 0..65535") !=
             std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(verdicts_per_packet_in_any_order, fixture,
                        *boost::unit_test::precondition(test::needs_kernel)) {
  netns.nft("add table ip later; add chain ip later out { type filter hook "
            "output priority 10; }; add rule ip later out meta mark 0x2a "
            "counter");
  test::udp_receiver rx{netns, AF_INET, port};
  auto l = start_queue_listener(sys, owner(answer_mode::each), options());
  BOOST_REQUIRE_MESSAGE(l, failure_of(l));
  auto started = await_started();
  BOOST_TEST(started.queue == queue_num);
  BOOST_TEST(test::binding_of(netns, queue_num).portid == started.portid);
  for (auto* t : {"keep", "lose", "mark me", "end"})
    send(t);
  await_packets(4);
  // The owner answers each batch last packet first, and the kernel
  // reinjects in verdict order: compare as a set.
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i)
    if (auto d = rx.recv())
      got.push_back(*d);
  std::sort(got.begin(), got.end());
  BOOST_TEST((got == std::vector<std::string>{"end", "keep", "mark me"}));
  // "lose" got its verdict before this one was even sent: had it been let
  // through, it would arrive first.
  send("final");
  await_packets(1);
  BOOST_TEST((rx.until("final") == std::vector<std::string>{"final"}));
  BOOST_TEST(queue_total() == 0u);
  auto listing = netns.nft("list chain ip later out");
  BOOST_TEST(listing.find("counter packets 1 ") != std::string::npos, listing);
  auto st = stats(*l);
  BOOST_TEST(st.common.received == 5u); // with "final"
  BOOST_TEST(st.common.delivered == 5u);
  BOOST_TEST(st.pending == 0u);
  BOOST_TEST(st.verdict_errors == 0u);
  // Every packet's time from read to verdict, the dropped one's too.
  BOOST_TEST(st.verdict_latency.total() == 5u);
  self->send(*l, stop_atom_v);
}

BOOST_FIXTURE_TEST_CASE(one_answer_for_a_batch_is_one_batch_verdict, fixture,
                        *boost::unit_test::precondition(test::needs_kernel)) {
  test::udp_receiver rx{netns, AF_INET, port};
  auto l = start_queue_listener(sys, owner(answer_mode::all), options());
  BOOST_REQUIRE_MESSAGE(l, failure_of(l));
  BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET, port, "x", 50), 50);
  send("end");
  await_packets(51);
  auto got = rx.until("end");
  BOOST_TEST(got.size() == 51u);
  BOOST_TEST(queue_total() == 0u);
  auto st = stats(*l);
  BOOST_TEST(st.batch_verdicts >= 1u);
  BOOST_TEST(st.batch_verdicts == st.verdicts); // never one per packet
  BOOST_TEST(st.messages == st.batch_verdicts);
  BOOST_TEST(st.verdict_latency.total() == 51u); // one per packet
  BOOST_TEST_MESSAGE("51 packets in "
                     << st.messages << " batches, verdict "
                     << "latency median "
                     << st.verdict_latency.quantile(0.5).count() << " us");
  // Off: the same answers go out one message per packet.
  self->send(*l, stop_atom_v);
  self->monitor(*l);
  await_down(l->address());
  auto o = options();
  o.batch_verdicts = false;
  auto l2 = start_queue_listener(sys, owner(answer_mode::all), o);
  BOOST_REQUIRE_MESSAGE(l2, failure_of(l2));
  for (auto* t : {"a", "end"})
    send(t);
  await_packets(2);
  BOOST_TEST((rx.until("end") == std::vector<std::string>{"a", "end"}));
  auto st2 = stats(*l2);
  BOOST_TEST(st2.batch_verdicts == 0u);
  BOOST_TEST(st2.verdicts == 2u);
  self->send(*l2, stop_atom_v);
}

BOOST_FIXTURE_TEST_CASE(deferred_verdicts_come_later_in_any_order, fixture,
                        *boost::unit_test::precondition(test::needs_kernel)) {
  test::udp_receiver rx{netns, AF_INET, port};
  auto l = start_queue_listener(sys, owner(answer_mode::later), options());
  BOOST_REQUIRE_MESSAGE(l, failure_of(l));
  for (auto* t : {"a", "b", "c"})
    send(t);
  auto pkts = await_packets(3);
  BOOST_TEST(queue_total() == 3u);
  BOOST_TEST(stats(*l).pending == 3u);
  queue_verdicts v;
  v.verdicts = {{pkts[2].id, verdict::accept()},
                {pkts[0].id, verdict::drop()},
                {pkts[1].id, verdict::accept()},
                {pkts[1].id, verdict::drop()}}; // twice: the second is late
  self->send(*l, v);
  auto st = stats(*l); // served after the verdicts
  BOOST_TEST(st.pending == 0u);
  BOOST_TEST(st.late_verdicts == 1u);
  BOOST_TEST(st.verdict_latency.total() == 3u); // the late one not again
  BOOST_TEST(queue_total() == 0u);
  std::vector<std::string> got{*rx.recv(), *rx.recv()};
  std::sort(got.begin(), got.end());
  BOOST_TEST((got == std::vector<std::string>{"b", "c"}));
  self->send(*l, stop_atom_v);
}

BOOST_FIXTURE_TEST_CASE(a_verdict_timeout_gives_the_default, fixture,
                        *boost::unit_test::precondition(test::needs_kernel)) {
  test::udp_receiver rx{netns, AF_INET, port};
  auto o = options();
  o.verdict_timeout = std::chrono::milliseconds{100};
  auto l = start_queue_listener(sys, owner(answer_mode::later), o);
  BOOST_REQUIRE_MESSAGE(l, failure_of(l));
  for (auto* t : {"a", "end"})
    send(t);
  await_packets(2);
  // Nobody gives a verdict: the default (accept here) lets them through.
  BOOST_TEST((rx.until("end") == std::vector<std::string>{"a", "end"}));
  BOOST_TEST(queue_total() == 0u);
  auto st = stats(*l);
  BOOST_TEST(st.timed_out == 2u);
  BOOST_TEST(st.pending == 0u);
  BOOST_TEST(st.verdict_latency.total() == 0u); // no owner's verdict
  self->send(*l, stop_atom_v);
}

BOOST_FIXTURE_TEST_CASE(owner_death_leaves_no_packet_queued, fixture,
                        *boost::unit_test::precondition(test::needs_kernel)) {
  test::udp_receiver rx{netns, AF_INET, port};
  auto o = options();
  o.verdict_timeout = std::chrono::milliseconds{0}; // only death settles
  auto who = owner(answer_mode::later);
  auto l = start_queue_listener(sys, who, o);
  BOOST_REQUIRE_MESSAGE(l, failure_of(l));
  self->monitor(*l);
  for (auto* t : {"a", "b"})
    send(t);
  await_packets(2);
  BOOST_TEST(queue_total() == 2u);
  self->send_exit(who, caf::exit_reason::kill);
  await_down(l->address());
  BOOST_TEST(!nfqueue::find_binding(netns.ns(), queue_num)); // unbound
  BOOST_TEST(*rx.recv() == "a"); // given the default verdict, not dropped
  BOOST_TEST(*rx.recv() == "b");
}

BOOST_FIXTURE_TEST_CASE(stop_settles_what_the_owner_holds, fixture,
                        *boost::unit_test::precondition(test::needs_kernel)) {
  test::udp_receiver rx{netns, AF_INET, port};
  auto o = options();
  o.default_verdict = verdict::drop();
  auto l = start_queue_listener(
      sys, keep(sys.spawn(holding_owner, caf::actor{self})), o);
  BOOST_REQUIRE_MESSAGE(l, failure_of(l));
  self->monitor(*l);
  for (auto* t : {"a", "b"})
    send(t);
  await_packets(1);
  BOOST_TEST(queue_total() == 2u);
  self->send(*l, stop_atom_v);
  await_down(l->address());
  BOOST_TEST(!nfqueue::find_binding(netns.ns(), queue_num));
  BOOST_TEST(!rx.recv(std::chrono::milliseconds{200})); // dropped
}

BOOST_FIXTURE_TEST_CASE(a_stalled_owner_makes_typed_loss, fixture,
                        *boost::unit_test::precondition(test::needs_kernel)) {
  auto o = options();
  o.queue.rcvbuf = 4096; // the kernel doubles it: a few packets fit
  o.max_batch = 1;
  o.max_in_flight = 1;
  o.verdict_timeout = std::chrono::milliseconds{0};
  auto who = sys.spawn(holding_owner, caf::actor{self});
  auto l = start_queue_listener(sys, keep(who), o);
  BOOST_REQUIRE_MESSAGE(l, failure_of(l));
  std::string big(1000, 'x');
  BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET, port, big, 40), 40);
  await_packets(1);
  auto b = test::binding_of(netns, queue_num);
  BOOST_TEST_REQUIRE(b.user_dropped > 0u);
  // Release: the listener reads on, meets the overrun and the id gap.
  caf::anon_send(who, std::string{"release"});
  // The first report may come when reading resumes, with only the
  // kernel's counters; wait for the one with the overrun or the id gap.
  queue_loss loss;
  bool seen = false;
  while (!seen)
    self->receive(
        [&](const queue_loss& x) {
          loss = x;
          seen = x.overruns > 0 || x.id_gap > 0;
        },
        [&](const queue_batch&) {
          caf::anon_send(who, std::string{"release"});
        },
        caf::after(patience) >> [] { BOOST_FAIL("no queue_loss"); });
  BOOST_TEST(loss.queue == queue_num);
  // The report carries the kernel's counter as the listener read it,
  // which may be before the burst ended (a loaded host): never more than
  // the final count, and the drops are there.
  BOOST_TEST(loss.user_dropped > 0u);
  BOOST_TEST(loss.user_dropped <= b.user_dropped);
  BOOST_TEST((loss.overruns > 0u || loss.id_gap > 0u));
  BOOST_TEST_MESSAGE("loss: " << loss.overruns << " overruns, id gap "
                              << loss.id_gap << ", user_dropped "
                              << loss.user_dropped);
  self->send(*l, stop_atom_v);
  self->monitor(*l);
  await_down(l->address());
}

BOOST_FIXTURE_TEST_CASE(a_queue_bound_elsewhere_fails_the_start, fixture,
                        *boost::unit_test::precondition(test::needs_kernel)) {
  nfqueue::options qo;
  qo.queue = queue_num;
  qo.ns = netns.ns();
  auto other = nfqueue::queue_handle::open(qo);
  NFACTOR_REQUIRE_OK(other);
  auto l = start_queue_listener(sys, owner(answer_mode::all), options());
  BOOST_REQUIRE(!l);
  auto e = from_caf_error(l.error());
  BOOST_TEST(e.code == make_error_code(errc::busy), describe(l.error()));
  BOOST_TEST(
      e.detail.find("netlink portid " + std::to_string(other->portid())) !=
          std::string::npos,
      e.detail);
}

BOOST_FIXTURE_TEST_CASE(a_supervised_restart_drains_the_queue, fixture,
                        *boost::unit_test::precondition(test::needs_kernel)) {
  test::udp_receiver rx{netns, AF_INET, port};
  auto o = options();
  o.verdict_timeout = std::chrono::milliseconds{0};
  auto s = sup::spawn_supervisor(
      sys, observed(),
      {queue_listener_child("queue", owner(answer_mode::later), o)});
  auto first = await_started();
  for (auto* t : {"a", "b"})
    send(t);
  await_packets(2);
  BOOST_TEST(queue_total() == 2u);
  auto child = whereis(s, "queue");
  // A failure of the incarnation (as a broken socket would end it).
  self->send_exit(child.handle,
                  caf::make_error(caf::sec::runtime_error, "injected failure"));
  await("queue", sup::child_state::restarting);
  auto second = await_started();
  BOOST_TEST_MESSAGE("port ids: " << first.portid << ", then "
                                  << second.portid);
  BOOST_TEST(*rx.recv() == "a"); // the old incarnation's default verdict
  BOOST_TEST(*rx.recv() == "b");
  BOOST_TEST(queue_total() == 0u);
  BOOST_TEST(test::binding_of(netns, queue_num).portid == second.portid);
  auto st = stats(sup::handle_as<queue_listener>(whereis(s, "queue")));
  BOOST_TEST(st.common.restarts == 1u);
  self->send_exit(s, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(an_owner_on_another_node_gives_the_verdicts,
                        test::netns_fixture,
                        *boost::unit_test::precondition(test::needs_kernel)) {
  test::add_queue_rule(netns, AF_INET, port, queue_num);
  test::test_certs certs;
  test::node_side owner_node{netns.ns(), test::tls_options(certs, "node"),
                             "127.0.0.1"};
  test::node_side listener_node{netns.ns(), test::tls_options(certs, "client"),
                                "127.0.0.1"};
  caf::scoped_actor self{*owner_node.sys};
  auto owner = owner_node.sys->spawn(scripted_owner, caf::actor{self},
                                     answer_mode::each);
  owner_node.to_stop.push_back(owner.address());
  auto published = actors::node::publish(owner, 0, "127.0.0.1", true);
  BOOST_REQUIRE_MESSAGE(published, failure_of(published));
  test::watchdog connecting{"connecting to the owner's node"};
  auto remote = actors::node::connect<caf::actor>(
      *listener_node.sys, "127.0.0.1", *published, true);
  connecting.disarm();
  BOOST_REQUIRE_MESSAGE(remote, failure_of(remote));

  test::udp_receiver rx{netns, AF_INET, port};
  queue_listener_options o;
  o.queue.queue = queue_num;
  o.queue.ns = netns.ns();
  // Packets the remote owner never answers would be dropped: only its
  // verdicts let "keep" through.
  o.default_verdict = verdict::drop();
  auto l = start_queue_listener(*listener_node.sys,
                                caf::actor_cast<queue_owner>(*remote), o);
  BOOST_REQUIRE_MESSAGE(l, failure_of(l));
  auto listener = caf::actor_cast<caf::actor>(*l);
  listener_node.to_stop.push_back(listener.address());
  caf::scoped_actor local{*listener_node.sys};
  local->monitor(listener);
  bool started = false;
  while (!started)
    self->receive(
        [&](const queue_started& s) {
          started = true;
          BOOST_TEST(s.queue == queue_num);
        },
        caf::after(patience) >> [] { BOOST_FAIL("no queue_started"); });

  for (auto* t : {"keep", "lose", "end"})
    BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET, port, t), 1);
  std::size_t seen = 0;
  while (seen < 3)
    self->receive(
        [&](const queue_batch& b) {
          BOOST_TEST(b.queue == queue_num);
          seen += b.packets.size();
        },
        [](const queue_loss&) { BOOST_FAIL("unexpected loss"); },
        caf::after(patience) >>
            [&] {
              BOOST_FAIL("the remote owner saw " << seen << " of 3 packets");
            });
  std::vector<std::string> got;
  for (int i = 0; i < 2; ++i)
    if (auto d = rx.recv())
      got.push_back(*d);
  std::sort(got.begin(), got.end());
  BOOST_TEST((got == std::vector<std::string>{"end", "keep"}));
  BOOST_TEST(test::binding_of(netns, queue_num).queue_total == 0u);

  // The owner going away on its node stops the listener normally and
  // unbinds the queue.
  self->send_exit(owner, caf::exit_reason::kill);
  bool down = false;
  while (!down)
    local->receive(
        [&](const caf::down_msg& dm) {
          if (dm.source == listener.address()) {
            down = true;
            BOOST_TEST(sup::is_normal_exit(dm.reason),
                       caf::to_string(dm.reason));
          }
        },
        caf::after(std::chrono::seconds{15}) >>
            [] { BOOST_FAIL("listener outlived its remote owner"); });
  BOOST_TEST(!nfqueue::find_binding(netns.ns(), queue_num)); // unbound
}

BOOST_AUTO_TEST_SUITE_END()
