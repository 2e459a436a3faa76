// SPDX-License-Identifier: Apache-2.0
//
// nft JSON statements ("expr" of a rule) → the rule front (rule_builder),
// which emits the expressions nft emits for them.
#include <array>
#include <cstring>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <arpa/inet.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>

#include "nfactor/nft/json.hpp"
#include "nfactor/nft/rule_builder.hpp"
#include "reader.hpp"

namespace nfactor::nft::json::detail {

namespace {

namespace f = front;

// -- operands -----------------------------------------------------------------

// Fields the rule front does not define (same layout as rule_builder.hpp).
constexpr f::field ip_ttl{"ip ttl",
                          f::field::source::payload,
                          NFT_PAYLOAD_NETWORK_HEADER,
                          8,
                          1,
                          f::field::shape::integer_be,
                          NFPROTO_IPV4,
                          0};
constexpr f::field ip_length{"ip length",
                             f::field::source::payload,
                             NFT_PAYLOAD_NETWORK_HEADER,
                             2,
                             2,
                             f::field::shape::integer_be,
                             NFPROTO_IPV4,
                             0};
constexpr f::field ip6_nexthdr{"ip6 nexthdr",
                               f::field::source::payload,
                               NFT_PAYLOAD_NETWORK_HEADER,
                               6,
                               1,
                               f::field::shape::integer_be,
                               NFPROTO_IPV6,
                               0};
constexpr f::field ip6_hoplimit{"ip6 hoplimit",
                                f::field::source::payload,
                                NFT_PAYLOAD_NETWORK_HEADER,
                                7,
                                1,
                                f::field::shape::integer_be,
                                NFPROTO_IPV6,
                                0};
constexpr f::field icmp_type{"icmp type",
                             f::field::source::payload,
                             NFT_PAYLOAD_TRANSPORT_HEADER,
                             0,
                             1,
                             f::field::shape::integer_be,
                             NFPROTO_IPV4,
                             1};
constexpr f::field meta_pkttype{"meta pkttype",
                                f::field::source::meta,
                                NFT_META_PKTTYPE,
                                0,
                                1,
                                f::field::shape::integer_ne,
                                0,
                                0};
constexpr f::field meta_length{"meta length",
                               f::field::source::meta,
                               NFT_META_LEN,
                               0,
                               4,
                               f::field::shape::integer_ne,
                               0,
                               0};
constexpr f::field meta_protocol{"meta protocol",
                                 f::field::source::meta,
                                 NFT_META_PROTOCOL,
                                 0,
                                 2,
                                 f::field::shape::integer_be,
                                 0,
                                 0};
constexpr f::field meta_iiftype{"meta iiftype",
                                f::field::source::meta,
                                NFT_META_IIFTYPE,
                                0,
                                2,
                                f::field::shape::integer_ne,
                                0,
                                0};
constexpr f::field meta_oiftype{"meta oiftype",
                                f::field::source::meta,
                                NFT_META_OIFTYPE,
                                0,
                                2,
                                f::field::shape::integer_ne,
                                0,
                                0};
constexpr f::field meta_cpu{"meta cpu",
                            f::field::source::meta,
                            NFT_META_CPU,
                            0,
                            4,
                            f::field::shape::integer_ne,
                            0,
                            0};
constexpr f::field ct_status{"ct status",
                             f::field::source::ct,
                             NFT_CT_STATUS,
                             0,
                             4,
                             f::field::shape::bits,
                             0,
                             0};
constexpr f::field ct_direction{"ct direction",
                                f::field::source::ct,
                                NFT_CT_DIRECTION,
                                0,
                                1,
                                f::field::shape::integer_ne,
                                0,
                                0};

constexpr std::array<named_field, 33> fields{{
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
    {"udp", "sport", &f::udp::sport, "inet_service"},
    {"udp", "dport", &f::udp::dport, "inet_service"},
    {"icmp", "type", &icmp_type, "icmp_type"},
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
}};

// The integer types the front's field shapes stand for, by length.
const dtype& type_named(std::string_view name) {
  auto* t = find_dtype(name);
  if (!t)
    throw std::logic_error{"nft/json: no type " + std::string{name}};
  return *t;
}

// One part of what a match or a map looks at: a packet field, or an
// expression that loads a value (fib, numgen, socket).
struct operand {
  std::string name;
  const f::field* fld = nullptr;
  std::optional<expression> load; // when not a field (dreg set on use)
  std::uint32_t len = 0;
  const dtype* type = nullptr;
};

struct name_code {
  std::string_view name;
  std::uint32_t value;
};

template <std::size_t N>
std::optional<std::uint32_t> lookup(const std::array<name_code, N>& table,
                                    std::string_view name) {
  for (auto& e : table)
    if (e.name == name)
      return e.value;
  return std::nullopt;
}

constexpr std::array<name_code, 3> fib_results{{
    {"oif", NFT_FIB_RESULT_OIF},
    {"oifname", NFT_FIB_RESULT_OIFNAME},
    {"type", NFT_FIB_RESULT_ADDRTYPE},
}};
constexpr std::array<name_code, 5> fib_flags{{
    {"saddr", NFTA_FIB_F_SADDR},
    {"daddr", NFTA_FIB_F_DADDR},
    {"mark", NFTA_FIB_F_MARK},
    {"iif", NFTA_FIB_F_IIF},
    {"oif", NFTA_FIB_F_OIF},
}};
constexpr std::array<name_code, 3> socket_keys{{
    {"transparent", NFT_SOCKET_TRANSPARENT},
    {"mark", NFT_SOCKET_MARK},
    {"wildcard", NFT_SOCKET_WILDCARD},
}};

operand read_fib(const value& v, const std::string& path) {
  operand o;
  auto res = need_string(v, "result", path);
  auto r = lookup(fib_results, res);
  if (!r)
    fail(path + ".result", "unknown fib result '" + res + "'");
  std::uint32_t flags = 0;
  const value& fl = field_or_null(v, "flags");
  auto flag = [&](const value& x, const std::string& p) {
    auto n =
        x.is_string() ? lookup(fib_flags, x.get<std::string>()) : std::nullopt;
    if (!n)
      fail(p, "unknown fib flag " + x.dump());
    flags |= *n;
  };
  if (fl.is_array())
    for (std::size_t i = 0; i < fl.size(); ++i)
      flag(fl[i], path + ".flags[" + std::to_string(i) + "]");
  else
    flag(fl, path + ".flags");
  o.name = "fib " + res;
  o.load = expr::fib{.dreg = 0, .result = *r, .flags = flags};
  o.type = &type_named(*r == NFT_FIB_RESULT_OIF       ? "iface_index"
                       : *r == NFT_FIB_RESULT_OIFNAME ? "ifname"
                                                      : "fib_addrtype");
  o.len = o.type->len;
  return o;
}

operand read_numgen(const value& v, const std::string& path) {
  operand o;
  auto mode = need_string(v, "mode", path);
  if (mode != "inc" && mode != "random")
    fail(path + ".mode", "unknown numgen mode '" + mode + "'");
  expr::numgen n;
  n.type = mode == "inc" ? NFT_NG_INCREMENTAL : NFT_NG_RANDOM;
  n.modulus = static_cast<std::uint32_t>(
      need_uint(field_or_null(v, "mod"), path + ".mod", UINT32_MAX));
  if (auto* off = member(v, "offset"))
    if (auto x = need_uint(*off, path + ".offset", UINT32_MAX))
      n.offset = static_cast<std::uint32_t>(x);
  o.name = "numgen";
  o.load = n;
  o.type = &type_named("integer");
  o.len = 4;
  return o;
}

operand read_operand(const value& left, const std::string& path) {
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
  } else if (auto* fb = member(left, "fib")) {
    return read_fib(*fb, path + ".fib");
  } else if (auto* ng = member(left, "numgen")) {
    return read_numgen(*ng, path + ".numgen");
  } else if (auto* so = member(left, "socket")) {
    auto key = need_string(*so, "key", path + ".socket");
    auto k = lookup(socket_keys, key);
    if (!k)
      fail(path + ".socket", "unsupported socket key '" + key + "'");
    operand o;
    o.name = "socket " + key;
    o.load = expr::socket{.key = *k, .dreg = 0, .level = {}};
    o.type = &type_named(*k == NFT_SOCKET_MARK ? "mark" : "integer");
    o.len = *k == NFT_SOCKET_MARK ? 4 : 1;
    if (*k != NFT_SOCKET_MARK)
      o.type = &type_named("boolean");
    return o;
  } else {
    fail(path, "unsupported operand " + left.dump());
  }
  for (auto& e : fields)
    if (e.a == a && e.b == b)
      return operand{.name = a + " " + b,
                     .fld = e.fld,
                     .load = {},
                     .len = e.fld->len,
                     .type = &type_named(e.type)};
  fail(path, "unsupported field '" + a + " " + b + "'");
}

// The operands of `left`: one, or the parts of {"concat": [...]}.
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

// Loads the operands into registers as nft does: the first into reg 1,
// each further part into the next 32-bit register after the previous
// part (NFT_REG32_00 + words used). Returns the first register.
std::uint32_t load(f::rule_builder& rb, const std::vector<operand>& ops) {
  // Dependencies first: they use register 1 too.
  for (auto& o : ops)
    if (o.fld)
      rb.require(*o.fld);
  std::uint32_t words = 0;
  for (auto& o : ops) {
    auto reg = words == 0 ? std::uint32_t{NFT_REG_1} : NFT_REG32_00 + words;
    if (o.fld) {
      switch (o.fld->from) {
      case f::field::source::payload: {
        expr::payload p;
        p.dreg = reg;
        p.base = o.fld->key;
        p.offset = o.fld->offset;
        p.len = o.fld->len;
        rb.then(p);
        break;
      }
      case f::field::source::meta:
        rb.then(expr::meta{.key = o.fld->key, .dreg = reg, .sreg = {}});
        break;
      case f::field::source::ct: {
        expr::ct c;
        c.dreg = reg;
        c.key = o.fld->key;
        rb.then(c);
        break;
      }
      }
    } else {
      auto e = *o.load;
      std::visit(
          [&](auto& x) {
            if constexpr (requires { x.dreg = reg; })
              x.dreg = reg;
          },
          e.value);
      rb.then(std::move(e));
    }
    words += (o.len + 3) / 4;
  }
  return NFT_REG_1;
}

// An anonymous set (or map) of the rule's table holding `elems`; returns
// the lookup that refers to it (sreg/dreg/flags for the caller to set).
expr::lookup anonymous_set(const rule& r, const key_type& key,
                           const value& elems, bool verdicts,
                           const std::string& path, context& cx) {
  set_spec spec;
  spec.key = key;
  spec.verdicts = verdicts;
  if (!elems.is_array())
    fail(path, "needs an array");
  for (auto& e : elems) {
    const value& k = verdicts && e.is_array() && !e.empty() ? e[0] : e;
    if (member(k, "prefix") || member(k, "range"))
      spec.interval = true;
  }
  if (spec.interval && key.parts.size() > 1)
    fail(path, "concatenated intervals are not supported");
  set s;
  s.family = r.family;
  s.table = r.table;
  s.name = verdicts ? "__map%d" : "__set%d";
  s.id = cx.next_set_id++;
  s.key_type = key.id();
  s.key_len = key.len();
  std::uint32_t flags = NFT_SET_ANONYMOUS | NFT_SET_CONSTANT;
  if (spec.interval)
    flags |= NFT_SET_INTERVAL;
  if (verdicts) {
    flags |= NFT_SET_MAP;
    s.data_type = NFT_DATA_VERDICT;
    s.data_len = 0;
  }
  s.flags = flags;
  s.userdata = set_userdata(key, nullptr);
  elem_list l;
  l.family = r.family;
  l.table = r.table;
  l.set = s.name;
  l.set_id = s.id;
  l.elems = read_elements(elems, spec, path, cx);
  s.desc = set_desc{.size = static_cast<std::uint32_t>(l.elems.size()),
                    .concat = {}};
  expr::lookup lk;
  lk.set = s.name;
  lk.set_id = s.id;
  cx.pending.push_back({verb::add, std::move(s), path});
  if (!l.elems.empty())
    cx.pending.push_back({verb::add, std::move(l), path});
  return lk;
}

// A match on a concatenation or a loaded operand (fib, numgen, socket),
// or a match of any operand against an anonymous set.
void read_general_match(const std::string& op, const std::vector<operand>& ops,
                        const value& right, f::rule_builder& rb, const rule& r,
                        const std::string& path, context& cx) {
  auto rpath = path + ".right";
  bool negate = op == "!=";
  auto key = key_of(ops);
  if (right.is_string() && right.get<std::string>().starts_with("@")) {
    if (op != "==" && op != "!=" && op != "in")
      fail(path, "a set lookup takes ==, != or in");
    auto reg = load(rb, ops);
    expr::lookup lk;
    lk.set = right.get<std::string>().substr(1);
    lk.sreg = reg;
    if (negate)
      lk.flags = NFT_LOOKUP_F_INV;
    rb.then(std::move(lk));
    return;
  }
  if (auto* s = member(right, "set")) {
    if (op != "==" && op != "!=" && op != "in")
      fail(path, "a set lookup takes ==, != or in");
    auto lk = anonymous_set(r, key, *s, false, rpath + ".set", cx);
    lk.sreg = load(rb, ops);
    if (negate)
      lk.flags = NFT_LOOKUP_F_INV;
    rb.then(std::move(lk));
    return;
  }
  std::uint32_t c = NFT_CMP_EQ;
  if (op == "!=")
    c = NFT_CMP_NEQ;
  else if (op != "==")
    fail(path, "'" + op + "' is not supported for " + ops[0].name);
  auto bytes = key_bytes(key, right, rpath, cx);
  auto reg = load(rb, ops);
  rb.then(expr::cmp{.sreg = reg, .op = c, .value = make_value(bytes)});
}

// A symbolic or numeric value of an integer field.
std::uint64_t integer_of(const operand& o, const value& v,
                         const std::string& path, const context& cx) {
  if (v.is_number_unsigned())
    return v.get<std::uint64_t>();
  if (!v.is_string())
    fail(path, o.name + " takes a number, not " + v.dump());
  auto b = scalar_bytes(*o.type, v, path, cx);
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < b.size() && i < 8; ++i) {
    auto byte = o.type->big_endian ? b[b.size() - 1 - i] : b[i];
    n |= std::uint64_t{byte} << (8 * i);
  }
  return n;
}

bool numeric(const f::field& fld) {
  return fld.kind == f::field::shape::integer_be ||
         fld.kind == f::field::shape::integer_ne ||
         fld.kind == f::field::shape::bits;
}

f::value scalar_of(const operand& o, const value& v, const std::string& path,
                   const context& cx) {
  if (numeric(*o.fld))
    return f::value{integer_of(o, v, path, cx)};
  if (!v.is_string())
    fail(path, o.name + " takes a string, not " + v.dump());
  return f::value{v.get<std::string>()};
}

void read_match(const value& m, f::rule_builder& rb, const rule& r,
                const std::string& path, context& cx) {
  auto op = need_string(m, "op", path);
  auto* left = member(m, "left");
  auto* right = member(m, "right");
  if (!left || !right)
    fail(path, "a match needs \"left\" and \"right\"");
  auto ops = read_operands(*left, path + ".left");
  auto rpath = path + ".right";
  bool negate = op == "!=";
  const auto& o = ops[0];
  // ct state / status: a list of names or one name, any bit set.
  if (ops.size() == 1 && o.fld && o.fld->kind == f::field::shape::bits &&
      !member(*right, "set") &&
      !(right->is_string() && right->get<std::string>().starts_with("@"))) {
    if (op != "==" && op != "in" && op != "!=")
      fail(path, o.name + " takes ==, != or in");
    std::uint64_t bits = 0;
    if (right->is_array()) {
      for (std::size_t i = 0; i < right->size(); ++i)
        bits |= integer_of(o, (*right)[i],
                           rpath + "[" + std::to_string(i) + "]", cx);
    } else {
      bits = integer_of(o, *right, rpath, cx);
    }
    rb.match(*o.fld, f::value{bits}, negate ? f::cmp_op::ne : f::cmp_op::eq);
    return;
  }
  if (ops.size() > 1 || !o.fld || member(*right, "set")) {
    read_general_match(op, ops, *right, rb, r, path, cx);
    return;
  }
  // Named set: "@name".
  if (right->is_string() && right->get<std::string>().starts_with("@")) {
    if (op != "==" && op != "!=" && op != "in")
      fail(path, "a set lookup takes ==, != or in");
    rb.match_set(*o.fld, right->get<std::string>().substr(1), negate);
    return;
  }
  if (auto* rg = member(*right, "range")) {
    if (!rg->is_array() || rg->size() != 2)
      fail(rpath, "a range has two ends");
    if (op != "==" && op != "!=")
      fail(path, "a range takes == or !=");
    rb.match(*o.fld,
             f::range_of{integer_of(o, (*rg)[0], rpath + ".range[0]", cx),
                         integer_of(o, (*rg)[1], rpath + ".range[1]", cx)},
             negate);
    return;
  }
  if (auto* p = member(*right, "prefix")) {
    if (op != "==" && op != "!=")
      fail(path, "a prefix takes == or !=");
    auto addr = need_string(*p, "addr", rpath + ".prefix");
    auto len = need_uint(field_or_null(*p, "len"), rpath + ".prefix.len", 128);
    rb.match(*o.fld, f::value{addr + "/" + std::to_string(len)},
             negate ? f::cmp_op::ne : f::cmp_op::eq);
    return;
  }
  if (right->is_object() || right->is_array())
    fail(rpath, "unsupported match value " + right->dump());
  // An order comparison of a host-order integer: nft turns the register
  // to network order first (byteorder hton), so the kernel's bytewise
  // compare orders numbers.
  if ((op == "<" || op == "<=" || op == ">" || op == ">=") &&
      o.fld->kind == f::field::shape::integer_ne && o.len > 1) {
    auto n = integer_of(o, *right, rpath, cx);
    if (o.len < 8 && n >> (8 * o.len))
      fail(rpath, "value does not fit " + o.name);
    auto reg = load(rb, ops);
    rb.then(expr::byteorder{.sreg = reg,
                            .dreg = reg,
                            .op = NFT_BYTEORDER_HTON,
                            .len = o.len,
                            .size = o.len == 2 ? 2u : 4u});
    std::uint32_t cop = op == "<"    ? NFT_CMP_LT
                        : op == "<=" ? NFT_CMP_LTE
                        : op == ">"  ? NFT_CMP_GT
                                     : NFT_CMP_GTE;
    rb.then(expr::cmp{.sreg = reg, .op = cop, .value = make_be(n, o.len)});
    return;
  }
  f::cmp_op c = f::cmp_op::eq;
  if (op == "==" || op == "in")
    c = f::cmp_op::eq;
  else if (op == "!=")
    c = f::cmp_op::ne;
  else if (op == "<")
    c = f::cmp_op::lt;
  else if (op == "<=")
    c = f::cmp_op::lte;
  else if (op == ">")
    c = f::cmp_op::gt;
  else if (op == ">=")
    c = f::cmp_op::gte;
  else
    fail(path, "unsupported operator '" + op + "'");
  rb.match(*o.fld, scalar_of(o, *right, rpath, cx), c);
}

// {"vmap": {"key": operand, "data": {"set": [[k, verdict], ...]} | "@m"}}
void read_vmap(const value& v, f::rule_builder& rb, const rule& r,
               const std::string& path, context& cx) {
  auto* key = member(v, "key");
  auto* data = member(v, "data");
  if (!key || !data)
    fail(path, "a vmap needs \"key\" and \"data\"");
  auto ops = read_operands(*key, path + ".key");
  expr::lookup lk;
  if (data->is_string() && data->get<std::string>().starts_with("@")) {
    lk.set = data->get<std::string>().substr(1);
  } else if (auto* s = member(*data, "set")) {
    lk = anonymous_set(r, key_of(ops), *s, true, path + ".data.set", cx);
  } else {
    fail(path + ".data", "needs {\"set\": [...]} or \"@map\"");
  }
  lk.sreg = load(rb, ops);
  lk.dreg = NFT_REG_VERDICT;
  rb.then(std::move(lk));
}

std::uint32_t log_level(const std::string& s, const std::string& path) {
  static constexpr std::array<std::string_view, 8> levels{
      "emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"};
  for (std::size_t i = 0; i < levels.size(); ++i)
    if (levels[i] == s)
      return static_cast<std::uint32_t>(i);
  fail(path, "unknown log level '" + s + "'");
}

void read_log(const value& v, f::rule_builder& rb, const std::string& path) {
  f::log_options o;
  if (v.is_object()) {
    for (auto& [k, x] : v.items()) {
      auto p = path + "." + k;
      if (k == "prefix")
        o.prefix = need_string(v, "prefix", path);
      else if (k == "group")
        o.group = static_cast<std::uint16_t>(need_uint(x, p, 0xffff));
      else if (k == "snaplen")
        o.snaplen = static_cast<std::uint32_t>(need_uint(x, p, 0xffffffff));
      else if (k == "queue-threshold")
        o.qthreshold = static_cast<std::uint16_t>(need_uint(x, p, 0xffff));
      else if (k == "level")
        o.level = x.is_string()
                      ? log_level(x.get<std::string>(), p)
                      : static_cast<std::uint32_t>(need_uint(x, p, 7));
      else
        fail(p, "unsupported log option");
    }
  }
  // The kernel fills in a syslog log's default level (warn) and dumps it:
  // send it, so a dump equals what was sent (reconcile compares them).
  if (!o.group && !o.level)
    o.level = 4;
  rb.log(o);
}

// Byte units of limit and quota (nft's data_unit_parse).
std::optional<std::uint64_t> byte_unit(std::string_view u) {
  if (u == "bytes")
    return 1;
  if (u == "kbytes")
    return 1024;
  if (u == "mbytes")
    return 1024 * 1024;
  if (u == "gbytes")
    return 1024 * 1024 * 1024;
  return std::nullopt;
}

void read_limit(const value& v, f::rule_builder& rb, const std::string& path) {
  rb.limit(read_limit_spec(v, path));
}

// {"quota": {"val": 10, "val_unit": "mbytes", "used": 0, "used_unit":
// "bytes", "inv": false}}
expr::quota read_quota(const value& v, const std::string& path) {
  auto amount = [&](std::string_view k, std::string_view uk) {
    auto* m = member(v, k);
    if (!m)
      return std::uint64_t{0};
    auto n = need_uint(*m, path + "." + std::string{k}, UINT64_MAX);
    auto* u = member(v, uk);
    auto unit = byte_unit(u && u->is_string() ? u->get<std::string>()
                                              : std::string{"bytes"});
    if (!unit)
      fail(path + "." + std::string{uk}, "unknown byte unit");
    return n * *unit;
  };
  expr::quota q;
  q.bytes = amount("val", "val_unit");
  auto* inv = member(v, "inv");
  q.flags = inv && inv->is_boolean() && inv->get<bool>()
                ? std::uint32_t{NFT_QUOTA_F_INV}
                : 0u;
  if (auto used = amount("used", "used_unit"))
    q.consumed = used;
  return q;
}

// A named object by name: {"counter": "c"}.
expr::objref objref_to(std::uint32_t type, const value& v) {
  expr::objref o;
  o.imm_type = type;
  o.imm_name = v.get<std::string>();
  return o;
}

// {"redirect": null} or {"redirect": {"port": 8080}}.
void read_redirect(const value& v, f::rule_builder& rb,
                   const std::string& path) {
  if (v.is_null()) {
    rb.then(expr::redir{});
    return;
  }
  for (auto& [k, x] : v.items())
    if (k != "port")
      fail(path + "." + k, "unsupported redirect option");
  auto port = need_uint(field_or_null(v, "port"), path + ".port", 0xffff);
  rb.then(expr::immediate{.dreg = NFT_REG_1, .value = make_be(port, 2)});
  rb.then(expr::redir{.reg_proto_min = NFT_REG_1,
                      .reg_proto_max = NFT_REG_1,
                      .flags = NF_NAT_RANGE_PROTO_SPECIFIED});
}

// {"set": {"op": "add"|"update", "elem": operand, "set": "@s"}}
void read_dynset(const value& v, f::rule_builder& rb, const std::string& path) {
  auto op = need_string(v, "op", path);
  auto name = need_string(v, "set", path);
  if (!name.starts_with("@"))
    fail(path + ".set", "needs \"@name\"");
  auto* elem = member(v, "elem");
  if (!elem)
    fail(path, "needs \"elem\"");
  expr::dynset d;
  if (op == "add")
    d.op = NFT_DYNSET_OP_ADD;
  else if (op == "update")
    d.op = NFT_DYNSET_OP_UPDATE;
  else if (op == "delete")
    d.op = NFT_DYNSET_OP_DELETE;
  else
    fail(path + ".op", "unknown set operation '" + op + "'");
  d.set_name = name.substr(1);
  d.sreg_key = load(rb, read_operands(*elem, path + ".elem"));
  rb.then(std::move(d));
}

// {"mangle": {"key": {"meta": {"key": "mark"}} | {"ct": {"key": "mark"}},
// "value": N}}
void read_mangle(const value& v, f::rule_builder& rb, const std::string& p) {
  const value& key = field_or_null(v, "key");
  auto mark = static_cast<std::uint32_t>(
      need_uint(field_or_null(v, "value"), p + ".value", 0xffffffff));
  if (auto* m = member(key, "meta");
      m && need_string(*m, "key", p + ".key.meta") == "mark") {
    rb.set_mark(mark);
    return;
  }
  if (auto* c = member(key, "ct");
      c && need_string(*c, "key", p + ".key.ct") == "mark" &&
      !member(*c, "dir")) {
    data d;
    d.value.resize(4);
    std::memcpy(d.value.data(), &mark, 4); // host order
    rb.then(expr::immediate{.dreg = NFT_REG_1, .value = std::move(d)});
    expr::ct c2;
    c2.key = NFT_CT_MARK;
    c2.sreg = NFT_REG_1;
    rb.then(c2);
    return;
  }
  fail(p, "only \"meta mark set\" and \"ct mark set\" are supported");
}

void read_nat(const std::string& kind, const value& v, f::rule_builder& rb,
              const std::string& path) {
  auto addr = need_string(v, "addr", path);
  for (auto& [k, x] : v.items())
    if (k != "addr" && k != "family")
      fail(path + "." + k, "unsupported " + kind + " option");
  // What nft sends (and the kernel dumps back): addr_min and addr_max in
  // one register, NF_NAT_RANGE_MAP_IPS.
  byte_buffer a(16, 0);
  bool v4 = ::inet_pton(AF_INET, addr.c_str(), a.data()) == 1;
  if (!v4 && ::inet_pton(AF_INET6, addr.c_str(), a.data()) != 1)
    fail(path + ".addr", "'" + addr + "' is not an address");
  a.resize(v4 ? 4 : 16);
  rb.then(expr::immediate{.dreg = NFT_REG_1, .value = make_value(a)});
  expr::nat n;
  n.type = kind == "snat" ? NFT_NAT_SNAT : NFT_NAT_DNAT;
  n.family = v4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
  n.reg_addr_min = NFT_REG_1;
  n.reg_addr_max = NFT_REG_1;
  n.flags = NF_NAT_RANGE_MAP_IPS;
  rb.then(n);
}

constexpr std::array<reject_code, 17> reject_codes{{
    {"icmp", "net-unreachable", 0},
    {"icmp", "host-unreachable", 1},
    {"icmp", "prot-unreachable", 2},
    {"icmp", "port-unreachable", 3},
    {"icmp", "net-prohibited", 9},
    {"icmp", "host-prohibited", 10},
    {"icmp", "admin-prohibited", 13},
    {"icmpv6", "no-route", 0},
    {"icmpv6", "admin-prohibited", 1},
    {"icmpv6", "addr-unreachable", 3},
    {"icmpv6", "port-unreachable", 4},
    {"icmpv6", "policy-fail", 5},
    {"icmpv6", "reject-route", 6},
    {"icmpx", "no-route", 0},
    {"icmpx", "port-unreachable", 1},
    {"icmpx", "host-unreachable", 2},
    {"icmpx", "admin-prohibited", 3},
}};

void read_reject(const value& v, f::rule_builder& rb, const std::string& p) {
  if (v.is_null()) {
    rb.reject(false);
    return;
  }
  auto type = need_string(v, "type", p);
  if (type == "tcp reset") {
    // nft -j lists the "meta l4proto tcp" dependency as its own match.
    rb.then(expr::reject{.type = NFT_REJECT_TCP_RST, .icmp_code = 0});
    return;
  }
  auto code = member(v, "expr") ? need_string(v, "expr", p)
                                : std::string{"port-unreachable"};
  for (auto& c : reject_codes) {
    if (c.type == type && c.name == code) {
      rb.then(expr::reject{.type = type == "icmpx" ? NFT_REJECT_ICMPX_UNREACH
                                                   : NFT_REJECT_ICMP_UNREACH,
                           .icmp_code = c.code});
      return;
    }
  }
  fail(p, "unsupported reject type '" + type + "' / code '" + code + "'");
}

void read_statement(const value& s, f::rule_builder& rb, const rule& r,
                    const std::string& path, context& cx) {
  if (!s.is_object() || s.size() != 1)
    fail(path, "a statement is an object with one member");
  // Named, not a structured binding: lambdas below capture them.
  auto first = s.begin();
  const std::string kind = first.key();
  const value& v = first.value();
  auto p = path + "." + kind;
  auto none = [&] {
    if (!v.is_null())
      fail(p, kind + " takes no options here (null)");
  };
  if (kind == "match") {
    read_match(v, rb, r, p, cx);
  } else if (kind == "vmap") {
    read_vmap(v, rb, r, p, cx);
  } else if (kind == "counter") {
    if (v.is_string())
      rb.then(objref_to(NFT_OBJECT_COUNTER, v));
    else if (v.is_null() || v.is_object())
      rb.counter();
    else
      fail(p, "counter takes null, an object or a counter's name");
  } else if (kind == "quota") {
    if (v.is_string())
      rb.then(objref_to(NFT_OBJECT_QUOTA, v));
    else if (v.is_object())
      rb.then(read_quota(v, p));
    else
      fail(p, "quota takes an object or a quota's name");
  } else if (kind == "ct count") {
    auto* inv = member(v, "inv");
    rb.then(
        expr::connlimit{.count = static_cast<std::uint32_t>(need_uint(
                            field_or_null(v, "val"), p + ".val", UINT32_MAX)),
                        .flags = inv && inv->is_boolean() && inv->get<bool>()
                                     ? std::uint32_t{NFT_CONNLIMIT_F_INV}
                                     : 0u});
  } else if (kind == "redirect") {
    read_redirect(v, rb, p);
  } else if (kind == "set") {
    read_dynset(v, rb, p);
  } else if (kind == "accept") {
    none();
    rb.accept();
  } else if (kind == "drop") {
    none();
    rb.drop();
  } else if (kind == "return") {
    none();
    rb.ret();
  } else if (kind == "continue") {
    none();
    rb.next();
  } else if (kind == "jump") {
    rb.jump(need_string(v, "target", p));
  } else if (kind == "goto") {
    rb.go_to(need_string(v, "target", p));
  } else if (kind == "log") {
    read_log(v, rb, p);
  } else if (kind == "limit") {
    if (v.is_string())
      rb.then(objref_to(NFT_OBJECT_LIMIT, v));
    else if (v.is_object())
      read_limit(v, rb, p);
    else
      fail(p, "limit takes an object or a limit's name");
  } else if (kind == "mangle") {
    read_mangle(v, rb, p);
  } else if (kind == "notrack") {
    none();
    rb.notrack();
  } else if (kind == "masquerade") {
    none();
    rb.masquerade();
  } else if (kind == "snat" || kind == "dnat") {
    read_nat(kind, v, rb, p);
  } else if (kind == "reject") {
    read_reject(v, rb, p);
  } else if (kind == "queue") {
    bool bypass = false;
    if (auto* fl = member(v, "flags")) {
      if (fl->is_string() && fl->get<std::string>() == "bypass")
        bypass = true;
      else if (fl->is_array() && fl->size() == 1 && (*fl)[0] == "bypass")
        bypass = true;
      else
        fail(p + ".flags", "only the bypass flag is supported");
    }
    rb.queue(static_cast<std::uint16_t>(need_uint(
                 v.contains("num") ? v["num"] : value{0}, p + ".num", 0xffff)),
             bypass);
  } else {
    fail(p, "unsupported statement '" + kind + "'");
  }
}

} // namespace

std::span<const named_field> known_fields() {
  return fields;
}

std::span<const reject_code> reject_code_names() {
  return reject_codes;
}

limit_spec read_limit_spec(const value& v, const std::string& path) {
  limit_spec o;
  o.rate = need_uint(field_or_null(v, "rate"), path + ".rate", UINT64_MAX);
  auto unit = v.contains("rate_unit") ? need_string(v, "rate_unit", path)
                                      : std::string{"packets"};
  if (unit != "packets") {
    auto mult = byte_unit(unit);
    if (!mult)
      fail(path + ".rate_unit", "unsupported rate unit '" + unit + "'");
    o.bytes = true;
    o.rate *= *mult;
  }
  auto per =
      v.contains("per") ? need_string(v, "per", path) : std::string{"second"};
  static constexpr std::array<name_code, 5> units{{{"second", 1},
                                                   {"minute", 60},
                                                   {"hour", 3600},
                                                   {"day", 86400},
                                                   {"week", 604800}}};
  auto u = lookup(units, per);
  if (!u)
    fail(path + ".per", "unknown time unit '" + per + "'");
  o.unit = *u;
  o.burst = o.bytes ? 0 : 5; // nft's defaults
  if (v.contains("burst")) {
    auto b = need_uint(v["burst"], path + ".burst", 0xffffffff);
    if (o.bytes) {
      auto bu = v.contains("burst_unit") ? need_string(v, "burst_unit", path)
                                         : std::string{"bytes"};
      auto mult = byte_unit(bu);
      if (!mult)
        fail(path + ".burst_unit", "unsupported burst unit '" + bu + "'");
      b *= *mult;
    }
    o.burst = static_cast<std::uint32_t>(b);
  }
  if (v.contains("inv"))
    o.over = v["inv"].is_boolean() && v["inv"].get<bool>();
  return o;
}

void read_statements(const value& exprs, rule& r, const std::string& path,
                     context& cx) {
  if (!exprs.is_array())
    fail(path, "\"expr\" must be an array");
  f::rule_builder rb{static_cast<nfnl::family>(r.family), r.table, r.chain};
  for (std::size_t i = 0; i < exprs.size(); ++i) {
    auto p = path + "[" + std::to_string(i) + "]";
    read_statement(exprs[i], rb, r, p, cx);
    // The builder keeps its first error; surface it with this path.
    if (auto res = rb.build(); !res)
      fail(p, res.err().message());
  }
  auto res = std::move(rb).build();
  if (!res)
    fail(path, res.err().message());
  r.exprs = std::move(res->exprs);
}

} // namespace nfactor::nft::json::detail
