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
#include <sys/time.h>
#include <unistd.h>

#include "netns_fixture.hpp"
#include "nfactor/ct/entry.hpp"
#include "nfactor/ct/text.hpp"
#include "nfactor/sys/fd.hpp"
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
      fd_.reset(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      loopback at{family, port};
      if (fd_ && ::bind(fd_.get(), at.addr(), at.len) != 0)
        fd_.reset();
    });
    BOOST_REQUIRE_MESSAGE(st && fd_, "bind udp sink " << port);
  }

 private:
  sys::unique_fd fd_;
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
      sys::unique_fd fd{::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
      loopback from{family, static_cast<std::uint16_t>(first_src_port + i)};
      if (fd && ::bind(fd.get(), from.addr(), from.len) == 0 &&
          ::sendto(fd.get(), "f", 1, 0, to.addr(), to.len) == 1)
        ++sent;
    }
  });
  return st ? sent : -1;
}

/// The three sockets of a TCP connection over loopback, closed in the
/// order client, server, listener.
struct tcp_sockets {
  sys::unique_fd listener;
  sys::unique_fd server; // the accepted side
  sys::unique_fd client;
};

/// In the calling thread's namespace: a listener on loopback:`port`, a
/// client (bound to loopback:`client_port` unless it is 0) connected to
/// it, and the accepted side. `server` is empty if any step failed.
inline tcp_sockets loopback_tcp(int family, std::uint16_t port,
                                std::uint16_t client_port = 0) {
  tcp_sockets s;
  loopback at{family, port};
  int one = 1;
  s.listener.reset(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ::setsockopt(s.listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(s.listener.get(), at.addr(), at.len) != 0 ||
      ::listen(s.listener.get(), 1) != 0)
    return s;
  s.client.reset(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (client_port != 0) {
    loopback from{family, client_port};
    ::setsockopt(s.client.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(s.client.get(), from.addr(), from.len) != 0)
      return s;
  }
  if (::connect(s.client.get(), at.addr(), at.len) != 0)
    return s;
  s.server.reset(::accept(s.listener.get(), nullptr, nullptr));
  return s;
}

/// An established TCP connection over loopback inside `ns` (a listener,
/// a client and the accepted server side), open until destruction.
class tcp_connection {
 public:
  tcp_connection(const sys::netns& ns, int family, std::uint16_t port) {
    auto st = sys::run_in(ns, [&] { sockets_ = loopback_tcp(family, port); });
    BOOST_REQUIRE_MESSAGE(st && sockets_.server, "tcp connection to " << port);
  }

 private:
  tcp_sockets sockets_;
};

/// The nft ruleset that gives TCP connections to port 21 the kernel's FTP
/// helper (nf_conntrack_ftp), for connections made inside the namespace.
inline const char* ftp_helper_ruleset =
    "add table inet ftp_test; "
    "add ct helper inet ftp_test ftp-standard { type \"ftp\" protocol tcp; }; "
    "add chain inet ftp_test out { type filter hook output priority 0; }; "
    "add rule inet ftp_test out tcp dport 21 ct helper set \"ftp-standard\"";

/// An FTP control connection over IPv4 loopback inside `ns`, open until
/// destruction (the expectation's master lives as long): a client at
/// 127.0.0.1:`client_port` connects to a listener on 127.0.0.1:21 and
/// sends "USER x\r\n", then "PORT 127,0,0,1,H,L\r\n" announcing
/// `data_port`. The helper only parses a command after a line end it has
/// seen in that direction, hence the USER line. The server reads each line
/// before the next is sent (bounded by a 5 s receive time-out), so when
/// the constructor returns the kernel has run the helper on every segment.
class ftp_port_session {
 public:
  ftp_port_session(const sys::netns& ns, std::uint16_t client_port,
                   std::uint16_t data_port) {
    auto st = sys::run_in(ns, [&] {
      s_ = loopback_tcp(AF_INET, 21, client_port);
      if (!s_.server)
        return;
      timeval patience{5, 0};
      ::setsockopt(s_.server.get(), SOL_SOCKET, SO_RCVTIMEO, &patience,
                   sizeof(patience));
      auto port_line = "PORT 127,0,0,1," + std::to_string(data_port >> 8) +
                       "," + std::to_string(data_port & 0xff) + "\r\n";
      ok_ = exchange("USER x\r\n") && exchange(port_line);
    });
    BOOST_REQUIRE_MESSAGE(st && ok_, "ftp session from port " << client_port);
  }

 private:
  // Sends `line` from the client; true once the server has read all of it.
  bool exchange(const std::string& line) {
    if (::send(s_.client.get(), line.data(), line.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(line.size()))
      return false;
    std::size_t got = 0;
    char buf[128];
    while (got < line.size()) {
      auto n = ::recv(s_.server.get(), buf, sizeof(buf), 0);
      if (n <= 0)
        return false;
      got += static_cast<std::size_t>(n);
    }
    return got == line.size();
  }

  tcp_sockets s_;
  bool ok_ = false;
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
