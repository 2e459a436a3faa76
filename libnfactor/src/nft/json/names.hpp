// SPDX-License-Identifier: Apache-2.0
//
// nft's words for kernel codes (<linux/netfilter/nf_tables.h>), one table
// per vocabulary, shared by the JSON reader (word → code) and the writer
// (code → word), so that each word is spelled once.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_synproxy.h>
#include <linux/netfilter/nf_tables.h>

namespace nfactor::nft::json::detail {

/// One word of a vocabulary and its code.
struct name_code {
  std::string_view name;
  std::uint32_t value;
};

/// The code of `name` in `table`, if it is there.
constexpr std::optional<std::uint32_t> code_of(std::span<const name_code> table,
                                               std::string_view name) {
  for (auto& e : table)
    if (e.name == name)
      return e.value;
  return std::nullopt;
}

/// The first word for `code` in `table`, if any.
constexpr std::optional<std::string_view>
name_of(std::span<const name_code> table, std::uint32_t code) {
  for (auto& e : table)
    if (e.value == code)
      return e.name;
  return std::nullopt;
}

/// Match operators (enum nft_cmp_ops).
inline constexpr std::array<name_code, 6> cmp_ops{{
    {"==", NFT_CMP_EQ},
    {"!=", NFT_CMP_NEQ},
    {"<", NFT_CMP_LT},
    {"<=", NFT_CMP_LTE},
    {">", NFT_CMP_GT},
    {">=", NFT_CMP_GTE},
}};

/// fib results (enum nft_fib_result).
inline constexpr std::array<name_code, 3> fib_results{{
    {"oif", NFT_FIB_RESULT_OIF},
    {"oifname", NFT_FIB_RESULT_OIFNAME},
    {"type", NFT_FIB_RESULT_ADDRTYPE},
}};

/// nft's type of a fib result.
constexpr std::string_view fib_result_type(std::uint32_t result) {
  return result == NFT_FIB_RESULT_OIF       ? "iface_index"
         : result == NFT_FIB_RESULT_OIFNAME ? "ifname"
                                            : "fib_addrtype";
}

/// fib flags (enum nft_fib_flags), in nft's order.
inline constexpr std::array<name_code, 5> fib_flags{{
    {"saddr", NFTA_FIB_F_SADDR},
    {"daddr", NFTA_FIB_F_DADDR},
    {"mark", NFTA_FIB_F_MARK},
    {"iif", NFTA_FIB_F_IIF},
    {"oif", NFTA_FIB_F_OIF},
}};

/// socket keys (enum nft_socket_keys).
inline constexpr std::array<name_code, 3> socket_keys{{
    {"transparent", NFT_SOCKET_TRANSPARENT},
    {"mark", NFT_SOCKET_MARK},
    {"wildcard", NFT_SOCKET_WILDCARD},
}};

/// numgen modes (enum nft_ng_types).
inline constexpr std::array<name_code, 2> numgen_modes{{
    {"inc", NFT_NG_INCREMENTAL},
    {"random", NFT_NG_RANDOM},
}};

/// Set statement operations (enum nft_dynset_ops).
inline constexpr std::array<name_code, 3> dynset_ops{{
    {"add", NFT_DYNSET_OP_ADD},
    {"update", NFT_DYNSET_OP_UPDATE},
    {"delete", NFT_DYNSET_OP_DELETE},
}};

/// Syslog levels of the log statement (<syslog.h> LOG_EMERG..LOG_DEBUG).
inline constexpr std::array<name_code, 8> log_levels{{
    {"emerg", 0},
    {"alert", 1},
    {"crit", 2},
    {"err", 3},
    {"warn", 4},
    {"notice", 5},
    {"info", 6},
    {"debug", 7},
}};

/// Time units of limits, in seconds.
inline constexpr std::array<name_code, 5> time_units{{
    {"second", 1},
    {"minute", 60},
    {"hour", 3600},
    {"day", 86400},
    {"week", 604800},
}};

/// Byte units of limits and quotas (nft's data_unit_parse), in bytes.
inline constexpr std::array<name_code, 4> byte_units{{
    {"bytes", 1},
    {"kbytes", 1024},
    {"mbytes", 1024 * 1024},
    {"gbytes", 1024 * 1024 * 1024},
}};

/// Stateful object types (NFT_OBJECT_*) by nft's names.
inline constexpr std::array<name_code, 3> object_types{{
    {"counter", NFT_OBJECT_COUNTER},
    {"quota", NFT_OBJECT_QUOTA},
    {"limit", NFT_OBJECT_LIMIT},
}};

/// Hash functions (enum nft_hash_types).
inline constexpr std::array<name_code, 2> hash_types{{
    {"jhash", NFT_HASH_JENKINS},
    {"symhash", NFT_HASH_SYM},
}};

/// Families of fwd and rt nexthop.
inline constexpr std::array<name_code, 2> ip_families{{
    {"ip", NFPROTO_IPV4},
    {"ip6", NFPROTO_IPV6},
}};

/// synproxy options listed as flags (<linux/netfilter/nf_synproxy.h>), in
/// nft's order; mss and wscale have their own members.
inline constexpr std::array<name_code, 2> synproxy_flags{{
    {"timestamp", NF_SYNPROXY_OPT_TIMESTAMP},
    {"sack-perm", NF_SYNPROXY_OPT_SACK_PERM},
}};

/// Header checksums a payload write updates: the protocol's checksum
/// offset in bytes (nftables src/proto.c checksum_key; ip6 has none).
inline constexpr std::array<name_code, 5> checksum_offsets{{
    {"ip", 10},
    {"tcp", 16},
    {"udp", 6},
    {"icmp", 2},
    {"icmpv6", 2},
}};

/// Fields in the transport checksum's pseudo-header: a write sets
/// NFT_PAYLOAD_L4CSUM_PSEUDOHDR (nftables src/proto.c .pseudohdr).
inline constexpr std::array<std::string_view, 7> pseudo_header_fields{
    "ip saddr",  "ip daddr",  "ip protocol", "ip length",
    "ip6 saddr", "ip6 daddr", "ip6 nexthdr"};

/// meta and ct keys a statement can set (the kernel's nft_meta_set_init
/// and nft_ct_set_init), as nft names them.
inline constexpr std::array<name_code, 6> settable_keys{{
    {"meta mark", NFT_META_MARK},
    {"meta priority", NFT_META_PRIORITY},
    {"meta pkttype", NFT_META_PKTTYPE},
    {"meta nftrace", NFT_META_NFTRACE},
    {"ct mark", NFT_CT_MARK},
    {"ct zone", NFT_CT_ZONE},
}};

/// A routing key (enum nft_rt_keys): nft's word, family, type and size
/// (nftables src/rt.c rt_templates).
struct rt_key {
  std::string_view name;
  std::uint32_t key;
  /// "ip" / "ip6" for the nexthops, empty otherwise.
  std::string_view family;
  std::string_view type;
  std::uint32_t len;
};

inline constexpr std::array<rt_key, 5> rt_keys{{
    {"classid", NFT_RT_CLASSID, "", "realm", 4},
    {"nexthop", NFT_RT_NEXTHOP4, "ip", "ipv4_addr", 4},
    {"nexthop", NFT_RT_NEXTHOP6, "ip6", "ipv6_addr", 16},
    {"mtu", NFT_RT_TCPMSS, "", "", 2},
    {"ipsec", NFT_RT_XFRM, "", "boolean", 1},
}};

/// A field of an IPv6 extension header or a TCP option (nftables
/// src/exthdr.c, src/tcpopt.c): what nft names it, where it sits.
struct exthdr_field {
  /// NFT_EXTHDR_OP_IPV6 or NFT_EXTHDR_OP_TCPOPT.
  std::uint32_t op;
  /// Header ("hbh", ...) or option ("maxseg", "sack1", ...).
  std::string_view name;
  /// Header protocol (IPPROTO_*) or option kind.
  std::uint8_t type;
  /// The field; empty: the header or option itself (an existence check).
  std::string_view field;
  std::uint32_t offset;
  std::uint32_t len;
  /// nft's type of the field: "inet_proto", or "" for a big-endian integer.
  std::string_view dtype;
  /// A field of less than its bytes (frag frag-off): its bits in them
  /// read as a big-endian number, as named_field's mask; 0: all.
  std::uint32_t mask = 0;
};

inline constexpr std::uint32_t ipv6 = NFT_EXTHDR_OP_IPV6;
inline constexpr std::uint32_t tcpopt = NFT_EXTHDR_OP_TCPOPT;

inline constexpr auto exthdr_fields = std::to_array<exthdr_field>({
    {ipv6, "hbh", IPPROTO_HOPOPTS, "", 0, 1, ""},
    {ipv6, "hbh", IPPROTO_HOPOPTS, "nexthdr", 0, 1, "inet_proto"},
    {ipv6, "hbh", IPPROTO_HOPOPTS, "hdrlength", 1, 1, ""},
    {ipv6, "rt", IPPROTO_ROUTING, "", 0, 1, ""},
    {ipv6, "rt", IPPROTO_ROUTING, "nexthdr", 0, 1, "inet_proto"},
    {ipv6, "rt", IPPROTO_ROUTING, "hdrlength", 1, 1, ""},
    {ipv6, "rt", IPPROTO_ROUTING, "type", 2, 1, ""},
    {ipv6, "rt", IPPROTO_ROUTING, "seg-left", 3, 1, ""},
    {ipv6, "frag", IPPROTO_FRAGMENT, "", 0, 1, ""},
    {ipv6, "frag", IPPROTO_FRAGMENT, "nexthdr", 0, 1, "inet_proto"},
    {ipv6, "frag", IPPROTO_FRAGMENT, "reserved", 1, 1, ""},
    {ipv6, "frag", IPPROTO_FRAGMENT, "frag-off", 2, 2, "", 0xfff8},
    {ipv6, "frag", IPPROTO_FRAGMENT, "reserved2", 3, 1, "", 0x06},
    {ipv6, "frag", IPPROTO_FRAGMENT, "more-fragments", 3, 1, "", 0x01},
    {ipv6, "frag", IPPROTO_FRAGMENT, "id", 4, 4, ""},
    {ipv6, "dst", IPPROTO_DSTOPTS, "", 0, 1, ""},
    {ipv6, "dst", IPPROTO_DSTOPTS, "nexthdr", 0, 1, "inet_proto"},
    {ipv6, "dst", IPPROTO_DSTOPTS, "hdrlength", 1, 1, ""},
    {ipv6, "mh", IPPROTO_MH, "", 0, 1, ""},
    {ipv6, "mh", IPPROTO_MH, "nexthdr", 0, 1, "inet_proto"},
    {ipv6, "mh", IPPROTO_MH, "hdrlength", 1, 1, ""},
    {ipv6, "mh", IPPROTO_MH, "reserved", 3, 1, ""},
    {ipv6, "mh", IPPROTO_MH, "checksum", 4, 2, ""},
    {tcpopt, "eol", 0, "", 0, 1, ""},
    {tcpopt, "eol", 0, "kind", 0, 1, ""},
    {tcpopt, "nop", 1, "", 0, 1, ""},
    {tcpopt, "nop", 1, "kind", 0, 1, ""},
    {tcpopt, "maxseg", 2, "", 0, 1, ""},
    {tcpopt, "maxseg", 2, "kind", 0, 1, ""},
    {tcpopt, "maxseg", 2, "length", 1, 1, ""},
    {tcpopt, "maxseg", 2, "size", 2, 2, ""},
    {tcpopt, "window", 3, "", 0, 1, ""},
    {tcpopt, "window", 3, "kind", 0, 1, ""},
    {tcpopt, "window", 3, "length", 1, 1, ""},
    {tcpopt, "window", 3, "count", 2, 1, ""},
    {tcpopt, "sack-perm", 4, "", 0, 1, ""},
    {tcpopt, "sack-perm", 4, "kind", 0, 1, ""},
    {tcpopt, "sack-perm", 4, "length", 1, 1, ""},
    {tcpopt, "sack", 5, "", 0, 1, ""},
    {tcpopt, "sack", 5, "kind", 0, 1, ""},
    {tcpopt, "sack", 5, "length", 1, 1, ""},
    {tcpopt, "sack", 5, "left", 2, 4, ""},
    {tcpopt, "sack", 5, "right", 6, 4, ""},
    {tcpopt, "sack1", 5, "left", 10, 4, ""},
    {tcpopt, "sack1", 5, "right", 14, 4, ""},
    {tcpopt, "sack2", 5, "left", 18, 4, ""},
    {tcpopt, "sack2", 5, "right", 22, 4, ""},
    {tcpopt, "sack3", 5, "left", 26, 4, ""},
    {tcpopt, "sack3", 5, "right", 30, 4, ""},
    {tcpopt, "timestamp", 8, "", 0, 1, ""},
    {tcpopt, "timestamp", 8, "kind", 0, 1, ""},
    {tcpopt, "timestamp", 8, "length", 1, 1, ""},
    {tcpopt, "timestamp", 8, "tsval", 2, 4, ""},
    {tcpopt, "timestamp", 8, "tsecr", 6, 4, ""},
    {tcpopt, "md5sig", 19, "", 0, 1, ""},
    {tcpopt, "fastopen", 34, "", 0, 1, ""},
});

/// The JSON key of an exthdr operand of `op`.
constexpr std::string_view exthdr_key(std::uint32_t op) {
  return op == NFT_EXTHDR_OP_TCPOPT ? "tcp option" : "exthdr";
}

} // namespace nfactor::nft::json::detail
