// SPDX-License-Identifier: Apache-2.0
// A bound on a step that can only hang when something is broken (an actor
// nobody stopped keeps ~actor_system waiting forever, a handshake nobody
// answers keeps a blocking connect waiting): past the limit the process
// exits with a message naming the step, instead of sitting out ctest's
// timeout silently. A safety net, never a timing assertion.
//
// A hang that shows up once in a hundred runs (on a loaded CI machine)
// must be diagnosable from that one log: before exiting, the watchdog
// flushes what the test framework had buffered (the failed assertions
// that led there) and, where gdb is installed, prints every thread's stack.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nfactor::test {

/// How long a shutdown or connect may take before the watchdog fires.
inline constexpr auto watchdog_limit = std::chrono::seconds{30};

class watchdog {
 public:
  watchdog() = default;
  /// Armed at once for `step`.
  explicit watchdog(std::string step,
                    std::chrono::seconds limit = watchdog_limit) {
    arm(std::move(step), limit);
  }
  ~watchdog() { disarm(); }
  watchdog(const watchdog&) = delete;
  watchdog& operator=(const watchdog&) = delete;

  /// Exits the process (status 3, `step` on stderr) unless disarmed
  /// within `limit`.
  void arm(std::string step, std::chrono::seconds limit = watchdog_limit) {
    disarm();
    done_ = false;
    thread_ = std::thread{[this, step = std::move(step), limit] {
      std::unique_lock lock{mtx_};
      if (cv_.wait_for(lock, limit, [this] { return done_; }))
        return;
      // Boost.Test logs through std::cout, synced with C's stdout: what
      // it logged since its last flush sits in stdout's buffer, which
      // _Exit would drop.
      std::fflush(nullptr);
      std::fprintf(stderr,
                   "watchdog: %s did not finish within %lld s (an actor "
                   "left running, or a peer that never answers)\n",
                   step.c_str(), static_cast<long long>(limit.count()));
      std::fflush(stderr);
      print_stacks();
      std::_Exit(3);
    }};
  }

  /// The step finished.
  void disarm() {
    {
      std::lock_guard lock{mtx_};
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable())
      thread_.join();
  }

 private:
  // Every thread's stack, by gdb attached to this process (stdout to
  // stderr), bounded to 60 s; nothing where gdb is missing.
  static void print_stacks() {
    if (::access("/usr/bin/gdb", X_OK) != 0) {
      std::fprintf(stderr, "watchdog: no /usr/bin/gdb, no stacks\n");
      return;
    }
    auto pid = std::to_string(::getpid());
    pid_t child = ::fork();
    if (child == 0) {
      ::dup2(2, 1);
      ::execl("/usr/bin/gdb", "gdb", "-nx", "-batch", "-p", pid.c_str(), "-ex",
              "thread apply all bt 30", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (child < 0)
      return;
    for (int i = 0; i < 600; ++i) {
      if (::waitpid(child, nullptr, WNOHANG) == child)
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
  }

  std::mutex mtx_;
  std::condition_variable cv_;
  bool done_ = true;
  std::thread thread_;
};

} // namespace nfactor::test
