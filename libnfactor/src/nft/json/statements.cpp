// SPDX-License-Identifier: Apache-2.0
//
// nft JSON statements ("expr" of a rule) → the rule front (rule_builder),
// which emits the expressions nft emits for them.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <grp.h>
#include <pwd.h>

#include <linux/netfilter/nf_tables.h>

#include "nfactor/nft/json.hpp"
#include "nfactor/nft/rule_builder.hpp"
#include "reader.hpp"

namespace nfactor::nft::json::detail {

namespace {

namespace f = front;

// -- fields a match can name --------------------------------------------------

struct named_field {
  std::string_view a; // protocol ("ip") or "meta" / "ct"
  std::string_view b; // field or key
  const f::field* fld;
};

constexpr std::array<named_field, 20> fields{{
    {"ip", "saddr", &f::ip::saddr},
    {"ip", "daddr", &f::ip::daddr},
    {"ip", "protocol", &f::ip::protocol},
    {"ip6", "saddr", &f::ip6::saddr},
    {"ip6", "daddr", &f::ip6::daddr},
    {"tcp", "sport", &f::tcp::sport},
    {"tcp", "dport", &f::tcp::dport},
    {"udp", "sport", &f::udp::sport},
    {"udp", "dport", &f::udp::dport},
    {"meta", "l4proto", &f::meta::l4proto},
    {"meta", "nfproto", &f::meta::nfproto},
    {"meta", "mark", &f::meta::mark},
    {"meta", "iif", &f::meta::iif},
    {"meta", "oif", &f::meta::oif},
    {"meta", "iifname", &f::meta::iifname},
    {"meta", "oifname", &f::meta::oifname},
    {"meta", "skuid", &f::meta::skuid},
    {"meta", "skgid", &f::meta::skgid},
    {"ct", "state", &f::ct::state},
    {"ct", "mark", &f::ct::mark},
}};

struct named_number {
  std::string_view name;
  std::uint32_t value;
};

constexpr std::array<named_number, 12> protocols{{
    {"icmp", 1},
    {"igmp", 2},
    {"tcp", 6},
    {"udp", 17},
    {"gre", 47},
    {"esp", 50},
    {"ah", 51},
    {"ipv6-icmp", 58},
    {"icmpv6", 58},
    {"sctp", 132},
    {"udplite", 136},
    {"dccp", 33},
}};

constexpr std::array<named_number, 5> ct_states{{
    {"invalid", f::ct::invalid},
    {"established", f::ct::established},
    {"related", f::ct::related},
    {"new", f::ct::new_},
    {"untracked", f::ct::untracked},
}};

constexpr std::array<named_number, 2> nfprotos{{
    {"ipv4", NFPROTO_IPV4},
    {"ipv6", NFPROTO_IPV6},
}};

template <std::size_t N>
std::optional<std::uint32_t> lookup(const std::array<named_number, N>& table,
                                    std::string_view name) {
  for (auto& e : table)
    if (e.name == name)
      return e.value;
  return std::nullopt;
}

const f::field& read_field(const value& left, const std::string& path) {
  std::string a, b;
  if (auto* p = member(left, "payload")) {
    a = need_string(*p, "protocol", path);
    b = need_string(*p, "field", path);
  } else if (auto* m = member(left, "meta")) {
    a = "meta";
    b = need_string(*m, "key", path);
  } else if (auto* c = member(left, "ct")) {
    if (member(*c, "dir") || member(*c, "family"))
      fail(path, "ct with a direction or family is not supported");
    a = "ct";
    b = need_string(*c, "key", path);
  } else {
    fail(path, "unsupported match operand " + left.dump());
  }
  for (auto& e : fields)
    if (e.a == a && e.b == b)
      return *e.fld;
  fail(path, "unsupported field '" + a + " " + b + "'");
}

// A symbolic or numeric value of an integer field.
std::uint64_t integer_of(const f::field& fld, const value& v,
                         const std::string& path) {
  if (v.is_number_unsigned())
    return v.get<std::uint64_t>();
  if (!v.is_string())
    fail(path, std::string{fld.name} + " takes a number, not " + v.dump());
  auto s = v.get<std::string>();
  std::optional<std::uint32_t> n;
  std::string_view name = fld.name;
  if (name == "ip protocol" || name == "meta l4proto")
    n = lookup(protocols, s);
  else if (name == "meta nfproto")
    n = lookup(nfprotos, s);
  else if (name == "ct state")
    n = lookup(ct_states, s);
  else if (name == "meta skuid") {
    if (auto* pw = ::getpwnam(s.c_str()))
      n = pw->pw_uid;
  } else if (name == "meta skgid") {
    if (auto* gr = ::getgrnam(s.c_str()))
      n = gr->gr_gid;
  }
  if (!n)
    fail(path, "unknown value '" + s + "' for " + std::string{name});
  return *n;
}

bool numeric(const f::field& fld) {
  return fld.kind == f::field::shape::integer_be ||
         fld.kind == f::field::shape::integer_ne ||
         fld.kind == f::field::shape::bits;
}

f::value scalar_of(const f::field& fld, const value& v,
                   const std::string& path) {
  if (numeric(fld))
    return f::value{integer_of(fld, v, path)};
  if (!v.is_string())
    fail(path, std::string{fld.name} + " takes a string, not " + v.dump());
  return f::value{v.get<std::string>()};
}

void read_match(const value& m, f::rule_builder& rb, const std::string& path) {
  auto op = need_string(m, "op", path);
  auto* left = member(m, "left");
  auto* right = member(m, "right");
  if (!left || !right)
    fail(path, "a match needs \"left\" and \"right\"");
  const auto& fld = read_field(*left, path + ".left");
  auto rpath = path + ".right";
  bool negate = op == "!=";
  // Named set: "@name".
  if (right->is_string() && right->get<std::string>().starts_with("@")) {
    if (op != "==" && op != "!=" && op != "in")
      fail(path, "a set lookup takes ==, != or in");
    rb.match_set(fld, right->get<std::string>().substr(1), negate);
    return;
  }
  // ct state: a list of names or one name, any bit set.
  if (fld.kind == f::field::shape::bits) {
    if (op != "==" && op != "in" && op != "!=")
      fail(path, std::string{fld.name} + " takes ==, != or in");
    std::uint64_t bits = 0;
    const value* list = right;
    if (auto* s = member(*right, "set"))
      list = s;
    if (list->is_array()) {
      for (std::size_t i = 0; i < list->size(); ++i)
        bits |=
            integer_of(fld, (*list)[i], rpath + "[" + std::to_string(i) + "]");
    } else {
      bits = integer_of(fld, *list, rpath);
    }
    rb.match(fld, f::value{bits}, negate ? f::cmp_op::ne : f::cmp_op::eq);
    return;
  }
  if (auto* r = member(*right, "range")) {
    if (!r->is_array() || r->size() != 2)
      fail(rpath, "a range has two ends");
    if (op != "==" && op != "!=")
      fail(path, "a range takes == or !=");
    rb.match(fld,
             f::range_of{integer_of(fld, (*r)[0], rpath + ".range[0]"),
                         integer_of(fld, (*r)[1], rpath + ".range[1]")},
             negate);
    return;
  }
  if (auto* p = member(*right, "prefix")) {
    if (op != "==")
      fail(path, "a prefix takes ==");
    auto addr = need_string(*p, "addr", rpath + ".prefix");
    auto len = need_uint(member(*p, "len") ? (*p)["len"] : value{},
                         rpath + ".prefix.len", 128);
    rb.match(fld, f::value{addr + "/" + std::to_string(len)});
    return;
  }
  if (right->is_object() || right->is_array())
    fail(rpath,
         "anonymous sets and expressions are not supported: " + right->dump());
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
  rb.match(fld, scalar_of(fld, *right, rpath), c);
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
  rb.log(o);
}

void read_limit(const value& v, f::rule_builder& rb, const std::string& path) {
  f::limit_options o;
  o.rate = need_uint(v.contains("rate") ? v["rate"] : value{}, path + ".rate",
                     UINT64_MAX);
  auto unit = v.contains("rate_unit") ? need_string(v, "rate_unit", path)
                                      : std::string{"packets"};
  if (unit == "bytes")
    o.bytes = true;
  else if (unit != "packets")
    fail(path + ".rate_unit", "unsupported rate unit '" + unit + "'");
  auto per =
      v.contains("per") ? need_string(v, "per", path) : std::string{"second"};
  static constexpr std::array<named_number, 5> units{{{"second", 1},
                                                      {"minute", 60},
                                                      {"hour", 3600},
                                                      {"day", 86400},
                                                      {"week", 604800}}};
  auto u = lookup(units, per);
  if (!u)
    fail(path + ".per", "unknown time unit '" + per + "'");
  o.unit = *u;
  o.burst = o.bytes ? 0 : 5; // nft's defaults
  if (v.contains("burst"))
    o.burst = static_cast<std::uint32_t>(
        need_uint(v["burst"], path + ".burst", 0xffffffff));
  if (v.contains("burst_unit") && need_string(v, "burst_unit", path) != unit)
    fail(path + ".burst_unit", "burst and rate units differ");
  if (v.contains("inv"))
    o.over = v["inv"].is_boolean() && v["inv"].get<bool>();
  rb.limit(o);
}

void read_nat(const std::string& kind, const value& v, f::rule_builder& rb,
              const std::string& path) {
  auto addr = need_string(v, "addr", path);
  for (auto& [k, x] : v.items())
    if (k != "addr" && k != "family")
      fail(path + "." + k, "unsupported " + kind + " option");
  if (kind == "snat")
    rb.snat(addr);
  else
    rb.dnat(addr);
}

// nft's ICMP code names per reject type (<linux/icmp.h>, icmpv6.h,
// nf_tables.h NFT_REJECT_ICMPX_*).
struct reject_code {
  std::string_view type;
  std::string_view name;
  std::uint8_t code;
};
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

void read_statement(const value& s, f::rule_builder& rb,
                    const std::string& path) {
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
    read_match(v, rb, p);
  } else if (kind == "counter") {
    if (!v.is_null() && !v.is_object())
      fail(p, "named counters are not supported");
    rb.counter();
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
    if (!v.is_object())
      fail(p, "limit takes an object");
    read_limit(v, rb, p);
  } else if (kind == "mangle") {
    auto* key = member(v, "key");
    auto* meta = key ? member(*key, "meta") : nullptr;
    if (!meta || need_string(*meta, "key", p + ".key") != "mark")
      fail(p, "only \"meta mark set\" is supported");
    rb.set_mark(static_cast<std::uint32_t>(need_uint(
        v.contains("value") ? v["value"] : value{}, p + ".value", 0xffffffff)));
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

void read_statements(const value& exprs, rule& r, const std::string& path) {
  if (!exprs.is_array())
    fail(path, "\"expr\" must be an array");
  f::rule_builder rb{static_cast<nfnl::family>(r.family), r.table, r.chain};
  for (std::size_t i = 0; i < exprs.size(); ++i) {
    auto p = path + "[" + std::to_string(i) + "]";
    read_statement(exprs[i], rb, p);
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
