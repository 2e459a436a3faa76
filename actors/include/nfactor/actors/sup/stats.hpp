// SPDX-License-Identifier: Apache-2.0
// The `stats` record every socket-owning actor answers `stats_atom` with, so
// owners and supervisors read the same figures from the log listener, the
// monitor and the transactor.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include <caf/meta/type_name.hpp>
#include <caf/timespan.hpp>

#include "nfactor/actors/inspect.hpp"

namespace nfactor::actors::sup {

/// Counters of one socket-owning actor since it (re)started.
///
/// Counters an actor cannot know stay 0 (a transactor receives no events);
/// `lost` counts messages known to be lost (exact from sequence gaps where
/// the kernel numbers messages, otherwise at least one per ENOBUFS episode).
struct stats {
  /// Messages or events read from the kernel.
  std::uint64_t received = 0;
  /// Messages or events handed to the owner.
  std::uint64_t delivered = 0;
  /// Messages or events known to be lost (kernel drops, owner back-pressure).
  std::uint64_t lost = 0;
  /// Receive-buffer overflow episodes (ENOBUFS from recv).
  std::uint64_t enobufs = 0;
  /// How often the supervisor restarted this child (from `start_context`).
  std::uint32_t restarts = 0;
  /// Time since this incarnation opened its socket.
  caf::timespan uptime{0};
  /// Receive buffer the kernel granted (SO_RCVBUF), once the socket is open.
  std::optional<int> rcvbuf;
  /// Datagrams dropped unread because another process, not the kernel,
  /// sent them (`sys::socket::foreign_dropped()`).
  std::uint64_t foreign = 0;

  friend bool operator==(const stats&, const stats&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stats& x) {
  return f(caf::meta::type_name("nfactor::actors::sup::stats"), x.received,
           x.delivered, x.lost, x.enobufs, x.restarts, x.uptime,
           actors::opt(x.rcvbuf), x.foreign);
}

/// Keeps a `stats` record and the start time of the actor that owns it;
/// `snapshot()` fills in the uptime.
class stats_keeper {
 public:
  /// Starts the clock; `restarts` comes from the supervisor's
  /// `start_context` (0 when unsupervised).
  explicit stats_keeper(std::uint32_t restarts = 0)
    : started_(std::chrono::steady_clock::now()) {
    s_.restarts = restarts;
  }

  /// The counters, for updating.
  [[nodiscard]] stats& operator*() noexcept { return s_; }
  [[nodiscard]] stats* operator->() noexcept { return &s_; }

  /// A copy with `uptime` set to the time since construction.
  [[nodiscard]] stats snapshot() const {
    auto out = s_;
    out.uptime = std::chrono::duration_cast<caf::timespan>(
        std::chrono::steady_clock::now() - started_);
    return out;
  }

 private:
  stats s_;
  std::chrono::steady_clock::time_point started_;
};

} // namespace nfactor::actors::sup
