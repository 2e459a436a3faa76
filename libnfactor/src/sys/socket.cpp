// SPDX-License-Identifier: Apache-2.0
#include "nfactor/sys/socket.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <libmnl/libmnl.h>

namespace nfactor::sys {

namespace {

// C libraries older than the kernel's SO_MEMINFO (4.6) lack the constant.
#ifndef SO_MEMINFO
constexpr int SO_MEMINFO = 55;
#endif

// Kernels before 4.20 define no SOL_NETLINK constant in userspace headers.
#ifndef SOL_NETLINK
constexpr int SOL_NETLINK = 270;
#endif

result<void> set_flag(int fd, int opt, const char* name) {
  int one = 1;
  if (::setsockopt(fd, SOL_NETLINK, opt, &one, sizeof(one)) != 0)
    return errno_error(std::string{"setsockopt "} + name);
  return {};
}

// SO_RCVBUFFORCE lets root exceed net.core.rmem_max; without
// CAP_NET_ADMIN fall back to the capped SO_RCVBUF.
result<int> set_buffer(int fd, int force_opt, int opt, int bytes,
                       const char* name) {
  if (bytes <= 0)
    return make_error(errc::invalid_argument, std::string{"set "} + name,
                      "size must be positive, got " + std::to_string(bytes));
  if (::setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)) != 0 &&
      ::setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes)) != 0)
    return errno_error(std::string{"set "} + name,
                       std::to_string(bytes) + " bytes");
  int granted = 0;
  socklen_t len = sizeof(granted);
  if (::getsockopt(fd, SOL_SOCKET, opt, &granted, &len) != 0)
    return errno_error(std::string{"get "} + name);
  return granted;
}

} // namespace

void socket::closer::operator()(mnl_socket* s) const noexcept {
  mnl_socket_close(s);
}

result<socket> socket::open(const socket_options& opts) {
  static constexpr std::string_view op = "open NETLINK_NETFILTER socket";
  int raw = -1;
  auto created = run_in(opts.ns, [&] {
    raw = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   NETLINK_NETFILTER);
    if (raw < 0)
      raw = -errno;
  });
  if (!created)
    return std::move(created).err();
  if (raw < 0)
    return make_error(errno_code(-raw), std::string{op}, opts.ns.describe());
  unique_fd fd{raw};
  socket out;
  out.ns_ = opts.ns;
  out.nl_.reset(mnl_socket_fdopen(fd.get()));
  if (!out.nl_)
    return errno_error(std::string{op}, "mnl_socket_fdopen");
  fd.release(); // now owned by the mnl_socket
  if (mnl_socket_bind(out.nl_.get(), 0, MNL_SOCKET_AUTOPID) < 0)
    return errno_error(std::string{op}, "bind");
  out.portid_ = mnl_socket_get_portid(out.nl_.get());
  out.seq_ = static_cast<std::uint32_t>(std::time(nullptr));
  if (out.seq_ == 0)
    out.seq_ = 1;
  if (opts.ext_ack)
    if (auto r = set_flag(out.fd(), NETLINK_EXT_ACK, "NETLINK_EXT_ACK"); !r)
      return std::move(r).err();
  if (opts.cap_ack)
    if (auto r = set_flag(out.fd(), NETLINK_CAP_ACK, "NETLINK_CAP_ACK"); !r)
      return std::move(r).err();
  if (opts.rcvbuf != 0) {
    if (auto r = out.set_rcvbuf(opts.rcvbuf); !r)
      return std::move(r).err();
  } else {
    int granted = 0;
    socklen_t len = sizeof(granted);
    ::getsockopt(out.fd(), SOL_SOCKET, SO_RCVBUF, &granted, &len);
    out.rcvbuf_ = granted;
  }
  if (opts.sndbuf != 0)
    if (auto r = out.set_sndbuf(opts.sndbuf); !r)
      return std::move(r).err();
  for (auto group : opts.groups)
    if (auto r = out.join(group); !r)
      return std::move(r).err();
  return out;
}

socket::socket(socket&&) noexcept = default;
socket& socket::operator=(socket&&) noexcept = default;
socket::~socket() = default;

int socket::fd() const noexcept {
  return nl_ ? mnl_socket_get_fd(nl_.get()) : -1;
}

result<int> socket::set_rcvbuf(int bytes) {
  if (!nl_)
    return make_error(errc::closed, "set SO_RCVBUF");
  auto r = set_buffer(fd(), SO_RCVBUFFORCE, SO_RCVBUF, bytes, "SO_RCVBUF");
  if (r)
    rcvbuf_ = *r;
  return r;
}

result<int> socket::set_sndbuf(int bytes) {
  if (!nl_)
    return make_error(errc::closed, "set SO_SNDBUF");
  return set_buffer(fd(), SO_SNDBUFFORCE, SO_SNDBUF, bytes, "SO_SNDBUF");
}

result<void> socket::join(unsigned group) {
  return membership(NETLINK_ADD_MEMBERSHIP, group, "join");
}

result<void> socket::leave(unsigned group) {
  return membership(NETLINK_DROP_MEMBERSHIP, group, "leave");
}

result<void> socket::membership(int opt, unsigned group, const char* verb) {
  auto op = std::string{verb} + " netlink group " + std::to_string(group);
  if (!nl_)
    return make_error(errc::closed, op);
  int g = static_cast<int>(group);
  if (::setsockopt(fd(), SOL_NETLINK, opt, &g, sizeof(g)) != 0)
    return errno_error(op);
  return {};
}

result<void> socket::send(byte_view datagram) {
  if (!nl_)
    return make_error(errc::closed, "send");
  auto n = mnl_socket_sendto(nl_.get(), datagram.data(), datagram.size());
  if (n < 0)
    return errno_error("send", std::to_string(datagram.size()) + " bytes");
  if (static_cast<std::size_t>(n) != datagram.size())
    return make_error(errc::truncated, "send",
                      "sent " + std::to_string(n) + " of " +
                          std::to_string(datagram.size()) + " bytes");
  return {};
}

result<recv_outcome> socket::recv(std::span<std::uint8_t> buf) {
  if (!nl_)
    return make_error(errc::closed, "recv");
  for (;;) {
    sockaddr_nl from{};
    iovec iov{buf.data(), buf.size()};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    auto n = ::recvmsg(fd(), &msg, 0);
    if (n >= 0) {
      auto ok = check_datagram(msg, buf.size(), "recv");
      if (!ok)
        return std::move(ok).err();
      if (!*ok)
        continue; // foreign: dropped and counted
      return recv_outcome{recv_status::data, static_cast<std::size_t>(n)};
    }
    switch (errno) {
    case EAGAIN:
    case EINTR:
      return recv_outcome{recv_status::would_block, 0};
    case ENOBUFS:
      return recv_outcome{recv_status::overrun, 0};
    default:
      return errno_error("recv");
    }
  }
}

result<batch_outcome>
socket::recv_batch(std::span<std::uint8_t> buf, std::size_t slot_size,
                   const std::function<void(byte_view)>& each) {
  constexpr std::size_t max_slots = 64;
  if (!nl_)
    return make_error(errc::closed, "recvmmsg");
  if (slot_size == 0 || buf.size() < slot_size)
    return make_error(errc::invalid_argument, "recvmmsg",
                      "buffer smaller than one slot");
  auto want = std::min(buf.size() / slot_size, max_slots);
  mmsghdr msgs[max_slots];
  iovec iov[max_slots];
  sockaddr_nl from[max_slots];
  std::memset(msgs, 0, sizeof(mmsghdr) * want);
  for (std::size_t i = 0; i < want; ++i) {
    iov[i] = {buf.data() + i * slot_size, slot_size};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_nl);
  }
  batch_outcome out;
  // Every datagram that is queued, up to `want`, in one system call (a
  // short count means the queue is empty: no extra EAGAIN call).
  int n = ::recvmmsg(fd(), msgs, static_cast<unsigned>(want), MSG_DONTWAIT,
                     nullptr);
  if (n < 0) {
    switch (errno) {
    case EAGAIN:
    case EINTR:
      out.would_block = true;
      return out;
    case ENOBUFS:
      out.overrun = true;
      return out;
    default:
      return errno_error("recvmmsg");
    }
  }
  for (int i = 0; i < n; ++i) {
    // Only the kernel is believed: another sender's datagram is dropped
    // unparsed (and counted), a kernel one cut off is an error.
    auto ok = check_datagram(msgs[i].msg_hdr, slot_size, "recvmmsg");
    if (!ok)
      return std::move(ok).err();
    if (!*ok)
      continue;
    ++out.datagrams;
    each(byte_view{static_cast<const std::uint8_t*>(iov[i].iov_base),
                   msgs[i].msg_len});
  }
  if (static_cast<std::size_t>(n) < want)
    out.would_block = true;
  return out;
}

result<std::uint32_t> socket::drops() const {
  if (!nl_)
    return make_error(errc::closed, "get SO_MEMINFO");
  std::uint32_t mem[SK_MEMINFO_VARS] = {};
  socklen_t len = sizeof mem;
  if (::getsockopt(fd(), SOL_SOCKET, SO_MEMINFO, mem, &len) != 0)
    return errno_error("get SO_MEMINFO");
  if (len < (SK_MEMINFO_DROPS + 1) * sizeof(std::uint32_t))
    return make_error(errno_code(ENOPROTOOPT), "get SO_MEMINFO",
                      "no drop counter in " + std::to_string(len) + " bytes");
  return mem[SK_MEMINFO_DROPS];
}

result<bool> socket::check_datagram(const ::msghdr& hdr,
                                    std::size_t buffer_size, const char* op) {
  // The sender first: a foreign datagram is dropped whatever its size, so
  // an oversized one cannot fail the socket either.
  if (!from_kernel(hdr.msg_name, hdr.msg_namelen)) {
    ++foreign_;
    return false;
  }
  if (hdr.msg_flags & MSG_TRUNC)
    return truncated_datagram(op, buffer_size);
  return true;
}

result<bool> socket::wait_readable(std::chrono::milliseconds timeout) {
  if (!nl_)
    return make_error(errc::closed, "poll");
  pollfd pfd{fd(), POLLIN, 0};
  for (;;) {
    int n = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    if (n > 0)
      return true;
    if (n == 0)
      return false;
    if (errno != EINTR)
      return errno_error("poll");
  }
}

void socket::close() noexcept {
  nl_.reset();
}

bool from_kernel(const void* addr, std::size_t addr_len) noexcept {
  if (addr == nullptr || addr_len < sizeof(sockaddr_nl))
    return false;
  sockaddr_nl nl{};
  std::memcpy(&nl, addr, sizeof nl);
  return nl.nl_family == AF_NETLINK && nl.nl_pid == 0;
}

error truncated_datagram(std::string op, std::size_t buffer_size) {
  return make_error(errno_code(ENOSPC), std::move(op),
                    "datagram larger than the " + std::to_string(buffer_size) +
                        "-byte buffer");
}

bool is_socket_failure(const error& e) noexcept {
  if (e.code == make_error_code(errc::closed))
    return true;
  if (e.seq != 0)
    return false; // the kernel answered a request
  switch (e.errno_value()) {
  case EBADF:
  case ENOTSOCK:
  case ENOTCONN:
  case ECONNREFUSED:
  case ECONNRESET:
  case EPIPE:
  case EDESTADDRREQ:
    return true;
  default:
    return false;
  }
}

} // namespace nfactor::sys
