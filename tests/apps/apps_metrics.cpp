// SPDX-License-Identifier: Apache-2.0
//
// `--metrics ADDR:PORT` of the daemons, end to end: each runs inside a
// scratch namespace, `curl` (a real HTTP client) scrapes its /metrics
// there, and a strict parser of the Prometheus text exposition format
// (version 0.0.4) reads the page. The values are checked against what the
// test made happen: datagrams logged, a commit made, loss forced by a
// writer that cannot write.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app_runner.hpp"
#include "ct_support.hpp"
#include "netns_fixture.hpp"

namespace apps_metrics {
using namespace nfactor;
using nfactor::test::metrics_where;
using test::background;

const std::string log_bin = NFACTOR_LOG_BIN;
const std::string monitor_bin = NFACTOR_MONITOR_BIN;
const std::string node_bin = NFACTOR_NODE_BIN;
const std::string collect_bin = NFACTOR_COLLECT_BIN;
const std::string conntrack_bin = NFACTOR_CONNTRACK_BIN;

// -- a strict reader of the text exposition format ---------------------------

using label_set = std::map<std::string, std::string>;

struct exposition {
  /// Metric name → its TYPE.
  std::map<std::string, std::string> types;
  /// (name, labels) → value.
  std::map<std::pair<std::string, label_set>, double> samples;

  /// The value of `name` with exactly `labels`; -1 when absent (no
  /// metric here is ever negative: counters are checked to be >= 0).
  double get(const std::string& name, const label_set& labels = {}) const {
    auto it = samples.find({name, labels});
    return it == samples.end() ? -1 : it->second;
  }
};

bool metric_name(const std::string& s) {
  static const std::regex re{"[a-zA-Z_:][a-zA-Z0-9_:]*"};
  return std::regex_match(s, re);
}

bool label_name(const std::string& s) {
  static const std::regex re{"[a-zA-Z_][a-zA-Z0-9_]*"};
  return std::regex_match(s, re) && s.rfind("__", 0) != 0;
}

double parse_value(const std::string& s) {
  if (s == "+Inf")
    return INFINITY;
  if (s == "-Inf")
    return -INFINITY;
  if (s == "NaN")
    return NAN;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || s == "inf" || s == "nan")
    throw std::runtime_error("bad value '" + s + "'");
  return v;
}

// Throws on anything the format does not allow, or that this exporter
// promises not to write (comments other than HELP/TYPE, empty lines,
// untyped or interleaved metrics, duplicate series, counters without
// `_total` or below zero).
exposition parse_exposition(const std::string& text) {
  exposition out;
  if (text.empty() || text.back() != '\n')
    throw std::runtime_error("the page does not end with a newline");
  std::set<std::string> helped, finished;
  std::string current; // the metric whose samples come now
  std::istringstream in{text};
  std::string line;
  int no = 0;
  auto fail = [&](const std::string& why) {
    throw std::runtime_error("line " + std::to_string(no) + " '" + line +
                             "': " + why);
  };
  auto start_family = [&](const std::string& name) {
    if (name != current) {
      if (finished.count(name))
        fail("metric " + name + " appears in two places");
      if (!current.empty())
        finished.insert(current);
      current = name;
    }
  };
  while (std::getline(in, line)) {
    ++no;
    if (line.empty())
      fail("empty line");
    if (line[0] == '#') {
      std::istringstream c{line};
      std::string hash, kind, name, rest;
      c >> hash >> kind >> name;
      std::getline(c, rest);
      if (hash != "#" || !metric_name(name))
        fail("not a HELP or TYPE line");
      start_family(name);
      if (kind == "HELP") {
        if (!helped.insert(name).second)
          fail("second HELP");
        for (std::size_t i = 0; i < rest.size(); ++i)
          if (rest[i] == '\\' && (i + 1 == rest.size() ||
                                  (rest[i + 1] != '\\' && rest[i + 1] != 'n')))
            fail("bad escape in HELP");
      } else if (kind == "TYPE") {
        auto type = rest.empty() ? rest : rest.substr(1);
        static const std::set<std::string> known{
            "counter", "gauge", "histogram", "summary", "untyped"};
        if (!known.count(type))
          fail("unknown type");
        if (out.types.count(name))
          fail("second TYPE");
        for (const auto& s : out.samples)
          if (s.first.first == name)
            fail("TYPE after samples");
        out.types[name] = type;
      } else {
        fail("comment that is neither HELP nor TYPE");
      }
      continue;
    }
    // name [{labels}] value [timestamp]
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ')
      ++i;
    std::string name = line.substr(0, i);
    if (!metric_name(name))
      fail("bad metric name");
    start_family(name);
    label_set labels;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        auto eq = line.find('=', i);
        if (eq == std::string::npos)
          fail("label without '='");
        auto lname = line.substr(i, eq - i);
        if (!label_name(lname))
          fail("bad label name '" + lname + "'");
        i = eq + 1;
        if (i >= line.size() || line[i] != '"')
          fail("label value not quoted");
        std::string value;
        for (++i; i < line.size() && line[i] != '"'; ++i) {
          if (line[i] == '\\') {
            if (++i >= line.size())
              fail("escape at the end");
            if (line[i] == 'n')
              value += '\n';
            else if (line[i] == '\\' || line[i] == '"')
              value += line[i];
            else
              fail("bad escape in a label value");
          } else {
            value += line[i];
          }
        }
        if (i >= line.size())
          fail("unterminated label value");
        ++i; // closing quote
        if (!labels.emplace(lname, value).second)
          fail("label " + lname + " twice");
        if (i < line.size() && line[i] == ',')
          ++i;
        else if (i < line.size() && line[i] != '}')
          fail("labels not separated by ','");
      }
      if (i >= line.size())
        fail("unterminated label set");
      ++i; // '}'
    }
    if (i >= line.size() || line[i] != ' ')
      fail("no space before the value");
    std::istringstream rest{line.substr(i + 1)};
    std::string value, stamp, extra;
    rest >> value >> stamp >> extra;
    if (!extra.empty() || line.find("  ") != std::string::npos)
      fail("trailing text");
    if (!stamp.empty() && !std::regex_match(stamp, std::regex{"-?[0-9]+"}))
      fail("bad timestamp");
    double v = 0;
    try {
      v = parse_value(value);
    } catch (const std::exception& e) {
      fail(e.what());
    }
    auto type = out.types.find(name);
    if (type == out.types.end())
      fail("sample without a TYPE");
    if (type->second == "counter") {
      if (name.size() < 6 || name.compare(name.size() - 6, 6, "_total") != 0)
        fail("counter not named *_total");
      if (!(v >= 0))
        fail("counter below zero");
    }
    if (!out.samples.emplace(std::make_pair(name, labels), v).second)
      fail("duplicate series");
  }
  return out;
}

// -- scraping
// ------------------------------------------------------------------

struct page {
  std::string status; // "200 text/plain; version=0.0.4; charset=utf-8"
  std::string body;
};

// GET http://WHERE/PATH with curl inside `ns`.
page scrape(const test::scratch_netns& ns, const test::scratch_dir& dir,
            const std::string& where, const std::string& path = "/metrics") {
  auto file = dir / "scrape.txt";
  auto r = ns.exec("curl -sS --max-time 10 -o " + file +
                   " -w '%{http_code} %{content_type}' http://" + where + path);
  BOOST_REQUIRE_MESSAGE(r.status == 0, "curl: " + r.output);
  return {r.output, test::read_file(file)};
}

// Scrapes until `done(parsed page)` holds (bounded); the last page.
exposition scrape_until(const test::scratch_netns& ns,
                        const test::scratch_dir& dir, const std::string& where,
                        const std::function<bool(const exposition&)>& done) {
  exposition last;
  for (int i = 0; i < 100; ++i) {
    auto p = scrape(ns, dir, where);
    BOOST_REQUIRE_EQUAL(p.status,
                        "200 text/plain; version=0.0.4; charset=utf-8");
    try {
      last = parse_exposition(p.body);
    } catch (const std::exception& e) {
      BOOST_FAIL(std::string{"exposition format: "} + e.what() + "\n" + p.body);
    }
    if (done(last))
      return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return last;
}

void send_datagrams(const test::scratch_netns& ns, std::size_t n) {
  auto r = ns.exec("python3 -c \"import socket\n"
                   "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                   "for i in range(" +
                   std::to_string(n) +
                   "): s.sendto(b'x'*(i+1),('127.0.0.1',9999))\"");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.output);
}

std::vector<std::string> in_netns(const test::scratch_netns& ns,
                                  std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"ip", "netns", "exec", ns.name()});
  return argv;
}

void log_rule(const test::scratch_netns& ns, int group) {
  ns.nft("add table ip mt; add chain ip mt out { type filter hook output "
         "priority 0; }; add rule ip mt out udp dport 9999 log group " +
         std::to_string(group));
}

} // namespace apps_metrics

BOOST_AUTO_TEST_SUITE(apps_metrics,
                      *boost::unit_test::precondition(test::needs_kernel))

BOOST_AUTO_TEST_CASE(the_parser_refuses_what_the_format_does_not_allow) {
  auto ok = parse_exposition("# HELP a_total x\n# TYPE a_total counter\n"
                             "a_total{g=\"5\",h=\"q\\\"\\n\"} 3\n"
                             "# TYPE b gauge\nb -1.5e3\n");
  BOOST_TEST(ok.get("a_total", {{"g", "5"}, {"h", "q\"\n"}}) == 3);
  BOOST_TEST(ok.get("b") == -1500);
  for (std::string bad :
       {"# TYPE a gauge\na 1", "a 1\n", "# TYPE a gauge\na{g=5} 1\n",
        "# TYPE a gauge\na{g=\"5\"} x\n", "# TYPE a counter\na 1\n",
        "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n",
        "# TYPE a gauge\na 1\na 2\n", "# TYPE a gauge\n\na 1\n",
        "# TYPE a gauge\na{g=\"\\x\"} 1\n", "# other comment\n",
        "# TYPE a gauge\na 1 2 3\n", "# TYPE a_total counter\na_total -1\n"})
    BOOST_CHECK_THROW(parse_exposition(bad), std::runtime_error);
}

BOOST_FIXTURE_TEST_CASE(nfactor_log_counts_what_it_logged,
                        test::netns_fixture) {
  test::scratch_dir dir;
  log_rule(netns, 12);
  background log(in_netns(netns, {log_bin, "-g", "12", "--json",
                                  dir / "ev.json", "--metrics", ":0"}),
                 dir / "log.out", dir / "log.err");
  BOOST_REQUIRE_MESSAGE(log.await(test::err_has("group 12 bound")), log.err());
  auto where = metrics_where(log);
  // ":0" is the loopback address, a port the kernel chose.
  BOOST_REQUIRE_MESSAGE(where.rfind("127.0.0.1:", 0) == 0, log.err());
  send_datagrams(netns, 5);
  label_set g12{{"group", "12"}};
  auto m = scrape_until(netns, dir, where, [&](const exposition& e) {
    return e.get("nfactor_delivered_total", g12) == 5.0;
  });
  BOOST_TEST(m.get("nfactor_received_total", g12) == 5.0);
  BOOST_TEST(m.get("nfactor_delivered_total", g12) == 5.0);
  BOOST_TEST(m.get("nfactor_lost_total", g12) == 0.0);
  BOOST_TEST(m.get("nfactor_enobufs_total", g12) == 0.0);
  BOOST_TEST(m.get("nfactor_restarts_total", g12) == 0.0);
  BOOST_TEST(m.get("nfactor_foreign_datagrams_total", g12) == 0.0);
  BOOST_TEST(m.get("nfactor_in_flight", g12) == 0.0);
  BOOST_TEST(m.get("nfactor_rcvbuf_bytes", g12) >= 8 << 20);
  BOOST_TEST(m.get("nfactor_log_written_events_total") == 5.0);
  BOOST_TEST(m.get("nfactor_log_unwritten_events_total") == 0.0);
  BOOST_TEST(m.types["nfactor_received_total"] == "counter");
  BOOST_TEST(m.types["nfactor_in_flight"] == "gauge");
  BOOST_TEST(m.get("process_resident_memory_bytes") > 1e6);
  BOOST_TEST(m.get("process_cpu_seconds_total") >= 0); // 10 ms ticks
  BOOST_TEST(m.get("process_start_time_seconds") > 1.7e9);
  // Only /metrics is served.
  BOOST_TEST(scrape(netns, dir, where, "/").status.substr(0, 3) == "404");
  BOOST_TEST(log.stop(SIGTERM) == 0);
}

BOOST_FIXTURE_TEST_CASE(a_writer_that_cannot_write_shows_as_counted_loss,
                        test::netns_fixture) {
  // The JSON output is a FIFO nobody reads: the writer blocks in write()
  // (as on a disk that stalls), the listener stops reading after 64
  // unwritten events, the 4 KiB receive buffer overflows and the kernel's
  // drops are counted from the sequence numbers. Memory stays bounded.
  test::scratch_dir dir;
  log_rule(netns, 13);
  auto fifo = dir / "stuck.json";
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  int keep_open = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  BOOST_REQUIRE(keep_open >= 0);
  {
    // Fill the pipe first, so nfactor-log's first write blocks whatever
    // reaches it.
    int filler = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    BOOST_REQUIRE(filler >= 0);
    std::string line(4095, ' ');
    line += '\n';
    while (::write(filler, line.data(), line.size()) > 0) {
    }
    ::close(filler); // the bytes stay: a reader holds the FIFO open
  }
  background log(
      in_netns(netns, {log_bin, "-g", "13", "--json", fifo, "--rcvbuf", "4096",
                       "--max-in-flight", "64", "--metrics", "127.0.0.1:0"}),
      dir / "log.out", dir / "log.err");
  BOOST_REQUIRE_MESSAGE(log.await(test::err_has("group 13 bound")), log.err());
  auto where = metrics_where(log);
  BOOST_REQUIRE_MESSAGE(!where.empty(), log.err());
  // The writer is stuck on the full pipe, the listener stops reading once
  // it holds 64 unwritten events, and the rest of the 400 waits in (and
  // overflows) the kernel's 4 KiB receive buffer. Nothing grows while it
  // is stuck.
  send_datagrams(netns, 400);
  label_set g13{{"group", "13"}};
  auto stuck = [](const exposition& e) {
    return e.get("nfactor_in_flight", {{"group", "13"}}) > 0;
  };
  auto m = scrape_until(netns, dir, where, stuck);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  m = scrape_until(netns, dir, where, stuck);
  BOOST_TEST(m.get("nfactor_in_flight", g13) > 0);
  BOOST_TEST(m.get("nfactor_in_flight", g13) <= 64 + 64);
  BOOST_TEST(m.get("nfactor_received_total", g13) < 400);
  BOOST_TEST(m.get("nfactor_log_written_events_total") < 400);
  // Unblock: read the FIFO dry; then every event is either written or
  // counted as lost, and the listener holds none.
  std::thread reader{[&] {
    ::fcntl(keep_open, F_SETFL, 0);
    char buf[65536];
    while (::read(keep_open, buf, sizeof buf) > 0) {
    }
  }};
  // The listener reads again and meets the overflow (ENOBUFS); later
  // events show the sequence gap, the exact loss count.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  send_datagrams(netns, 5);
  m = scrape_until(netns, dir, where, [&](const exposition& e) {
    return e.get("nfactor_delivered_total", g13) +
               e.get("nfactor_lost_total", g13) ==
           405;
  });
  BOOST_TEST(m.get("nfactor_delivered_total", g13) +
                 m.get("nfactor_lost_total", g13) ==
             405);
  BOOST_TEST(m.get("nfactor_lost_total", g13) > 0);
  BOOST_TEST(m.get("nfactor_enobufs_total", g13) >= 1);
  BOOST_TEST(m.get("nfactor_received_total", g13) ==
             m.get("nfactor_delivered_total", g13));
  BOOST_TEST(m.get("nfactor_log_written_events_total") ==
             m.get("nfactor_delivered_total", g13));
  // The writer was slow, never failing: everything delivered got written.
  BOOST_TEST(m.get("nfactor_log_unwritten_events_total") == 0.0);
  BOOST_TEST(log.stop(SIGTERM) == 0);
  ::close(keep_open); // ends the reader
  reader.join();
}

BOOST_FIXTURE_TEST_CASE(nfactor_monitor_reports_the_ruleset_generation,
                        test::netns_fixture) {
  test::scratch_dir dir;
  background mon(in_netns(netns, {monitor_bin, "--metrics", "127.0.0.1:0"}),
                 dir / "mon.out", dir / "mon.err");
  BOOST_REQUIRE_MESSAGE(mon.await(test::err_has("listening")), mon.err());
  auto where = metrics_where(mon);
  BOOST_REQUIRE_MESSAGE(!where.empty(), mon.err());
  netns.nft("add table ip gen; add chain ip gen c");
  BOOST_REQUIRE_MESSAGE(mon.await(test::out_has("add chain ip gen c")),
                        mon.out());
  std::smatch g;
  auto out = mon.out();
  BOOST_REQUIRE(
      std::regex_search(out, g, std::regex{R"(# new generation (\d+))"}));
  double gen = std::stod(g[1]);
  auto m = scrape_until(netns, dir, where, [&](const exposition& e) {
    return e.get("nfactor_ruleset_generation") == gen;
  });
  BOOST_TEST(m.get("nfactor_ruleset_generation") == gen);
  BOOST_TEST(m.get("nfactor_monitor_commits_total") == 1.0);
  BOOST_TEST(m.get("nfactor_lost_total") == 0.0);
  BOOST_TEST(m.get("nfactor_received_total") >= 3);
  BOOST_TEST(m.get("nfactor_in_flight") == 0.0);
  BOOST_TEST(m.get("process_resident_memory_bytes") > 1e6);
  BOOST_TEST(mon.stop(SIGTERM) == 0);
}

BOOST_FIXTURE_TEST_CASE(node_and_collector_count_the_same_events,
                        test::netns_fixture) {
  test::scratch_dir dir;
  log_rule(netns, 14);
  background nd(
      in_netns(netns, {node_bin, "--group=14", "--bind=127.0.0.1", "--port=0",
                       "--insecure", "--name=mx", "--metrics=127.0.0.1:0"}),
      dir / "node.out", dir / "node.err");
  BOOST_REQUIRE_MESSAGE(nd.await(test::out_has("listening on")), nd.err());
  std::smatch p;
  auto out = nd.out();
  BOOST_REQUIRE(
      std::regex_search(out, p, std::regex{R"(listening on ([0-9.]+:\d+))"}));
  std::string node_at = p[1];
  auto node_metrics = metrics_where(nd);
  BOOST_REQUIRE_MESSAGE(!node_metrics.empty(), nd.err());
  background col(
      in_netns(netns, {collect_bin, "--node=" + node_at, "--group=14",
                       "--insecure", "--count-only", "--metrics=127.0.0.1:0"}),
      dir / "col.out", dir / "col.err");
  BOOST_REQUIRE_MESSAGE(col.await(test::out_has("\"connected\"")),
                        col.out() + col.err());
  auto col_metrics = metrics_where(col);
  BOOST_REQUIRE_MESSAGE(!col_metrics.empty(), col.err());
  // The group is bound once the subscription reached the node.
  scrape_until(netns, dir, node_metrics, [&](const exposition& e) {
    return e.get("nfactor_node_group_bound", {{"group", "14"}}) == 1.0;
  });
  send_datagrams(netns, 5);
  label_set from{{"node", node_at}};
  auto c = scrape_until(netns, dir, col_metrics, [&](const exposition& e) {
    return e.get("nfactor_received_total", from) == 5.0;
  });
  BOOST_TEST(c.get("nfactor_received_total", from) == 5.0);
  BOOST_TEST(c.get("nfactor_collect_connected", from) == 1.0);
  BOOST_TEST(c.get("nfactor_lost_total",
                   {{"node", node_at}, {"where", "node"}}) == 0.0);
  auto n = scrape_until(netns, dir, node_metrics, [&](const exposition& e) {
    for (const auto& [key, v] : e.samples)
      if (key.first == "nfactor_delivered_total" && v == 5.0)
        return true;
    return false;
  });
  std::size_t subscriptions = 0;
  for (const auto& [key, v] : n.samples)
    if (key.first == "nfactor_delivered_total") {
      ++subscriptions;
      BOOST_TEST(key.second.at("source") == "log:14");
      BOOST_TEST(v == 5.0);
    }
  BOOST_TEST(subscriptions == 1u);
  BOOST_TEST(n.get("nfactor_restarts_total") == 0.0);
  BOOST_TEST(col.stop(SIGINT) == 0);
  BOOST_TEST(nd.stop(SIGTERM) == 0);
}

// nfactor-conntrack counts events by type; stopped (SIGSTOP) while a
// burst fills its 4 KiB buffer, it shows the loss with the kernel's count
// of dropped events, and every event is then read or counted as dropped.
BOOST_FIXTURE_TEST_CASE(nfactor_conntrack_counts_events_and_drops,
                        test::ct_netns_fixture) {
  test::scratch_dir dir;
  // No flow may end by itself while the test runs.
  auto r = netns.exec("sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.output);
  // UDP only (the kernel's filter): each scrape is a TCP connection.
  background ct(
      in_netns(netns, {conntrack_bin, "--json", "-p", "udp", "--rcvbuf", "4096",
                       "--metrics", "127.0.0.1:0"}),
      dir / "ct.out", dir / "ct.err");
  BOOST_REQUIRE_MESSAGE(ct.await(test::err_has("listening")), ct.err());
  auto where = metrics_where(ct);
  BOOST_REQUIRE_MESSAGE(!where.empty(), ct.err());
  // 5 flows start and are deleted: 5 NEW, 5 DESTROY.
  test::udp_sink sink{netns.ns(), AF_INET, 7001};
  BOOST_TEST(test::udp_flows(netns.ns(), AF_INET, 41000, 5, 7001) == 5);
  auto del = netns.exec("conntrack -D -p udp --orig-port-dst 7001 2>&1");
  BOOST_REQUIRE_MESSAGE(del.status == 0, del.output);
  label_set created{{"type", "new"}}, destroyed{{"type", "destroy"}};
  auto m = scrape_until(netns, dir, where, [&](const exposition& e) {
    return e.get("nfactor_ct_events_total", created) == 5.0 &&
           e.get("nfactor_ct_events_total", destroyed) == 5.0;
  });
  BOOST_TEST(m.get("nfactor_ct_events_total", created) == 5.0);
  BOOST_TEST(m.get("nfactor_ct_events_total", destroyed) == 5.0);
  BOOST_TEST(m.get("nfactor_ct_events_total", {{"type", "update"}}) == 0.0);
  BOOST_TEST(m.get("nfactor_received_total") == 10.0);
  BOOST_TEST(m.get("nfactor_lost_total") == 0.0);
  BOOST_TEST(m.get("nfactor_enobufs_total") == 0.0);
  BOOST_TEST(m.get("nfactor_ct_dropped_events_total") == 0.0);
  BOOST_TEST(m.get("nfactor_ct_resyncs_total") == 0.0);
  BOOST_TEST(m.get("nfactor_restarts_total") == 0.0);
  BOOST_TEST(m.get("nfactor_in_flight") == 0.0);
  BOOST_TEST(m.types["nfactor_ct_events_total"] == "counter");
  // Stopped, it reads nothing: the burst overflows the buffer.
  BOOST_REQUIRE(::kill(ct.pid(), SIGSTOP) == 0);
  constexpr int flows = 300;
  test::udp_sink burst{netns.ns(), AF_INET, 7002};
  BOOST_TEST(test::udp_flows(netns.ns(), AF_INET, 42000, flows, 7002) == flows);
  BOOST_REQUIRE(::kill(ct.pid(), SIGCONT) == 0);
  const double events = 10 + flows;
  m = scrape_until(netns, dir, where, [&](const exposition& e) {
    return e.get("nfactor_received_total") +
                   e.get("nfactor_ct_dropped_events_total") ==
               events &&
           e.get("nfactor_in_flight") == 0.0 &&
           e.get("nfactor_ct_snapshots_total") ==
               e.get("nfactor_ct_resyncs_total");
  });
  BOOST_TEST(m.get("nfactor_received_total") +
                 m.get("nfactor_ct_dropped_events_total") ==
             events);
  BOOST_TEST(m.get("nfactor_ct_dropped_events_total") > 0.0);
  BOOST_TEST(m.get("nfactor_lost_total") ==
             m.get("nfactor_ct_dropped_events_total"));
  BOOST_TEST(m.get("nfactor_enobufs_total") >= 1.0);
  BOOST_TEST(m.get("nfactor_ct_resyncs_total") >= 1.0);
  BOOST_TEST(m.get("nfactor_ct_snapshots_total") ==
             m.get("nfactor_ct_resyncs_total"));
  // The last snapshot listed the whole table: the 300 flows.
  BOOST_TEST(m.get("nfactor_ct_snapshot_entries_total") >= flows);
  BOOST_TEST(m.get("nfactor_in_flight") == 0.0);
  BOOST_TEST(ct.stop(SIGTERM) == 0);
  BOOST_TEST(ct.out().find("\"resync\":{\"overruns\"") != std::string::npos);
}

// nfactor-conntrack's monitor runs under a supervisor: SIGUSR1 makes it
// fail (a drill), the supervisor restarts it, stderr says so, the
// restarts metric counts it, the restart announces a resync with a fresh
// table, and flows after the restart are printed as before.
BOOST_FIXTURE_TEST_CASE(nfactor_conntrack_restarts_a_failed_monitor,
                        test::ct_netns_fixture) {
  test::scratch_dir dir;
  background ct(in_netns(netns, {conntrack_bin, "--json", "-p", "udp",
                                 "--metrics", "127.0.0.1:0"}),
                dir / "ct.out", dir / "ct.err");
  BOOST_REQUIRE_MESSAGE(ct.await(test::err_has("listening")), ct.err());
  auto where = metrics_where(ct);
  BOOST_REQUIRE_MESSAGE(!where.empty(), ct.err());
  auto m = scrape_until(netns, dir, where, [](const exposition& e) {
    return e.get("nfactor_restarts_total") == 0.0;
  });
  BOOST_TEST(m.get("nfactor_restarts_total") == 0.0);

  BOOST_REQUIRE(::kill(ct.pid(), SIGUSR1) == 0);
  BOOST_REQUIRE_MESSAGE(ct.await(test::err_has("conntrack restarted (1 "
                                               "restarts)")),
                        ct.err());
  BOOST_TEST(ct.err().find("nfactor-conntrack: conntrack failed (") !=
                 std::string::npos,
             ct.err());
  BOOST_TEST(ct.err().find("failure drill") != std::string::npos, ct.err());
  m = scrape_until(netns, dir, where, [](const exposition& e) {
    return e.get("nfactor_restarts_total") == 1.0;
  });
  BOOST_TEST(m.get("nfactor_restarts_total") == 1.0);
  // The restart told the owner events may be lost and sent the table.
  BOOST_REQUIRE_MESSAGE(ct.await([](auto& out, auto&) {
    return out.find("{\"resync\":{\"overruns\":0,\"dropped\":0}}") !=
           std::string::npos;
  }),
                        ct.out());
  m = scrape_until(netns, dir, where, [](const exposition& e) {
    return e.get("nfactor_ct_snapshots_total") == 1.0;
  });
  BOOST_TEST(m.get("nfactor_ct_snapshots_total") == 1.0);
  // The new monitor works: a flow's start is printed.
  test::udp_sink sink{netns.ns(), AF_INET, 7011};
  BOOST_TEST(test::udp_flows(netns.ns(), AF_INET, 43000, 1, 7011) == 1);
  BOOST_REQUIRE_MESSAGE(ct.await([](auto& out, auto&) {
    return out.find("\"dport\":7011") != std::string::npos;
  }),
                        ct.out());
  BOOST_TEST(ct.stop(SIGTERM) == 0);
}

BOOST_AUTO_TEST_CASE(bad_metrics_addresses_are_refused) {
  test::scratch_dir dir;
  for (std::string bad : {"nonsense", "127.0.0.1:99999", "1.2.3.4:"}) {
    background log({log_bin, "-g", "15", "--metrics", bad}, dir / "o",
                   dir / "e");
    BOOST_TEST(log.wait() == 2);
    BOOST_TEST(log.err().find("--metrics") != std::string::npos, log.err());
  }
}

BOOST_AUTO_TEST_SUITE_END()
