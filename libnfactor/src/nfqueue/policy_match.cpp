// SPDX-License-Identifier: Apache-2.0
// Queue policies on packets: header reading, matching, decisions.
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

// -- matching -----------------------------------------------------------------

packet_headers packet_headers::read(byte_view p) noexcept {
  packet_headers h;
  if (p.empty())
    return h;
  std::size_t off = 0;
  std::uint8_t next = 0;
  bool later_fragment = false;
  if ((p[0] >> 4) == 4) {
    std::size_t ihl = (p[0] & 0x0fu) * 4u;
    if (p.size() < 20 || ihl < 20 || p.size() < ihl)
      return h;
    h.version = 4;
    std::memcpy(h.saddr.data(), p.data() + 12, 4);
    std::memcpy(h.daddr.data(), p.data() + 16, 4);
    next = p[9];
    off = ihl;
    later_fragment = ((p[6] & 0x1fu) << 8 | p[7]) != 0;
  } else if ((p[0] >> 4) == 6) {
    if (p.size() < 40)
      return h;
    h.version = 6;
    std::memcpy(h.saddr.data(), p.data() + 8, 16);
    std::memcpy(h.daddr.data(), p.data() + 24, 16);
    next = p[6];
    off = 40;
    // Extension headers (hop-by-hop, routing, destination options,
    // fragment, AH), a bounded number of them.
    for (int n = 0; n < 8; ++n) {
      if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING ||
          next == IPPROTO_DSTOPTS) {
        if (p.size() < off + 2)
          return h;
        next = p[off];
        off += (p[off + 1] + 1u) * 8u;
      } else if (next == IPPROTO_FRAGMENT) {
        if (p.size() < off + 8)
          return h;
        later_fragment = ((p[off + 2] << 8 | p[off + 3]) & 0xfff8) != 0;
        next = p[off];
        off += 8;
      } else if (next == IPPROTO_AH) {
        if (p.size() < off + 2)
          return h;
        next = p[off];
        off += (p[off + 1] + 2u) * 4u;
      } else {
        break;
      }
    }
    if (off > p.size())
      return h;
  } else {
    return h;
  }
  h.protocol = next;
  if (later_fragment)
    return h;
  auto l4 = p.subspan(off);
  std::size_t header = 0;
  switch (next) {
  case IPPROTO_TCP:
    header = l4.size() >= 13 ? (l4[12] >> 4) * 4u : 20u;
    header = std::max<std::size_t>(header, 20);
    break;
  case IPPROTO_UDP:
  case IPPROTO_UDPLITE:
  case IPPROTO_ICMP:
  case IPPROTO_ICMPV6:
    header = 8;
    break;
  case IPPROTO_SCTP:
    header = 12;
    break;
  default:
    break;
  }
  bool ported = next == IPPROTO_TCP || next == IPPROTO_UDP ||
                next == IPPROTO_UDPLITE || next == IPPROTO_SCTP;
  if (ported && l4.size() >= 4) {
    h.sport = static_cast<std::uint16_t>(l4[0] << 8 | l4[1]);
    h.dport = static_cast<std::uint16_t>(l4[2] << 8 | l4[3]);
  }
  if (l4.size() >= header)
    h.l4_payload = l4.subspan(header);
  return h;
}

bool matches(const policy_rule& r, const queue_packet& p,
             const packet_headers& h) noexcept {
  if (r.family && p.family != *r.family)
    return false;
  if (r.protocol && h.protocol != r.protocol)
    return false;
  if (r.saddr && !r.saddr->contains(h.version, h.saddr.data()))
    return false;
  if (r.daddr && !r.daddr->contains(h.version, h.daddr.data()))
    return false;
  auto in = [](const port_range& range, std::optional<std::uint16_t> port) {
    return port && *port >= range.lo && *port <= range.hi;
  };
  if (r.sport && !in(*r.sport, h.sport))
    return false;
  if (r.dport && !in(*r.dport, h.dport))
    return false;
  if (r.uid && p.uid != r.uid)
    return false;
  if (r.gid && p.gid != r.gid)
    return false;
  if (r.mark && (p.mark.value_or(0) & r.mark->mask) != r.mark->value)
    return false;
  if (r.iif && p.indev_name != r.iif)
    return false;
  if (r.oif && p.outdev_name != r.oif)
    return false;
  for (const auto& needle : r.payload)
    if (std::search(h.l4_payload.begin(), h.l4_payload.end(), needle.begin(),
                    needle.end()) == h.l4_payload.end())
      return false;
  return true;
}

decision policy::decide(const queue_packet& p) const {
  auto h = packet_headers::read(p.payload ? p.payload->view() : byte_view{});
  for (std::size_t i = 0; i < rules.size(); ++i)
    if (matches(rules[i], p, h))
      return {rules[i].action.to_verdict(), i};
  return {fallback.to_verdict(), std::nullopt};
}

bool policy::needs_uid_gid() const noexcept {
  return std::any_of(rules.begin(), rules.end(),
                     [](const policy_rule& r) { return r.needs_uid_gid(); });
}

bool policy::needs_names() const noexcept {
  return std::any_of(rules.begin(), rules.end(),
                     [](const policy_rule& r) { return r.needs_names(); });
}

} // namespace nfactor::nfqueue
