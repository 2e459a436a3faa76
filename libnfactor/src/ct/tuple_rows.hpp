// SPDX-License-Identifier: Apache-2.0
//
// The attribute rows of a conntrack tuple (CTA_TUPLE_IP, CTA_TUPLE_PROTO,
// CTA_TUPLE_ZONE; see nfactor/ct/entry.hpp), private to libnfactor: one
// table for every tuple nfactor reads or writes, an entry's original,
// reply and master tuples (src/ct/entry.cpp) and an expectation's
// expected, mask, master and NAT tuples (src/ct/expect.cpp).
#pragma once

#include <array>
#include <cstring>
#include <string>

#include <netinet/in.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "nfactor/ct/entry.hpp"
#include "rows.hpp"

namespace nfactor::ct::detail {

// -- tuples ------------------------------------------------------------------

// An address row: `N` bytes (4 for CTA_IP_V4_*, 16 for V6) into `Member`,
// written only when the address has that size.
template <std::optional<ip_address> tuple::*Member, std::size_t N>
constexpr row<tuple> address(std::uint16_t type) {
  constexpr std::uint8_t version = N == 4 ? 4 : 6;
  return {type,
          [](reader& r, tuple& t) {
            if (r.bytes().size() != N) {
              r.fail("CTA_IP address has " + std::to_string(r.bytes().size()) +
                     " bytes, expected " + std::to_string(N));
              return;
            }
            auto& a = (t.*Member).emplace();
            a.version = version;
            std::memcpy(a.bytes.data(), r.bytes().data(), N);
          },
          [](writer& w, std::uint16_t ty, const tuple& t) {
            w.attr_bytes(ty, byte_view{(t.*Member)->bytes.data(), N});
          },
          [](const tuple& t) {
            return (t.*Member).has_value() && (t.*Member)->version == version;
          }};
}

// An ICMP or ICMPv6 row: both decode into `Member`; which one is written
// follows the tuple's protocol.
template <auto Member, bool V6>
constexpr row<tuple> icmp(std::uint16_t type) {
  auto base = field<Member>(type);
  base.present = [](const tuple& t) {
    return (t.*Member).has_value() &&
           (t.l4proto == std::uint8_t{IPPROTO_ICMPV6}) == V6;
  };
  return base;
}

struct tuple_ip_rows {
  static constexpr std::array<row<tuple>, 4> rows{
      address<&tuple::src, 4>(CTA_IP_V4_SRC),
      address<&tuple::dst, 4>(CTA_IP_V4_DST),
      address<&tuple::src, 16>(CTA_IP_V6_SRC),
      address<&tuple::dst, 16>(CTA_IP_V6_DST),
  };
};

struct tuple_proto_rows {
  static constexpr std::array<row<tuple>, 9> rows{
      field<&tuple::l4proto>(CTA_PROTO_NUM),
      field<&tuple::src_port>(CTA_PROTO_SRC_PORT),
      field<&tuple::dst_port>(CTA_PROTO_DST_PORT),
      icmp<&tuple::echo_id, false>(CTA_PROTO_ICMP_ID),
      icmp<&tuple::icmp_type, false>(CTA_PROTO_ICMP_TYPE),
      icmp<&tuple::icmp_code, false>(CTA_PROTO_ICMP_CODE),
      icmp<&tuple::echo_id, true>(CTA_PROTO_ICMPV6_ID),
      icmp<&tuple::icmp_type, true>(CTA_PROTO_ICMPV6_TYPE),
      icmp<&tuple::icmp_code, true>(CTA_PROTO_ICMPV6_CODE),
  };
};

template <>
struct rows_of<tuple> {
  static constexpr std::array<row<tuple>, 3> rows{
      nest<tuple, tuple_ip_rows>(CTA_TUPLE_IP),
      nest<tuple, tuple_proto_rows>(CTA_TUPLE_PROTO),
      field<&tuple::zone>(CTA_TUPLE_ZONE),
  };
};

} // namespace nfactor::ct::detail
