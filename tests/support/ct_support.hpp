// SPDX-License-Identifier: Apache-2.0
// Conntrack test support: a scratch namespace where conntrack tracks
// loopback flows (an nft `ct state new counter` rule, accounting and
// timestamps on), bounded flows to 127.0.0.1 / ::1, and
// `conntrack -L -o extended,id` as the oracle, normalised for comparison.
#pragma once

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns_fixture.hpp"
#include "nfactor/ct/entry.hpp"
#include "nfactor/ct/text.hpp"
#include "nfactor/sys/netns.hpp"
#include "traffic.hpp"

namespace nfactor::test {

/// A scratch namespace where conntrack tracks loopback traffic.
struct ct_netns_fixture : netns_fixture {
  ct_netns_fixture() {
    netns.nft("add table inet ct_test; "
              "add chain inet ct_test out { type filter hook output "
              "priority 0; }; "
              "add rule inet ct_test out ct state new counter");
    auto r = netns.exec("sysctl -qw net.netfilter.nf_conntrack_acct=1 "
                        "net.netfilter.nf_conntrack_timestamp=1");
    BOOST_REQUIRE_MESSAGE(r.status == 0, r.output);
  }
};

/// A UDP socket bound to loopback:`port` inside `ns` (so datagrams are
/// delivered, not answered with ICMP errors); closed on destruction.
class udp_sink {
 public:
  udp_sink(const sys::netns& ns, int family, std::uint16_t port) {
    auto st = sys::run_in(ns, [&] {
      fd_ = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      loopback at{family, port};
      if (fd_ >= 0 && ::bind(fd_, at.addr(), at.len) != 0) {
        ::close(fd_);
        fd_ = -1;
      }
    });
    BOOST_REQUIRE_MESSAGE(st && fd_ >= 0, "bind udp sink " << port);
  }
  ~udp_sink() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  udp_sink(const udp_sink&) = delete;
  udp_sink& operator=(const udp_sink&) = delete;

 private:
  int fd_ = -1;
};

/// `count` UDP flows to loopback:`dst_port` inside `ns`, one datagram
/// each, from the distinct source ports `first_src_port`, +1, ... (so each
/// is its own conntrack entry); returns how many were sent.
inline int udp_flows(const sys::netns& ns, int family,
                     std::uint16_t first_src_port, int count,
                     std::uint16_t dst_port) {
  int sent = 0;
  auto st = sys::run_in(ns, [&] {
    loopback to{family, dst_port};
    for (int i = 0; i < count; ++i) {
      int fd = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      loopback from{family, static_cast<std::uint16_t>(first_src_port + i)};
      if (fd >= 0 && ::bind(fd, from.addr(), from.len) == 0 &&
          ::sendto(fd, "f", 1, 0, to.addr(), to.len) == 1)
        ++sent;
      if (fd >= 0)
        ::close(fd);
    }
  });
  return st ? sent : -1;
}

/// An established TCP connection over loopback inside `ns` (a listener,
/// a client and the accepted server side), open until destruction.
class tcp_connection {
 public:
  tcp_connection(const sys::netns& ns, int family, std::uint16_t port) {
    auto st = sys::run_in(ns, [&] {
      loopback at{family, port};
      listener_ = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      int one = 1;
      ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      if (::bind(listener_, at.addr(), at.len) != 0 ||
          ::listen(listener_, 1) != 0)
        return;
      client_ = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (::connect(client_, at.addr(), at.len) != 0)
        return;
      server_ = ::accept(listener_, nullptr, nullptr);
    });
    BOOST_REQUIRE_MESSAGE(st && server_ >= 0, "tcp connection to " << port);
  }
  ~tcp_connection() {
    for (int fd : {client_, server_, listener_})
      if (fd >= 0)
        ::close(fd);
  }
  tcp_connection(const tcp_connection&) = delete;
  tcp_connection& operator=(const tcp_connection&) = delete;

 private:
  int listener_ = -1;
  int client_ = -1;
  int server_ = -1;
};

/// Bytes of one UDP datagram with `payload` bytes on the wire (IP header
/// included), as conntrack accounting counts them.
inline std::uint64_t udp_wire_bytes(int family, std::size_t payload) {
  return (family == AF_INET ? 20u : 40u) + 8u + payload;
}

/// A conntrack line without what changes from one second to the next
/// (the timeout, the 5th field, and delta-time) and with single spaces.
inline std::string normalise_ct_line(const std::string& line) {
  std::istringstream in{line};
  std::string tok;
  std::string out;
  int i = 0;
  while (in >> tok) {
    ++i;
    if (i == 5 && std::all_of(tok.begin(), tok.end(), ::isdigit))
      continue;
    if (tok.rfind("delta-time=", 0) == 0)
      continue;
    if (!out.empty())
      out += ' ';
    out += tok;
  }
  return out;
}

/// The lines of `conntrack -L -o extended,id` in `ns`, normalised and
/// sorted.
inline std::vector<std::string> conntrack_listing(const scratch_netns& ns) {
  auto r = ns.exec("conntrack -L -o extended,id 2>/dev/null");
  BOOST_REQUIRE_MESSAGE(r.status == 0, "conntrack -L: " << r.output);
  std::vector<std::string> out;
  std::istringstream in{r.output};
  for (std::string line; std::getline(in, line);)
    if (line.rfind("ipv", 0) == 0)
      out.push_back(normalise_ct_line(line));
  std::sort(out.begin(), out.end());
  return out;
}

/// `entries` (with their families) as normalised conntrack lines, sorted.
template <class Events>
std::vector<std::string> ct_lines(const Events& events) {
  std::vector<std::string> out;
  for (const auto& ev : events)
    out.push_back(normalise_ct_line(ct::to_text(ev.ct, ev.family)));
  std::sort(out.begin(), out.end());
  return out;
}

/// Joins `lines` for a readable failure message.
inline std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines)
    out += "\n  " + l;
  return out;
}

} // namespace nfactor::test
