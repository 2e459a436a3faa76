// SPDX-License-Identifier: Apache-2.0
//
// A small C++ front for readable rules, built on the expression table
// (expr.hpp). It emits the expressions nft itself emits, dependencies
// included (the network protocol: meta nfproto in inet tables, meta
// protocol in bridge and netdev tables, the Ethernet or VLAN header's type
// after a match on that header; meta l4proto before a port; meta iiftype
// ether before an Ethernet header field outside bridge tables; ether type
// 8021q before a VLAN tag's field). An == match of a protocol field
// (meta l4proto tcp, ip protocol tcp, ether type ip, ...) stands in for the
// dependency it names, as in nft:
//
//   nft: add rule ip t c ip saddr 10.0.0.1 udp dport 53 counter accept
//   C++: rule_builder{family::ipv4, "t", "c"}
//          .match(ip::saddr, "10.0.0.1").match(udp::dport, 53)
//          .counter().accept().build()
//
//   [ payload load 4b @ network header + 12 => reg 1 ]
//   [ cmp eq reg 1 0x0100000a ]
//   [ meta load l4proto => reg 1 ]
//   [ cmp eq reg 1 0x00000011 ]
//   [ payload load 2b @ transport header + 2 => reg 1 ]
//   [ cmp eq reg 1 0x00003500 ]
//   [ counter pkts 0 bytes 0 ]
//   [ immediate reg 0 accept ]
//
// Bad input (an address that does not parse, a value too wide for its
// field) is kept and returned once by `build()`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include <netinet/in.h>

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>

#include "nfactor/error.hpp"
#include "nfactor/nfnl/codec.hpp"
#include "nfactor/nft/rule.hpp"

namespace nfactor::nft::front {

/// A packet field a rule can match: where it is loaded from and how its
/// values are written.
struct field {
  enum class source : std::uint8_t { payload, meta, ct };
  enum class shape : std::uint8_t {
    integer_be, ///< network byte order integer (ports, protocols)
    integer_ne, ///< host byte order integer (marks, ifindex, uid)
    ipv4,       ///< "10.0.0.1" or "10.0.0.0/24"
    ipv6,       ///< "2001:db8::1" or "2001:db8::/32"
    ifname,     ///< interface name, 16 bytes NUL padded
    bits,       ///< a bit mask (ct state): matches when any bit is set
  };
  const char* name;
  source from;
  /// Payload base (NFT_PAYLOAD_*), meta key (NFT_META_*) or ct key.
  std::uint32_t key;
  std::uint32_t offset;
  std::uint32_t len;
  shape kind;
  /// Network protocol the field needs (NFPROTO_IPV4/6), 0 for none.
  std::uint8_t nfproto;
  /// Transport protocol the field needs (IPPROTO_*), 0 for none.
  std::uint8_t l4proto;
  /// Whether the field is in an Ethernet header: outside bridge tables
  /// nft checks the input interface's type first (meta iiftype ether).
  bool ether = false;
  /// The frame type (ETH_P_*) the field needs, as nft checks it first
  /// (ether type 8021q before a VLAN tag's fields); 0 for none.
  std::uint16_t ethertype = 0;
  /// Whether nft checks the network protocol before the field with the
  /// Ethernet header's type in a bridge table, not with meta protocol
  /// (an IPv6 extension header's field).
  bool typed_in_bridge = false;
};

namespace detail {
using shape = field::shape;
constexpr auto network = NFT_PAYLOAD_NETWORK_HEADER;
constexpr auto transport = NFT_PAYLOAD_TRANSPORT_HEADER;

/// A header field at `offset` of `base` (NFT_PAYLOAD_*), needing network
/// protocol `nfproto` and transport protocol `l4proto` (0: none).
constexpr field payload(const char* name, std::uint32_t base,
                        std::uint32_t offset, std::uint32_t len, shape kind,
                        std::uint8_t nfproto, std::uint8_t l4proto = 0) {
  return {name,   field::source::payload, base, offset, len, kind, nfproto,
          l4proto};
}

/// A field at `offset` of an Ethernet frame, in a frame of `ethertype`
/// (0: any).
constexpr field ether(const char* name, std::uint32_t offset, std::uint32_t len,
                      shape kind, std::uint16_t ethertype = 0) {
  return {name,
          field::source::payload,
          NFT_PAYLOAD_LL_HEADER,
          offset,
          len,
          kind,
          0,
          0,
          true,
          ethertype};
}

/// A meta or ct key (NFT_META_* / NFT_CT_*) of `len` bytes.
constexpr field keyed(const char* name, field::source from, std::uint32_t key,
                      std::uint32_t len, shape kind = shape::integer_ne) {
  return {name, from, key, 0, len, kind, 0, 0};
}

constexpr field meta(const char* name, std::uint32_t key, std::uint32_t len,
                     shape kind = shape::integer_ne) {
  return keyed(name, field::source::meta, key, len, kind);
}
} // namespace detail

namespace ip {
using detail::network, detail::payload, detail::shape;
inline constexpr field saddr =
    payload("ip saddr", network, 12, 4, shape::ipv4, NFPROTO_IPV4);
inline constexpr field daddr =
    payload("ip daddr", network, 16, 4, shape::ipv4, NFPROTO_IPV4);
inline constexpr field protocol =
    payload("ip protocol", network, 9, 1, shape::integer_be, NFPROTO_IPV4);
} // namespace ip

namespace ip6 {
using detail::network, detail::payload, detail::shape;
inline constexpr field saddr =
    payload("ip6 saddr", network, 8, 16, shape::ipv6, NFPROTO_IPV6);
inline constexpr field daddr =
    payload("ip6 daddr", network, 24, 16, shape::ipv6, NFPROTO_IPV6);
} // namespace ip6

namespace tcp {
using detail::transport, detail::payload, detail::shape;
inline constexpr field sport =
    payload("tcp sport", transport, 0, 2, shape::integer_be, 0, IPPROTO_TCP);
inline constexpr field dport =
    payload("tcp dport", transport, 2, 2, shape::integer_be, 0, IPPROTO_TCP);
} // namespace tcp

namespace udp {
using detail::transport, detail::payload, detail::shape;
inline constexpr field sport =
    payload("udp sport", transport, 0, 2, shape::integer_be, 0, IPPROTO_UDP);
inline constexpr field dport =
    payload("udp dport", transport, 2, 2, shape::integer_be, 0, IPPROTO_UDP);
} // namespace udp

namespace meta {
using detail::shape;
inline constexpr field l4proto =
    detail::meta("meta l4proto", NFT_META_L4PROTO, 1, shape::integer_be);
inline constexpr field nfproto =
    detail::meta("meta nfproto", NFT_META_NFPROTO, 1, shape::integer_be);
inline constexpr field mark = detail::meta("meta mark", NFT_META_MARK, 4);
inline constexpr field iif = detail::meta("meta iif", NFT_META_IIF, 4);
inline constexpr field oif = detail::meta("meta oif", NFT_META_OIF, 4);
inline constexpr field iifname =
    detail::meta("meta iifname", NFT_META_IIFNAME, 16, shape::ifname);
inline constexpr field oifname =
    detail::meta("meta oifname", NFT_META_OIFNAME, 16, shape::ifname);
inline constexpr field skuid = detail::meta("meta skuid", NFT_META_SKUID, 4);
inline constexpr field skgid = detail::meta("meta skgid", NFT_META_SKGID, 4);
} // namespace meta

namespace ct {
inline constexpr field state = detail::keyed(
    "ct state", field::source::ct, NFT_CT_STATE, 4, detail::shape::bits);
inline constexpr field mark =
    detail::keyed("ct mark", field::source::ct, NFT_CT_MARK, 4);
/// ct state bits (NF_CT_STATE_BIT, nf_conntrack_common.h).
inline constexpr std::uint32_t invalid = NF_CT_STATE_INVALID_BIT;
inline constexpr std::uint32_t established = NF_CT_STATE_BIT(IP_CT_ESTABLISHED);
inline constexpr std::uint32_t related = NF_CT_STATE_BIT(IP_CT_RELATED);
inline constexpr std::uint32_t new_ = NF_CT_STATE_BIT(IP_CT_NEW);
inline constexpr std::uint32_t untracked = NF_CT_STATE_UNTRACKED_BIT;
} // namespace ct

/// Comparison of a match.
enum class cmp_op : std::uint32_t {
  eq = NFT_CMP_EQ,
  ne = NFT_CMP_NEQ,
  lt = NFT_CMP_LT,
  lte = NFT_CMP_LTE,
  gt = NFT_CMP_GT,
  gte = NFT_CMP_GTE,
};

/// A value to match: a number or text (an address, an interface name).
struct value {
  std::variant<std::uint64_t, std::string> v;
  template <class Int, class = std::enable_if_t<std::is_integral_v<Int>>>
  value(Int x) : v(static_cast<std::uint64_t>(x)) {}
  value(const char* s) : v(std::string{s}) {}
  value(std::string s) : v(std::move(s)) {}
};

/// An inclusive range of numbers ("udp dport 1000-2000").
struct range_of {
  std::uint64_t from = 0;
  std::uint64_t to = 0;
};

/// Options of `log()`; every field optional, as in nft.
struct log_options {
  std::optional<std::uint16_t> group = {};
  std::optional<std::string> prefix = {};
  std::optional<std::uint32_t> snaplen = {};
  std::optional<std::uint16_t> qthreshold = {};
  std::optional<std::uint32_t> level = {};
  std::optional<std::uint32_t> flags = {};
};

/// Options of `limit()`: `rate` per `unit` seconds, with `burst`.
struct limit_options {
  std::uint64_t rate = 0;
  std::uint64_t unit = 1;
  std::uint32_t burst = 0;
  /// Count bytes instead of packets (NFT_LIMIT_PKT_BYTES).
  bool bytes = false;
  /// Match when over the limit (NFT_LIMIT_F_INV).
  bool over = false;
};

/// Builds one rule from matches and statements, in order.
class rule_builder {
 public:
  rule_builder(nfnl::family family, std::string table, std::string chain);

  /// `field op value`, e.g. `match(tcp::dport, 22)`,
  /// `match(ip::saddr, "10.0.0.0/8")`, `match(meta::iifname, "lo")`,
  /// `match(ct::state, ct::established | ct::related)`.
  rule_builder& match(const field& f, const value& v, cmp_op op = cmp_op::eq);

  /// `field from-to` (or `!= from-to` when `negate`).
  rule_builder& match(const field& f, range_of r, bool negate = false);

  /// `field @set` (a lookup in the named set; `!= @set` when `negate`).
  rule_builder& match_set(const field& f, std::string set, bool negate = false);

  rule_builder& counter();
  rule_builder& log(const log_options& o = {});
  rule_builder& limit(const limit_options& o);
  /// `meta mark set v`.
  rule_builder& set_mark(std::uint32_t mark);
  /// `meta nftrace set 1`: the kernel reports the packet's path through
  /// the ruleset from here on (NFNLGRP_NFTRACE, trace.hpp).
  rule_builder& trace();
  rule_builder& notrack();
  rule_builder& masquerade();
  /// `snat to ADDR` / `dnat to ADDR` (IPv4 or IPv6 address).
  rule_builder& snat(std::string_view addr);
  rule_builder& dnat(std::string_view addr);
  /// `reject` (ICMP port unreachable; TCP reset with `tcp_reset`).
  rule_builder& reject(bool tcp_reset = false);
  /// `queue num N [bypass]`.
  rule_builder& queue(std::uint16_t num, bool bypass = false);

  rule_builder& accept();
  rule_builder& drop();
  /// `return`.
  rule_builder& ret();
  rule_builder& jump(std::string chain);
  rule_builder& go_to(std::string chain);
  /// `continue`.
  rule_builder& next();

  /// Any expression of the table, as is.
  rule_builder& then(expression e);

  /// Adds the dependencies `f` needs (see the top of this file) unless
  /// the rule has them already; for callers that load `f` themselves
  /// (concatenations, anonymous sets). A field of another network
  /// protocol than an ip or ip6 table's (or any in an arp table) is an
  /// error.
  rule_builder& require(const field& f);

  /// `comment "text"`.
  rule_builder& comment(std::string_view text);

  /// Where each dependency check the builder added starts in the rule's
  /// expressions (a load and a cmp ==), in order: nft makes each its own
  /// statement, which the JSON reader's joins need to know.
  [[nodiscard]] const std::vector<std::size_t>& dependencies() const {
    return dependencies_;
  }

  /// The rule, or the first error.
  [[nodiscard]] result<rule> build() const&;
  [[nodiscard]] result<rule> build() &&;

 private:
  void need(const field& f);
  void depend(expression load, data value);
  // An == match of a protocol field (meta nfproto/protocol/l4proto/iiftype,
  // ether or vlan type, ip protocol, ip6 nexthdr) is, as in nft, the dependency
  // of the fields after it: they need no check of their own.
  void learn(const field& f, std::uint64_t n);
  void load(const field& f);
  void fail(std::string detail);
  rule_builder& verdict(std::int32_t code, std::optional<std::string> chain);
  rule_builder& set_meta(std::uint32_t key, data value);
  rule_builder& nat(std::uint32_t type, std::string_view addr);

  rule r_;
  std::uint8_t l3_ = 0;         // nfproto already required
  std::uint8_t l4_ = 0;         // l4proto already required
  bool ether_ = false;          // meta iiftype ether already required
  std::uint16_t ethertype_ = 0; // ether type already required
  std::vector<std::size_t> dependencies_;
  std::optional<error> err_;
};

} // namespace nfactor::nft::front
