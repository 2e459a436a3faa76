// SPDX-License-Identifier: Apache-2.0
#include "nfactor/sys/netns.hpp"

#include <cerrno>
#include <thread>

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

namespace nfactor::sys {

void unique_fd::reset(int fd) noexcept {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = fd;
}

netns netns::named(std::string name) {
  netns out{kind::named};
  out.text_ = std::move(name);
  return out;
}

netns netns::at_path(std::string path) {
  netns out{kind::path};
  out.text_ = std::move(path);
  return out;
}

netns netns::from_fd(int fd) {
  netns out{kind::fd};
  out.fd_ = fd;
  return out;
}

netns netns::of_pid(pid_t pid) {
  netns out{kind::pid};
  out.pid_ = pid;
  return out;
}

std::string netns::describe() const {
  switch (kind_) {
  case kind::current:
    return "current netns";
  case kind::named:
    return "netns '" + text_ + "'";
  case kind::path:
    return "netns at " + text_;
  case kind::fd:
    return "netns fd " + std::to_string(fd_);
  case kind::pid:
    return "netns of pid " + std::to_string(pid_);
  }
  return "netns";
}

std::string netns::path() const {
  switch (kind_) {
  case kind::named:
    return "/run/netns/" + text_;
  case kind::path:
    return text_;
  case kind::pid:
    return "/proc/" + std::to_string(pid_) + "/ns/net";
  default:
    return {};
  }
}

result<unique_fd> netns::open() const {
  auto op = "open " + describe();
  switch (kind_) {
  case kind::current: {
    int fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return errno_error(op, "/proc/thread-self/ns/net");
    return unique_fd{fd};
  }
  case kind::fd: {
    if (fd_ < 0)
      return make_error(errc::invalid_argument, op, "negative descriptor");
    int dup = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
    if (dup < 0)
      return errno_error(op);
    return unique_fd{dup};
  }
  case kind::named:
    // A name is a file in /run/netns, never a path of its own.
    if (text_.empty() || text_ == "." || text_ == ".." ||
        text_.find('/') != std::string::npos)
      return make_error(errc::invalid_argument, op,
                        "a namespace name must be non-empty and contain "
                        "no '/'");
    break;
  case kind::path:
    if (text_.empty())
      return make_error(errc::invalid_argument, op, "empty path");
    break;
  case kind::pid:
    if (pid_ <= 0)
      return make_error(errc::invalid_argument, op, "pid must be positive");
    break;
  }
  auto p = path();
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno_error(op, p);
  return unique_fd{fd};
}

result<void> run_in(const netns& ns, const std::function<void()>& fn) {
  if (ns.is_current()) {
    fn();
    return {};
  }
  auto fd = ns.open();
  if (!fd)
    return std::move(fd).err();
  std::optional<error> failed;
  // setns() affects only the calling thread; the helper thread ends right
  // after `fn`, so no thread is ever left in a foreign namespace.
  std::thread helper{[&] {
    if (::setns(fd->get(), CLONE_NEWNET) != 0) {
      failed = errno_error("setns " + ns.describe());
      return;
    }
    fn();
  }};
  helper.join();
  if (failed)
    return *failed;
  return {};
}

} // namespace nfactor::sys
