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
      loopback server_at{AF_INET, 21}, client_at{AF_INET, client_port};
      listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      int one = 1;
      ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      if (::bind(listener_, server_at.addr(), server_at.len) != 0 ||
          ::listen(listener_, 1) != 0)
        return;
      client_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      ::setsockopt(client_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      if (::bind(client_, client_at.addr(), client_at.len) != 0 ||
          ::connect(client_, server_at.addr(), server_at.len) != 0)
        return;
      server_ = ::accept(listener_, nullptr, nullptr);
      if (server_ < 0)
        return;
      timeval patience{5, 0};
      ::setsockopt(server_, SOL_SOCKET, SO_RCVTIMEO, &patience,
                   sizeof(patience));
      auto port_line = "PORT 127,0,0,1," + std::to_string(data_port >> 8) +
                       "," + std::to_string(data_port & 0xff) + "\r\n";
      ok_ = exchange("USER x\r\n") && exchange(port_line);
    });
    BOOST_REQUIRE_MESSAGE(st && ok_, "ftp session from port " << client_port);
  }
  ~ftp_port_session() {
    for (int fd : {client_, server_, listener_})
      if (fd >= 0)
        ::close(fd);
  }
  ftp_port_session(const ftp_port_session&) = delete;
  ftp_port_session& operator=(const ftp_port_session&) = delete;

 private:
  // Sends `line` from the client; true once the server has read all of it.
  bool exchange(const std::string& line) {
    if (::send(client_, line.data(), line.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(line.size()))
      return false;
    std::size_t got = 0;
    char buf[128];
    while (got < line.size()) {
      auto n = ::recv(server_, buf, sizeof(buf), 0);
      if (n <= 0)
        return false;
      got += static_cast<std::size_t>(n);
    }
    return got == line.size();
  }

  int listener_ = -1;
  int client_ = -1;
  int server_ = -1;
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
