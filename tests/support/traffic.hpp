// SPDX-License-Identifier: Apache-2.0
// Bounded test traffic to 127.0.0.1 / ::1, sent from a helper thread inside
// a test's own namespace (never the host's).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nfactor/bytes.hpp"
#include "nfactor/sys/netns.hpp"

namespace nfactor::test {

/// A loopback socket address for `family` (AF_INET or AF_INET6).
struct loopback {
  sockaddr_storage ss{};
  socklen_t len = 0;
  loopback(int family, std::uint16_t port) {
    if (family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_port = htons(port);
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof(*a);
    } else {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(port);
      a->sin6_addr = in6addr_loopback;
      len = sizeof(*a);
    }
  }
  const sockaddr* addr() const {
    return reinterpret_cast<const sockaddr*>(&ss);
  }
};

/// Sends `count` UDP datagrams carrying `payload` to loopback:`port` from
/// inside `ns`; returns how many were sent.
inline int send_udp(const sys::netns& ns, int family, std::uint16_t port,
                    const std::string& payload, int count = 1) {
  int sent = 0;
  auto st = sys::run_in(ns, [&] {
    int fd = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return;
    loopback to{family, port};
    for (int i = 0; i < count; ++i)
      if (::sendto(fd, payload.data(), payload.size(), 0, to.addr(), to.len) ==
          static_cast<ssize_t>(payload.size()))
        ++sent;
    ::close(fd);
  });
  return st ? sent : -1;
}

/// Sends one TCP SYN to loopback:`port` (a non-blocking connect that is
/// then abandoned); true if the connect was started.
inline bool send_tcp_syn(const sys::netns& ns, int family, std::uint16_t port) {
  bool started = false;
  auto st = sys::run_in(ns, [&] {
    int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return;
    loopback to{family, port};
    int rc = ::connect(fd, to.addr(), to.len);
    started = rc == 0 || errno == EINPROGRESS || errno == ECONNREFUSED;
    ::close(fd);
  });
  return st && started;
}

/// Sends one ICMP (or ICMPv6) echo request with id `id`, sequence 1 and
/// `data` to loopback from a raw socket inside `ns`.
inline bool send_echo(const sys::netns& ns, int family, std::uint16_t id,
                      const std::string& data) {
  bool ok = false;
  auto st = sys::run_in(ns, [&] {
    int proto = family == AF_INET ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6};
    int fd = ::socket(family, SOCK_RAW | SOCK_CLOEXEC, proto);
    if (fd < 0)
      return;
    std::vector<std::uint8_t> pkt(8 + data.size());
    pkt[0] = static_cast<std::uint8_t>(
        family == AF_INET ? int{ICMP_ECHO} : int{ICMP6_ECHO_REQUEST});
    pkt[4] = static_cast<std::uint8_t>(id >> 8);
    pkt[5] = static_cast<std::uint8_t>(id);
    pkt[7] = 1;
    std::memcpy(pkt.data() + 8, data.data(), data.size());
    if (family == AF_INET) { // ICMPv6 checksums are the kernel's job
      std::uint32_t sum = 0;
      for (std::size_t i = 0; i + 1 < pkt.size(); i += 2)
        sum += (pkt[i] << 8) | pkt[i + 1];
      if (pkt.size() % 2)
        sum += pkt.back() << 8;
      while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
      auto c = static_cast<std::uint16_t>(~sum);
      pkt[2] = static_cast<std::uint8_t>(c >> 8);
      pkt[3] = static_cast<std::uint8_t>(c);
    }
    loopback to{family, 0};
    ok = ::sendto(fd, pkt.data(), pkt.size(), 0, to.addr(), to.len) ==
         static_cast<ssize_t>(pkt.size());
    ::close(fd);
  });
  return st && ok;
}

} // namespace nfactor::test
