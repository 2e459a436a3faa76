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

using namespace nfactor;
using test::background;

namespace {

const std::string monitor_bin = NFACTOR_MONITOR_BIN;

std::vector<nlohmann::json> json_lines(const std::string& s) {
  std::vector<nlohmann::json> out;
  std::istringstream in{s};
  std::string line;
  while (std::getline(in, line))
    out.push_back(nlohmann::json::parse(line));
  return out;
}

std::size_t lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

} // namespace

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
  BOOST_TEST(c2[0]["rule"]["expr"].back() == "[ immediate reg 0 accept ]");
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
  BOOST_REQUIRE(mon.await([](auto&, auto& err) {
    return err.find("listening") != std::string::npos;
  }));
  netns.nft("add table inet t; add chain inet t input { type filter hook "
            "input priority 0; policy drop; }");
  BOOST_REQUIRE(mon.await([](auto& out, auto&) { return lines(out) == 3; }));
  BOOST_TEST(mon.stop(SIGINT) == 0);
  auto out = mon.out();
  BOOST_TEST(out.starts_with("# gen "), out);
  BOOST_TEST(out.find(" (nft)\nadd table inet t\nadd chain inet t input "
                      "{ type filter hook input priority 0; policy drop; "
                      "}\n") != std::string::npos,
             out);
}

BOOST_AUTO_TEST_CASE(bad_command_lines) {
  auto r = test::run_command(monitor_bin + " --bogus");
  BOOST_TEST(r.status == 2);
  r = test::run_command(monitor_bin + " --netns nfactor-no-such-ns");
  BOOST_TEST(r.status == 2);
  r = test::run_command(monitor_bin + " --help");
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.output.find("--snapshot") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
