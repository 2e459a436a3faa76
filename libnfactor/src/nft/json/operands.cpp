// SPDX-License-Identifier: Apache-2.0
//
// nft JSON operands (the "left" of a match, the "key" of a map, the
// "elem" of a set statement) → what loads them into registers: a packet
// field of the rule front, or an expression (fib, numgen, socket).
#include <array>
#include <bit>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include <linux/if_ether.h>
#include <linux/netfilter/nf_tables.h>

#include "names.hpp"
#include "operands.hpp"

namespace nfactor::nft::json::detail {

namespace {

namespace f = front;
using f::detail::keyed, f::detail::payload;
using shape = f::field::shape;
using source = f::field::source;
constexpr auto network = f::detail::network;
constexpr auto transport = f::detail::transport;

// Fields the rule front does not define (same layout as rule_builder.hpp).
constexpr f::field ip_ttl =
    payload("ip ttl", network, 8, 1, shape::integer_be, NFPROTO_IPV4);
constexpr f::field ip_length =
    payload("ip length", network, 2, 2, shape::integer_be, NFPROTO_IPV4);
constexpr f::field ip6_nexthdr =
    payload("ip6 nexthdr", network, 6, 1, shape::integer_be, NFPROTO_IPV6);
constexpr f::field ip6_hoplimit =
    payload("ip6 hoplimit", network, 7, 1, shape::integer_be, NFPROTO_IPV6);
constexpr f::field icmp_type =
    payload("icmp type", transport, 0, 1, shape::integer_be, NFPROTO_IPV4, 1);
constexpr f::field icmp_code =
    payload("icmp code", transport, 1, 1, shape::integer_be, NFPROTO_IPV4, 1);
constexpr f::field icmpv6_type = payload("icmpv6 type", transport, 0, 1,
                                         shape::integer_be, NFPROTO_IPV6, 58);
constexpr f::field icmpv6_code = payload("icmpv6 code", transport, 1, 1,
                                         shape::integer_be, NFPROTO_IPV6, 58);
constexpr f::field tcp_sequence =
    payload("tcp sequence", transport, 4, 4, shape::integer_be, 0, IPPROTO_TCP);
constexpr f::field tcp_ackseq =
    payload("tcp ackseq", transport, 8, 4, shape::integer_be, 0, IPPROTO_TCP);
// A bit mask: `tcp flags syn` matches when any listed flag is set.
constexpr f::field tcp_flags =
    payload("tcp flags", transport, 13, 1, shape::bits, 0, IPPROTO_TCP);
constexpr f::field tcp_window =
    payload("tcp window", transport, 14, 2, shape::integer_be, 0, IPPROTO_TCP);
constexpr f::field tcp_urgptr =
    payload("tcp urgptr", transport, 18, 2, shape::integer_be, 0, IPPROTO_TCP);
constexpr f::field udp_length =
    payload("udp length", transport, 4, 2, shape::integer_be, 0, IPPROTO_UDP);
// Without a transport protocol: nft's "th" (any protocol with ports).
constexpr f::field th_sport =
    payload("th sport", transport, 0, 2, shape::integer_be, 0);
constexpr f::field th_dport =
    payload("th dport", transport, 2, 2, shape::integer_be, 0);
constexpr f::field ether_daddr =
    f::detail::ether("ether daddr", 0, 6, shape::integer_be);
constexpr f::field ether_saddr =
    f::detail::ether("ether saddr", 6, 6, shape::integer_be);
constexpr f::field ether_type =
    f::detail::ether("ether type", 12, 2, shape::integer_be);
// The 802.1Q tag after the Ethernet header: its id, priority and drop
// eligible bit (masks in the rows below).
constexpr f::field vlan_tci =
    f::detail::ether("vlan tci", 14, 2, shape::integer_be, ETH_P_8021Q);
constexpr f::field vlan_tci_high =
    f::detail::ether("vlan tci", 14, 1, shape::integer_be, ETH_P_8021Q);
// The type of the frame inside the tag (nft: vlan type).
constexpr f::field vlan_type =
    f::detail::ether("vlan type", 16, 2, shape::integer_be, ETH_P_8021Q);
constexpr f::field ct_zone = keyed("ct zone", source::ct, NFT_CT_ZONE, 2);
constexpr f::field meta_pkttype =
    keyed("meta pkttype", source::meta, NFT_META_PKTTYPE, 1);
constexpr f::field meta_length =
    keyed("meta length", source::meta, NFT_META_LEN, 4);
constexpr f::field meta_protocol = keyed(
    "meta protocol", source::meta, NFT_META_PROTOCOL, 2, shape::integer_be);
constexpr f::field meta_iiftype =
    keyed("meta iiftype", source::meta, NFT_META_IIFTYPE, 2);
constexpr f::field meta_oiftype =
    keyed("meta oiftype", source::meta, NFT_META_OIFTYPE, 2);
constexpr f::field meta_cpu = keyed("meta cpu", source::meta, NFT_META_CPU, 4);
constexpr f::field ct_status =
    keyed("ct status", source::ct, NFT_CT_STATUS, 4, shape::bits);
constexpr f::field ct_direction =
    keyed("ct direction", source::ct, NFT_CT_DIRECTION, 1);
constexpr f::field meta_priority =
    keyed("meta priority", source::meta, NFT_META_PRIORITY, 4);
constexpr f::field meta_nftrace =
    keyed("meta nftrace", source::meta, NFT_META_NFTRACE, 1);

constexpr f::field meta_time =
    keyed("meta time", source::meta, NFT_META_TIME_NS, 8);
constexpr f::field meta_day =
    keyed("meta day", source::meta, NFT_META_TIME_DAY, 1);
constexpr f::field meta_hour =
    keyed("meta hour", source::meta, NFT_META_TIME_HOUR, 4);
// Where an IPv6 extension header is: its fields need IPv6 (nft's
// dependency; in a bridge table the frame's ether type).
constexpr f::field ip6_exthdrs = [] {
  auto fl =
      payload("ip6 exthdr", network, 40, 1, shape::integer_be, NFPROTO_IPV6);
  fl.typed_in_bridge = true;
  return fl;
}();
// The bytes that hold fields of less than a byte (their rows' masks say
// which bits), and ip frag-off (flags and offset, 16 bits).
constexpr f::field ip_byte0 = payload("ip version/hdrlength", network, 0, 1,
                                      shape::integer_be, NFPROTO_IPV4);
constexpr f::field ip_byte1 =
    payload("ip dscp/ecn", network, 1, 1, shape::integer_be, NFPROTO_IPV4);
constexpr f::field ip_frag_off =
    payload("ip frag-off", network, 6, 2, shape::integer_be, NFPROTO_IPV4);
constexpr f::field ip6_byte0 =
    payload("ip6 version", network, 0, 1, shape::integer_be, NFPROTO_IPV6);
constexpr f::field ip6_bytes01 =
    payload("ip6 dscp", network, 0, 2, shape::integer_be, NFPROTO_IPV6);
constexpr f::field ip6_byte1 =
    payload("ip6 ecn", network, 1, 1, shape::integer_be, NFPROTO_IPV6);
constexpr f::field ip6_bytes123 =
    payload("ip6 flowlabel", network, 1, 3, shape::integer_be, NFPROTO_IPV6);

// Sized by its rows: a count written by hand once left a null row that
// the writer's lookup (field_where) dereferenced. tcp dport comes before
// th dport: the writer takes the first row that fits the rule.
constexpr auto fields = std::to_array<named_field>({
    {"ether", "daddr", &ether_daddr, "ether_addr"},
    {"ether", "saddr", &ether_saddr, "ether_addr"},
    {"ether", "type", &ether_type, "ether_type"},
    {"vlan", "id", &vlan_tci, "integer", 0x0fff},
    {"vlan", "pcp", &vlan_tci_high, "integer", 0xe0},
    {"vlan", "dei", &vlan_tci_high, "integer", 0x10},
    {"vlan", "type", &vlan_type, "ether_type"},
    {"ip", "saddr", &f::ip::saddr, "ipv4_addr"},
    {"ip", "daddr", &f::ip::daddr, "ipv4_addr"},
    {"ip", "protocol", &f::ip::protocol, "inet_proto"},
    {"ip", "ttl", &ip_ttl, "integer"},
    {"ip", "length", &ip_length, "integer"},
    {"ip6", "saddr", &f::ip6::saddr, "ipv6_addr"},
    {"ip6", "daddr", &f::ip6::daddr, "ipv6_addr"},
    {"ip6", "nexthdr", &ip6_nexthdr, "inet_proto"},
    {"ip6", "hoplimit", &ip6_hoplimit, "integer"},
    {"tcp", "sport", &f::tcp::sport, "inet_service"},
    {"tcp", "dport", &f::tcp::dport, "inet_service"},
    {"tcp", "sequence", &tcp_sequence, "integer"},
    {"tcp", "ackseq", &tcp_ackseq, "integer"},
    {"tcp", "flags", &tcp_flags, "tcp_flag"},
    {"tcp", "window", &tcp_window, "integer"},
    {"tcp", "urgptr", &tcp_urgptr, "integer"},
    {"udp", "sport", &f::udp::sport, "inet_service"},
    {"udp", "dport", &f::udp::dport, "inet_service"},
    {"udp", "length", &udp_length, "integer"},
    {"th", "sport", &th_sport, "inet_service"},
    {"th", "dport", &th_dport, "inet_service"},
    {"icmp", "type", &icmp_type, "icmp_type"},
    {"icmp", "code", &icmp_code, "icmp_code"},
    {"icmpv6", "type", &icmpv6_type, "icmpv6_type"},
    {"icmpv6", "code", &icmpv6_code, "icmpv6_code"},
    {"meta", "l4proto", &f::meta::l4proto, "inet_proto"},
    {"meta", "nfproto", &f::meta::nfproto, "nf_proto"},
    {"meta", "mark", &f::meta::mark, "mark"},
    {"meta", "iif", &f::meta::iif, "iface_index"},
    {"meta", "oif", &f::meta::oif, "iface_index"},
    {"meta", "iifname", &f::meta::iifname, "ifname"},
    {"meta", "oifname", &f::meta::oifname, "ifname"},
    {"meta", "skuid", &f::meta::skuid, "uid"},
    {"meta", "skgid", &f::meta::skgid, "gid"},
    {"meta", "pkttype", &meta_pkttype, "pkt_type"},
    {"meta", "length", &meta_length, "integer"},
    {"meta", "protocol", &meta_protocol, "ether_type"},
    {"meta", "iiftype", &meta_iiftype, "iface_type"},
    {"meta", "oiftype", &meta_oiftype, "iface_type"},
    {"meta", "cpu", &meta_cpu, "integer"},
    {"ct", "state", &f::ct::state, "ct_state"},
    {"ct", "mark", &f::ct::mark, "mark"},
    {"ct", "status", &ct_status, "ct_status"},
    {"ct", "direction", &ct_direction, "ct_dir"},
    {"ct", "zone", &ct_zone, "integer"},
    {"meta", "priority", &meta_priority, "classid"},
    {"meta", "nftrace", &meta_nftrace, "integer"},
    {"ip", "version", &ip_byte0, "integer", 0xf0},
    {"ip", "hdrlength", &ip_byte0, "integer", 0x0f},
    {"ip", "dscp", &ip_byte1, "dscp", 0xfc},
    {"ip", "ecn", &ip_byte1, "ecn", 0x03},
    {"ip", "frag-off", &ip_frag_off, "integer"},
    {"ip6", "version", &ip6_byte0, "integer", 0xf0},
    {"ip6", "dscp", &ip6_bytes01, "dscp", 0x0fc0},
    {"ip6", "ecn", &ip6_byte1, "ecn", 0x30},
    {"ip6", "flowlabel", &ip6_bytes123, "integer", 0x0fffff},
    {"meta", "time", &meta_time, "time"},
    {"meta", "day", &meta_day, "day"},
    {"meta", "hour", &meta_hour, "hour"},
});

// A word of `table` at `path`, or an error naming what it is.
std::uint32_t need_code(std::span<const name_code> table, const value& v,
                        const std::string& path, std::string_view what) {
  auto n = v.is_string() ? code_of(table, v.get<std::string>()) : std::nullopt;
  if (!n)
    fail(path, "unknown " + std::string{what} + " " + v.dump());
  return *n;
}

operand read_fib(const value& v, const std::string& path) {
  auto res = need_string(v, "result", path);
  auto r = need_code(fib_results, field_or_null(v, "result"), path + ".result",
                     "fib result");
  std::uint32_t flags = 0;
  const value& fl = field_or_null(v, "flags");
  if (fl.is_array())
    for (std::size_t i = 0; i < fl.size(); ++i)
      flags |=
          need_code(fib_flags, fl[i],
                    path + ".flags[" + std::to_string(i) + "]", "fib flag");
  else
    flags |= need_code(fib_flags, fl, path + ".flags", "fib flag");
  operand o;
  o.name = "fib " + res;
  o.load = expr::fib{.dreg = 0, .result = r, .flags = flags};
  o.type = &type_named(fib_result_type(r));
  o.len = o.type->len;
  return o;
}

operand read_numgen(const value& v, const std::string& path) {
  auto mode = need_string(v, "mode", path);
  expr::numgen n;
  n.type = need_code(numgen_modes, field_or_null(v, "mode"), path + ".mode",
                     "numgen mode");
  n.modulus = static_cast<std::uint32_t>(
      need_uint(field_or_null(v, "mod"), path + ".mod", UINT32_MAX));
  if (auto* off = member(v, "offset"))
    if (auto x = need_uint(*off, path + ".offset", UINT32_MAX))
      n.offset = static_cast<std::uint32_t>(x);
  operand o;
  o.name = "numgen";
  o.load = n;
  o.type = &type_named("integer");
  o.len = 4;
  return o;
}

operand read_socket(const value& v, const std::string& path) {
  auto key = need_string(v, "key", path);
  auto k = code_of(socket_keys, key);
  if (!k)
    fail(path, "unsupported socket key '" + key + "'");
  operand o;
  o.name = "socket " + key;
  o.load = expr::socket{.key = *k, .dreg = 0, .level = {}};
  bool mark = *k == NFT_SOCKET_MARK;
  o.type = &type_named(mark ? "mark" : "boolean");
  o.len = mark ? 4 : 1;
  return o;
}

// {"jhash": {"mod", "seed", "offset", "expr": operand or concat}} and
// {"symhash": {"mod", "offset"}}: nft hashes what it loads from the
// register after the result's on (NFTA_HASH_SREG set by load()).
operand read_hash(std::uint32_t type, const value& v, const std::string& path) {
  expr::hash h;
  h.type = type;
  h.modulus = static_cast<std::uint32_t>(
      need_uint(field_or_null(v, "mod"), path + ".mod", UINT32_MAX));
  if (auto* off = member(v, "offset"))
    if (auto x = need_uint(*off, path + ".offset", UINT32_MAX))
      h.offset = static_cast<std::uint32_t>(x); // the kernel lists only != 0
  operand o;
  if (type == NFT_HASH_JENKINS) {
    auto* e = member(v, "expr");
    if (!e)
      fail(path, "jhash needs \"expr\"");
    o.inputs = read_operands(*e, path + ".expr");
    auto k = key_of(o.inputs);
    h.len = o.inputs.size() == 1 ? o.inputs[0].len : k.len();
    h.sreg = NFT_REG_2;
    // Without a seed the kernel picks one (and does not list it).
    if (auto* seed = member(v, "seed"))
      h.seed = static_cast<std::uint32_t>(
          need_uint(*seed, path + ".seed", UINT32_MAX));
  }
  o.name = std::string{*name_of(hash_types, type)};
  o.load = h;
  o.type = &type_named("integer");
  o.len = 4;
  return o;
}

// {"rt": {"key": "classid" | "nexthop" | "mtu" | "ipsec", "family"}}.
operand read_rt(const value& v, const std::string& path) {
  auto key = need_string(v, "key", path);
  auto* fam = member(v, "family");
  std::string family = fam && fam->is_string() ? fam->get<std::string>() : "";
  for (auto& k : rt_keys)
    if (k.name == key && k.family == family) {
      operand o;
      o.name = "rt " + key;
      o.load = expr::rt{.key = k.key, .dreg = 0};
      o.type = &rt_type(k);
      o.len = k.len;
      return o;
    }
  fail(path, "unsupported rt key '" + key + "'" +
                 (family.empty() ? "" : " of family " + family));
}

// {"exthdr": {"name", "field"}}, {"tcp option": {"name", "field"}}; no
// field: the header or option's presence (true / false).
operand read_exthdr(std::uint32_t op, const value& v, const std::string& path) {
  auto name = need_string(v, "name", path);
  auto field = member(v, "field") ? need_string(v, "field", path) : "";
  for (auto& f : exthdr_fields)
    if (f.op == op && f.name == name && f.field == field) {
      operand o;
      o.mask = f.mask;
      o.shift = f.mask ? std::countr_zero(f.mask) : 0;
      if (op == NFT_EXTHDR_OP_IPV6)
        o.needs = &ip6_exthdrs;
      o.name = std::string{exthdr_key(op)} + " " + name + " " + field;
      o.load = expr::exthdr{
          .dreg = 0,
          .sreg = {},
          .type = f.type,
          .offset = f.offset,
          .len = f.len,
          .flags = field.empty() ? std::uint32_t{NFT_EXTHDR_F_PRESENT} : 0u,
          .op = op};
      o.type = &exthdr_type(f);
      o.len = f.len;
      return o;
    }
  fail(path, "unsupported " + std::string{exthdr_key(op)} + " '" + name +
                 (field.empty() ? "" : " " + field) + "'");
}

// nft's type of `e`; an integer in the field's size and byte order, so
// that a set of it holds the bytes the field has (ip length { 100, 200 }).
const dtype* type_of(const named_field& e) {
  if (e.type != "integer")
    return &type_named(e.type);
  return &integer_type(e.fld->len, network_order(*e.fld));
}

// A packet field: {"payload": {"protocol", "field"}}, {"meta": {"key"}},
// {"ct": {"key"}}.
operand read_field(const value& left, const std::string& path) {
  std::string a, b;
  if (auto* p = member(left, "payload")) {
    a = need_string(*p, "protocol", path + ".payload");
    b = need_string(*p, "field", path + ".payload");
  } else if (auto* m = member(left, "meta")) {
    a = "meta";
    b = need_string(*m, "key", path + ".meta");
  } else if (auto* c = member(left, "ct")) {
    if (member(*c, "dir") || member(*c, "family"))
      fail(path + ".ct", "ct with a direction or family is not supported");
    a = "ct";
    b = need_string(*c, "key", path + ".ct");
  } else {
    fail(path, "unsupported operand " + left.dump());
  }
  for (auto& e : fields)
    if (e.a == a && e.b == b)
      return operand{.name = a + " " + b,
                     .fld = e.fld,
                     .load = {},
                     .len = e.fld->len,
                     .type = type_of(e),
                     .inputs = {},
                     .mask = e.mask,
                     .shift = e.mask ? std::countr_zero(e.mask) : 0};
  fail(path, "unsupported field '" + a + " " + b + "'");
}

// Operands that are expressions, by their JSON key.
struct operand_kind {
  std::string_view key;
  operand (*read)(const value&, const std::string&);
};

constexpr std::array<operand_kind, 8> operand_kinds{{
    {"fib", read_fib},
    {"numgen", read_numgen},
    {"socket", read_socket},
    {"jhash",
     [](const value& v, const std::string& p) {
       return read_hash(NFT_HASH_JENKINS, v, p);
     }},
    {"symhash",
     [](const value& v, const std::string& p) {
       return read_hash(NFT_HASH_SYM, v, p);
     }},
    {"rt", read_rt},
    {"exthdr",
     [](const value& v, const std::string& p) {
       return read_exthdr(NFT_EXTHDR_OP_IPV6, v, p);
     }},
    {"tcp option",
     [](const value& v, const std::string& p) {
       return read_exthdr(NFT_EXTHDR_OP_TCPOPT, v, p);
     }},
}};

// The register of the 32-bit word `word` (0: NFT_REG_1's first) as nft
// and the kernel number it: a 128-bit register where one starts
// (netlink_put_register, nft_dump_register), else NFT_REG32_*.
std::uint32_t reg_at(std::uint32_t word) {
  return word % 4 == 0 ? NFT_REG_1 + word / 4 : NFT_REG32_00 + word;
}

void require_all(f::rule_builder& rb, const std::vector<operand>& ops) {
  for (auto& o : ops) {
    if (const auto* dep = o.fld ? o.fld : o.needs)
      rb.require(*dep);
    require_all(rb, o.inputs);
  }
}

// Loads `ops` from the 32-bit word `word` on.
void load_from(f::rule_builder& rb, const std::vector<operand>& ops,
               std::uint32_t word) {
  for (auto& o : ops) {
    auto reg = reg_at(word);
    if (o.fld) {
      switch (o.fld->from) {
      case source::payload: {
        expr::payload p;
        p.dreg = reg;
        p.base = o.fld->key;
        p.offset = o.fld->offset;
        p.len = o.fld->len;
        rb.then(p);
        break;
      }
      case source::meta:
        rb.then(expr::meta{.key = o.fld->key, .dreg = reg, .sreg = {}});
        break;
      case source::ct: {
        expr::ct c;
        c.dreg = reg;
        c.key = o.fld->key;
        rb.then(c);
        break;
      }
      }
    } else {
      // What a hash hashes goes in the register after its result's.
      load_from(rb, o.inputs, word + 4);
      auto e = *o.load;
      std::visit(
          [&](auto& x) {
            if constexpr (requires { x.dreg = reg; })
              x.dreg = reg;
            if constexpr (std::is_same_v<std::decay_t<decltype(x)>, expr::hash>)
              if (x.sreg)
                x.sreg = reg_at(word + 4);
          },
          e.value);
      rb.then(std::move(e));
    }
    if (o.mask) {
      expr::bitwise b;
      b.sreg = reg;
      b.dreg = reg;
      b.len = o.len;
      b.mask = make_value(operand_bytes(o, o.mask));
      b.xor_ = make_value(byte_buffer(o.len, 0));
      rb.then(std::move(b));
    }
    word += (o.len + 3) / 4;
  }
}

} // namespace

bool big_endian(const operand& o) {
  return !o.fld || network_order(*o.fld);
}

bool network_order(const f::field& fld) {
  return fld.from == source::payload || fld.kind == f::field::shape::integer_be;
}

byte_buffer operand_bytes(const operand& o, std::uint64_t n) {
  return o.fld ? field_bytes(*o.fld, n) : make_be(n, o.len).value;
}

byte_buffer keep_mask(const f::field& fld, std::uint64_t mask,
                      std::uint32_t start, std::uint32_t len) {
  std::uint64_t all =
      fld.len >= 8 ? UINT64_MAX : (std::uint64_t{1} << (8 * fld.len)) - 1;
  auto keep = field_bytes(fld, ~(mask ? mask : all) & all);
  byte_buffer out(len, 0xff);
  for (std::uint32_t i = 0; i < fld.len; ++i)
    if (fld.offset + i >= start && fld.offset + i < start + len)
      out[fld.offset + i - start] = keep[i];
  return out;
}

byte_buffer field_bytes(const f::field& fld, std::uint64_t n) {
  byte_buffer out(fld.len, 0);
  store_uint(out, n, network_order(fld) ? byte_order::big : byte_order::host);
  return out;
}

std::span<const named_field> known_fields() {
  return fields;
}

const dtype& type_named(std::string_view name) {
  auto* t = find_dtype(name);
  if (!t)
    throw std::logic_error{"nft/json: no type " + std::string{name}};
  return *t;
}

operand read_operand(const value& left, const std::string& path) {
  for (auto& k : operand_kinds)
    if (auto* v = member(left, k.key))
      return k.read(*v, path + "." + std::string{k.key});
  return read_field(left, path);
}

std::vector<operand> read_operands(const value& left, const std::string& path) {
  std::vector<operand> out;
  if (auto* c = member(left, "concat")) {
    if (!c->is_array() || c->size() < 2)
      fail(path + ".concat", "a concatenation has two or more parts");
    for (std::size_t i = 0; i < c->size(); ++i)
      out.push_back(
          read_operand((*c)[i], path + ".concat[" + std::to_string(i) + "]"));
  } else {
    out.push_back(read_operand(left, path));
  }
  return out;
}

key_type key_of(const std::vector<operand>& ops) {
  key_type k;
  for (auto& o : ops)
    k.parts.push_back(o.type);
  return k;
}

std::uint32_t load(f::rule_builder& rb, const std::vector<operand>& ops) {
  // Dependencies first: they use register 1 too.
  require_all(rb, ops);
  load_from(rb, ops, 0);
  return NFT_REG_1;
}

} // namespace nfactor::nft::json::detail
