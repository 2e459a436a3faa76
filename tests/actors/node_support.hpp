// SPDX-License-Identifier: Apache-2.0
// Helpers of the node suites: throw-away certificates made with the
// openssl CLI (scripts/node-test-certs) in a temporary directory, an
// actor system per side of a connection, programs run in namespaces.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <boost/test/unit_test.hpp>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include "netns_fixture.hpp"
#include "nfactor/actors/node/security.hpp"
#include "nfactor/sys/netns.hpp"
#include "watchdog.hpp"

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

/// Mutual TLS with `name`.pem/.key, trusting `ca`.pem.
inline actors::node::security_options
tls_options(const test_certs& certs, const std::string& name,
            const std::string& ca = "ca") {
  actors::node::security_options s;
  s.certificate = certs(name + ".pem");
  s.key = certs(name + ".key");
  s.cafile = certs(ca + ".pem");
  return s;
}

/// One actor system whose threads, and so sockets, live in `ns`, prepared
/// for `sec` at `address`. BASP heartbeats with a connection timeout end a
/// connection whose peer stops answering (CAF 0.17.6's blocking connect has
/// no limit of its own: bound it with a `watchdog`). At the end every actor in
/// `to_stop` is told to exit and the system's shutdown is bounded by a watchdog
/// (~actor_system waits for every actor: one left running fails the test,
/// named, in 30 s).
struct node_side {
  actors::node::config cfg;
  std::vector<caf::actor_addr> to_stop;
  watchdog shutdown;
  std::unique_ptr<caf::actor_system> sys;

  node_side(const sys::netns& ns, const actors::node::security_options& sec,
            const std::string& address) {
    cfg.openssl_certificate = sec.certificate;
    cfg.openssl_key = sec.key;
    cfg.openssl_cafile = sec.cafile;
    cfg.insecure = sec.insecure;
    NFACTOR_REQUIRE_OK(cfg.prepare_security(address));
    cfg.set("middleman.heartbeat-interval",
            caf::timespan{std::chrono::seconds{1}});
    cfg.set("middleman.connection-timeout",
            caf::timespan{std::chrono::seconds{10}});
    auto st = sys::run_in(
        ns, [&] { sys = std::make_unique<caf::actor_system>(cfg); });
    NFACTOR_REQUIRE_OK(st);
  }
  ~node_side() {
    for (auto& a : to_stop)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    shutdown.arm("an actor system's shutdown (every actor stopped?)");
    sys.reset();
    shutdown.disarm();
  }
  node_side(const node_side&) = delete;
  node_side& operator=(const node_side&) = delete;
};

/// The path of an app built with the tests.
inline std::string app_path(const std::string& name) {
  return std::string{NFACTOR_BINARY_DIR} + "/apps/" + name + "/" + name;
}

/// A program run inside a namespace (`ip netns exec NS ...`) with its
/// output captured in a file; killed (SIGKILL) at the end if still running.
class netns_process {
 public:
  netns_process(const std::string& ns, std::vector<std::string> argv,
                const std::string& output)
    : output_(output) {
    std::vector<std::string> full{"ip", "netns", "exec", ns};
    full.insert(full.end(), argv.begin(), argv.end());
    pid_ = ::fork();
    BOOST_REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                      0600);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> args;
      for (auto& a : full)
        args.push_back(a.data());
      args.push_back(nullptr);
      ::execvp("ip", args.data());
      ::_exit(127);
    }
  }
  ~netns_process() { kill(SIGKILL); }
  netns_process(const netns_process&) = delete;
  netns_process& operator=(const netns_process&) = delete;

  /// Sends `sig` and waits for the exit; returns the exit status (or
  /// 128 + signal), -1 if it had already been reaped.
  int kill(int sig) {
    if (pid_ <= 0)
      return -1;
    ::kill(pid_, sig);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }

  /// Sends `sig` and waits up to `limit` for the exit: its status, or
  /// nullopt if it did not exit (it is then killed).
  std::optional<int> stop(int sig, std::chrono::seconds limit) {
    if (pid_ <= 0)
      return std::nullopt;
    ::kill(pid_, sig);
    auto deadline = std::chrono::steady_clock::now() + limit;
    int st = 0;
    while (::waitpid(pid_, &st, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(SIGKILL);
        return std::nullopt;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    pid_ = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }

  /// Waits until the program exits; its exit status.
  int wait() {
    if (pid_ <= 0)
      return -1;
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }

  [[nodiscard]] int pid() const noexcept { return pid_; }

  /// Everything written so far.
  [[nodiscard]] std::string text() const {
    std::ifstream in{output_};
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  /// The output lines that parse as JSON objects.
  [[nodiscard]] std::vector<nlohmann::json> json_lines() const {
    std::vector<nlohmann::json> out;
    std::istringstream in{text()};
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.is_object())
        out.push_back(std::move(j));
    }
    return out;
  }

  /// Waits (polling the output; at most `limit`, a safety net, not a
  /// timing assertion) until `pred` holds for the output text.
  bool wait_for(const std::function<bool(const std::string&)>& pred,
                std::chrono::seconds limit = std::chrono::seconds{30}) const {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred(text()))
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    return pred(text());
  }

  /// Waits until the output contains `needle`.
  bool wait_for_text(const std::string& needle,
                     std::chrono::seconds limit = std::chrono::seconds{30}) {
    return wait_for(
        [&](const std::string& t) {
          return t.find(needle) != std::string::npos;
        },
        limit);
  }

  /// Waits until `count` JSON lines satisfy `pred`.
  bool wait_for_json(const std::function<bool(const nlohmann::json&)>& pred,
                     std::size_t count = 1,
                     std::chrono::seconds limit = std::chrono::seconds{30}) {
    return wait_for(
        [&](const std::string&) {
          std::size_t n = 0;
          for (const auto& j : json_lines())
            if (pred(j))
              ++n;
          return n >= count;
        },
        limit);
  }

 private:
  std::string output_;
  pid_t pid_ = -1;
};

/// Two hosts: scratch namespaces A (10.231.N.1) and B (10.231.N.2) joined
/// by a veth pair; the addresses exist only inside the two namespaces.
struct two_hosts {
  scratch_netns a;
  scratch_netns b;
  std::string a_addr;
  std::string b_addr;

  two_hosts() {
    static int counter = 0;
    auto net = "10.231." + std::to_string(++counter % 250) + ".";
    a_addr = net + "1";
    b_addr = net + "2";
    auto r = run_command(
        "ip -n " + a.name() + " link add va type veth peer name vb netns " +
        b.name() + " && ip -n " + a.name() + " addr add " + a_addr +
        "/24 dev va && ip -n " + b.name() + " addr add " + b_addr +
        "/24 dev vb && ip -n " + a.name() + " link set va up && ip -n " +
        b.name() + " link set vb up");
    BOOST_REQUIRE_MESSAGE(r.status == 0, "veth: " << r.output);
  }
};

} // namespace nfactor::test
