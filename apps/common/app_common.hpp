// SPDX-License-Identifier: Apache-2.0
//
// What the nfactor apps share: exit codes, command-line parsing (CLI11),
// signal handling by one thread, and the actor system's configuration.
#pragma once

#include <cerrno>
#include <chrono>
#include <csignal>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <malloc.h>
#include <sched.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/scoped_actor.hpp>

#include "nfactor/actors/sup/child_info.hpp"
#include "nfactor/actors/sup/errc.hpp"
#include "nfactor/actors/sup/supervisor.hpp"
#include "nfactor/actors/system.hpp"
#include "nfactor/error.hpp"
#include "nfactor/sys/netns.hpp"

namespace nfactor::app {

/// Exit codes of every app.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_bad_input = 2;

/// Parses the command line; an exit code when the program should end now
/// (0 after --help, `exit_bad_input` for a bad command line).
inline std::optional<int> parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_bad_input;
  }
  return std::nullopt;
}

/// Writes "APP: TEXT\n" to standard error with one write(), so lines of
/// different threads (an actor and the main thread) never interleave.
inline void say(std::string_view app, std::string_view text) {
  std::string line;
  line.reserve(app.size() + text.size() + 3);
  line.append(app).append(": ").append(text).push_back('\n');
  for (std::size_t done = 0; done < line.size();) {
    auto n = ::write(2, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    done += static_cast<std::size_t>(n);
  }
}

/// Moves the calling thread (only it: setns() is per thread) into `ns`,
/// so what it resolves afterwards by name or index, such as interface
/// names (if_indextoname), is the namespace's. Nothing for the caller's
/// own namespace. Call it after the actor system started: threads created
/// later by this thread would start in `ns` too.
inline result<void> enter(const sys::netns& ns) {
  if (ns.is_current())
    return {};
  auto fd = ns.open();
  if (!fd)
    return std::move(fd).err();
  if (::setns(fd->get(), CLONE_NEWNET) != 0)
    return errno_error("setns " + ns.describe());
  return {};
}

/// Blocks `sigs` in the calling thread before any other thread starts, so
/// every actor thread inherits the mask and only a `sigwait` on this thread
/// sees them.
inline sigset_t block_signals(std::initializer_list<int> sigs) {
  sigset_t set;
  sigemptyset(&set);
  for (auto s : sigs)
    sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

/// `block_signals`, and ignores SIGPIPE (the apps that write files).
inline sigset_t take_signals(std::initializer_list<int> sigs) {
  auto set = block_signals(sigs);
  std::signal(SIGPIPE, SIG_IGN);
  return set;
}

/// True when one of `sigs` (blocked with `block_signals`) is pending; it
/// is consumed. Never waits.
inline bool signalled(const sigset_t& sigs) {
  timespec zero{0, 0};
  siginfo_t info;
  return ::sigtimedwait(&sigs, &info, &zero) > 0;
}

/// The reason an actor `self` monitors went down, if its down_msg is
/// already waiting; never blocks (the main loop polls between signals).
inline std::optional<caf::error> take_down(caf::scoped_actor& self) {
  std::optional<caf::error> reason;
  self->receive([&](const caf::down_msg& dm) { reason = dm.reason; },
                caf::after(std::chrono::seconds(0)) >> [] {});
  return reason;
}

/// The line an app prints for a supervisor's report on a child (its
/// `sup::options::observer` gets one per change of state), if any: "NAME
/// failed (REASON); restarting" while it waits for its restart, "NAME
/// restarted (N restarts)" once a restarted child runs again.
inline std::optional<std::string>
child_report(const actors::sup::child_info& ci) {
  using actors::sup::child_state;
  if (ci.state == child_state::restarting)
    return ci.name + " failed (" + actors::sup::describe(ci.last_reason) +
           "); restarting";
  if (ci.state == child_state::running && ci.restarts > 0)
    return ci.name + " restarted (" + std::to_string(ci.restarts) +
           " restarts)";
  return std::nullopt;
}

/// Keeps freed memory in the heap for reuse: call first thing in main()
/// of a program that moves batches between threads at a high rate. Events
/// are read into buffers on a listener's thread and freed on the owner's;
/// with glibc's defaults (a dynamic mmap threshold, trimming at 128 KiB)
/// every batch's buffer is handed back to the kernel and faulted in again,
/// which cost nfactor-log about a tenth of its CPU in page faults. Memory
/// stays bounded by what is in flight (the listeners' `max_in_flight`):
/// this only keeps the peak's pages mapped.
inline void keep_heap() {
  ::mallopt(M_TRIM_THRESHOLD, 256 << 20);
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
}

/// An actor system configuration with nfactor's message types, no
/// console logging (the apps print their own lines) and CAF's `sharing`
/// scheduler: its workers sleep until there is work, where the default
/// work-stealing workers poll with 50 µs naps, which cost a busy
/// nfactor-log a third of its CPU (the nodes' configuration does the same).
struct config : caf::actor_system_config {
  config() {
    actors::add_message_types(*this);
    set("logger.console", caf::atom("none"));
    set("scheduler.policy", caf::atom("sharing"));
  }
};

} // namespace nfactor::app
