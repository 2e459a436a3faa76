// SPDX-License-Identifier: Apache-2.0
// The socket-actor core on its own: a tiny protocol (`probe`) reads
// datagrams from one end of a socketpair and delivers each as a string;
// the test holds the other end. Checked: delivery in order and its
// counters, credit bounds reading, stop closes the socket before its
// reply, the owner's death stops it normally, a failed open, a broken
// socket and a thrown exception become the exit reason; and messages
// from several threads while it stops (1000 rounds) never reach a
// closed or reused descriptor (run it under ASan too); it counts as
// running until its down messages are out.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/all.hpp>

#include "actor_system_fixture.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/socket_actor.hpp"
#include "nfactor/actors/sup/stats.hpp"
#include "nfactor/actors/type_ids.hpp"
#include "nfactor/error.hpp"

namespace socket_actor {
using namespace nfactor;
using namespace std::chrono_literals;
namespace sup = nfactor::actors::sup;

constexpr auto patience = 10s;

using probe =
    caf::typed_actor<caf::replies_to<actors::stats_atom>::with<sup::stats>,
                     caf::reacts_to<actors::stop_atom>>;
using probe_impl = probe::extend<caf::reacts_to<actors::socket_tick_atom>>;

// The whole protocol: one SOCK_SEQPACKET end, one string per datagram;
// "throw" throws, end of stream is a broken socket.
class probe_actor : public actors::socket_actor<probe_impl> {
 public:
  probe_actor(caf::actor_config& cfg, caf::actor owner, int fd,
              std::size_t credits)
    : socket_actor(cfg), owner_(std::move(owner)), fd_(fd) {
    set_credit_limit(credits);
  }

  behavior_type make_behavior() override {
    start(owner_);
    return {
        [this](actors::stats_atom) { return counters_snapshot(); },
        stop_handler(),
        tick_handler(),
    };
  }

 private:
  result<void> open_sockets() override {
    if (fd_ < 0)
      return make_error(errc::invalid_argument, "open probe", "no socket");
    return {};
  }

  void close_sockets() override {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }

  std::span<const int> socket_fds() const override { return {&fd_, 1}; }

  void on_readable(std::uint32_t) override {
    char buf[256];
    while (running() && may_read()) {
      auto n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
      if (n < 0) {
        fail(errno_error("recv", "probe"));
        return;
      }
      if (n == 0) {
        fail(make_error(errc::closed, "recv", "probe: peer closed"));
        return;
      }
      std::string text(buf, static_cast<std::size_t>(n));
      if (text == "throw")
        throw std::runtime_error("probe threw on purpose");
      ++counters().received;
      deliver(owner_, std::move(text), 1, 1);
    }
  }

  caf::actor owner_;
  int fd_;
};

struct socket_pair {
  int ours = -1;
  int theirs = -1;
  socket_pair() {
    int fds[2];
    BOOST_REQUIRE(
        ::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == 0);
    ours = fds[0];
    theirs = fds[1];
  }
  ~socket_pair() {
    if (ours >= 0)
      ::close(ours);
  }
  void send(const std::string& text) const {
    BOOST_REQUIRE(::send(ours, text.data(), text.size(), MSG_NOSIGNAL) ==
                  static_cast<ssize_t>(text.size()));
  }
  // True once the probe's end is closed: end of stream for ours, or a
  // reset if it was closed with datagrams unread.
  bool peer_closed() const {
    char c;
    auto n = ::recv(ours, &c, 1, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }
};

// Answers every string at once. (An argument: CAF 0.17.6 spawning a
// function-based actor with none dereferences a null tuple; UBSan.)
caf::behavior acking_owner(caf::event_based_actor*, int) {
  return {[](const std::string&) {
  }};
}

struct fixture : test::actor_system_fixture {
  caf::scoped_actor self{sys};

  probe spawn_probe(caf::actor owner, int fd, std::size_t credits = 4) {
    auto p =
        sys.spawn<probe_actor, caf::detached>(std::move(owner), fd, credits);
    self->monitor(p);
    return p;
  }

  sup::stats stats_of(const probe& p) {
    sup::stats out;
    self->request(p, patience, actors::stats_atom_v)
        .receive([&](const sup::stats& s) { out = s; },
                 [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    return out;
  }

  // Polls the probe's counters until `pred` holds (fails after patience).
  template <class Pred>
  sup::stats await_stats(const probe& p, Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + patience;
    for (;;) {
      auto s = stats_of(p);
      if (pred(s))
        return s;
      BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline,
                            "counters never got there");
      std::this_thread::sleep_for(1ms);
    }
  }

  // The exit reason of the probe `p` (it must go down).
  caf::error await_down(const probe& p) {
    caf::error reason;
    bool down = false;
    self->receive(
        [&](caf::down_msg& dm) {
          BOOST_REQUIRE(dm.source == p.address());
          down = true;
          reason = std::move(dm.reason);
        },
        caf::after(patience) >> [] {});
    BOOST_REQUIRE_MESSAGE(down, "the probe did not stop");
    return reason;
  }

  // The next string the test (as owner) receives; the answer is sent
  // when the handler returns.
  std::string next_string() {
    std::string out;
    self->receive([&](const std::string& s) { out = s; },
                  caf::after(patience) >> [] { BOOST_FAIL("no datagram"); });
    return out;
  }
};

} // namespace socket_actor

BOOST_AUTO_TEST_SUITE(socket_actor)

BOOST_FIXTURE_TEST_CASE(delivers_in_order_and_counts, fixture) {
  socket_pair sp;
  auto p = spawn_probe(caf::actor{self}, sp.theirs);
  for (auto text : {"one", "two", "three"})
    sp.send(text);
  BOOST_TEST(next_string() == "one");
  BOOST_TEST(next_string() == "two");
  BOOST_TEST(next_string() == "three");
  auto s = await_stats(p, [](const sup::stats& s) { return s.delivered == 3; });
  BOOST_TEST(s.received == 3u);
  self->send(p, actors::stop_atom_v);
  BOOST_TEST(!await_down(p));
}

BOOST_FIXTURE_TEST_CASE(reading_stops_without_credit, fixture) {
  socket_pair sp;
  auto p = spawn_probe(caf::actor{self}, sp.theirs, 2);
  for (int i = 0; i < 5; ++i)
    sp.send("d" + std::to_string(i));
  // Two requests unanswered: the probe reads no third datagram.
  (void)await_stats(p, [](const sup::stats& s) { return s.received == 2; });
  std::this_thread::sleep_for(50ms);
  BOOST_TEST(stats_of(p).received == 2u);
  // An answer gives one credit back: one more datagram is read.
  BOOST_TEST(next_string() == "d0");
  auto s = await_stats(p, [](const sup::stats& s) { return s.received == 3; });
  BOOST_TEST(s.delivered == 1u);
  for (int i = 1; i < 5; ++i)
    BOOST_TEST(next_string() == "d" + std::to_string(i));
  (void)await_stats(p, [](const sup::stats& s) { return s.delivered == 5; });
  self->send(p, actors::stop_atom_v);
  BOOST_TEST(!await_down(p));
}

BOOST_FIXTURE_TEST_CASE(stop_closes_the_socket_before_its_reply, fixture) {
  socket_pair sp;
  auto owner = sys.spawn(acking_owner, 0);
  auto p = spawn_probe(owner, sp.theirs);
  (void)stats_of(p);
  BOOST_TEST(!sp.peer_closed());
  self->request(p, patience, actors::stop_atom_v)
      .receive([] {}, [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  BOOST_TEST(sp.peer_closed());
  BOOST_TEST(!await_down(p));
  caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(owner_down_stops_it_normally, fixture) {
  socket_pair sp;
  auto owner = sys.spawn(acking_owner, 0);
  auto p = spawn_probe(owner, sp.theirs);
  (void)stats_of(p);
  caf::anon_send_exit(owner, caf::exit_reason::kill);
  auto reason = await_down(p);
  BOOST_TEST((reason == caf::exit_reason::normal));
  BOOST_TEST(sp.peer_closed());
}

BOOST_FIXTURE_TEST_CASE(failed_open_is_the_exit_reason, fixture) {
  auto p = spawn_probe(caf::actor{self}, -1);
  auto reason = await_down(p);
  BOOST_TEST((reason == errc::invalid_argument));
  BOOST_TEST(actors::describe(reason).find("no socket") != std::string::npos,
             actors::describe(reason));
}

BOOST_FIXTURE_TEST_CASE(broken_socket_is_the_exit_reason, fixture) {
  socket_pair sp;
  auto owner = sys.spawn(acking_owner, 0);
  auto p = spawn_probe(owner, sp.theirs);
  (void)stats_of(p);
  ::close(sp.ours);
  sp.ours = -1;
  auto reason = await_down(p);
  BOOST_TEST((reason == errc::closed));
  BOOST_TEST(actors::describe(reason).find("peer closed") != std::string::npos,
             actors::describe(reason));
  caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(exception_keeps_its_text, fixture) {
  socket_pair sp;
  auto owner = sys.spawn(acking_owner, 0);
  auto p = spawn_probe(owner, sp.theirs);
  sp.send("throw");
  auto reason = await_down(p);
  BOOST_TEST((reason == caf::sec::runtime_error));
  BOOST_TEST(caf::to_string(reason).find("probe threw on purpose") !=
                 std::string::npos,
             caf::to_string(reason));
  BOOST_TEST(sp.peer_closed());
  caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
}

// The system's shutdown waits for the running count; a detached actor
// must stay counted until every down message of its monitors is out, or
// the shutdown can stop the middleman before one reaches the BASP broker,
// and the actor is never destroyed (shutdown_barrier.hpp). A functor
// attached after the fixture's monitor runs before it at the exit and
// holds the exit there: the probe must still count as running.
BOOST_FIXTURE_TEST_CASE(counts_as_running_until_its_down_messages_are_out,
                        fixture) {
  auto idle = sys.registry().running();
  socket_pair sp;
  auto p = spawn_probe(caf::actor{self}, sp.theirs);
  (void)stats_of(p);
  auto entered = std::make_shared<std::promise<void>>();
  std::promise<void> release;
  struct releaser { // lets the probe go whatever happens below
    std::promise<void>& p;
    ~releaser() { p.set_value(); }
  };
  auto held = release.get_future().share();
  caf::actor_cast<caf::abstract_actor*>(p)->attach_functor([entered, held] {
    entered->set_value();
    held.wait();
  });
  {
    releaser go{release};
    self->send(p, actors::stop_atom_v);
    BOOST_REQUIRE(entered->get_future().wait_for(patience) ==
                  std::future_status::ready);
    BOOST_TEST(sys.registry().running() > idle,
               "the probe left the running count before its down messages");
  }
  BOOST_TEST(!await_down(p));
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (sys.registry().running() != idle &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  BOOST_TEST(sys.registry().running() == idle);
}

// Several threads send to the probe while it stops (stop message, exit
// message or its owner's death, in turn) and go on sending after it is
// down. The wake-up eventfd must stay open until the last message: after
// the probe is down the test opens pipes, which would take a descriptor
// number the probe closed too early, and no sender may write into them.
BOOST_FIXTURE_TEST_CASE(messages_from_many_threads_while_it_stops, fixture) {
  constexpr int rounds = 1000;
  constexpr int senders = 3;
  for (int round = 0; round < rounds; ++round) {
    socket_pair sp;
    auto owner = sys.spawn(acking_owner, 0);
    auto p = spawn_probe(owner, sp.theirs);
    std::atomic<int> sent{0};
    std::atomic<bool> down{false};
    std::atomic<bool> pipes_open{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < senders; ++t)
      threads.emplace_back([&, h = p] {
        // While it runs and stops: up to 200 messages each.
        for (int i = 0; !down.load(); ++i) {
          if (i < 200) {
            caf::anon_send(h, actors::stats_atom_v);
            sent.fetch_add(1);
          } else {
            std::this_thread::yield();
          }
        }
        while (!pipes_open.load())
          std::this_thread::yield();
        // Late: after it is down, with new descriptors open.
        for (int i = 0; i < 20; ++i)
          caf::anon_send(h, actors::stats_atom_v);
      });
    sp.send("x");
    while (sent.load() < 10 * senders)
      std::this_thread::yield();
    switch (round % 3) {
    case 0:
      caf::anon_send(p, actors::stop_atom_v);
      break;
    case 1:
      caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
      break;
    default:
      caf::anon_send_exit(owner, caf::exit_reason::kill);
      break;
    }
    (void)await_down(p);
    down = true;
    int pipes[4][2];
    for (auto& pp : pipes)
      BOOST_REQUIRE(::pipe2(pp, O_NONBLOCK | O_CLOEXEC) == 0);
    pipes_open = true;
    for (auto& t : threads)
      t.join();
    for (auto& pp : pipes) {
      char c;
      auto n = ::read(pp[0], &c, 1);
      BOOST_REQUIRE_MESSAGE(n < 0 && errno == EAGAIN,
                            "round " << round
                                     << ": a late message wrote into a "
                                        "descriptor the probe had closed");
      ::close(pp[0]);
      ::close(pp[1]);
    }
    BOOST_REQUIRE_MESSAGE(sp.peer_closed(),
                          "round " << round << ": the socket is still open");
    caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
  }
}

BOOST_AUTO_TEST_SUITE_END()
