// SPDX-License-Identifier: Apache-2.0
//
// nft's data type ids (nftables include/datatype.h, enum datatypes). The
// kernel does not interpret them: a set stores them in NFTA_SET_KEY_TYPE and
// NFTA_SET_DATA_TYPE for nft to list its elements by type. A concatenated
// key stores its parts' ids `datatype_bits` bits each, the first part
// highest:
//
//   ipv4_addr . inet_service  ->  (7 << 6) | 13
#pragma once

#include <cstdint>
#include <initializer_list>

namespace nfactor::nft {

/// An nft data type, named as nft names it ("ipv4_addr" is
/// `datatype::ipv4_addr`); the values are nft's ids.
enum class datatype : std::uint32_t {
  nf_proto = 2,
  integer = 4,
  ipv4_addr = 7,
  ipv6_addr = 8,
  ether_addr = 9,
  ether_type = 10,
  inet_proto = 12,
  inet_service = 13,
  icmp_type = 14,
  tcp_flag = 15,
  mark = 19,
  iface_index = 20,
  iface_type = 21,
  realm = 22,
  classid = 23,
  uid = 24,
  gid = 25,
  ct_state = 26,
  ct_dir = 27,
  ct_status = 28,
  icmpv6_type = 29,
  pkt_type = 31,
  icmp_code = 32,
  icmpv6_code = 33,
  dscp = 36,
  ecn = 37,
  fib_addrtype = 38,
  boolean = 39,
  ifname = 41,
  time = 43,
  hour = 44,
  day = 45,
};

/// Bits per part in a concatenated type id (nft's TYPE_BITS).
inline constexpr unsigned datatype_bits = 6;

/// The id of `t` as a set stores it (NFTA_SET_KEY_TYPE, _DATA_TYPE).
[[nodiscard]] constexpr std::uint32_t type_id(datatype t) noexcept {
  return static_cast<std::uint32_t>(t);
}

/// The id of the concatenation of `parts`, first part highest
/// (`ipv4_addr . inet_service`).
[[nodiscard]] constexpr std::uint32_t
type_id(std::initializer_list<datatype> parts) noexcept {
  std::uint32_t id = 0;
  for (auto p : parts)
    id = (id << datatype_bits) | type_id(p);
  return id;
}

} // namespace nfactor::nft
