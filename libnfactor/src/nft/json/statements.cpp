// SPDX-License-Identifier: Apache-2.0
//
// nft JSON statements ("expr" of a rule) → the rule front (rule_builder),
// which emits the expressions nft emits for them. One row per statement
// in `statement_kinds`; matches and maps are read in matches.cpp.
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <arpa/inet.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_synproxy.h>
#include <linux/netfilter/nf_tables.h>

#include "names.hpp"
#include "operands.hpp"

namespace nfactor::nft::json::detail {

namespace {

namespace f = front;

// What a statement reader gets: its value, the builder, the rule, the
// statement's path ("...expr[2].log") and the document's state.
struct statement_input {
  const std::string& kind;
  const value& v;
  f::rule_builder& rb;
  const rule& r;
  const std::string& path;
  context& cx;
};

// Statements that take no options: null.
void none(const statement_input& in) {
  if (!in.v.is_null())
    fail(in.path, in.kind + " takes no options here (null)");
}

// A named object by name: {"counter": "c"}.
expr::objref objref_to(std::uint32_t type, const value& v) {
  expr::objref o;
  o.imm_type = type;
  o.imm_name = v.get<std::string>();
  return o;
}

bool inverted(const value& v) {
  auto* inv = member(v, "inv");
  return inv && inv->is_boolean() && inv->get<bool>();
}

// A syslog level by name ("warn") or number.
std::uint32_t log_level(const value& x, const std::string& path) {
  if (!x.is_string())
    return static_cast<std::uint32_t>(need_uint(x, path, 7));
  auto l = code_of(log_levels, x.get<std::string>());
  if (!l)
    fail(path, "unknown log level " + x.dump());
  return *l;
}

void read_log(const statement_input& in) {
  f::log_options o;
  if (in.v.is_object()) {
    for (auto& [k, x] : in.v.items()) {
      auto p = in.path + "." + k;
      if (k == "prefix")
        o.prefix = need_string(in.v, "prefix", in.path);
      else if (k == "group")
        o.group = static_cast<std::uint16_t>(need_uint(x, p, 0xffff));
      else if (k == "snaplen")
        o.snaplen = static_cast<std::uint32_t>(need_uint(x, p, 0xffffffff));
      else if (k == "queue-threshold")
        o.qthreshold = static_cast<std::uint16_t>(need_uint(x, p, 0xffff));
      else if (k == "level")
        o.level = log_level(x, p);
      else
        fail(p, "unsupported log option");
    }
  }
  // The kernel fills in a syslog log's default level (warn) and dumps it:
  // send it, so a dump equals what was sent (reconcile compares them).
  if (!o.group && !o.level)
    o.level = 4;
  in.rb.log(o);
}

// A byte amount: `v[k]` in the unit `v[uk]` ("bytes" when absent).
std::uint64_t amount(const value& v, std::string_view k, std::string_view uk,
                     const std::string& path) {
  auto* m = member(v, k);
  if (!m)
    return 0;
  auto n = need_uint(*m, path + "." + std::string{k}, UINT64_MAX);
  auto* u = member(v, uk);
  auto unit = code_of(byte_units, u && u->is_string() ? u->get<std::string>()
                                                      : std::string{"bytes"});
  if (!unit)
    fail(path + "." + std::string{uk}, "unknown byte unit");
  return n * *unit;
}

// {"quota": {"val": 10, "val_unit": "mbytes", "used": 0, "used_unit":
// "bytes", "inv": false}} or {"quota": "name"}.
void read_quota(const statement_input& in) {
  if (in.v.is_string()) {
    in.rb.then(objref_to(NFT_OBJECT_QUOTA, in.v));
    return;
  }
  if (!in.v.is_object())
    fail(in.path, "quota takes an object or a quota's name");
  expr::quota q;
  q.bytes = amount(in.v, "val", "val_unit", in.path);
  q.flags = inverted(in.v) ? std::uint32_t{NFT_QUOTA_F_INV} : 0u;
  if (auto used = amount(in.v, "used", "used_unit", in.path))
    q.consumed = used;
  in.rb.then(q);
}

void read_counter(const statement_input& in) {
  if (in.v.is_string())
    in.rb.then(objref_to(NFT_OBJECT_COUNTER, in.v));
  else if (in.v.is_null() || in.v.is_object())
    in.rb.counter();
  else
    fail(in.path, "counter takes null, an object or a counter's name");
}

void read_limit(const statement_input& in) {
  if (in.v.is_string())
    in.rb.then(objref_to(NFT_OBJECT_LIMIT, in.v));
  else if (in.v.is_object())
    in.rb.limit(read_limit_spec(in.v, in.path));
  else
    fail(in.path, "limit takes an object or a limit's name");
}

void read_connlimit(const statement_input& in) {
  in.rb.then(expr::connlimit{
      .count = static_cast<std::uint32_t>(
          need_uint(field_or_null(in.v, "val"), in.path + ".val", UINT32_MAX)),
      .flags = inverted(in.v) ? std::uint32_t{NFT_CONNLIMIT_F_INV} : 0u});
}

// {"redirect": null} or {"redirect": {"port": 8080}}.
void read_redirect(const statement_input& in) {
  if (in.v.is_null()) {
    in.rb.then(expr::redir{});
    return;
  }
  for (auto& [k, x] : in.v.items())
    if (k != "port")
      fail(in.path + "." + k, "unsupported redirect option");
  auto port = need_uint(field_or_null(in.v, "port"), in.path + ".port", 0xffff);
  in.rb.then(expr::immediate{.dreg = NFT_REG_1, .value = make_be(port, 2)});
  in.rb.then(expr::redir{.reg_proto_min = NFT_REG_1,
                         .reg_proto_max = NFT_REG_1,
                         .flags = NF_NAT_RANGE_PROTO_SPECIFIED});
}

// {"set": {"op": "add"|"update"|"delete", "elem": operand, "set": "@s"}}
void read_dynset(const statement_input& in) {
  auto name = need_string(in.v, "set", in.path);
  if (!name.starts_with("@"))
    fail(in.path + ".set", "needs \"@name\"");
  auto* elem = member(in.v, "elem");
  if (!elem)
    fail(in.path, "needs \"elem\"");
  auto op = need_string(in.v, "op", in.path);
  auto code = code_of(dynset_ops, op);
  if (!code)
    fail(in.path + ".op", "unknown set operation '" + op + "'");
  expr::dynset d;
  d.op = *code;
  d.set_name = name.substr(1);
  d.sreg_key = load(in.rb, read_operands(*elem, in.path + ".elem"));
  in.rb.then(std::move(d));
}

// The bytes of `v` as field `o` holds them: nft's "integer" of a field
// has the field's size and byte order.
byte_buffer value_bytes(const operand& o, const value& v,
                        const std::string& path, const context& cx) {
  const dtype* t = o.type;
  if (t->kind == shape::integer && t->len != o.len)
    t = &integer_type(o.len, o.fld->kind == f::field::shape::integer_be);
  return scalar_bytes(*t, v, path, cx);
}

// Puts a set statement's value in NFT_REG_1: an immediate, or what an
// operand loads (jhash, numgen, ...), turned to network order for a
// network-order field as nft does.
void load_value(const statement_input& in, const operand& o, const value& val,
                const std::string& path) {
  if (!val.is_object()) {
    in.rb.then(
        expr::immediate{.dreg = NFT_REG_1,
                        .value = make_value(value_bytes(o, val, path, in.cx))});
    return;
  }
  auto ops = read_operands(val, path);
  auto reg = load(in.rb, ops);
  if (o.fld->kind == f::field::shape::integer_be && ops.size() == 1 &&
      !ops[0].type->big_endian)
    in.rb.then(expr::byteorder{.sreg = reg,
                               .dreg = reg,
                               .op = NFT_BYTEORDER_HTON,
                               .len = ops[0].len,
                               .size = ops[0].len == 2 ? 2u : 4u});
}

// {"mangle": {"key": {"payload": {"protocol", "field"}}, "value": V}}:
// a payload write updating the protocol's checksum as nft asks (the
// internet checksum at the protocol's offset; for a field of the
// pseudo-header, the transport checksum too).
void write_payload(const statement_input& in, const operand& o,
                   const value& val) {
  const auto& p = in.path;
  auto proto = need_string(*member(field_or_null(in.v, "key"), "payload"),
                           "protocol", p + ".key.payload");
  auto csum = code_of(checksum_offsets, proto);
  bool pseudo =
      std::find(pseudo_header_fields.begin(), pseudo_header_fields.end(),
                o.name) != pseudo_header_fields.end();
  expr::payload w;
  w.sreg = NFT_REG_1;
  w.base = o.fld->key;
  w.offset = o.fld->offset;
  w.len = o.fld->len;
  // The kernel dumps all three; send them so a dump equals what was sent.
  w.csum_type = csum ? std::uint32_t{NFT_PAYLOAD_CSUM_INET} : 0u;
  w.csum_offset = csum.value_or(0);
  w.csum_flags = pseudo ? std::uint32_t{NFT_PAYLOAD_L4CSUM_PSEUDOHDR} : 0u;
  in.rb.require(*o.fld);
  // A field of less than its bytes, or a byte under a 16-bit checksum:
  // nft loads the bytes around it, replaces its bits and writes them back.
  bool word = csum && (w.offset % 2 || w.len % 2);
  if (!o.mask && !word) {
    load_value(in, o, val, p + ".value");
    in.rb.then(w);
    return;
  }
  if (val.is_object())
    fail(p + ".value", "only a value can be set in " + o.name);
  auto n = bits_of(o, val, p + ".value", in.cx);
  auto moved = n << o.shift;
  auto mask = keep_mask(*o.fld, o.mask, w.offset, w.len);
  auto bits = field_bytes(*o.fld, moved);
  bool fits = (moved >> o.shift) == n &&
              (o.fld->len >= 8 || moved >> (8 * o.fld->len) == 0);
  for (std::size_t i = 0; i < bits.size(); ++i)
    fits = fits && (bits[i] & mask[i]) == 0;
  if (!fits)
    fail(p + ".value",
         "value " + std::to_string(n) + " does not fit " + o.name);
  auto start = w.offset, end = w.offset + w.len;
  if (word) {
    start -= start % 2;
    end += end % 2;
  }
  byte_buffer xor_(end - start, 0);
  std::copy(bits.begin(), bits.end(), xor_.begin() + (w.offset - start));
  w.offset = start;
  w.len = end - start;
  in.rb.then(expr::payload{.dreg = NFT_REG_1,
                           .sreg = {},
                           .base = w.base,
                           .offset = w.offset,
                           .len = w.len,
                           .csum_type = {},
                           .csum_offset = {},
                           .csum_flags = {}});
  expr::bitwise bw;
  bw.sreg = NFT_REG_1;
  bw.dreg = NFT_REG_1;
  bw.len = w.len;
  bw.mask = make_value(keep_mask(*o.fld, o.mask, w.offset, w.len));
  bw.xor_ = make_value(xor_);
  in.rb.then(std::move(bw));
  in.rb.then(w);
}

// {"mangle": {"key": K, "value": V}}: K a packet field (payload), a
// settable meta or ct key, or {"tcp option": {"name", "field"}}; V a
// value or an operand (jhash, symhash, numgen, ...).
void read_mangle(const statement_input& in) {
  const auto& p = in.path;
  const value& key = field_or_null(in.v, "key");
  const value& val = field_or_null(in.v, "value");
  auto o = read_operand(key, p + ".key");
  if (member(key, "tcp option")) {
    auto x = std::get<expr::exthdr>(o.load->value);
    if (!x.flags || *x.flags)
      fail(p + ".key", "needs an option's field");
    in.rb.then(expr::immediate{
        .dreg = NFT_REG_1,
        .value = make_value(scalar_bytes(*o.type, val, p + ".value", in.cx))});
    x.dreg = std::nullopt;
    x.sreg = NFT_REG_1;
    // The kernel refuses flags on a write (and dumps them as 0).
    x.flags = std::nullopt;
    in.rb.then(x);
    return;
  }
  if (!o.fld)
    fail(p + ".key", "cannot set " + o.name);
  if (o.fld->from == f::field::source::payload) {
    write_payload(in, o, val);
    return;
  }
  auto settable = code_of(settable_keys, o.name);
  if (!settable)
    fail(p + ".key", "cannot set " + o.name);
  load_value(in, o, val, p + ".value");
  if (o.fld->from == f::field::source::meta)
    in.rb.then(expr::meta{.key = *settable, .dreg = {}, .sreg = NFT_REG_1});
  else
    in.rb.then(expr::ct{
        .dreg = {}, .key = *settable, .direction = {}, .sreg = NFT_REG_1});
}

// An address of the rule's family (inet: either).
byte_buffer address(const statement_input& in, const value& v,
                    const std::string& path) {
  if (!v.is_string())
    fail(path, "needs an address");
  bool v6 = in.r.family == NFPROTO_IPV6 ||
            (in.r.family != NFPROTO_IPV4 &&
             v.get<std::string>().find(':') != std::string::npos);
  return scalar_bytes(type_named(v6 ? "ipv6_addr" : "ipv4_addr"), v, path,
                      in.cx);
}

byte_buffer device(const statement_input& in, const value& v,
                   const std::string& path) {
  return scalar_bytes(type_named("iface_index"), v, path, in.cx);
}

// {"dup": {"addr": A, "dev": D}}; netdev: {"dup": {"addr": D}} (the
// device).
void read_dup(const statement_input& in) {
  const value& addr = field_or_null(in.v, "addr");
  expr::dup d;
  if (in.r.family == NFPROTO_NETDEV) {
    in.rb.then(expr::immediate{
        .dreg = NFT_REG_1,
        .value = make_value(device(in, addr, in.path + ".addr"))});
    d.sreg_dev = NFT_REG_1;
    in.rb.then(d);
    return;
  }
  in.rb.then(expr::immediate{
      .dreg = NFT_REG_1,
      .value = make_value(address(in, addr, in.path + ".addr"))});
  d.sreg_addr = NFT_REG_1;
  if (auto* dev = member(in.v, "dev")) {
    in.rb.then(expr::immediate{
        .dreg = NFT_REG_2,
        .value = make_value(device(in, *dev, in.path + ".dev"))});
    d.sreg_dev = NFT_REG_2;
  }
  in.rb.then(d);
}

// {"fwd": {"dev": D}} or {"fwd": {"dev": D, "family": "ip", "addr": A}}.
void read_fwd(const statement_input& in) {
  expr::forward f;
  in.rb.then(
      expr::immediate{.dreg = NFT_REG_1,
                      .value = make_value(device(in, field_or_null(in.v, "dev"),
                                                 in.path + ".dev"))});
  f.sreg_dev = NFT_REG_1;
  if (auto* addr = member(in.v, "addr")) {
    auto fam = need_string(in.v, "family", in.path);
    auto code = code_of(ip_families, fam);
    if (!code)
      fail(in.path + ".family", "unknown family '" + fam + "'");
    auto* t = &type_named(*code == NFPROTO_IPV6 ? "ipv6_addr" : "ipv4_addr");
    in.rb.then(expr::immediate{.dreg = NFT_REG_2,
                               .value = make_value(scalar_bytes(
                                   *t, *addr, in.path + ".addr", in.cx))});
    f.sreg_addr = NFT_REG_2;
    f.nfproto = *code;
  }
  in.rb.then(f);
}

void read_nat(const statement_input& in) {
  auto addr = need_string(in.v, "addr", in.path);
  for (auto& [k, x] : in.v.items())
    if (k != "addr" && k != "family")
      fail(in.path + "." + k, "unsupported " + in.kind + " option");
  // What nft sends (and the kernel dumps back): addr_min and addr_max in
  // one register, NF_NAT_RANGE_MAP_IPS.
  byte_buffer a(16, 0);
  bool v4 = ::inet_pton(AF_INET, addr.c_str(), a.data()) == 1;
  if (!v4 && ::inet_pton(AF_INET6, addr.c_str(), a.data()) != 1)
    fail(in.path + ".addr", "'" + addr + "' is not an address");
  a.resize(v4 ? 4 : 16);
  in.rb.then(expr::immediate{.dreg = NFT_REG_1, .value = make_value(a)});
  expr::nat n;
  n.type = in.kind == "snat" ? NFT_NAT_SNAT : NFT_NAT_DNAT;
  n.family = v4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
  n.reg_addr_min = NFT_REG_1;
  n.reg_addr_max = NFT_REG_1;
  n.flags = NF_NAT_RANGE_MAP_IPS;
  in.rb.then(n);
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

void read_reject(const statement_input& in) {
  if (in.v.is_null()) {
    in.rb.reject(false);
    return;
  }
  auto type = need_string(in.v, "type", in.path);
  if (type == "tcp reset") {
    // nft -j lists the "meta l4proto tcp" dependency as its own match.
    in.rb.then(expr::reject{.type = NFT_REJECT_TCP_RST, .icmp_code = 0});
    return;
  }
  auto code = member(in.v, "expr") ? need_string(in.v, "expr", in.path)
                                   : std::string{"port-unreachable"};
  for (auto& c : reject_codes) {
    if (c.type == type && c.name == code) {
      in.rb.then(expr::reject{.type = type == "icmpx" ? NFT_REJECT_ICMPX_UNREACH
                                                      : NFT_REJECT_ICMP_UNREACH,
                              .icmp_code = c.code});
      return;
    }
  }
  fail(in.path, "unsupported reject type '" + type + "' / code '" + code + "'");
}

// {"synproxy": null} or {"synproxy": {"mss": N, "wscale": N, "flags":
// ["timestamp", "sack-perm"] or one of them}}.
void read_synproxy(const statement_input& in) {
  expr::synproxy sp;
  if (!in.v.is_null() && !in.v.is_object())
    fail(in.path, "synproxy takes null or an object");
  for (auto& [k, x] : in.v.items()) {
    auto p = in.path + "." + k;
    if (k == "mss") {
      sp.mss = static_cast<std::uint16_t>(need_uint(x, p, 0xffff));
      sp.flags |= NF_SYNPROXY_OPT_MSS;
    } else if (k == "wscale") {
      sp.wscale = static_cast<std::uint8_t>(need_uint(x, p, 0xff));
      sp.flags |= NF_SYNPROXY_OPT_WSCALE;
    } else if (k == "flags") {
      auto one = [&](const value& fl, const std::string& fp) {
        auto c = fl.is_string() ? code_of(synproxy_flags, fl.get<std::string>())
                                : std::nullopt;
        if (!c)
          fail(fp, "unknown synproxy flag " + fl.dump());
        sp.flags |= *c;
      };
      if (x.is_array())
        for (std::size_t i = 0; i < x.size(); ++i)
          one(x[i], p + "[" + std::to_string(i) + "]");
      else
        one(x, p);
    } else {
      fail(p, "unsupported synproxy option");
    }
  }
  in.rb.then(sp);
}

void read_queue(const statement_input& in) {
  bool bypass = false;
  if (auto* fl = member(in.v, "flags")) {
    if (fl->is_string() && fl->get<std::string>() == "bypass")
      bypass = true;
    else if (fl->is_array() && fl->size() == 1 && (*fl)[0] == "bypass")
      bypass = true;
    else
      fail(in.path + ".flags", "only the bypass flag is supported");
  }
  auto* num = member(in.v, "num");
  in.rb.queue(static_cast<std::uint16_t>(
                  num ? need_uint(*num, in.path + ".num", 0xffff) : 0),
              bypass);
}

// One row per statement: its JSON key and its reader.
struct statement_kind {
  std::string_view key;
  void (*read)(const statement_input&);
};

constexpr statement_kind statement_kinds[] = {
    {"match",
     [](const statement_input& in) {
       read_match(in.v, in.rb, in.r, in.path, in.cx);
     }},
    {"vmap",
     [](const statement_input& in) {
       read_vmap(in.v, in.rb, in.r, in.path, in.cx);
     }},
    {"counter", read_counter},
    {"quota", read_quota},
    {"limit", read_limit},
    {"ct count", read_connlimit},
    {"log", read_log},
    {"set", read_dynset},
    {"mangle", read_mangle},
    {"redirect", read_redirect},
    {"snat", read_nat},
    {"dnat", read_nat},
    {"reject", read_reject},
    {"queue", read_queue},
    {"synproxy", read_synproxy},
    {"dup", read_dup},
    {"fwd", read_fwd},
    {"accept",
     [](const statement_input& in) {
       none(in);
       in.rb.accept();
     }},
    {"drop",
     [](const statement_input& in) {
       none(in);
       in.rb.drop();
     }},
    {"return",
     [](const statement_input& in) {
       none(in);
       in.rb.ret();
     }},
    {"continue",
     [](const statement_input& in) {
       none(in);
       in.rb.next();
     }},
    {"jump",
     [](const statement_input& in) {
       in.rb.jump(need_string(in.v, "target", in.path));
     }},
    {"goto",
     [](const statement_input& in) {
       in.rb.go_to(need_string(in.v, "target", in.path));
     }},
    {"notrack",
     [](const statement_input& in) {
       none(in);
       in.rb.notrack();
     }},
    {"masquerade",
     [](const statement_input& in) {
       none(in);
       in.rb.masquerade();
     }},
};

void read_statement(const value& s, f::rule_builder& rb, const rule& r,
                    const std::string& path, context& cx) {
  if (!s.is_object() || s.size() != 1)
    fail(path, "a statement is an object with one member");
  auto first = s.begin();
  const std::string kind = first.key();
  auto p = path + "." + kind;
  for (auto& k : statement_kinds)
    if (k.key == kind) {
      k.read(statement_input{kind, first.value(), rb, r, p, cx});
      return;
    }
  fail(p, "unsupported statement '" + kind + "'");
}

// Statement `st`, which built expressions [begin, end).
statement_span span_of(const value& st, std::size_t begin, std::size_t end) {
  statement_span s{begin, end, false, false};
  auto* m = member(st, "match");
  s.match = m || member(st, "vmap");
  if (m) {
    auto& op = field_or_null(*m, "op");
    auto& right = field_or_null(*m, "right");
    s.joinable = member(field_or_null(*m, "left"), "payload") &&
                 (op == "==" || op == "!=") &&
                 (right.is_string() || right.is_number());
  }
  return s;
}

} // namespace

std::span<const reject_code> reject_code_names() {
  return reject_codes;
}

limit_spec read_limit_spec(const value& v, const std::string& path) {
  limit_spec o;
  o.rate = need_uint(field_or_null(v, "rate"), path + ".rate", UINT64_MAX);
  auto unit = v.contains("rate_unit") ? need_string(v, "rate_unit", path)
                                      : std::string{"packets"};
  if (unit != "packets") {
    auto mult = code_of(byte_units, unit);
    if (!mult)
      fail(path + ".rate_unit", "unsupported rate unit '" + unit + "'");
    o.bytes = true;
    o.rate *= *mult;
  }
  auto per =
      v.contains("per") ? need_string(v, "per", path) : std::string{"second"};
  auto u = code_of(time_units, per);
  if (!u)
    fail(path + ".per", "unknown time unit '" + per + "'");
  o.unit = *u;
  o.burst = o.bytes ? 0 : 5; // nft's defaults
  if (v.contains("burst")) {
    auto b = need_uint(v["burst"], path + ".burst", 0xffffffff);
    if (o.bytes) {
      auto bu = v.contains("burst_unit") ? need_string(v, "burst_unit", path)
                                         : std::string{"bytes"};
      auto mult = code_of(byte_units, bu);
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
  std::vector<statement_span> spans;
  for (std::size_t i = 0; i < exprs.size(); ++i) {
    auto p = path + "[" + std::to_string(i) + "]";
    read_statement(exprs[i], rb, r, p, cx);
    // The builder keeps its first error; surface it with this path.
    auto res = rb.build();
    if (!res)
      fail(p, res.err().message());
    // The dependency checks the builder put first are statements of their
    // own to nft: an ether type check joins the ether saddr before it.
    auto begin = spans.empty() ? std::size_t{0} : spans.back().end;
    for (auto at : rb.dependencies())
      if (at == begin && at + 2 < res->exprs.size()) {
        spans.push_back({at, at + 2, true, true});
        begin = at + 2;
      }
    spans.push_back(span_of(exprs[i], begin, res->exprs.size()));
  }
  auto res = std::move(rb).build();
  if (!res)
    fail(path, res.err().message());
  r.exprs = std::move(res->exprs);
  join_payload_matches(r.exprs, spans);
}

} // namespace nfactor::nft::json::detail
