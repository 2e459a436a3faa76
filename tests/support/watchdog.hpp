// SPDX-License-Identifier: Apache-2.0
// A bound on a step that can only hang when something is broken (an actor
// nobody stopped keeps ~actor_system waiting forever, a handshake nobody
// answers keeps a blocking connect waiting): past the limit the process
// exits with a message naming the step, instead of sitting out ctest's
// timeout silently. A safety net, never a timing assertion.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

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
      std::fprintf(stderr,
                   "watchdog: %s did not finish within %lld s (an actor "
                   "left running, or a peer that never answers)\n",
                   step.c_str(), static_cast<long long>(limit.count()));
      std::fflush(stderr);
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
  std::mutex mtx_;
  std::condition_variable cv_;
  bool done_ = true;
  std::thread thread_;
};

} // namespace nfactor::test
