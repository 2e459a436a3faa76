// SPDX-License-Identifier: Apache-2.0
// The nf_tables monitor actor in a scratch namespace: a scripted session
// compared with `nft monitor` and `nft -j monitor` running at the same
// time, snapshot + tail under a concurrent writer, forced ENOBUFS with and
// without auto_resync, large commits in parts, a slow owner (credit), and
// owner-down.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/netfilter.h>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actor_system_fixture.hpp"
#include "netns_fixture.hpp"
#include "tx_helpers.hpp"
#include "nfactor/actors/error.hpp"
#include "nfactor/actors/monitor.hpp"
#include "nfactor/actors/system.hpp"
#include "nft_listing.hpp"

namespace nft_monitor {
using namespace nfactor;
using namespace std::chrono_literals;
using nfactor::test::needs_kernel;
using nfactor::test::netns_fixture;

// An nft script: table ip big, chain c, `rules` counter rules (one
// commit whose notifications far exceed a small receive buffer).
std::string big_table(int rules) {
  std::string script = "table ip big {\n chain c {\n";
  for (int i = 0; i < rules; ++i)
    script += "  ip saddr 10.0." + std::to_string(i / 250) + "." +
              std::to_string(i % 250) + " counter accept\n";
  return script + " }\n}\n";
}

struct monitor_fixture : netns_fixture, test::actor_system_fixture {
  caf::scoped_actor self;
  monitor_fixture() : self(sys) {}

  actors::monitor_actor spawn(actors::monitor_options o = {}) {
    o.ns = netns.ns();
    auto m =
        test::require_spawned(actors::spawn_monitor(sys, caf::actor{self}, o));
    // The subscription is open once the monitor answers a request.
    self->request(m, 5s, actors::stats_atom_v)
        .receive([](const actors::monitor_stats&) {},
                 [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    return m;
  }

  // The monitor's counters.
  actors::monitor_stats stats_of(const actors::monitor_actor& mon) {
    actors::monitor_stats out;
    self->request(mon, 5s, actors::stats_atom_v)
        .receive([&](const actors::monitor_stats& s) { out = s; },
                 [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    return out;
  }

  // Bounded wait until the monitor's counters satisfy `pred`.
  template <class Pred>
  actors::monitor_stats await_stats(const actors::monitor_actor& mon,
                                    Pred pred) {
    auto s = stats_of(mon);
    for (int i = 0; i < 2000 && !pred(s); ++i) {
      std::this_thread::sleep_for(5ms);
      s = stats_of(mon);
    }
    BOOST_REQUIRE(pred(s));
    return s;
  }

  // Receives transactions until one contains a table called `marker`.
  std::vector<nft::transaction> until_marker(const std::string& marker) {
    return until_marker(self, marker);
  }
  std::vector<nft::transaction> until_marker(caf::scoped_actor& owner,
                                             const std::string& marker) {
    std::vector<nft::transaction> got;
    bool done = false;
    while (!done) {
      owner->receive(
          [&](nft::transaction& t) {
            for (const auto& c : t.changes)
              if (auto* tb = std::get_if<nft::table>(&c.entity))
                done = done || tb->name == marker;
            got.push_back(std::move(t));
          },
          [](const actors::flat_batch&) {},
          caf::after(10s) >> [&] { BOOST_FAIL("no marker " << marker); });
    }
    return got;
  }
};

// A peer process writing to a file, killed at the end.
class background {
 public:
  background(const std::string& ns, std::vector<std::string> args,
             const std::string& path)
    : path_(path) {
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<std::string> all{"ip", "netns", "exec", ns};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp("ip", argv.data());
      ::_exit(127);
    }
  }
  ~background() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    ::unlink(path_.c_str());
  }
  std::string output() const {
    std::ifstream in{path_};
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // Waits (bounded) until the output contains `s`.
  bool wait_for(const std::string& s) const {
    for (int i = 0; i < 500; ++i) {
      if (output().find(s) != std::string::npos)
        return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
  std::string path_;
};

std::string fam(std::uint8_t f) {
  return nfnl::to_string(static_cast<nfnl::family>(f));
}

// One change as "add rule ip t c 4" (the fields `nft -j monitor` shows).
std::string describe(const nft::change& c) {
  std::string op = c.added ? "add " : "delete ";
  return std::visit(
      [&](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, nft::table>)
          return op + "table " + fam(x.family) + " " + x.name + " " +
                 std::to_string(x.handle.value_or(0));
        else if constexpr (std::is_same_v<T, nft::chain>)
          return op + "chain " + fam(x.family) + " " + x.table + " " + x.name +
                 " " + std::to_string(x.handle.value_or(0));
        else if constexpr (std::is_same_v<T, nft::rule>)
          return op + "rule " + fam(x.family) + " " + x.table + " " + x.chain +
                 " " + std::to_string(x.handle.value_or(0));
        else if constexpr (std::is_same_v<T, nft::set>)
          return op + "set " + fam(x.family) + " " + x.table + " " + x.name +
                 " " + std::to_string(x.handle.value_or(0));
        else if constexpr (std::is_same_v<T, nft::elem_list>)
          return op + "element " + fam(x.family) + " " + x.table + " " + x.set;
        else
          return op + "other";
      },
      c.entity);
}

std::string describe_json(const nlohmann::json& line) {
  auto op = line.begin().key();
  const auto& body = line.begin().value();
  auto kind = body.begin().key();
  const auto& o = body.begin().value();
  auto s = (op == "add" ? std::string{"add "} : std::string{"delete "}) +
           (kind == "map" ? std::string{"set"} : kind) + " " +
           o["family"].get<std::string>() + " ";
  if (kind == "table")
    return s + o["name"].get<std::string>() + " " +
           std::to_string(o["handle"].get<std::uint64_t>());
  s += o["table"].get<std::string>() + " ";
  if (kind == "rule")
    return s + o["chain"].get<std::string>() + " " +
           std::to_string(o["handle"].get<std::uint64_t>());
  if (kind == "element")
    return s + o["name"].get<std::string>();
  return s + o["name"].get<std::string>() + " " +
         std::to_string(o["handle"].get<std::uint64_t>());
}

} // namespace nft_monitor

BOOST_AUTO_TEST_SUITE(nft_monitor,
                      *boost::unit_test::precondition(needs_kernel))

BOOST_FIXTURE_TEST_CASE(scripted_session_matches_nft_monitor, monitor_fixture) {
  actors::monitor_options o;
  o.flat = true;
  auto mon = spawn(o);
  auto dir = std::string{"/tmp/nfactor-mon-"} + std::to_string(::getpid());
  background text{netns.name(), {"nft", "monitor"}, dir + ".txt"};
  background js{netns.name(), {"nft", "-j", "monitor"}, dir + ".json"};
  // Both peers are subscribed once they print a commit made after start.
  // On a loaded machine they may miss the first sync commits, so there can
  // be several; our monitor sees all of them, and the session starts after
  // the last one it delivers (not after whatever happens to be in the
  // mailbox: the monitor's thread may not have sent the later ones yet).
  bool ready = false;
  std::string last_sync;
  for (int i = 0; i < 20 && !ready; ++i) {
    last_sync = "sync" + std::to_string(i);
    netns.nft("add table ip " + last_sync);
    ready = text.wait_for(" " + last_sync + "\n") &&
            js.wait_for("\"" + last_sync + "\"");
  }
  BOOST_REQUIRE(ready);
  (void)until_marker(last_sync);

  // The scripted session: every command is one nft run, one commit.
  const std::vector<std::string> script = {
      "add table inet s",
      "add chain inet s c { type filter hook input priority 0; policy accept; "
      "}",
      "add set inet s ips { type ipv4_addr; }",
      "add map inet s ports { type inet_service : verdict; }",
      "add rule inet s c ip saddr @ips counter accept",
      "add rule inet s c tcp dport vmap @ports",
      "add element inet s ips { 10.0.0.1, 10.0.0.2 }",
      "add element inet s ports { 22 : accept }",
      "add rule inet s c log prefix x group 3",
      "delete rule inet s c handle 4",
      "flush chain inet s c",
      "flush set inet s ips",
      "add table ip multi; add chain ip multi c; add rule ip multi c counter",
      "delete table inet s",
      "add table ip end"};
  std::size_t first_session_gen = 0;
  for (const auto& cmd : script)
    netns.nft(cmd);
  auto got = until_marker("end");
  BOOST_REQUIRE(text.wait_for(" end\n") && js.wait_for("\"end\""));
  BOOST_REQUIRE(!got.empty());
  first_session_gen = got.front().gen_id;

  // nft monitor: "# new generation N by process P (nft)" per commit.
  std::regex gen_re{R"(# new generation (\d+) by process (\d+) \((\w+)\))"};
  auto text_out = text.output();
  std::vector<std::tuple<std::uint32_t, std::uint32_t, std::string>> nft_gens;
  for (std::sregex_iterator it{text_out.begin(), text_out.end(), gen_re}, end;
       it != end; ++it) {
    auto g = static_cast<std::uint32_t>(std::stoul((*it)[1]));
    if (g >= first_session_gen)
      nft_gens.emplace_back(g, std::stoul((*it)[2]), (*it)[3]);
  }
  BOOST_REQUIRE_EQUAL(nft_gens.size(), got.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    BOOST_TEST(got[i].gen_id == std::get<0>(nft_gens[i]));
    BOOST_TEST(got[i].proc_pid.value_or(0) == std::get<1>(nft_gens[i]));
    BOOST_TEST(got[i].proc_name.value_or("") == std::get<2>(nft_gens[i]));
  }
  BOOST_TEST(got.size() == script.size());

  // nft -j monitor: the same entities in the same order with handles.
  std::vector<std::string> want, mine;
  std::istringstream js_in{js.output()};
  bool in_session = false;
  for (std::string line; std::getline(js_in, line);) {
    if (line.empty() || line[0] != '{')
      continue;
    auto d = describe_json(nlohmann::json::parse(line));
    in_session = in_session || d.starts_with("add table inet s ");
    if (in_session)
      want.push_back(d);
  }
  // nft 1.0.6's monitor prints nothing for the element deletions of a
  // standalone `flush set` (the kernel does send them): check those
  // against the flushed keys, and compare the rest with nft.
  const auto flush_at =
      std::find(script.begin(), script.end(), "flush set inet s ips") -
      script.begin();
  for (std::size_t i = 0; i < got.size(); ++i) {
    for (const auto& c : got[i].changes) {
      if (static_cast<long>(i) == flush_at) {
        auto* l = std::get_if<nft::elem_list>(&c.entity);
        BOOST_REQUIRE(l);
        BOOST_TEST(!c.added);
        BOOST_TEST(l->elems.size() == 1u);
        continue;
      }
      mine.push_back(describe(c));
    }
  }
  BOOST_TEST(got[flush_at].changes.size() == 2u);
  BOOST_TEST(text_out.find("delete element inet s ips") == std::string::npos);
  BOOST_TEST(mine == want, boost::test_tools::per_element());
  if (mine != want) {
    for (auto& x : mine)
      BOOST_TEST_MESSAGE("mine " << x);
    for (auto& x : want)
      BOOST_TEST_MESSAGE("want " << x);
  }

  self->request(mon, 5s, actors::stats_atom_v)
      .receive(
          [&](const actors::monitor_stats& s) {
            BOOST_TEST(s.transactions >= got.size());
            BOOST_TEST(s.common.rcvbuf.value_or(0) >= 4 << 20);
            BOOST_TEST(s.common.enobufs == 0u);
          },
          [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
}

BOOST_FIXTURE_TEST_CASE(pull_then_tail_under_a_concurrent_writer,
                        monitor_fixture) {
  netns.nft("add table inet w; add chain inet w c; add set inet w s "
            "{ type ipv4_addr; }");
  auto mon = spawn();
  std::thread writer{[&] {
    for (int i = 0; i < 30; ++i)
      netns.nft("add rule inet w c counter; add element inet w s { 10.1.0." +
                std::to_string(i) + " }" +
                (i % 5 == 4
                     ? "; delete rule inet w c handle " + std::to_string(i + 1)
                     : std::string{}));
  }};
  std::optional<nft::ruleset> snap;
  self->request(mon, 10s, actors::pull_atom_v, std::uint8_t{0}, std::string{})
      .receive([&](nft::ruleset& rs) { snap = std::move(rs); },
               [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  writer.join();
  netns.nft("add table ip end");
  auto tail = until_marker("end");
  BOOST_REQUIRE(snap);
  auto state = *snap;
  for (const auto& t : tail) {
    BOOST_TEST(t.gen_id > snap->gen_id); // none before the snapshot
    for (const auto& c : t.changes)
      nft::apply(state, c);
  }
  test::check_equal(test::from_snapshot(state),
                    test::from_nft(netns.nft_json("list ruleset")));
}

BOOST_FIXTURE_TEST_CASE(enobufs_signals_resync_and_auto_resync_converges,
                        monitor_fixture) {
  // The owner holds the only credit while the big commit is made, so the
  // monitor is not reading and the commit must overflow the tiny buffer.
  // (Reading concurrently, the monitor sometimes kept up with the commit
  // on a loaded machine: no ENOBUFS, so no resync ever came.)
  caf::scoped_actor owner{sys};
  actors::monitor_options o;
  o.ns = netns.ns();
  o.rcvbuf = 4096; // tiny: one big commit overflows it
  o.auto_resync = true;
  o.max_in_flight = 1;
  auto mon =
      test::require_spawned(actors::spawn_monitor(sys, caf::actor{owner}, o));
  (void)stats_of(mon); // subscribed
  netns.nft("add table ip hold");
  // Sent and not acknowledged: with max_in_flight 1 the monitor no
  // longer reads.
  (void)await_stats(
      mon, [](const actors::monitor_stats& s) { return s.in_flight == 1; });
  netns.nft_script(big_table(3000));
  bool resync = false;
  std::optional<nft::ruleset> fresh;
  while (!fresh) {
    owner->receive(
        [&](const actors::resync_needed& r) {
          resync = true;
          BOOST_TEST(r.overruns >= 1u);
        },
        [&](nft::ruleset& rs) { fresh = std::move(rs); },
        [](const nft::transaction&) {},
        caf::after(20s) >> [] { BOOST_FAIL("no resync"); });
  }
  BOOST_TEST(resync);
  test::check_equal(test::from_snapshot(*fresh),
                    test::from_nft(netns.nft_json("list ruleset")));
  BOOST_TEST(fresh->rules.size() == 3000u);
  // Reading goes on after the loss.
  netns.nft("add table ip after");
  auto more = until_marker(owner, "after");
  BOOST_TEST(more.back().gen_id > fresh->gen_id);
  self->request(mon, 5s, actors::stats_atom_v)
      .receive(
          [](const actors::monitor_stats& s) {
            BOOST_TEST(s.common.enobufs >= 1u);
            BOOST_TEST(s.resyncs >= 1u);
          },
          [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
}

// A commit larger than max_part arrives in parts as it is read: partial
// transactions without provenance, then the last part with gen id and
// committer; together they hold every change in kernel order.
BOOST_FIXTURE_TEST_CASE(large_commit_arrives_in_parts, monitor_fixture) {
  actors::monitor_options o;
  o.max_part = 16;
  auto mon = spawn(o);
  std::string script = "table ip parts {\n chain c {\n";
  for (int i = 0; i < 100; ++i)
    script += "  ip saddr 10.1.0." + std::to_string(i) + " accept\n";
  script += " }\n}\n";
  netns.nft_script(script);
  std::vector<nft::transaction> got;
  while (got.empty() || got.back().partial)
    self->receive([&](nft::transaction& t) { got.push_back(std::move(t)); },
                  caf::after(20s) >> [] { BOOST_FAIL("no last part"); });
  BOOST_REQUIRE_GE(got.size(), 2u);
  std::size_t rules = 0;
  std::uint64_t last_handle = 0;
  bool ordered = true;
  for (std::size_t i = 0; i < got.size(); ++i) {
    BOOST_TEST(got[i].partial == (i + 1 < got.size()));
    BOOST_TEST(got[i].changes.size() <= 16u + 64u); // part + one datagram
    for (const auto& c : got[i].changes)
      if (auto* r = std::get_if<nft::rule>(&c.entity)) {
        ++rules;
        ordered = ordered && r->handle.value_or(0) > last_handle;
        last_handle = r->handle.value_or(0);
      }
  }
  BOOST_TEST(ordered);
  BOOST_TEST(rules == 100u);
  BOOST_TEST(got.front().gen_id == 0u);
  BOOST_TEST(!got.front().proc_name);
  BOOST_TEST(got.back().gen_id > 0u);
  BOOST_TEST(got.back().proc_name.value_or("") == "nft");
  self->request(mon, 5s, actors::stats_atom_v)
      .receive(
          [&](const actors::monitor_stats& s) {
            BOOST_TEST(s.parts == got.size() - 1);
            BOOST_TEST(s.transactions == 1u);
            BOOST_TEST(s.common.delivered == 102u); // table, chain, rules
            BOOST_TEST(s.common.received >= 103u);  // and NEWGEN
          },
          [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
}

// A slow owner: with max_in_flight unacknowledged the monitor stops
// reading (memory stays bounded); the kernel then drops, and once the
// owner catches up it gets what was sent before, and resync_needed.
BOOST_FIXTURE_TEST_CASE(slow_owner_stops_reading_then_resync, monitor_fixture) {
  caf::scoped_actor owner{sys};
  actors::monitor_options o;
  o.ns = netns.ns();
  o.max_in_flight = 1;
  o.rcvbuf = 1 << 18;
  auto mon =
      test::require_spawned(actors::spawn_monitor(sys, caf::actor{owner}, o));
  auto stats = [&] {
    return stats_of(mon);
  };
  (void)stats();
  netns.nft("add table ip a");
  netns.nft("add table ip b");
  // The monitor holds b back for lack of credit.
  auto s = await_stats(
      mon, [](const actors::monitor_stats& s) { return s.stalls >= 1; });
  BOOST_TEST(s.in_flight == 1u);
  // Far more than the receive buffer, while the monitor does not read.
  netns.nft_script(big_table(3000));
  BOOST_TEST(stats().in_flight <= 1u);
  std::vector<std::string> seen;
  bool resync = false;
  while (!resync)
    owner->receive(
        [&](const nft::transaction& t) {
          for (const auto& c : t.changes)
            if (auto* tb = std::get_if<nft::table>(&c.entity))
              seen.push_back(tb->name);
        },
        [&](const actors::resync_needed& r) {
          resync = true;
          BOOST_TEST(r.overruns >= 1u);
        },
        caf::after(20s) >> [] { BOOST_FAIL("no resync_needed"); });
  // a was sent before the loss; the kernel reports ENOBUFS before the
  // data still queued (b), so b may come before or after the notice.
  BOOST_REQUIRE_GE(seen.size(), 1u);
  BOOST_TEST(seen[0] == "a");
  auto end = stats();
  BOOST_TEST(end.common.enobufs >= 1u);
  BOOST_TEST(end.common.lost >= 1u);
}

BOOST_FIXTURE_TEST_CASE(since_gen_and_owner_down, monitor_fixture) {
  // A monitor owned by a short-lived actor stops when it goes down.
  // (An argument: CAF 0.17.6 spawning a function-based actor with none
  // dereferences a null argument tuple, which UBSan reports.)
  auto owner = sys.spawn(
      [](caf::event_based_actor*, int) -> caf::behavior {
        return {[](int) {
        }};
      },
      0);
  actors::monitor_options o;
  o.ns = netns.ns();
  auto mon = test::require_spawned(actors::spawn_monitor(sys, owner, o));
  self->monitor(mon);
  caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
  bool down = false;
  self->receive([&](const caf::down_msg&) { down = true; },
                caf::after(10s) >> [] {});
  BOOST_TEST(down);

  // since_gen: commits at or below it are not delivered.
  netns.nft("add table ip a");
  auto s = test::open_socket(netns);
  auto g = nft::get_gen(s);
  NFACTOR_REQUIRE_OK(g);
  actors::monitor_options o2;
  o2.since_gen = g->id + 1;
  auto m2 = spawn(o2);
  netns.nft("add table ip skipped");
  netns.nft("add table ip seen");
  auto got = until_marker("seen");
  BOOST_REQUIRE_EQUAL(got.size(), 1u);
  BOOST_TEST(got.front().gen_id == g->id + 2);
  self->request(m2, 5s, actors::set_min_gen_atom_v, std::uint32_t{1})
      .receive([&](std::uint32_t min) { BOOST_TEST(min == g->id + 1); },
               [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
}

// Options that would stall the monitor or that the kernel refuses are a
// typed error from spawn_monitor, before any actor or socket exists.
BOOST_FIXTURE_TEST_CASE(bad_options_fail_before_spawning, monitor_fixture) {
  BOOST_TEST(actors::monitor_options{}.validate().has_value());
  auto refused = [&](actors::monitor_options bad, const std::string& what) {
    bad.ns = netns.ns();
    auto m = actors::spawn_monitor(sys, caf::actor{self}, bad);
    BOOST_REQUIRE(!m);
    BOOST_TEST((m.error() == errc::invalid_argument));
    auto text = actors::describe(m.error());
    BOOST_TEST(text.find(what) != std::string::npos, text);
  };
  actors::monitor_options o;
  o.max_in_flight = 0; // it would never send a transaction
  refused(o, "max_in_flight");
  o = {};
  o.max_reads = 0; // it would never read
  refused(o, "max_reads");
  o = {};
  o.rcvbuf = -1;
  refused(o, "rcvbuf");
}

BOOST_AUTO_TEST_SUITE_END()
