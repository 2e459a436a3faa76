// SPDX-License-Identifier: Apache-2.0
#include "netns_fixture.hpp"

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include <sys/wait.h>
#include <unistd.h>

namespace nfactor::test {

command_result run_command(const std::string& cmd) {
  command_result out;
  auto full = cmd + " 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  if (p == nullptr)
    return out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
    out.output.append(buf.data(), n);
  int st = ::pclose(p);
  out.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += '\'';
  return out;
}

bool kernel_tests_enabled() {
  static const bool enabled = [] {
    if (::geteuid() != 0)
      return false;
    return run_command("command -v ip >/dev/null && command -v nft >/dev/null")
               .status == 0;
  }();
  return enabled;
}

namespace {

std::vector<std::string>& recorded_skips() {
  static std::vector<std::string> reasons;
  return reasons;
}

} // namespace

boost::test_tools::assertion_result requirement(bool available,
                                                const std::string& reason) {
  boost::test_tools::assertion_result res{available};
  if (!available) {
    recorded_skips().push_back(reason);
    res.message() << reason;
  }
  return res;
}

bool skips_allowed() {
  const char* allow = std::getenv("NFACTOR_ALLOW_SKIP");
  return allow != nullptr && std::string{allow} == "1";
}

const std::vector<std::string>& skip_reasons() {
  return recorded_skips();
}

boost::test_tools::assertion_result
needs_kernel(boost::unit_test::test_unit_id) {
  return requirement(kernel_tests_enabled(),
                     "kernel tests need root, iproute2 and nftables");
}

scratch_netns::scratch_netns() {
  static std::atomic<int> counter{0};
  name_ = "nfactor-t-" + std::to_string(::getpid()) + "-" +
          std::to_string(counter++);
  // One of that name was left by a test program that had our pid and was
  // killed (a watchdog's exit runs no destructors): no live process has
  // our pid, so it is stale.
  std::error_code ec;
  if (std::filesystem::exists("/run/netns/" + name_, ec))
    run_command("ip netns del " + name_);
  auto r = run_command("ip netns add " + name_);
  if (r.status != 0)
    throw std::runtime_error("ip netns add " + name_ + ": " + r.output);
  r = run_command("ip -n " + name_ + " link set lo up");
  if (r.status != 0) {
    run_command("ip netns del " + name_);
    throw std::runtime_error("lo up in " + name_ + ": " + r.output);
  }
}

scratch_netns::~scratch_netns() {
  run_command("ip netns del " + name_);
}

command_result scratch_netns::exec(const std::string& cmd) const {
  return run_command("ip netns exec " + name_ + " sh -c " + shell_quote(cmd));
}

namespace {

std::string require_nft(const scratch_netns& ns, const std::string& cmd) {
  auto r = ns.exec(cmd);
  BOOST_REQUIRE_MESSAGE(r.status == 0,
                        cmd << " failed in " << ns.name() << ": " << r.output);
  return r.output;
}

} // namespace

std::string scratch_netns::nft(const std::string& command) const {
  return require_nft(*this, "nft " + shell_quote(command));
}

std::string scratch_netns::nft_json(const std::string& command) const {
  return require_nft(*this, "nft -j " + shell_quote(command));
}

std::string scratch_netns::nft_script(const std::string& script) const {
  auto r = exec("printf '%s\\n' " + shell_quote(script) + " | nft -f -");
  BOOST_REQUIRE_MESSAGE(r.status == 0, "nft -f failed in " << name_ << ": "
                                                           << r.output
                                                           << "\nscript:\n"
                                                           << script);
  return r.output;
}

} // namespace nfactor::test
