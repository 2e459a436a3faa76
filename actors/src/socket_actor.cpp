// SPDX-License-Identifier: Apache-2.0
// The non-template part of the socket-actor core: the wake-up eventfd and
// the poll.
#include "nfactor/actors/socket_actor.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace nfactor::actors {

wake_signal::wake_signal() noexcept
  : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0)
    errno_ = errno;
}

wake_signal::~wake_signal() {
  if (fd_ >= 0)
    ::close(fd_);
}

result<void> wake_signal::status() const {
  if (fd_ >= 0)
    return {};
  errno = errno_;
  return errno_error("eventfd", "socket actor wake-up");
}

void wake_signal::notify() const noexcept {
  if (fd_ < 0)
    return;
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(fd_, &one, sizeof one);
}

void wake_signal::clear() const noexcept {
  std::uint64_t n = 0;
  [[maybe_unused]] auto r = ::read(fd_, &n, sizeof n);
}

result<std::uint32_t> wait_readable(const wake_signal& wake,
                                    std::span<const int> fds,
                                    std::chrono::microseconds timeout) {
  std::array<pollfd, 1 + max_socket_fds> p{};
  p[0] = {wake.fd(), POLLIN, 0};
  auto n = std::min(fds.size(), max_socket_fds);
  for (std::size_t i = 0; i < n; ++i)
    p[i + 1] = {fds[i], POLLIN, 0};
  timespec ts{static_cast<time_t>(timeout.count() / 1000000),
              static_cast<long>(timeout.count() % 1000000) * 1000};
  if (::ppoll(p.data(), 1 + n, &ts, nullptr) < 0) {
    if (errno == EINTR)
      return std::uint32_t{0};
    return errno_error("poll", "socket actor");
  }
  if (p[0].revents & POLLIN)
    wake.clear();
  std::uint32_t ready = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (p[i + 1].revents & (POLLIN | POLLERR | POLLHUP))
      ready |= std::uint32_t{1} << i;
  return ready;
}

} // namespace nfactor::actors
