// SPDX-License-Identifier: Apache-2.0
//
// nfactor-conntrack end to end in a scratch namespace: --dump prints what
// `conntrack -L -o extended,id` prints; the event stream (JSON lines)
// shows a flow's start and its end with the counters of what was sent and
// a duration, the end caused by `conntrack -D` (the peer tool); --expect
// prints the FTP helper's expectations and --dump --expect lists them as
// `conntrack -L expect` does; bad command lines exit 2.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app_runner.hpp"
#include "ct_support.hpp"
#include "kernel_features.hpp"

namespace apps_conntrack {
using namespace nfactor;
using nfactor::test::json_lines;
using nfactor::test::lines;
using test::background;

const std::string conntrack_bin = NFACTOR_CONNTRACK_BIN;

} // namespace apps_conntrack

BOOST_AUTO_TEST_SUITE(apps_conntrack,
                      *boost::unit_test::precondition(test::needs_kernel))

BOOST_FIXTURE_TEST_CASE(dump_prints_what_conntrack_lists,
                        test::ct_netns_fixture) {
  test::udp_sink a{netns.ns(), AF_INET, 6001};
  test::udp_sink b{netns.ns(), AF_INET6, 6002};
  BOOST_TEST(test::udp_flows(netns.ns(), AF_INET, 40000, 3, 6001) == 3);
  BOOST_TEST(test::udp_flows(netns.ns(), AF_INET6, 40000, 2, 6002) == 2);
  BOOST_TEST(test::send_echo(netns.ns(), AF_INET, 9, "x"));
  // The summary goes to stderr (run_command merges it into the output).
  auto r = test::run_command("{ " + conntrack_bin + " --netns " + netns.name() +
                             " --dump 2>/dev/null; }");
  BOOST_TEST_REQUIRE(r.status == 0, r.output);
  std::vector<std::string> ours;
  std::istringstream in{r.output};
  for (std::string line; std::getline(in, line);)
    ours.push_back(test::normalise_ct_line(line));
  std::sort(ours.begin(), ours.end());
  auto theirs = test::conntrack_listing(netns);
  BOOST_TEST(ours.size() == 6u);
  BOOST_TEST(ours == theirs, "ours:" << test::joined(ours)
                                     << "\nconntrack:" << test::joined(theirs));
}

BOOST_FIXTURE_TEST_CASE(flow_start_and_end_as_json, test::ct_netns_fixture) {
  test::scratch_dir dir;
  background app({conntrack_bin, "--netns", netns.name(), "--json"},
                 dir / "out", dir / "err");
  BOOST_REQUIRE_MESSAGE(app.await([](auto&, auto& err) {
    return err.find("listening") != std::string::npos;
  }),
                        app.err());
  test::udp_sink sink{netns.ns(), AF_INET, 6003};
  BOOST_TEST(test::send_udp(netns.ns(), AF_INET, 6003, "abcdefgh", 5) == 5);
  BOOST_REQUIRE_MESSAGE(
      app.await([](auto& out, auto&) { return lines(out) == 1; }), app.out());
  auto del = netns.exec("conntrack -D -p udp --dport 6003 2>&1");
  BOOST_TEST_REQUIRE(del.status == 0, del.output);
  BOOST_REQUIRE_MESSAGE(
      app.await([](auto& out, auto&) { return lines(out) == 2; }), app.out());
  BOOST_TEST(app.stop(SIGTERM) == 0);
  auto l = json_lines(app.out());
  BOOST_TEST_REQUIRE(l.size() == 2u);
  BOOST_TEST(l[0]["event"] == "NEW");
  BOOST_TEST(l[0]["proto"] == "udp");
  BOOST_TEST(l[0]["orig"]["dport"] == 6003);
  BOOST_TEST(l[1]["event"] == "DESTROY");
  BOOST_TEST(l[1]["id"] == l[0]["id"]);
  BOOST_TEST(l[1]["orig"]["packets"] == 5);
  BOOST_TEST(l[1]["orig"]["bytes"] == 5 * test::udp_wire_bytes(AF_INET, 8));
  BOOST_TEST(l[1]["reply"]["packets"] == 0);
  BOOST_TEST(l[1].contains("duration_s"));
  BOOST_TEST(l[1]["duration_s"].get<double>() >= 0.0);
}

// The FTP helper's expectation (a PORT command from 127.0.0.1:40022
// announcing port 50001) as a JSON line with --expect, and listed by
// --dump --expect as `conntrack -L expect` lists it (but the timeout).
// Without the helper in the kernel (probed), nft refuses the ruleset and
// the listing is empty.
BOOST_FIXTURE_TEST_CASE(expectations_as_json_lines_and_listing,
                        test::ct_netns_fixture) {
  auto helper =
      netns.exec(std::string{"nft '"} + test::ftp_helper_ruleset + "' 2>&1");
  auto listing = [&] {
    auto r =
        test::run_command("{ " + conntrack_bin + " --netns " + netns.name() +
                          " --dump --expect 2>/dev/null; }");
    BOOST_TEST_REQUIRE(r.status == 0, r.output);
    std::vector<std::string> out;
    std::istringstream in{r.output};
    for (std::string line; std::getline(in, line);)
      out.push_back(line.substr(line.find(' ') + 1));
    return out;
  };
  if (!test::features().ftp_helper) {
    BOOST_TEST_MESSAGE("probed: no FTP conntrack helper in this kernel");
    BOOST_TEST(helper.status != 0, helper.output);
    BOOST_TEST(listing().empty());
    return;
  }
  BOOST_TEST_REQUIRE(helper.status == 0, helper.output);
  test::scratch_dir dir;
  background app({conntrack_bin, "--netns", netns.name(), "--json", "--expect",
                  "-p", "tcp"},
                 dir / "out", dir / "err");
  BOOST_REQUIRE_MESSAGE(app.await(test::err_has("listening")), app.err());
  test::ftp_port_session ftp{netns.ns(), 40022, 50001};
  BOOST_REQUIRE_MESSAGE(app.await([](auto& out, auto&) {
    return out.find("\"type\":\"expectation\"") != std::string::npos;
  }),
                        app.out());
  auto ours = listing();
  auto theirs = test::run_command("{ ip netns exec " + netns.name() +
                                  " conntrack -L expect 2>/dev/null; }");
  BOOST_TEST_REQUIRE(theirs.status == 0, theirs.output);
  BOOST_TEST_REQUIRE(ours.size() == 1u);
  // One line, compared without its first field (the timeout).
  std::string line = theirs.output.substr(0, theirs.output.find('\n'));
  BOOST_TEST(line.substr(line.find(' ') + 1) == ours.front(),
             "ours: " << ours.front() << "\nconntrack: " << theirs.output);
  BOOST_TEST(app.stop(SIGTERM) == 0);
  std::vector<nlohmann::json> exps;
  for (auto& j : json_lines(app.out()))
    if (j.value("type", "") == "expectation")
      exps.push_back(j);
  BOOST_TEST_REQUIRE(!exps.empty());
  const auto& x = exps.front();
  BOOST_TEST(x["event"] == "NEW");
  BOOST_TEST(x["family"] == "ipv4");
  BOOST_TEST(x["proto"] == "tcp");
  BOOST_TEST(x["helper"] == "ftp");
  BOOST_TEST(x["class"] == 0);
  BOOST_TEST(x["expected"]["src"] == "127.0.0.1");
  BOOST_TEST(x["expected"]["dst"] == "127.0.0.1");
  BOOST_TEST(x["expected"]["sport"] == 0);
  BOOST_TEST(x["expected"]["dport"] == 50001);
  BOOST_TEST(x["mask"]["dport"] == 65535);
  BOOST_TEST(x["master"]["sport"] == 40022);
  BOOST_TEST(x["master"]["dport"] == 21);
  BOOST_TEST(x.contains("id"));
}

BOOST_AUTO_TEST_CASE(bad_command_lines) {
  auto r = test::run_command(conntrack_bin + " --bogus");
  BOOST_TEST(r.status == 2);
  r = test::run_command(conntrack_bin + " --netns nfactor-no-such-ns");
  BOOST_TEST(r.status == 2);
  r = test::run_command(conntrack_bin + " --proto nosuch --dump");
  BOOST_TEST(r.status == 2);
  r = test::run_command(conntrack_bin + " --src 10.0.0.0/x");
  BOOST_TEST(r.status == 2);
  r = test::run_command(conntrack_bin + " --help");
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.output.find("--snapshot") != std::string::npos);
  BOOST_TEST(r.output.find("--expect") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
