// SPDX-License-Identifier: Apache-2.0
// Shared by the NFQUEUE kernel and actor tests: iptables NFQUEUE rules in a
// scratch namespace (this kernel has no nft `queue` statement of its own;
// iptables-nft translates the rule), a UDP receiver on loopback inside it,
// and the UDP text of a queued packet.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "traffic.hpp" // system socket headers before <linux/*.h>

#include <poll.h>

#include "netns_fixture.hpp"
#include "nfactor/nfqueue/bindings.hpp"
#include "nfactor/nfqueue/packet.hpp"
#include "nfactor/sys/fd.hpp"

namespace nfactor::test {

/// Adds `iptables -A OUTPUT -p udp --dport PORT -j NFQUEUE --queue-num Q
/// EXTRA` (ip6tables for AF_INET6) in `ns`; requires success.
inline void add_queue_rule(const scratch_netns& ns, int family,
                           std::uint16_t port, std::uint16_t queue,
                           const std::string& extra = "") {
  auto tool = family == AF_INET ? "iptables" : "ip6tables";
  auto r = ns.exec(std::string{tool} + " -w -A OUTPUT -p udp --dport " +
                   std::to_string(port) + " -j NFQUEUE --queue-num " +
                   std::to_string(queue) + " " + extra);
  BOOST_REQUIRE_MESSAGE(r.status == 0, tool << ": " << r.output);
}

/// A UDP socket bound to loopback:`port` inside a namespace.
class udp_receiver {
 public:
  udp_receiver(const scratch_netns& ns, int family, std::uint16_t port) {
    auto st = sys::run_in(ns.ns(), [&] {
      int fd = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      loopback at{family, port};
      if (fd >= 0 && ::bind(fd, at.addr(), at.len) == 0)
        fd_ = sys::unique_fd{fd};
      else if (fd >= 0)
        ::close(fd);
    });
    BOOST_REQUIRE(st);
    BOOST_REQUIRE(fd_.get() >= 0);
  }

  /// The next datagram, or nothing after `timeout`.
  std::optional<std::string>
  recv(std::chrono::milliseconds timeout = std::chrono::seconds{5}) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0)
      return std::nullopt;
    char buf[70000];
    auto n = ::recv(fd_.get(), buf, sizeof(buf), 0);
    if (n < 0)
      return std::nullopt;
    return std::string{buf, static_cast<std::size_t>(n)};
  }

  /// Every datagram up to and including `marker` (which the test sends
  /// last and lets through: datagrams on loopback keep their order, so
  /// whatever was let through before it has arrived by then).
  std::vector<std::string> until(const std::string& marker) {
    std::vector<std::string> out;
    while (auto d = recv()) {
      out.push_back(*d);
      if (*d == marker)
        return out;
    }
    BOOST_FAIL("marker \"" << marker << "\" did not arrive");
    return out;
  }

 private:
  sys::unique_fd fd_;
};

/// The UDP payload of a queued IPv4 or IPv6 packet ("" if none).
inline std::string udp_text(const nfqueue::queue_packet& p) {
  if (!p.payload || p.payload->empty())
    return {};
  std::size_t l4 =
      ((*p.payload)[0] >> 4) == 4 ? ((*p.payload)[0] & 0x0f) * 4u : 40u;
  if (p.payload->size() < l4 + 8)
    return {};
  return {reinterpret_cast<const char*>(p.payload->data()) + l4 + 8,
          p.payload->size() - l4 - 8};
}

/// The queue's line in /proc/net/netfilter/nfnetlink_queue; requires it.
inline nfqueue::queue_binding binding_of(const scratch_netns& ns,
                                         std::uint16_t queue) {
  auto b = nfqueue::find_binding(ns.ns(), queue);
  BOOST_REQUIRE_MESSAGE(b, "queue " << queue << " is not bound");
  return *b;
}

} // namespace nfactor::test
