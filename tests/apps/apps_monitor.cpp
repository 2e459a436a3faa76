// SPDX-License-Identifier: Apache-2.0
//
// nfactor-monitor end to end: a scripted session of nft commits in a
// scratch namespace, printed by nfactor-monitor --snapshot (JSON lines and
// text), must show the snapshot first and then exactly those commits, in
// order, with consecutive generations and the committer "nft".
#include <boost/test/unit_test.hpp>

#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app_runner.hpp"
#include "netns_fixture.hpp"
#include "trace_support.hpp"
#include "traffic.hpp"

namespace apps_monitor {
using namespace nfactor;
using nfactor::test::json_lines;
using nfactor::test::lines;
using test::background;

const std::string monitor_bin = NFACTOR_MONITOR_BIN;

} // namespace apps_monitor

BOOST_AUTO_TEST_SUITE(apps_monitor,
                      *boost::unit_test::precondition(test::needs_kernel))

BOOST_FIXTURE_TEST_CASE(snapshot_then_commits_json, test::netns_fixture) {
  test::scratch_dir dir;
  netns.nft("add table ip pre");
  background mon({monitor_bin, "--netns", netns.name(), "--snapshot", "--json"},
                 dir / "out", dir / "err");
  BOOST_REQUIRE_MESSAGE(
      mon.await([](auto& out, auto&) { return lines(out) == 1; }), mon.err());
  netns.nft("add table ip t; add chain ip t c");
  netns.nft("add rule ip t c udp dport 53 accept");
  netns.nft("delete table ip t");
  BOOST_REQUIRE_MESSAGE(
      mon.await([](auto& out, auto&) { return lines(out) == 4; }), mon.out());
  BOOST_TEST(mon.stop(SIGTERM) == 0);
  auto l = json_lines(mon.out());
  BOOST_TEST_REQUIRE(l.size() == 4u);
  auto snap = l[0]["snapshot"];
  auto gen = snap["gen"].get<std::uint32_t>();
  BOOST_TEST(snap["changes"].size() == 1u);
  BOOST_TEST(snap["changes"][0]["table"]["name"] == "pre");
  for (std::size_t i = 1; i < 4; ++i) {
    BOOST_TEST(l[i]["gen"] == gen + i);
    BOOST_TEST(l[i]["comm"] == "nft");
    BOOST_TEST(l[i].contains("pid"));
  }
  auto& c1 = l[1]["changes"];
  BOOST_TEST_REQUIRE(c1.size() == 2u);
  BOOST_TEST(c1[0]["op"] == "add");
  BOOST_TEST(c1[0]["table"]["name"] == "t");
  BOOST_TEST(c1[1]["chain"]["name"] == "c");
  auto& c2 = l[2]["changes"];
  BOOST_TEST_REQUIRE(c2.size() == 1u);
  BOOST_TEST(c2[0]["rule"]["chain"] == "c");
  // nft's JSON statements, as `nft -j list ruleset` shows the rule.
  BOOST_TEST(c2[0]["rule"]["expr"] == nlohmann::json::parse(R"([
    {"match": {"op": "==", "left": {"payload": {"protocol": "udp",
     "field": "dport"}}, "right": 53}}, {"accept": null}])"),
             c2[0].dump());
  auto& c3 = l[3]["changes"];
  BOOST_TEST_REQUIRE(c3.size() == 3u);
  for (auto& c : c3)
    BOOST_TEST(c["op"] == "delete");
  BOOST_TEST(c3[2]["table"]["name"] == "t");
}

BOOST_FIXTURE_TEST_CASE(text_like_nft_monitor, test::netns_fixture) {
  test::scratch_dir dir;
  background mon({monitor_bin, "--netns", netns.name()}, dir / "out",
                 dir / "err");
  BOOST_REQUIRE(mon.await(test::err_has("listening")));
  netns.nft("add table inet t; add chain inet t input { type filter hook "
            "input priority 0; policy drop; }");
  BOOST_REQUIRE(mon.await([](auto& out, auto&) { return lines(out) == 3; }));
  BOOST_TEST(mon.stop(SIGINT) == 0);
  auto out = mon.out();
  BOOST_TEST(out.starts_with("# new generation "), out);
  BOOST_TEST(out.find(" (nft)\nadd table inet t\nadd chain inet t input "
                      "{ type filter hook input priority filter; policy "
                      "drop; }\n") != std::string::npos,
             out);
}

// The change lines of a monitor's output: without the commit headers
// ("# new generation ..."), trailing blanks and rule handles.
std::vector<std::string> change_lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in{s};
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("#") || line.empty())
      continue;
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    if (auto h = line.find(" # handle "); h != std::string::npos)
      line.erase(h);
    out.push_back(line);
  }
  return out;
}

// A scripted session watched by `nft monitor` and nfactor-monitor at the
// same time: the same lines, commit by commit (nft prints its commit line
// after the changes, nfactor before them; both are left out here).
BOOST_FIXTURE_TEST_CASE(same_lines_as_nft_monitor, test::netns_fixture) {
  test::scratch_dir dir;
  background nft_mon({"ip", "netns", "exec", netns.name(), "nft", "monitor"},
                     dir / "nft.out", dir / "nft.err");
  background mon({monitor_bin, "--netns", netns.name()}, dir / "out",
                 dir / "err");
  BOOST_REQUIRE(mon.await(test::err_has("listening")));
  // Both are listening once both show a probe commit.
  netns.nft("add table ip probe");
  BOOST_REQUIRE(nft_mon.await(test::out_has("add table ip probe\n")));
  BOOST_REQUIRE(mon.await(test::out_has("add table ip probe\n")));
  const char* const session[] = {
      "add table ip t",
      "add chain ip t input { type filter hook input priority 0; policy "
      "accept; }",
      "add chain ip t c",
      "add set ip t s { type ipv4_addr; }",
      "add set ip t r { type ipv4_addr; flags interval; }",
      "add map ip t m { type inet_service : verdict; }",
      "add element ip t s { 10.0.0.1, 10.0.0.2 }",
      "add element ip t r { 10.0.0.0/8, 192.168.1.1-192.168.1.5 }",
      "add element ip t m { 22 : accept }",
      "add rule ip t c ip saddr 10.0.0.1 udp dport 53 counter accept",
      "add rule ip t c tcp dport { 22, 80 } ct state established,related "
      "accept",
      "add rule ip t c iifname \"lo\" meta mark 0x10 log prefix \"x \" drop",
      "add rule ip t c ip saddr @s limit rate 10/second jump c2",
      "add rule ip t c ip daddr 10.0.0.0/8 tcp dport 1000-2000 reject",
      "add rule ip t c meta l4proto udp ip saddr != 10.1.1.1 meta mark set "
      "0x5 counter",
      "add rule ip t c tcp dport vmap { 22 : accept, 23 : drop }",
      "add rule ip t c ct count over 20 drop",
      "add rule ip t c ip saddr . tcp dport { 10.0.0.1 . 22 } accept",
      "add rule ip t c ip protocol icmp counter name \"cnt\"",
      "delete element ip t s { 10.0.0.2 }",
      "flush chain ip t c",
      "delete set ip t s",
      "delete table ip t",
  };
  for (auto* cmd : session) {
    std::string c = cmd;
    if (c.find("jump c2") != std::string::npos)
      netns.nft("add chain ip t c2");
    if (c.find("counter name") != std::string::npos)
      netns.nft("add counter ip t cnt");
    netns.nft(c);
  }
  netns.nft("delete table ip probe");
  BOOST_REQUIRE(nft_mon.await(test::out_has("delete table ip probe\n")));
  BOOST_REQUIRE(mon.await(test::out_has("delete table ip probe\n")));
  BOOST_TEST(mon.stop(SIGTERM) == 0);
  nft_mon.stop(SIGTERM);
  auto want = change_lines(nft_mon.out());
  auto got = change_lines(mon.out());
  BOOST_TEST(want.size() > 40u, nft_mon.out());
  BOOST_TEST(got == want, "nfactor-monitor:\n"
                              << mon.out() << "\nnft monitor:\n"
                              << nft_mon.out());
  // Every commit headed by its generation and committer.
  BOOST_TEST(mon.out().find("# new generation ") == 0u);
  BOOST_TEST(mon.out().find(" (nft)\nadd rule ip t c ip saddr 10.0.0.1 udp "
                            "dport 53 counter packets 0 bytes 0 accept # "
                            "handle ") != std::string::npos,
             mon.out());
}

// Interface indexes (iif, oif) are the monitored namespace's: a veth pair
// that exists only in the test namespace is printed by name, exactly as
// `nft monitor` running in that namespace prints it (text), and as
// `nft -j list ruleset` lists it (JSON). nfactor-monitor itself runs in
// the test's namespace, where these indexes are other interfaces or none.
BOOST_FIXTURE_TEST_CASE(interface_names_of_the_monitored_namespace,
                        test::netns_fixture) {
  test::scratch_dir dir;
  auto link = netns.exec("ip link add nfxmon-in type veth peer name "
                         "nfxmon-out");
  BOOST_REQUIRE_MESSAGE(link.status == 0, link.output);
  BOOST_REQUIRE(test::run_command("ip link show nfxmon-in").status != 0);
  netns.nft("add table ip t; add chain ip t c");
  background nft_mon({"ip", "netns", "exec", netns.name(), "nft", "monitor"},
                     dir / "nft.out", dir / "nft.err");
  background mon({monitor_bin, "--netns", netns.name()}, dir / "out",
                 dir / "err");
  background mon_json({monitor_bin, "--netns", netns.name(), "--json"},
                      dir / "json", dir / "json.err");
  BOOST_REQUIRE(mon.await(test::err_has("listening")));
  BOOST_REQUIRE(mon_json.await(test::err_has("listening")));
  // nft monitor is listening once it shows a probe commit.
  netns.nft("add table ip probe");
  BOOST_REQUIRE(nft_mon.await(test::out_has("add table ip probe\n")));
  netns.nft("add rule ip t c iif \"nfxmon-in\" oif \"nfxmon-out\" accept");
  netns.nft("delete table ip probe");
  BOOST_REQUIRE(nft_mon.await(test::out_has("delete table ip probe\n")));
  BOOST_REQUIRE(mon.await(test::out_has("delete table ip probe\n")));
  BOOST_REQUIRE(
      mon_json.await([](auto& out, auto&) { return lines(out) == 3; }));
  BOOST_TEST(mon.stop(SIGTERM) == 0);
  BOOST_TEST(mon_json.stop(SIGTERM) == 0);
  nft_mon.stop(SIGTERM);
  auto want = change_lines(nft_mon.out());
  auto got = change_lines(mon.out());
  BOOST_TEST_REQUIRE(want.size() == 3u, nft_mon.out());
  BOOST_TEST(want[1] ==
             "add rule ip t c iif \"nfxmon-in\" oif \"nfxmon-out\" accept");
  BOOST_TEST(got == want, "nfactor-monitor:\n"
                              << mon.out() << "\nnft monitor:\n"
                              << nft_mon.out());
  // JSON: the rule's statements as `nft -j list ruleset` lists them.
  auto listing = nlohmann::json::parse(netns.nft_json("list ruleset"));
  nlohmann::json listed;
  for (auto& item : listing["nftables"])
    if (item.contains("rule"))
      listed = item["rule"]["expr"];
  auto l = json_lines(mon_json.out());
  BOOST_TEST_REQUIRE(l.size() == 3u);
  BOOST_TEST_REQUIRE(l[1]["changes"].size() == 1u);
  auto& rule = l[1]["changes"][0]["rule"];
  BOOST_TEST(rule["expr"] == listed, rule.dump() << "\nnft: " << listed.dump());
  BOOST_TEST(listed.dump().find("\"nfxmon-out\"") != std::string::npos);
}

// --trace --nftrace: the scoped table marks the datagrams, the traces show
// the user's rules by name (the scope's own chain hidden), and the table
// is gone once its packet limit ended the run.
BOOST_FIXTURE_TEST_CASE(trace_with_scoped_nftrace, test::netns_fixture) {
  test::scratch_dir dir;
  netns.nft_script(test::dropping_ruleset);
  background mon({monitor_bin, "--netns", netns.name(), "--trace", "--json",
                  "--nftrace", "--nftrace-packets", "3"},
                 dir / "out", dir / "err");
  BOOST_REQUIRE_MESSAGE(mon.await([](auto&, auto& err) {
    return err.find("tracing") != std::string::npos;
  }),
                        mon.err());
  BOOST_TEST(netns.nft("list tables").find("nfactor_trace") !=
             std::string::npos);
  test::send_udp(netns.ns(), AF_INET, 9999, "x", 3);
  BOOST_REQUIRE_MESSAGE(
      mon.await([](auto& out, auto&) { return lines(out) >= 3; }), mon.out());
  // Three marked packets: the scope removes its table and the run ends.
  BOOST_REQUIRE_MESSAGE(mon.await([](auto&, auto& err) {
    return err.find("nftrace removed") != std::string::npos;
  }),
                        mon.err());
  BOOST_TEST(mon.wait() == 0);
  BOOST_TEST(netns.nft("list tables").find("nfactor_trace") ==
             std::string::npos);
  for (const auto& l : json_lines(mon.out())) {
    const auto& t = l["trace"];
    BOOST_TEST(t["table"] == "t");
    BOOST_TEST(t["verdict"] == "drop");
    BOOST_TEST(t["steps"].back()["rule"] == "udp dport 9999 drop");
  }
}

// (In a scratch namespace: a run that ignored its options stays there.)
BOOST_FIXTURE_TEST_CASE(bad_command_lines, test::netns_fixture) {
  auto r = netns.exec(monitor_bin + " --bogus");
  BOOST_TEST(r.status == 2);
  r = netns.exec(monitor_bin + " --netns nfactor-no-such-ns");
  BOOST_TEST(r.status == 2);
  r = netns.exec(monitor_bin + " --help");
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.output.find("--snapshot") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
