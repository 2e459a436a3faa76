// SPDX-License-Identifier: Apache-2.0
//
// The example systemd units shipped with the apps
// (apps/<name>/<name>.service) pass `systemd-analyze verify` without a
// single warning (unknown keys, bad values and missing executables are
// all reported), with ExecStart pointing at the binaries just built.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <string>

#include "app_runner.hpp"
#include "netns_fixture.hpp"

namespace apps_units {
using namespace nfactor;

bool have_systemd_analyze() {
  return test::run_command("command -v systemd-analyze").status == 0;
}

boost::test_tools::assertion_result
needs_systemd_analyze(boost::unit_test::test_unit_id) {
  return test::requirement(have_systemd_analyze(),
                           "systemd-analyze is not installed");
}

// The unit `name` with /usr/local/bin/<name> replaced by `bin`.
std::string unit_for(const std::string& name, const std::string& bin) {
  // Appended one by one: g++ 12 at -O2 sees a false -Warray-bounds in the
  // operator+ chain when Boost.Test's header is precompiled.
  std::string path{NFACTOR_SOURCE_DIR};
  path.append("/apps/").append(name).append("/").append(name).append(
      ".service");
  auto text = test::read_file(path);
  const std::string installed = "/usr/local/bin/" + name;
  for (auto at = text.find(installed); at != std::string::npos;
       at = text.find(installed, at + bin.size()))
    text.replace(at, installed.size(), bin);
  return text;
}

} // namespace apps_units

BOOST_AUTO_TEST_SUITE(apps_units,
                      *boost::unit_test::precondition(needs_systemd_analyze))

BOOST_AUTO_TEST_CASE(units_verify_cleanly) {
  test::scratch_dir dir;
  const std::pair<std::string, std::string> apps[] = {
      {"nfactor-apply", NFACTOR_APPLY_BIN},
      {"nfactor-log", NFACTOR_LOG_BIN},
      {"nfactor-monitor", NFACTOR_MONITOR_BIN},
      {"nfactor-conntrack", NFACTOR_CONNTRACK_BIN},
      {"nfactor-queue", NFACTOR_QUEUE_BIN},
  };
  for (auto& [name, bin] : apps) {
    auto unit = unit_for(name, bin);
    BOOST_TEST_REQUIRE(unit.find("ExecStart=" + bin) != std::string::npos,
                       unit);
    std::ofstream{dir / (name + ".service")} << unit;
    auto r = test::run_command("systemd-analyze verify --man=no " +
                               dir / (name + ".service"));
    BOOST_TEST(r.status == 0, name << ": " << r.output);
    BOOST_TEST(r.output.empty(), name << ": " << r.output);
  }
}

BOOST_AUTO_TEST_SUITE_END()
