// SPDX-License-Identifier: Apache-2.0
//
// nfactor-queue end to end in a scratch namespace with `iptables -A OUTPUT
// -p udp --dport 9999 -j NFQUEUE --queue-num 5`: UDP datagrams to
// 127.0.0.1:9999 are dropped or let through as the rules say (the
// receiving socket is the oracle), a mark verdict's mark is seen by a
// later nft `meta mark 7 counter` rule, the JSON lines name each
// decision, SIGHUP reloads the policy file, metrics count the verdicts,
// SIGTERM settles every held packet before the queue is unbound, and bad
// input exits 2 with a message that says what is wrong.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "app_runner.hpp"
#include "nfqueue_helpers.hpp" // system socket headers before <linux/*.h>

namespace apps_queue {
using namespace nfactor;
using nfactor::test::json_lines;
using nfactor::test::lines;
using nfactor::test::metrics_where;
using test::background;

const std::string queue_bin = NFACTOR_QUEUE_BIN;
constexpr std::uint16_t queue_num = 5;
constexpr std::uint16_t port = 9999;

// The packets counted by the rule `meta mark 7 counter` of table ip mk.
long mark_counter(const test::scratch_netns& ns) {
  auto j = nlohmann::json::parse(ns.nft_json("list ruleset"));
  for (const auto& item : j["nftables"]) {
    if (!item.contains("rule") || item["rule"]["table"] != "mk")
      continue;
    for (const auto& e : item["rule"]["expr"])
      if (e.contains("counter"))
        return e["counter"]["packets"].get<long>();
  }
  return -1;
}

// Waits (bounded) until process `pid` is stopped ('T' in /proc/PID/stat).
bool is_stopped(pid_t pid) {
  for (int i = 0; i < 1000; ++i) {
    auto stat = test::read_file("/proc/" + std::to_string(pid) + "/stat");
    auto close = stat.rfind(')');
    if (close != std::string::npos && close + 2 < stat.size() &&
        stat[close + 2] == 'T')
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// The value of the sample `line` (name and labels, as written) on a
// metrics page, or -1 when absent.
double sample(const std::string& page, const std::string& line) {
  std::istringstream in{page};
  std::string l;
  while (std::getline(in, l))
    if (l.rfind(line + " ", 0) == 0)
      return std::stod(l.substr(line.size() + 1));
  return -1;
}

struct fixture : test::netns_fixture {
  fixture() {
    test::add_queue_rule(netns, AF_INET, port, queue_num);
    // After iptables' filter OUTPUT chain (priority 0): sees the mark a
    // verdict set.
    netns.nft("add table ip mk; add chain ip mk out { type filter hook "
              "output priority 10; }; add rule ip mk out meta mark 7 counter");
  }

  void send(const std::string& text) {
    BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET, port, text), 1);
  }

  // The queue's line in /proc/net/netfilter/nfnetlink_queue, if bound.
  std::optional<nfqueue::queue_binding> binding() const {
    return nfqueue::find_binding(netns.ns(), queue_num);
  }
};

const std::string drop_rule = "drop udp dport 9999 payload \"evil\"";
const std::string mark_rule = "mark 7 udp payload \"tag\"";

} // namespace apps_queue

BOOST_AUTO_TEST_SUITE(apps_queue)

BOOST_FIXTURE_TEST_CASE(verdicts_marks_and_json_lines, fixture,
                        *boost::unit_test::precondition(test::needs_kernel)) {
  test::scratch_dir dir;
  test::udp_receiver rx{netns, AF_INET, port};
  background app({queue_bin, "--queue", "5", "--netns", netns.name(), "--rule",
                  drop_rule, "--rule", mark_rule, "--default", "accept",
                  "--json", dir / "d.json"},
                 dir / "q.out", dir / "q.err");
  BOOST_REQUIRE_MESSAGE(app.await(test::err_has("queue 5 bound")), app.err());
  BOOST_TEST(app.err().find("policy: 2 rules, default accept") !=
                 std::string::npos,
             app.err());
  send("evil-1");
  send("pass-1");
  send("tag-1");
  send("last");
  // Loopback keeps the order: whatever passed before "last" is in.
  auto got = rx.until("last");
  BOOST_TEST((got == std::vector<std::string>{"pass-1", "tag-1", "last"}));
  BOOST_TEST(mark_counter(netns) == 1); // tag-1 only
  BOOST_REQUIRE_MESSAGE(app.await([&](auto&, auto&) {
    return lines(test::read_file(dir / "d.json")) == 4;
  }),
                        app.err());
  auto j = json_lines(test::read_file(dir / "d.json"));
  BOOST_TEST_REQUIRE(j.size() == 4u);
  for (const auto& l : j) {
    BOOST_TEST(l["queue"] == 5);
    BOOST_TEST(l["family"] == "ip");
    BOOST_TEST(l["hook"] == "output");
    BOOST_TEST(l["proto"] == "udp");
    BOOST_TEST(l["src"] == "127.0.0.1");
    BOOST_TEST(l["dst"] == "127.0.0.1");
    BOOST_TEST(l["dport"] == port);
    BOOST_TEST(l["outdev"] == "lo");
    BOOST_TEST(l["uid"] == 0); // sent by this (root) process
  }
  BOOST_TEST(j[0]["verdict"] == "drop");
  BOOST_TEST(j[0]["rule"] == 1);
  BOOST_TEST(j[0]["rule_text"] == drop_rule);
  BOOST_TEST(j[0]["len"] == 20 + 8 + 6);
  BOOST_TEST(j[1]["verdict"] == "accept");
  BOOST_TEST(j[1]["default"] == true);
  BOOST_TEST(!j[1].contains("rule"));
  BOOST_TEST(j[2]["verdict"] == "accept");
  BOOST_TEST(j[2]["set_mark"] == 7);
  BOOST_TEST(j[2]["rule"] == 2);
  BOOST_TEST(j[2]["rule_text"] == mark_rule);
  BOOST_TEST(j[3]["default"] == true);
  BOOST_TEST(j[0]["id"].get<int>() < j[3]["id"].get<int>());

  BOOST_TEST(app.stop(SIGTERM) == 0);
  BOOST_TEST(app.err().find("decided accept 2 drop 1 mark 1") !=
                 std::string::npos,
             app.err());
  BOOST_TEST(app.err().find("nfactor-queue: stopped") != std::string::npos);
  BOOST_TEST(!binding()); // unbound
}

// IPv6: ip6tables queues to the same queue; ip6 rules and addresses
// match, ip rules do not.
BOOST_FIXTURE_TEST_CASE(ipv6_rules, fixture,
                        *boost::unit_test::precondition(test::needs_kernel)) {
  test::add_queue_rule(netns, AF_INET6, port, queue_num);
  test::scratch_dir dir;
  test::udp_receiver rx{netns, AF_INET6, port};
  background app({queue_bin, "--queue", "5", "--netns", netns.name(), "--rule",
                  "drop ip udp", "--rule",
                  "drop ip6 daddr ::1/128 dport 9999 payload 0x6576696c",
                  "--json", dir / "d.json"},
                 dir / "q.out", dir / "q.err");
  BOOST_REQUIRE_MESSAGE(app.await(test::err_has("queue 5 bound")), app.err());
  for (auto text : {"evil-6", "pass-6", "last"})
    BOOST_REQUIRE_EQUAL(test::send_udp(netns.ns(), AF_INET6, port, text), 1);
  auto got = rx.until("last");
  BOOST_TEST((got == std::vector<std::string>{"pass-6", "last"}));
  BOOST_REQUIRE(app.await([&](auto&, auto&) {
    return lines(test::read_file(dir / "d.json")) == 3;
  }));
  auto j = json_lines(test::read_file(dir / "d.json"));
  BOOST_TEST(j[0]["family"] == "ip6");
  BOOST_TEST(j[0]["src"] == "::1");
  BOOST_TEST(j[0]["verdict"] == "drop");
  BOOST_TEST(j[0]["rule"] == 2);
  BOOST_TEST(j[1]["default"] == true);
  BOOST_TEST(app.stop(SIGTERM) == 0);
}

// Packets held when SIGTERM comes all get a verdict before the queue is
// unbound (an unbind alone drops them): with accept as the verdict for
// packets still held, every one reaches the receiver.
BOOST_FIXTURE_TEST_CASE(sigterm_settles_every_held_packet, fixture,
                        *boost::unit_test::precondition(test::needs_kernel)) {
  test::scratch_dir dir;
  test::udp_receiver rx{netns, AF_INET, port};
  background app({queue_bin, "--queue", "5", "--netns", netns.name(),
                  "--default", "accept", "--timeout-verdict", "accept",
                  "--verdict-timeout", "0"},
                 dir / "q.out", dir / "q.err");
  BOOST_REQUIRE_MESSAGE(app.await(test::err_has("queue 5 bound")), app.err());
  BOOST_REQUIRE(::kill(app.pid(), SIGSTOP) == 0);
  BOOST_REQUIRE(is_stopped(app.pid()));
  for (int i = 0; i < 20; ++i)
    send("held-" + std::to_string(i));
  auto b = binding();
  BOOST_TEST_REQUIRE(b.has_value());
  BOOST_TEST(b->queue_total == 20u);              // all held by the kernel
  BOOST_REQUIRE(::kill(app.pid(), SIGTERM) == 0); // pending while stopped
  BOOST_REQUIRE(::kill(app.pid(), SIGCONT) == 0);
  BOOST_TEST(app.wait() == 0);
  BOOST_TEST(!binding()); // unbound, nothing left in the kernel
  std::vector<std::string> got;
  while (auto d = rx.recv(std::chrono::milliseconds{2000})) {
    got.push_back(*d);
    if (got.size() == 20)
      break;
  }
  BOOST_TEST(got.size() == 20u, app.err());
}

// --fail-open: while the queue is full the kernel accepts new packets
// instead of dropping them (and counts nothing as dropped); without it,
// they are dropped and counted.
BOOST_FIXTURE_TEST_CASE(fail_open_while_the_queue_is_full, fixture,
                        *boost::unit_test::precondition(test::needs_kernel)) {
  for (bool open : {true, false}) {
    BOOST_TEST_CONTEXT("--fail-open " << open) {
      test::scratch_dir dir;
      test::udp_receiver rx{netns, AF_INET, port};
      std::vector<std::string> argv{queue_bin, "-q",         "5",
                                    "--netns", netns.name(), "--max-queue-len",
                                    "1",       "--default",  "accept"};
      if (open)
        argv.push_back("--fail-open");
      background app(argv, dir / "q.out", dir / "q.err");
      BOOST_REQUIRE_MESSAGE(app.await(test::err_has("queue 5 bound")),
                            app.err());
      BOOST_REQUIRE(::kill(app.pid(), SIGSTOP) == 0);
      BOOST_REQUIRE(is_stopped(app.pid()));
      for (int i = 0; i < 5; ++i)
        send("p" + std::to_string(i));
      auto b = binding();
      BOOST_TEST_REQUIRE(b.has_value());
      BOOST_TEST(b->queue_total == 1u); // the first; the queue is full
      BOOST_TEST(b->queue_dropped == (open ? 0u : 4u));
      // While the program is stopped: the 4 that did not fit pass with
      // fail-open, none without.
      std::vector<std::string> passed;
      while (passed.size() < 4)
        if (auto d = rx.recv(std::chrono::milliseconds{open ? 2000 : 300}))
          passed.push_back(*d);
        else
          break;
      BOOST_TEST(passed ==
                     (open ? std::vector<std::string>{"p1", "p2", "p3", "p4"}
                           : std::vector<std::string>{}),
                 boost::test_tools::per_element());
      BOOST_REQUIRE(::kill(app.pid(), SIGCONT) == 0);
      auto held = rx.recv(); // the queued one, decided once running
      BOOST_TEST_REQUIRE(held.has_value());
      BOOST_TEST(*held == "p0");
      BOOST_TEST(app.stop(SIGTERM) == 0);
    }
  }
}

// The policy file, SIGHUP reloading it, and the verdict counters on the
// metrics page (scraped with curl inside the namespace).
BOOST_FIXTURE_TEST_CASE(policy_file_reload_and_metrics, fixture,
                        *boost::unit_test::precondition(test::needs_kernel)) {
  test::scratch_dir dir;
  test::udp_receiver rx{netns, AF_INET, port};
  std::ofstream{dir / "p.json"} << R"({"default": "accept", "rules": [
      {"action": "drop", "proto": "udp", "dport": 9999, "payload": "evil"},
      {"action": "mark", "set_mark": 7, "payload": "tag"}]})";
  background app({"ip", "netns", "exec", netns.name(), queue_bin, "-q", "5",
                  "--policy", dir / "p.json", "--metrics", ":0",
                  "--stats-interval", "0.2"},
                 dir / "q.out", dir / "q.err");
  BOOST_REQUIRE_MESSAGE(app.await(test::err_has("queue 5 bound")), app.err());
  auto where = metrics_where(app);
  BOOST_REQUIRE_MESSAGE(where.rfind("127.0.0.1:", 0) == 0, app.err());
  send("evil-1");
  send("tag-1");
  send("pass-1");
  send("last");
  auto got = rx.until("last");
  BOOST_TEST((got == std::vector<std::string>{"tag-1", "pass-1", "last"}));
  BOOST_TEST(mark_counter(netns) == 1);

  // Reload: evil passes now.
  std::ofstream{dir / "p.json"} << R"(["accept udp payload \"evil\""])";
  ::kill(app.pid(), SIGHUP);
  BOOST_REQUIRE_MESSAGE(app.await(test::err_has("policy reloaded: 1 rules")),
                        app.err());
  send("evil-2");
  auto again = rx.recv();
  BOOST_TEST_REQUIRE(again.has_value());
  BOOST_TEST(*again == "evil-2");
  // A broken file is refused; the policy in force stays.
  std::ofstream{dir / "p.json"} << R"([{"action": "drop", "dport": "x"}])";
  ::kill(app.pid(), SIGHUP);
  BOOST_REQUIRE_MESSAGE(
      app.await(test::err_has(
          "policy not reloaded, the old one stays: policy " + dir / "p.json" +
          ": invalid argument: rule 1, key \"dport\"")),
      app.err());
  send("evil-3");
  again = rx.recv();
  BOOST_TEST_REQUIRE(again.has_value());
  BOOST_TEST(*again == "evil-3");

  // 6 packets: drop 1, mark 1, accept 4 (2 by the default, 2 by the
  // reloaded rule).
  const std::string q = "{queue=\"5\"";
  std::string page;
  for (int i = 0; i < 100; ++i) {
    auto r = netns.exec("curl -sS --max-time 10 http://" + where + "/metrics");
    BOOST_REQUIRE_MESSAGE(r.status == 0, r.output);
    page = r.output;
    if (sample(page, "nfactor_received_total" + q + "}") == 6)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto verdicts = [&](const char* v) {
    return sample(page, "nfactor_queue_verdicts_total" + q + ",verdict=\"" + v +
                            "\"}");
  };
  BOOST_TEST(sample(page, "nfactor_received_total" + q + "}") == 6, page);
  BOOST_TEST(verdicts("drop") == 1, page);
  BOOST_TEST(verdicts("mark") == 1, page);
  BOOST_TEST(verdicts("accept") == 4, page);
  BOOST_TEST(verdicts("queue") == 0, page);
  BOOST_TEST(verdicts("repeat") == 0, page);
  BOOST_TEST(
      sample(page, "nfactor_queue_rule_hits_total" + q + ",rule=\"1\"}") == 2,
      page); // the reloaded policy's one rule: evil-2, evil-3
  BOOST_TEST(sample(page, "nfactor_lost_total" + q + "}") == 0, page);
  BOOST_TEST(sample(page, "nfactor_in_flight" + q + "}") == 0, page);
  BOOST_TEST(sample(page, "nfactor_restarts_total" + q + "}") == 0, page);
  BOOST_TEST(sample(page, "nfactor_queue_kernel_queued" + q + "}") == 0, page);
  BOOST_TEST(page.find("# TYPE nfactor_queue_verdicts_total counter") !=
                 std::string::npos,
             page);
  BOOST_REQUIRE_MESSAGE(app.await(test::err_has("stats queue 5: received 6")),
                        app.err());
  BOOST_TEST(app.stop(SIGTERM) == 0);
  BOOST_TEST(!binding());
}

// A queue another program holds: the supervisor retries with backoff,
// then gives up; exit 1 naming the holder.
BOOST_FIXTURE_TEST_CASE(a_queue_held_elsewhere_exits_1, fixture,
                        *boost::unit_test::precondition(test::needs_kernel)) {
  test::scratch_dir dir;
  background first({queue_bin, "-q", "5", "--netns", netns.name()},
                   dir / "a.out", dir / "a.err");
  BOOST_REQUIRE_MESSAGE(first.await(test::err_has("queue 5 bound")),
                        first.err());
  auto holder = binding();
  BOOST_TEST_REQUIRE(holder.has_value());
  background second({queue_bin, "-q", "5", "--netns", netns.name()},
                    dir / "b.out", dir / "b.err");
  BOOST_TEST(second.wait() == 1, second.err());
  BOOST_TEST(second.err().find(
                 "supervisor gave up on child 'queue-5' after 5 restarts") !=
                 std::string::npos,
             second.err());
  BOOST_TEST(second.err().find("queue 5 is bound by another socket "
                               "(netlink portid " +
                               std::to_string(holder->portid) + ")") !=
                 std::string::npos,
             second.err());
  BOOST_TEST(first.stop(SIGTERM) == 0);
}

BOOST_AUTO_TEST_CASE(bad_input_exits_2_with_a_message) {
  test::scratch_dir dir;
  std::ofstream{dir / "bad.json"} << R"([{"action": "drop", "dport": 70000}])";
  std::ofstream{dir / "broken.json"} << "[{";
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{}, "--queue is required"},
      {{"--queue", "70000"}, "--queue: Value 70000 not in range 0 to 65535"},
      {{"--queue", "-1"}, "--queue"},
      {{"-q", "5", "--rule", "drop udp dport x"},
       "nfactor-queue: --rule: rule \"drop udp dport x\": invalid argument: "
       "column 16: expected a port or port range (N or N-M, 0-65535, N <= "
       "M), found \"x\""},
      {{"-q", "5", "--rule", "reject"},
       "column 1: expected an action (accept, drop, mark N, queue N, "
       "repeat), found \"reject\""},
      {{"-q", "5", "--default", "reject"},
       "nfactor-queue: --default: verdict \"reject\": invalid argument: "
       "column 1: expected an action"},
      {{"-q", "5", "--timeout-verdict", "maybe"},
       "nfactor-queue: --timeout-verdict: expected accept or drop, found "
       "\"maybe\""},
      {{"-q", "5", "--policy", dir / "missing.json"},
       "nfactor-queue: cannot read policy file " + dir / "missing.json" +
           ": No such file or directory"},
      {{"-q", "5", "--policy", dir / "bad.json"},
       "nfactor-queue: policy " + dir / "bad.json" +
           ": invalid argument: rule 1, key \"dport\": expected a port or "
           "port range"},
      {{"-q", "5", "--policy", dir / "broken.json"},
       "nfactor-queue: policy " + dir / "broken.json" +
           ": invalid argument: byte 3: expected valid JSON"},
      {{"-q", "5", "--copy-range", "70000"}, "--copy-range"},
      {{"-q", "5", "--max-queue-len", "0"}, "--max-queue-len"},
      {{"-q", "5", "--metrics", "nowhere:x"}, "--metrics"},
      {{"-q", "5", "--netns", "nfactor-no-such-ns"}, "nfactor-no-such-ns"},
  };
  for (const auto& [args, message] : cases) {
    std::vector<std::string> argv{queue_bin};
    argv.insert(argv.end(), args.begin(), args.end());
    background app(argv, dir / "o", dir / "e");
    BOOST_TEST(app.wait() == 2, args.size() << " args: " << app.err());
    BOOST_TEST(app.err().find(message) != std::string::npos,
               "want \"" << message << "\" in: " << app.err());
  }
  background help({queue_bin, "--help"}, dir / "o", dir / "e");
  BOOST_TEST(help.wait() == 0);
  for (auto opt :
       {"--queue", "--netns", "--rule", "--policy", "--default", "--copy-range",
        "--max-queue-len", "--fail-open", "--verdict-timeout",
        "--timeout-verdict", "--json", "--metrics", "--stats-interval"})
    BOOST_TEST(help.out().find(opt) != std::string::npos, opt);
}

BOOST_AUTO_TEST_SUITE_END()
