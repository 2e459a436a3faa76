// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "bytes_check.hpp"
#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"
#include "nfactor/sys/netns.hpp"

namespace nfactor::test {

/// Output and exit status of a shell command.
struct command_result {
  int status = -1;
  std::string output;
};

/// Runs `cmd` with /bin/sh, capturing stdout and stderr together.
command_result run_command(const std::string& cmd);

/// Quotes `s` for /bin/sh.
std::string shell_quote(const std::string& s);

/// True when this process may create network namespaces and talk to
/// nf_tables (root, or CAP_SYS_ADMIN + CAP_NET_ADMIN).
bool kernel_tests_enabled();

/// Boost.Test precondition result: true when `available`, otherwise a skip
/// with `reason`, recorded so that the test module fails at its end
/// (a skipped suite is not a pass) unless NFACTOR_ALLOW_SKIP=1 is set in
/// the environment; ctest then shows the entry as Skipped.
boost::test_tools::assertion_result requirement(bool available,
                                                const std::string& reason);

/// True when NFACTOR_ALLOW_SKIP=1: skipped suites leave the exit status 0.
bool skips_allowed();

/// The reasons of the suites skipped so far in this process.
const std::vector<std::string>& skip_reasons();

/// Boost.Test precondition: skips a kernel test, with the reason, when
/// the process lacks the privileges (see `requirement`). Use as
/// `*boost::unit_test::precondition(nfactor::test::needs_kernel)`.
boost::test_tools::assertion_result
    needs_kernel(boost::unit_test::test_unit_id);

/// A fresh network namespace for one test: created with `ip netns add`
/// under a unique name, `lo` up, deleted (with everything in it) at the
/// end. The host's ruleset is never touched.
class scratch_netns {
 public:
  scratch_netns();
  ~scratch_netns();
  scratch_netns(const scratch_netns&) = delete;
  scratch_netns& operator=(const scratch_netns&) = delete;

  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  /// The namespace as nfactor names it.
  [[nodiscard]] sys::netns ns() const { return sys::netns::named(name_); }

  /// Runs a shell command inside the namespace.
  command_result exec(const std::string& cmd) const;

  /// Runs `nft COMMAND` inside the namespace, COMMAND passed as one
  /// argument (so "add table ip a; add table ip b" is one transaction);
  /// requires success and returns the output.
  std::string nft(const std::string& command) const;

  /// Runs `nft -j COMMAND` (JSON output) like `nft()`.
  std::string nft_json(const std::string& command) const;

  /// Feeds `script` to `nft -f -` inside the namespace (required to
  /// succeed).
  std::string nft_script(const std::string& script) const;

 private:
  std::string name_;
};

/// Boost.Test fixture that gives each test case its own namespace.
struct netns_fixture {
  scratch_netns netns;
};

} // namespace nfactor::test

namespace nfactor::test {

/// The error text of `res`, or "ok" (Boost.Test evaluates messages even
/// when the check passes, so they must not touch a missing error).
template <class R>
std::string why(const R& res) {
  return res ? std::string{"ok"} : res.err().message();
}

} // namespace nfactor::test

/// Requires `res` to hold a value, printing the error otherwise. `res` is
/// evaluated once (Boost.Test evaluates the message too, so a call passed
/// straight in used to run twice).
#define NFACTOR_REQUIRE_OK(res)                                                \
  do {                                                                         \
    const auto& nfactor_ok_ = (res);                                           \
    BOOST_REQUIRE_MESSAGE(                                                     \
        static_cast<bool>(nfactor_ok_),                                        \
        "unexpected error: " << ::nfactor::test::why(nfactor_ok_));            \
  } while (0)
