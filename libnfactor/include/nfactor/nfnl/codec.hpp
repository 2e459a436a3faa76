// SPDX-License-Identifier: Apache-2.0
//
// nfnetlink framing (<linux/netfilter/nfnetlink.h>). Every nfnetlink payload
// starts with struct nfgenmsg:
//
//   0        1        2                 4
//   +--------+--------+-----------------+- - - attributes
//   | family | version|  res_id (BE16)  |
//   +--------+--------+-----------------+- - -
//
// res_id is big-endian: the NFLOG group for NFULNL config messages, the
// target subsystem for batch envelopes, the low 16 bits of the ruleset
// generation in nf_tables dumps. nlmsghdr.type is (subsys << 8) | msg.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>

#include "nfactor/bytes.hpp"
#include "nfactor/error.hpp"

namespace nfactor::nfnl {

/// nfnetlink subsystem ids (NFNL_SUBSYS_*).
enum class subsys : std::uint8_t {
  none = NFNL_SUBSYS_NONE,
  ctnetlink = NFNL_SUBSYS_CTNETLINK,
  ctnetlink_exp = NFNL_SUBSYS_CTNETLINK_EXP,
  queue = NFNL_SUBSYS_QUEUE,
  ulog = NFNL_SUBSYS_ULOG,
  osf = NFNL_SUBSYS_OSF,
  ipset = NFNL_SUBSYS_IPSET,
  acct = NFNL_SUBSYS_ACCT,
  cttimeout = NFNL_SUBSYS_CTNETLINK_TIMEOUT,
  cthelper = NFNL_SUBSYS_CTHELPER,
  nftables = NFNL_SUBSYS_NFTABLES,
  nftcompat = NFNL_SUBSYS_NFT_COMPAT,
  hook = NFNL_SUBSYS_HOOK,
};

/// Netfilter protocol families (NFPROTO_*), the nfgen_family field.
enum class family : std::uint8_t {
  unspec = NFPROTO_UNSPEC,
  inet = NFPROTO_INET,
  ipv4 = NFPROTO_IPV4,
  arp = NFPROTO_ARP,
  netdev = NFPROTO_NETDEV,
  bridge = NFPROTO_BRIDGE,
  ipv6 = NFPROTO_IPV6,
};

/// The name nft uses for `f` ("ip", "ip6", "inet", ...), or "unknown".
const char* to_string(family f) noexcept;

/// The family nft calls `name`, if any ("ip" → ipv4).
std::optional<family> family_from_string(std::string_view name) noexcept;

/// The decoded nfgenmsg header and the bytes that follow it.
struct nfgenmsg {
  std::uint8_t family = 0;
  std::uint8_t version = 0;
  std::uint16_t res_id = 0;
  /// The attributes after the header (borrowed).
  byte_view rest;
};

/// Encodes an nfgenmsg header; `res_id` goes out big-endian.
[[nodiscard]] constexpr std::array<std::uint8_t, 4>
encode_nfgenmsg(std::uint8_t family = NFPROTO_UNSPEC,
                std::uint16_t res_id = 0) noexcept {
  return {family, NFNETLINK_V0, static_cast<std::uint8_t>(res_id >> 8),
          static_cast<std::uint8_t>(res_id & 0xff)};
}

/// Encodes an nfgenmsg header for a typed family.
[[nodiscard]] constexpr std::array<std::uint8_t, 4>
encode_nfgenmsg(family f, std::uint16_t res_id = 0) noexcept {
  return encode_nfgenmsg(static_cast<std::uint8_t>(f), res_id);
}

/// Decodes the first four bytes of `payload`; an error below four bytes.
[[nodiscard]] result<nfgenmsg> decode_nfgenmsg(byte_view payload);

/// Packs (subsystem, message) into nlmsghdr.type.
[[nodiscard]] constexpr std::uint16_t nlmsg_type(std::uint8_t subsys_id,
                                                 std::uint8_t msg) noexcept {
  return static_cast<std::uint16_t>((subsys_id << 8) | msg);
}

/// Packs (subsystem, message) into nlmsghdr.type.
[[nodiscard]] constexpr std::uint16_t nlmsg_type(subsys s,
                                                 std::uint8_t msg) noexcept {
  return nlmsg_type(static_cast<std::uint8_t>(s), msg);
}

/// nlmsghdr.type split into its subsystem and message parts.
struct split_type_result {
  std::uint8_t subsys;
  std::uint8_t msg;
  friend constexpr bool operator==(const split_type_result&,
                                   const split_type_result&) = default;
};

/// Splits nlmsghdr.type; the inverse of `nlmsg_type()`.
[[nodiscard]] constexpr split_type_result split_type(std::uint16_t t) noexcept {
  return {static_cast<std::uint8_t>(t >> 8), static_cast<std::uint8_t>(t)};
}

/// Appends an NFNL_MSG_BATCH_BEGIN message for `target` to `out`: nfgenmsg
/// with res_id = target, and NFNL_BATCH_GENID (u32 BE) when `genid` is set,
/// which makes the kernel refuse the batch with ERESTART if the ruleset
/// generation moved past it.
void append_batch_begin(byte_buffer& out, subsys target, std::uint32_t seq,
                        std::optional<std::uint32_t> genid = std::nullopt);

/// Appends an NFNL_MSG_BATCH_END message for `target` to `out`.
void append_batch_end(byte_buffer& out, subsys target, std::uint32_t seq);

/// An NFNL_MSG_BATCH_BEGIN message on its own (see `append_batch_begin`).
[[nodiscard]] byte_buffer
batch_begin(subsys target, std::optional<std::uint32_t> genid = std::nullopt,
            std::uint32_t seq = 0);

/// An NFNL_MSG_BATCH_END message on its own.
[[nodiscard]] byte_buffer batch_end(subsys target, std::uint32_t seq = 0);

} // namespace nfactor::nfnl
