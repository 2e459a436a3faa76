// SPDX-License-Identifier: Apache-2.0
//
// Every app refuses a bad command line with exit status 2 and one line
// naming the problem, before it touches netfilter. Each run happens inside
// a scratch namespace, so an app that ignored its --netns could not reach
// the host's ruleset; the namespace is checked to be untouched afterwards.
#include <boost/test/unit_test.hpp>

#include <string>

#include "app_runner.hpp"
#include "netns_fixture.hpp"

namespace apps_bad_input {
using namespace nfactor;

struct fixture : test::netns_fixture {
  test::scratch_dir dir;

  fixture() {
    std::ofstream{dir / "rs.json"}
        << R"({"nftables": [{"table": {"family": "ip", "name": "t"}}]})";
  }

  // `app ARGS` run in the namespace: requires exit status 2 and `words` in
  // its output, and nothing in the namespace's ruleset or NFLOG bindings.
  void refused(const std::string& app, const std::string& args,
               const std::string& words) {
    auto r = netns.exec(app + " " + args);
    BOOST_TEST(r.status == 2, app << " " << args << ": status " << r.status
                                  << "\n"
                                  << r.output);
    BOOST_TEST(r.output.find(words) != std::string::npos,
               app << " " << args << ": output lacks '" << words << "':\n"
                   << r.output);
    BOOST_TEST(netns.nft("list ruleset").empty());
    auto bound = netns.exec("cat /proc/net/netfilter/nfnetlink_log");
    BOOST_TEST(bound.output.empty(), bound.output);
  }
};

const std::string apply_bin = NFACTOR_APPLY_BIN;
const std::string log_bin = NFACTOR_LOG_BIN;
const std::string node_bin = NFACTOR_NODE_BIN;
const std::string collect_bin = NFACTOR_COLLECT_BIN;
const std::string demo_bin = NFACTOR_LOG_DEMO_BIN;

} // namespace apps_bad_input

BOOST_AUTO_TEST_SUITE(apps_bad_input,
                      *boost::unit_test::precondition(test::needs_kernel))

BOOST_FIXTURE_TEST_CASE(nfactor_apply, fixture) {
  refused(apply_bin, "--flush --reconcile " + dir / "rs.json",
          "--flush and --reconcile exclude each other");
  refused(apply_bin, "--netns nfactor-no-such-ns " + dir / "rs.json",
          "nfactor-no-such-ns");
  refused(apply_bin, "--frobnicate " + dir / "rs.json", "--frobnicate");
  refused(apply_bin, dir / "missing.json", "missing.json");
}

BOOST_FIXTURE_TEST_CASE(nfactor_log, fixture) {
  refused(log_bin, "--group 5 --meta-only --copy-range 100",
          "--meta-only and --copy-range exclude each other");
  refused(log_bin, "--group 5 --json " + dir / "no/such/dir.json",
          "cannot open " + dir / "no/such/dir.json");
  refused(log_bin, "--group 5 --pcap " + dir / "no/such/dir.pcap",
          "cannot open " + dir / "no/such/dir.pcap");
  refused(log_bin, "--group 70000", "70000");
  refused(log_bin, "--group 5 --netns nfactor-no-such-ns",
          "nfactor-no-such-ns");
}

BOOST_FIXTURE_TEST_CASE(nfactor_node, fixture) {
  const std::string loopback = " --insecure --bind=127.0.0.1 --port=0";
  refused(node_bin, "--group=0" + loopback, "'0' is not a group 1..65535");
  refused(node_bin, "--group=5,x" + loopback, "'x' is not a group 1..65535");
  refused(node_bin, "--group=70000" + loopback,
          "'70000' is not a group 1..65535");
  refused(node_bin, "--group=5 --copy=all" + loopback,
          "'all': want none, meta or packet");
  refused(node_bin, "--group=5 --insecure --bind=10.1.2.3", "loopback");
}

BOOST_FIXTURE_TEST_CASE(nfactor_collect, fixture) {
  refused(collect_bin, "--insecure --group=5", "no --node given");
  refused(collect_bin, "--insecure --group=5 --node=127.0.0.1", "127.0.0.1");
  refused(collect_bin, "--insecure --group=5 --node=127.0.0.1:99999", "99999");
  refused(collect_bin, "--insecure --group=5,0 --node=127.0.0.1:4242",
          "'0' is not a group 1..65535");
  refused(collect_bin, "--insecure --group=5 --node=10.1.2.3:4242", "loopback");
}

BOOST_FIXTURE_TEST_CASE(nfactor_log_demo, fixture) {
  // atoi once made this group 4464.
  refused(demo_bin, "--group 70000", "--group '70000' is not a number");
  refused(demo_bin, "--group 5x", "--group '5x' is not a number");
  refused(demo_bin, "--count 0", "--count '0' is not a number");
  refused(demo_bin, "--timeout soon", "--timeout 'soon' is not a number");
  refused(demo_bin, "--copy all", "usage");
  refused(demo_bin, "stray", "usage");
}

BOOST_AUTO_TEST_SUITE_END()
