// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nfqueue/checksum.hpp"

#include <string>

#include <netinet/in.h>

namespace nfactor::nfqueue {

namespace {

constexpr std::string_view op = "fix rewritten packet";

error bad(std::string detail) {
  return make_error(errc::invalid_argument, std::string{op}, std::move(detail));
}

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}

std::uint16_t get16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}

// Where the transport checksum sits in its header, and the least header
// length that holds it (0: a protocol whose checksum we do not keep).
struct l4_layout {
  std::size_t checksum_at = 0;
  std::size_t min_len = 0;
};

l4_layout layout_of(std::uint8_t proto) {
  switch (proto) {
  case IPPROTO_TCP:
    return {16, 20};
  case IPPROTO_UDP:
    return {6, 8};
  case IPPROTO_ICMP:
  case IPPROTO_ICMPV6:
    return {2, 8};
  default:
    return {};
  }
}

// Recomputes the checksum of the transport header at `l4` (of `len`
// bytes), seeded with the pseudo header sum (0 for ICMP over IPv4).
void fix_l4(std::uint8_t* l4, std::size_t len, std::uint8_t proto,
            std::uint32_t pseudo) {
  auto at = layout_of(proto).checksum_at;
  if (proto == IPPROTO_UDP)
    put16(l4 + 4, static_cast<std::uint16_t>(len));
  put16(l4 + at, 0);
  auto sum =
      static_cast<std::uint16_t>(~ones_complement_sum({l4, len}, pseudo));
  if (proto == IPPROTO_UDP && sum == 0)
    sum = 0xffff; // 0 means "no checksum" in UDP
  put16(l4 + at, sum);
}

} // namespace

std::uint16_t ones_complement_sum(std::span<const std::uint8_t> bytes,
                                  std::uint32_t initial) noexcept {
  std::uint64_t sum = initial;
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2)
    sum += get16(bytes.data() + i);
  if (i < bytes.size())
    sum += static_cast<std::uint32_t>(bytes[i]) << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

result<void> fix_lengths_and_checksums(std::span<std::uint8_t> p) {
  if (p.empty())
    return bad("empty packet");
  const auto size = p.size();
  const int version = p[0] >> 4;
  if (version == 4) {
    if (size < 20)
      return bad("IPv4 header needs 20 bytes, packet has " +
                 std::to_string(size));
    std::size_t ihl = (p[0] & 0x0f) * 4u;
    if (ihl < 20 || ihl > size)
      return bad("IPv4 header length " + std::to_string(ihl) +
                 " does not fit the packet of " + std::to_string(size));
    if (size > 0xffff)
      return bad("IPv4 packet of " + std::to_string(size) + " bytes");
    auto proto = p[9];
    auto l4 = layout_of(proto);
    bool fragment = (get16(&p[6]) & 0x3fff) != 0; // MF or an offset
    if (l4.min_len && !fragment && size - ihl < l4.min_len)
      return bad("transport header of protocol " + std::to_string(proto) +
                 " needs " + std::to_string(l4.min_len) + " bytes, " +
                 std::to_string(size - ihl) + " left");
    put16(&p[2], static_cast<std::uint16_t>(size));
    put16(&p[10], 0);
    put16(&p[10],
          static_cast<std::uint16_t>(~ones_complement_sum(p.first(ihl))));
    if (!l4.min_len || fragment)
      return {};
    std::uint32_t pseudo = 0;
    if (proto != IPPROTO_ICMP)
      pseudo = ones_complement_sum(p.subspan(12, 8)) + proto + (size - ihl);
    fix_l4(&p[ihl], size - ihl, proto, pseudo);
    return {};
  }
  if (version == 6) {
    if (size < 40)
      return bad("IPv6 header needs 40 bytes, packet has " +
                 std::to_string(size));
    if (size - 40 > 0xffff)
      return bad("IPv6 payload of " + std::to_string(size - 40) + " bytes");
    auto next = p[6];
    auto l4 = layout_of(next);
    if (!l4.min_len || next == IPPROTO_ICMP)
      return bad("IPv6 next header " + std::to_string(next) +
                 ": only TCP, UDP or ICMPv6 right after the fixed header");
    if (size - 40 < l4.min_len)
      return bad("transport header of protocol " + std::to_string(next) +
                 " needs " + std::to_string(l4.min_len) + " bytes, " +
                 std::to_string(size - 40) + " left");
    auto len = size - 40;
    put16(&p[4], static_cast<std::uint16_t>(len));
    std::uint32_t pseudo = ones_complement_sum(p.subspan(8, 32)) +
                           static_cast<std::uint32_t>(len) + next;
    fix_l4(&p[40], len, next, pseudo);
    return {};
  }
  return bad("IP version " + std::to_string(version) + " is not 4 or 6");
}

} // namespace nfactor::nfqueue
