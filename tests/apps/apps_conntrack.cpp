// SPDX-License-Identifier: Apache-2.0
//
// nfactor-conntrack end to end in a scratch namespace: --dump prints what
// `conntrack -L -o extended,id` prints; the event stream (JSON lines)
// shows a flow's start and its end with the counters of what was sent and
// a duration, the end caused by `conntrack -D` (the peer tool); bad
// command lines exit 2.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app_runner.hpp"
#include "ct_support.hpp"

using namespace nfactor;
using test::background;

namespace {
using nfactor::test::json_lines;
using nfactor::test::lines;

const std::string conntrack_bin = NFACTOR_CONNTRACK_BIN;

} // namespace

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
}

BOOST_AUTO_TEST_SUITE_END()
