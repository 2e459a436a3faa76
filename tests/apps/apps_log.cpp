// SPDX-License-Identifier: Apache-2.0
//
// nfactor-log end to end in a scratch namespace: UDP datagrams matched by
// an nft `log group` rule are seen three ways — tcpdump on lo (the peer's
// view of the same packets), nfactor-log's JSON lines, and nfactor-log's
// pcap read back by `tcpdump -r` — and the three agree on IP id, lengths,
// addresses and ports. SIGHUP reopens the files; SIGTERM unbinds the group
// and exits 0; bad options exit 2.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "app_runner.hpp"
#include "netns_fixture.hpp"

namespace apps_log {
using namespace nfactor;
using nfactor::test::lines;
using test::background;
using test::run_command;

const std::string log_bin = NFACTOR_LOG_BIN;
constexpr std::size_t count = 5;

// (ip id, ip total length, src, sport, dst, dport, udp payload length)
using packet = std::tuple<unsigned, unsigned, std::string, unsigned,
                          std::string, unsigned, unsigned>;

// Packets as `tcpdump -nn -v -r FILE` prints them.
std::vector<packet> tcpdump_view(const std::string& file) {
  auto r = run_command("tcpdump -nn -v -r " + file);
  std::vector<packet> out;
  std::regex head{R"(id (\d+), .*proto UDP \(17\), length (\d+)\))"};
  std::regex body{R"(([0-9.]+)\.(\d+) > ([0-9.]+)\.(\d+): UDP, length (\d+))"};
  std::istringstream in{r.output};
  std::string line;
  std::smatch h, b;
  while (std::getline(in, line)) {
    if (!std::regex_search(line, h, head))
      continue;
    std::string next;
    std::getline(in, next);
    if (!std::regex_search(next, b, body))
      continue;
    out.emplace_back(std::stoul(h[1]), std::stoul(h[2]), b[1], std::stoul(b[2]),
                     b[3], std::stoul(b[4]), std::stoul(b[5]));
  }
  return out;
}

void send_datagrams(const test::scratch_netns& ns, std::size_t n) {
  auto r = ns.exec("python3 -c \"import socket\n"
                   "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                   "s.bind(('127.0.0.1',40001))\n"
                   "for i in range(" +
                   std::to_string(n) +
                   "): s.sendto(b'x'*(i+1),('127.0.0.1',9999))\"");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.output);
}

// How often `needle` occurs in `s`.
std::size_t occurrences(const std::string& s, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = s.find(needle); at != std::string::npos;
       at = s.find(needle, at + needle.size()))
    ++n;
  return n;
}

// Sends one netlink datagram of `size` bytes (an NLMSG_NOOP header and
// zeros) from a fresh NETLINK_NETFILTER socket in `ns` to port id
// `portid`. The kernel delivers unicasts between netlink sockets for a
// sender with CAP_NET_ADMIN; SO_SNDBUFFORCE lets the one datagram be
// larger than the default send buffer.
void send_netlink_datagram(const test::scratch_netns& ns, std::uint32_t portid,
                           std::size_t size) {
  auto r = ns.exec("python3 -c \"import socket, struct\n"
                   "s=socket.socket(socket.AF_NETLINK,socket.SOCK_RAW,12)\n"
                   "s.setsockopt(socket.SOL_SOCKET,32,4<<20)\n"
                   "n=" +
                   std::to_string(size) +
                   "\n"
                   "s.sendto(struct.pack('=IHHII',n,1,0,0,0)+bytes(n-16),(" +
                   std::to_string(portid) + ",0))\"");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.output);
}

// Waits (bounded) until process `pid` is in the stopped state ('T' in
// /proc/PID/stat: every thread has taken the SIGSTOP).
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

} // namespace apps_log

BOOST_AUTO_TEST_SUITE(apps_log,
                      *boost::unit_test::precondition(test::needs_kernel))

BOOST_FIXTURE_TEST_CASE(json_and_pcap_match_tcpdump, test::netns_fixture) {
  test::scratch_dir dir;
  netns.nft("add table ip lg; add chain ip lg out { type filter hook output "
            "priority 0; }; add rule ip lg out udp dport 9999 log prefix "
            "\"lg \" group 7");
  background log({log_bin, "--netns", netns.name(), "-g", "7", "--json",
                  dir / "ev.json", "--pcap", dir / "ev.pcap"},
                 dir / "log.out", dir / "log.err");
  BOOST_REQUIRE_MESSAGE(log.await(test::err_has("group 7 bound")), log.err());
  background dump({"ip", "netns", "exec", netns.name(), "tcpdump", "-i", "lo",
                   "-Q", "in", "-nn", "-U", "-c", std::to_string(count), "-w",
                   dir / "lo.pcap", "udp", "port", "9999"},
                  dir / "td.out", dir / "td.err");
  BOOST_REQUIRE_MESSAGE(dump.await(test::err_has("listening on")), dump.err());
  send_datagrams(netns, count);
  BOOST_REQUIRE_MESSAGE(dump.await(test::err_has("packets captured")),
                        dump.err());
  BOOST_REQUIRE_MESSAGE(log.await([&](auto&, auto&) {
    return lines(test::read_file(dir / "ev.json")) == count;
  }),
                        log.err());
  BOOST_TEST(log.stop(SIGTERM) == 0);
  BOOST_TEST(log.err().find("nfactor-log: stopped") != std::string::npos);
  // The group is free again.
  auto procs = netns.exec("cat /proc/net/netfilter/nfnetlink_log");
  BOOST_TEST(procs.output.find(" 7 ") == std::string::npos, procs.output);

  auto peer = tcpdump_view(dir / "lo.pcap");
  BOOST_TEST_REQUIRE(peer.size() == count);
  // JSON lines.
  std::vector<packet> ours;
  std::istringstream in{test::read_file(dir / "ev.json")};
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    BOOST_TEST(j["group"] == 7);
    BOOST_TEST(j["family"] == "ip");
    BOOST_TEST(j["hook"] == "output");
    BOOST_TEST(j["prefix"] == "lg ");
    BOOST_TEST(j["outdev"] == "lo");
    BOOST_TEST(j["proto"] == "udp");
    BOOST_TEST(j["hw_protocol"] == 0x0800);
    BOOST_TEST(!j.contains("mark")); // absent, not 0
    BOOST_TEST(!j.contains("indev"));
    auto hex = j["payload"].get<std::string>();
    BOOST_TEST(hex.size() == 2 * j["payload_len"].get<std::size_t>());
    auto id = std::stoul(hex.substr(8, 4), nullptr, 16);
    auto len = j["payload_len"].get<unsigned>();
    ours.emplace_back(id, len, j["src"], j["sport"], j["dst"], j["dport"],
                      len - 28);
  }
  BOOST_TEST(ours == peer);
  // Our pcap, as tcpdump reads it.
  auto r = run_command("tcpdump -nn -r " + dir / "ev.pcap");
  BOOST_TEST(r.output.find("link-type NFLOG") != std::string::npos, r.output);
  BOOST_TEST(tcpdump_view(dir / "ev.pcap") == peer);
}

// pcap records gather across batches, as JSON lines do, and reach the
// file within the flush delay while the daemon runs, not at its end.
BOOST_FIXTURE_TEST_CASE(pcap_records_are_written_while_running,
                        test::netns_fixture) {
  test::scratch_dir dir;
  netns.nft("add table ip lg; add chain ip lg out { type filter hook output "
            "priority 0; }; add rule ip lg out udp dport 9999 log group 10");
  background log(
      {log_bin, "--netns", netns.name(), "-g", "10", "--pcap", dir / "ev.pcap"},
      dir / "log.out", dir / "log.err");
  BOOST_REQUIRE_MESSAGE(log.await(test::err_has("group 10 bound")), log.err());
  send_datagrams(netns, count);
  BOOST_REQUIRE_MESSAGE(log.await([&](auto&, auto&) {
    return tcpdump_view(dir / "ev.pcap").size() == count;
  }),
                        log.err());
  BOOST_TEST(log.stop(SIGTERM) == 0);
  BOOST_TEST(tcpdump_view(dir / "ev.pcap").size() == count);
}

BOOST_FIXTURE_TEST_CASE(sighup_reopens_files, test::netns_fixture) {
  test::scratch_dir dir;
  netns.nft("add table ip lg; add chain ip lg out { type filter hook output "
            "priority 0; }; add rule ip lg out udp dport 9999 log group 8");
  background log({log_bin, "--netns", netns.name(), "--group", "8", "--json",
                  dir / "ev.json", "--stats-interval", "0.2"},
                 dir / "log.out", dir / "log.err");
  BOOST_REQUIRE(log.await(test::err_has("group 8 bound")));
  send_datagrams(netns, 1);
  BOOST_REQUIRE(log.await([&](auto&, auto&) {
    return lines(test::read_file(dir / "ev.json")) == 1;
  }));
  // logrotate: move the file away, HUP, the next event lands in a new file.
  BOOST_REQUIRE(
      ::rename((dir / "ev.json").c_str(), (dir / "ev.json.1").c_str()) == 0);
  BOOST_REQUIRE(log.pid() > 0);
  ::kill(log.pid(), SIGHUP);
  BOOST_REQUIRE(log.await(test::err_has("reopened outputs")));
  send_datagrams(netns, 2);
  BOOST_REQUIRE(log.await([&](auto&, auto&) {
    return lines(test::read_file(dir / "ev.json")) == 2;
  }));
  BOOST_TEST(lines(test::read_file(dir / "ev.json.1")) == 1u);
  // Periodic stats name the group and its counters.
  BOOST_REQUIRE(log.await(test::err_has("stats group 8: received 3")));
  BOOST_TEST(log.stop(SIGINT) == 0);
}

// Only the kernel is believed: a datagram from another netlink socket in
// the namespace, sent to the port id nfactor-log printed, is dropped
// unparsed, even one larger than the listener's receive slot (16 slots of
// nflog::largest_datagram(nlbufsiz) = 262144 bytes each with the default
// nlbufsiz), which would otherwise be truncated and fail the listener. So
// the listener keeps running (no failure, no restart, one binding) and
// the events sent after the forged datagrams, queued behind them, are
// logged by the same kernel instance (seq goes on: 1, 2, 3).
BOOST_FIXTURE_TEST_CASE(foreign_datagrams_cannot_fail_a_listener,
                        test::netns_fixture) {
  test::scratch_dir dir;
  netns.nft("add table ip lg; add chain ip lg out { type filter hook output "
            "priority 0; }; add rule ip lg out udp dport 9999 log prefix "
            "\"rs \" group 9");
  background log({log_bin, "--netns", netns.name(), "-g", "9", "--json",
                  dir / "ev.json", "--stats-interval", "0.2"},
                 dir / "log.out", dir / "log.err");
  const std::string bound = "group 9 bound (portid ";
  BOOST_REQUIRE_MESSAGE(log.await(test::err_has(bound)), log.err());
  std::smatch m;
  auto err = log.err();
  BOOST_REQUIRE(
      std::regex_search(err, m, std::regex{R"(group 9 bound \(portid (\d+))"}));
  auto portid = static_cast<std::uint32_t>(std::stoul(m[1]));
  send_datagrams(netns, 1);
  BOOST_REQUIRE_MESSAGE(log.await([&](auto&, auto&) {
    return lines(test::read_file(dir / "ev.json")) == 1;
  }),
                        log.err());

  send_netlink_datagram(netns, portid, 300000);
  send_netlink_datagram(netns, portid, 64);
  send_datagrams(netns, 3);
  BOOST_REQUIRE_MESSAGE(log.await([&](auto&, auto&) {
    return lines(test::read_file(dir / "ev.json")) == 4;
  }),
                        log.err());
  BOOST_REQUIRE_MESSAGE(log.await([](auto&, auto& err) {
    return std::regex_search(
        err, std::regex{R"(stats group 9: received 4, delivered 4, lost 0, )"
                        R"(.*, restarts 0\n)"});
  }),
                        log.err());
  BOOST_TEST(log.stop(SIGTERM) == 0);
  err = log.err();
  BOOST_TEST(occurrences(err, bound) == 1u, err);
  BOOST_TEST(err.find("failed") == std::string::npos, err);
  BOOST_TEST(err.find("LOSS") == std::string::npos, err);
  std::istringstream in{test::read_file(dir / "ev.json")};
  std::string line;
  unsigned seq = 0;
  while (std::getline(in, line))
    BOOST_TEST(nlohmann::json::parse(line)["seq"] == seq++);
}

// A listener that fails for real is restarted by the supervisor. The
// failure comes from the kernel: another nfactor-log holds group 9, so the
// listener's BIND is refused (EPERM) and it stops with that error; the
// supervisor restarts it with a backoff (100 ms, doubling, 5 restarts).
// Once the holder is killed (its socket's release unbinds the group), a
// restart binds the group, and events sent afterwards are logged with
// every field by the new kernel instance (seq from 0).
BOOST_FIXTURE_TEST_CASE(restarts_a_failed_listener, test::netns_fixture) {
  test::scratch_dir dir;
  netns.nft("add table ip lg; add chain ip lg out { type filter hook output "
            "priority 0; }; add rule ip lg out udp dport 9999 log prefix "
            "\"rs \" group 9");
  background holder({log_bin, "--netns", netns.name(), "-g", "9"},
                    dir / "h.out", dir / "h.err");
  BOOST_REQUIRE_MESSAGE(holder.await(test::err_has("group 9 bound")),
                        holder.err());
  background log({log_bin, "--netns", netns.name(), "-g", "9", "--json",
                  dir / "ev.json", "--stats-interval", "0.2"},
                 dir / "log.out", dir / "log.err");
  BOOST_REQUIRE_MESSAGE(
      log.await(test::err_has("nfactor-log: group-9 failed "
                              "(NFULNL_CFG_CMD_BIND group 9: Operation not "
                              "permitted")),
      log.err());
  BOOST_TEST(log.err().find("restarting") != std::string::npos, log.err());
  holder.stop(SIGKILL);

  // Reported: the restart, then the new binding.
  BOOST_REQUIRE_MESSAGE(log.await([&](auto&, auto& err) {
    return err.find("group 9 bound (portid ") != std::string::npos &&
           std::regex_search(err, std::regex{R"(group-9 restarted \([1-5] )"
                                             R"(restarts\))"});
  }),
                        log.err());

  // Events after the restart arrive, with every field.
  send_datagrams(netns, 3);
  BOOST_REQUIRE_MESSAGE(log.await([&](auto&, auto&) {
    return lines(test::read_file(dir / "ev.json")) == 3;
  }),
                        log.err());
  // The stats name the restarts.
  BOOST_REQUIRE_MESSAGE(log.await([](auto&, auto& err) {
    return std::regex_search(
        err, std::regex{R"(stats group 9: received 3, delivered 3, lost 0, )"
                        R"(.*, restarts [1-5]\n)"});
  }),
                        log.err());
  BOOST_TEST(log.stop(SIGTERM) == 0);
  BOOST_TEST(log.err().find("LOSS") == std::string::npos, log.err());

  std::istringstream in{test::read_file(dir / "ev.json")};
  std::string line;
  std::vector<nlohmann::json> events;
  while (std::getline(in, line))
    events.push_back(nlohmann::json::parse(line));
  BOOST_TEST_REQUIRE(events.size() == 3u);
  for (unsigned i = 0; i < 3; ++i) {
    auto& j = events[i];
    BOOST_TEST(j["group"] == 9);
    BOOST_TEST(j["prefix"] == "rs ");
    BOOST_TEST(j["family"] == "ip");
    BOOST_TEST(j["hook"] == "output");
    BOOST_TEST(j["outdev"] == "lo");
    BOOST_TEST(j["proto"] == "udp");
    BOOST_TEST(j["src"] == "127.0.0.1");
    BOOST_TEST(j["dst"] == "127.0.0.1");
    BOOST_TEST(j["sport"] == 40001);
    BOOST_TEST(j["dport"] == 9999);
    // Datagram i carries i + 1 bytes: 20 (IP) + 8 (UDP) + i + 1.
    BOOST_TEST(j["payload_len"] == 29 + i);
    BOOST_TEST(j["payload"].get<std::string>().size() == 2 * (29 + i));
    // The new kernel instance numbers from 0.
    BOOST_TEST(j["seq"] == i);
    BOOST_TEST(!j.contains("mark"));
  }
}

// A group that another socket holds cannot be bound: every restart fails
// the same way, the supervisor gives up, and nfactor-log exits 1 with a
// line that names the child, the restarts and the kernel's refusal (the
// first five failures are each reported with "restarting", the sixth in
// that last line).
BOOST_FIXTURE_TEST_CASE(a_group_held_elsewhere_exits_1, test::netns_fixture) {
  test::scratch_dir dir;
  background holder(
      {log_bin, "--netns", netns.name(), "-g", "11", "--json", dir / "ev.json"},
      dir / "h.out", dir / "h.err");
  BOOST_REQUIRE_MESSAGE(holder.await(test::err_has("group 11 bound")),
                        holder.err());
  background second({log_bin, "--netns", netns.name(), "-g", "11"},
                    dir / "s.out", dir / "s.err");
  BOOST_TEST(second.wait() == 1);
  auto err = second.err();
  BOOST_TEST(occurrences(err, "group-11 failed (NFULNL_CFG_CMD_BIND group "
                              "11: Operation not permitted") == 5u,
             err);
  BOOST_TEST(err.find("nfactor-log: supervisor gave up on child 'group-11' "
                      "after 5 restarts; last reason: NFULNL_CFG_CMD_BIND "
                      "group 11: Operation not permitted (errno 1): group 11 "
                      "is bound by another socket") != std::string::npos,
             err);
  BOOST_TEST(err.ends_with("nfactor-log: stopped\n"), err);
  BOOST_TEST(holder.stop(SIGTERM) == 0);
}

// Loss is reported, exactly: while nfactor-log is stopped (SIGSTOP) a
// burst overflows its small receive buffer; after SIGCONT it prints a
// LOSS line, and once a later event shows the last gap in the per-group
// sequence numbers, received + lost = sent, in the stats as well.
BOOST_FIXTURE_TEST_CASE(loss_is_a_line_and_in_the_stats, test::netns_fixture) {
  test::scratch_dir dir;
  netns.nft("add table ip lg; add chain ip lg out { type filter hook output "
            "priority 0; }; add rule ip lg out udp dport 9999 log group 12");
  background log({log_bin, "--netns", netns.name(), "-g", "12", "--qthresh",
                  "1", "--rcvbuf", "4096", "--json", dir / "ev.json",
                  "--stats-interval", "0.2"},
                 dir / "log.out", dir / "log.err");
  BOOST_REQUIRE_MESSAGE(log.await(test::err_has("group 12 bound")), log.err());
  constexpr std::size_t burst = 300;
  BOOST_REQUIRE(::kill(log.pid(), SIGSTOP) == 0);
  BOOST_REQUIRE(is_stopped(log.pid()));
  send_datagrams(netns, burst);
  BOOST_REQUIRE(::kill(log.pid(), SIGCONT) == 0);
  BOOST_REQUIRE_MESSAGE(log.await(test::err_has("LOSS group 12: ")), log.err());
  // The buffer kept the burst's first events: the drops came after them
  // and no later event shows their gap yet.
  const std::string later =
      "; the events dropped in the last overrun are counted at the next event";
  BOOST_REQUIRE_MESSAGE(log.await(test::err_has(later)), log.err());
  // One more event: its seq shows the gap after the last queued event.
  send_datagrams(netns, 1);
  std::regex stats{
      R"(stats group 12: received (\d+), delivered (\d+), lost (\d+), )"};
  std::size_t received = 0, lost = 0;
  BOOST_REQUIRE_MESSAGE(log.await([&](auto&, auto& err) {
    for (std::sregex_iterator it{err.begin(), err.end(), stats}, end; it != end;
         ++it) {
      received = std::stoul((*it)[1]);
      lost = std::stoul((*it)[3]);
      if (received + lost == burst + 1 && (*it)[2] == (*it)[1])
        return true;
    }
    return false;
  }),
                        log.err());
  BOOST_TEST(log.stop(SIGTERM) == 0);
  BOOST_TEST(lost > 0u);
  BOOST_TEST(lines(test::read_file(dir / "ev.json")) == received);
  // The LOSS lines count exactly (no "at least") and their running total
  // ends at the stats' figure.
  auto err = log.err();
  BOOST_TEST(err.find("at least") == std::string::npos, err);
  std::regex loss{R"(LOSS group 12: (\d+) events lost in \d+ receive buffer )"
                  R"(overrun\(s\) \(total (\d+) lost(.*))"};
  std::size_t last_total = 0;
  std::string last_rest;
  for (std::sregex_iterator it{err.begin(), err.end(), loss}, end; it != end;
       ++it) {
    last_total = std::stoul((*it)[2]);
    last_rest = (*it)[3];
  }
  BOOST_TEST(last_total == lost, err);
  // The line that counted them no longer says the count comes later.
  BOOST_TEST(last_rest.find(later) == std::string::npos, err);
}

// (In a scratch namespace: a run that ignored its options stays there.)
BOOST_FIXTURE_TEST_CASE(bad_command_lines, test::netns_fixture) {
  auto r = netns.exec(log_bin + " --group 0");
  BOOST_TEST(r.status == 2);
  r = netns.exec(log_bin + " --json -");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.output.find("--group is required") != std::string::npos,
             r.output);
  r = netns.exec(log_bin + " --group 5 --netns nfactor-no-such-ns");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.output.find("nfactor-no-such-ns") != std::string::npos,
             r.output);
  r = netns.exec(log_bin + " --group 5 --group 5");
  BOOST_TEST(r.status == 2);
  r = netns.exec(log_bin + " --group 5 --coalesce 1001");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.output.find("--coalesce") != std::string::npos, r.output);
  r = netns.exec(log_bin + " --help");
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.output.find("--pcap") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
