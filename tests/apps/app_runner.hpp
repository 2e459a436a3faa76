// SPDX-License-Identifier: Apache-2.0
//
// Running an app (or a peer such as tcpdump) in the background for an
// end-to-end test: output to files, readiness awaited on a line the
// program prints (bounded), stopped with a signal and its exit status
// returned.
#pragma once

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <cstdlib>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nfactor::test {

/// The whole file `path` (empty if missing).
inline std::string read_file(const std::string& path) {
  std::ifstream in{path};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A scratch directory removed at the end.
struct scratch_dir {
  std::string path;
  scratch_dir() {
    char tmpl[] = "/tmp/nfactor-apps-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~scratch_dir() {
    if (std::system(("rm -rf " + path).c_str()) != 0)
      path.clear();
  }
  std::string operator/(const std::string& f) const { return path + "/" + f; }
};

/// A background process with stdout and stderr in files.
class background {
 public:
  background(std::vector<std::string> argv, std::string out, std::string err)
    : out_(std::move(out)), err_(std::move(err)) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);
    if (posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ) != 0)
      pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  background(const background&) = delete;
  ~background() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  /// Waits (at most `limit`) until `pred(stdout, stderr)` holds or the
  /// process ends; true when it held.
  bool
  await(const std::function<bool(const std::string&, const std::string&)>& pred,
        std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (pred(read_file(out_), read_file(err_)))
        return true;
      if (pid_ > 0 && ::waitpid(pid_, &status_, WNOHANG) == pid_) {
        pid_ = -1;
        return pred(read_file(out_), read_file(err_));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  /// Sends `sig` and returns the exit code (-1 if killed by a signal).
  int stop(int sig = SIGTERM) {
    if (pid_ > 0) {
      ::kill(pid_, sig);
      ::waitpid(pid_, &status_, 0);
      pid_ = -1;
    }
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }

  /// Waits for the process to end by itself; its exit code.
  int wait() {
    if (pid_ > 0) {
      ::waitpid(pid_, &status_, 0);
      pid_ = -1;
    }
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }

  [[nodiscard]] std::string out() const { return read_file(out_); }
  [[nodiscard]] std::string err() const { return read_file(err_); }
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

 private:
  std::string out_, err_;
  pid_t pid_ = -1;
  int status_ = 0;
};

/// Conditions for `background::await`: stdout (`out_has`) or stderr
/// (`err_has`) contains `what`.
inline auto out_has(std::string what) {
  return [what = std::move(what)](const std::string& out, const std::string&) {
    return out.find(what) != std::string::npos;
  };
}
inline auto err_has(std::string what) {
  return [what = std::move(what)](const std::string&, const std::string& err) {
    return err.find(what) != std::string::npos;
  };
}

/// Each line of `text` parsed as one JSON value.
inline std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    out.push_back(nlohmann::json::parse(line));
  return out;
}

/// The number of lines (newlines) in `s`.
inline std::size_t lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

/// The ADDR:PORT a daemon printed ("metrics on http://ADDR:PORT/metrics"),
/// or empty.
inline std::string metrics_where(const background& app) {
  std::smatch m;
  auto err = app.err();
  static const std::regex re{R"(metrics on http://([^ /]+)/metrics)"};
  if (!std::regex_search(err, m, re))
    return {};
  return m[1];
}

} // namespace nfactor::test
