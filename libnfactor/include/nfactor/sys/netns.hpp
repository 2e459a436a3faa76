// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <sys/types.h>

#include "nfactor/error.hpp"
#include "nfactor/sys/fd.hpp"

namespace nfactor::sys {

/// Names a network namespace: the caller's own, one created by
/// `ip netns add NAME` (/run/netns/NAME), any namespace file (a bind mount
/// or /proc/PID/ns/net), an open namespace descriptor, or a process's.
///
/// A `netns` is only a name; nothing is opened until `open()` or
/// `run_in()`.
class netns {
 public:
  enum class kind { current, named, path, fd, pid };

  /// The calling thread's namespace (the default everywhere).
  static netns current() { return netns{kind::current}; }

  /// /run/netns/NAME, as created by `ip netns add NAME`.
  static netns named(std::string name);

  /// Any namespace file, e.g. a bind mount or /proc/PID/ns/net.
  static netns at_path(std::string path);

  /// An open namespace descriptor; borrowed (it must stay open until the
  /// sockets that need it are created).
  static netns from_fd(int fd);

  /// The namespace of process `pid` (/proc/PID/ns/net).
  static netns of_pid(pid_t pid);

  [[nodiscard]] kind which() const noexcept { return kind_; }
  [[nodiscard]] bool is_current() const noexcept {
    return kind_ == kind::current;
  }

  /// Human-readable form for errors and logs ("netns 'demo'").
  [[nodiscard]] std::string describe() const;

  /// The namespace file this names (empty for `current` and `fd`).
  [[nodiscard]] std::string path() const;

  /// Opens (or, for `fd`, duplicates) a descriptor of the namespace.
  [[nodiscard]] result<unique_fd> open() const;

  friend bool operator==(const netns&, const netns&) = default;

 private:
  explicit netns(kind k) : kind_(k) {}

  kind kind_;
  std::string text_;
  int fd_ = -1;
  pid_t pid_ = 0;
};

/// Runs `fn` on a short-lived helper thread that has entered `ns`, waits
/// for it and returns what it returned. The calling thread never changes
/// namespace, so actor scheduler threads stay where they are. Sockets
/// created by `fn` stay in `ns` for their whole life.
[[nodiscard]] result<void> run_in(const netns& ns,
                                  const std::function<void()>& fn);

/// Like `run_in`, for a function that returns a `result<T>` or a value.
template <class F>
auto run_in_for(const netns& ns, F&& fn) {
  using R = std::invoke_result_t<F&>;
  std::optional<R> out;
  auto st = run_in(ns, [&] { out.emplace(fn()); });
  if constexpr (requires(R r) { r.err(); }) {
    if (!st)
      return R{std::move(st).err()};
    return std::move(*out);
  } else {
    if (!st)
      return result<R>{std::move(st).err()};
    return result<R>{std::move(*out)};
  }
}

} // namespace nfactor::sys
