// SPDX-License-Identifier: Apache-2.0
// Helpers of the node suites: throw-away certificates made with the
// openssl CLI (scripts/node-test-certs) in a temporary directory.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include <boost/test/unit_test.hpp>

#include "netns_fixture.hpp"

namespace nfactor::test {

/// A temporary directory with ca.pem, node.{pem,key}, client.{pem,key}
/// (signed by ca) and rogue.{pem,key} (signed by rogue-ca), removed at the
/// end.
class test_certs {
 public:
  test_certs() {
    char tmpl[] = "/tmp/nfactor-certs-XXXXXX";
    BOOST_REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    auto r = run_command(std::string{NFACTOR_SOURCE_DIR} +
                         "/scripts/node-test-certs " + shell_quote(dir_));
    BOOST_REQUIRE_MESSAGE(r.status == 0, "node-test-certs: " << r.output);
  }
  ~test_certs() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  test_certs(const test_certs&) = delete;
  test_certs& operator=(const test_certs&) = delete;

  /// The path of FILE in the directory.
  [[nodiscard]] std::string operator()(const std::string& file) const {
    return dir_ + "/" + file;
  }
  [[nodiscard]] const std::string& dir() const noexcept { return dir_; }

 private:
  std::string dir_;
};

} // namespace nfactor::test
