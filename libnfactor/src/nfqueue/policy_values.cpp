// SPDX-License-Identifier: Apache-2.0
// The value readers of queue policies (policy_values.hpp), prefixes and
// actions.
#include "nfactor/nfqueue/policy.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <net/if.h>
#include <netinet/in.h>

#include "policy_values.hpp"

namespace nfactor::nfqueue {

// -- values -------------------------------------------------------------------

namespace detail {

namespace {

struct proto_entry {
  const char* name;
  std::uint8_t number;
};

// The protocols the syntax names (IPPROTO_* of <netinet/in.h>).
constexpr proto_entry protocols[] = {
    {"tcp", IPPROTO_TCP},         {"udp", IPPROTO_UDP},
    {"udplite", IPPROTO_UDPLITE}, {"sctp", IPPROTO_SCTP},
    {"icmp", IPPROTO_ICMP},       {"icmpv6", IPPROTO_ICMPV6},
    {"gre", IPPROTO_GRE},         {"esp", IPPROTO_ESP},
    {"ah", IPPROTO_AH},
};

bool has_ports(std::uint8_t p) {
  return p == IPPROTO_TCP || p == IPPROTO_UDP || p == IPPROTO_UDPLITE ||
         p == IPPROTO_SCTP;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

} // namespace

std::optional<std::uint64_t> number(std::string_view s, std::uint64_t max) {
  if (s.empty() || s.size() > 20)
    return std::nullopt;
  std::uint64_t v = 0;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    if (s.size() > 10)
      return std::nullopt;
    for (auto c : s.substr(2)) {
      int d = hex_digit(c);
      if (d < 0)
        return std::nullopt;
      v = v * 16 + static_cast<std::uint64_t>(d);
    }
  } else {
    for (auto c : s) {
      if (c < '0' || c > '9' || v > max)
        return std::nullopt;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
  }
  if (v > max)
    return std::nullopt;
  return v;
}

std::optional<ip_prefix> prefix(std::string_view s) {
  auto slash = s.find('/');
  std::string addr{s.substr(0, slash)};
  ip_prefix p;
  if (::inet_pton(AF_INET, addr.c_str(), p.bytes.data()) == 1) {
    p.version = 4;
    p.length = 32;
  } else if (::inet_pton(AF_INET6, addr.c_str(), p.bytes.data()) == 1) {
    p.version = 6;
    p.length = 128;
  } else {
    return std::nullopt;
  }
  if (slash != std::string_view::npos) {
    auto len = number(s.substr(slash + 1), p.length);
    if (!len || s.substr(slash + 1).starts_with("0x"))
      return std::nullopt;
    p.length = static_cast<std::uint8_t>(*len);
  }
  // Canonical: host bits cleared, so equal prefixes compare equal.
  for (unsigned bit = p.length; bit < (p.version == 4 ? 32u : 128u); ++bit)
    p.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  return p;
}

std::optional<port_range> ports(std::string_view s) {
  auto dash = s.find('-');
  auto lo = number(s.substr(0, dash), 0xffff);
  if (!lo)
    return std::nullopt;
  port_range r{static_cast<std::uint16_t>(*lo),
               static_cast<std::uint16_t>(*lo)};
  if (dash != std::string_view::npos) {
    auto hi = number(s.substr(dash + 1), 0xffff);
    if (!hi || *hi < *lo)
      return std::nullopt;
    r.hi = static_cast<std::uint16_t>(*hi);
  }
  return r;
}

std::optional<mark_match> mark(std::string_view s) {
  auto slash = s.find('/');
  auto v = number(s.substr(0, slash), 0xffffffff);
  if (!v)
    return std::nullopt;
  mark_match m{static_cast<std::uint32_t>(*v), 0xffffffff};
  if (slash != std::string_view::npos) {
    auto mask = number(s.substr(slash + 1), 0xffffffff);
    if (!mask)
      return std::nullopt;
    m.mask = static_cast<std::uint32_t>(*mask);
  }
  m.value &= m.mask;
  return m;
}

std::optional<std::uint8_t> protocol(std::string_view s) {
  for (const auto& p : protocols)
    if (s == p.name)
      return p.number;
  if (auto n = number(s, 255))
    return static_cast<std::uint8_t>(*n);
  return std::nullopt;
}

const char* protocol_name(std::uint8_t p) noexcept {
  for (const auto& e : protocols)
    if (e.number == p)
      return e.name;
  return nullptr;
}

std::optional<std::uint8_t> family(std::string_view s) {
  if (s == "ip")
    return NFPROTO_IPV4;
  if (s == "ip6")
    return NFPROTO_IPV6;
  return std::nullopt;
}

std::optional<byte_buffer> hex_bytes(std::string_view s) {
  if (!s.starts_with("0x") || s.size() < 4 || s.size() % 2 != 0)
    return std::nullopt;
  byte_buffer out;
  for (std::size_t i = 2; i < s.size(); i += 2) {
    int hi = hex_digit(s[i]);
    int lo = hex_digit(s[i + 1]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
  }
  return out;
}

bool ifname(std::string_view s) {
  return !s.empty() && s.size() < IFNAMSIZ &&
         std::none_of(s.begin(), s.end(), [](char c) {
           return c == '/' || c == '"' || c == '\\' ||
                  std::isspace(static_cast<unsigned char>(c)) ||
                  !std::isprint(static_cast<unsigned char>(c));
         });
}

bool ports_possible(const policy_rule& r) {
  return !r.protocol || has_ports(*r.protocol);
}

std::string quoted(std::string_view s) {
  if (s.empty())
    return "end of rule";
  return "\"" + std::string{s} + "\"";
}

error fail(std::string op, std::string where, std::string_view expected,
           std::string found) {
  return make_error(errc::invalid_argument, std::move(op),
                    where + ": expected " + std::string{expected} + ", found " +
                        found);
}

} // namespace detail

bool ip_prefix::contains(std::uint8_t addr_version,
                         const std::uint8_t* addr) const noexcept {
  if (addr_version != version)
    return false;
  unsigned full = length / 8u;
  if (std::memcmp(bytes.data(), addr, full) != 0)
    return false;
  unsigned rest = length % 8u;
  if (rest == 0)
    return true;
  auto mask = static_cast<std::uint8_t>(0xff00u >> rest);
  return (addr[full] & mask) == bytes[full];
}

std::string to_string(const ip_prefix& p) {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(p.version == 4 ? AF_INET : AF_INET6, p.bytes.data(), text,
              sizeof(text));
  std::string out = text;
  if (p.length != (p.version == 4 ? 32 : 128))
    out += "/" + std::to_string(p.length);
  return out;
}

verdict policy_action::to_verdict() const {
  using k = kind;
  verdict v;
  switch (what) {
  case k::accept:
    v = verdict::accept();
    break;
  case k::drop:
    v = verdict::drop();
    break;
  case k::mark:
    v = verdict::accept();
    v.mark = set_mark;
    break;
  case k::queue:
    v = verdict::to_queue(target_queue, bypass);
    break;
  case k::repeat:
    v = verdict::repeat();
    v.mark = set_mark;
    break;
  }
  return v;
}

} // namespace nfactor::nfqueue
