// SPDX-License-Identifier: Apache-2.0
#include "nfactor/nft/batch_ops.hpp"

#include <charconv>
#include <limits>
#include <string>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>
#include <linux/netfilter_arp.h>
#include <linux/netfilter_ipv4.h>

#include "nfactor/nfnl/codec.hpp"

namespace nfactor::nft {

namespace {

std::string fam(std::uint8_t f) {
  return nfnl::to_string(static_cast<nfnl::family>(f));
}

bool known_family(std::uint8_t f) {
  switch (f) {
  case NFPROTO_INET:
  case NFPROTO_IPV4:
  case NFPROTO_IPV6:
  case NFPROTO_ARP:
  case NFPROTO_BRIDGE:
  case NFPROTO_NETDEV:
    return true;
  default:
    return false;
  }
}

// Records `r`'s error in `b` (after the operation was opened, so the error
// names it); true when `r` holds no error.
bool check(batch& b, result<void> r) {
  if (!r)
    b.fail(std::move(r).err());
  return static_cast<bool>(r);
}

result<void> bad(std::string op, std::string detail) {
  return make_error(errc::invalid_argument, std::move(op), std::move(detail));
}

result<void> check_family(std::string_view what, std::uint8_t f) {
  if (!known_family(f))
    return bad("check " + std::string{what},
               "unknown family " + std::to_string(f));
  return {};
}

result<void> check_table_names(std::string_view what, std::uint8_t family,
                               const std::string& table) {
  if (auto r = check_family(what, family); !r)
    return r;
  return validate_name("table", table);
}

// Opens an operation, runs `valid` and, if it passes, `encode`.
template <class T, class Check>
void emit(batch& b, verb v, std::uint8_t msg, const T& x, std::string label,
          Check&& valid, std::uint16_t extra = 0) {
  auto& w = b.op(v, msg, static_cast<nfnl::family>(x.family), std::move(label),
                 extra);
  if (check(b, valid()))
    encode(w, x);
  b.done();
}

std::string label(const table& t) {
  return "table " + fam(t.family) + " " + t.name;
}
std::string label(const chain& c) {
  return "chain " + fam(c.family) + " " + c.table + " " + c.name;
}
std::string label(const rule& r) {
  auto s = "rule " + fam(r.family) + " " + r.table + " " + r.chain;
  if (r.handle)
    s += " handle " + std::to_string(*r.handle);
  else if (r.position)
    s += " position " + std::to_string(*r.position);
  return s;
}
std::string label(const set& s) {
  return (s.is_map() ? "map " : "set ") + fam(s.family) + " " + s.table + " " +
         s.name;
}
std::string label(const elem_list& l) {
  return "element " + fam(l.family) + " " + l.table + " " + l.set + " (" +
         std::to_string(l.elems.size()) + ")";
}
std::string label(const object& o) {
  const char* kind = o.type == NFT_OBJECT_COUNTER ? "counter"
                     : o.type == NFT_OBJECT_QUOTA ? "quota"
                     : o.type == NFT_OBJECT_LIMIT ? "limit"
                                                  : "object";
  return std::string{kind} + " " + fam(o.family) + " " + o.table + " " + o.name;
}
std::string label(const flowtable& f) {
  return "flowtable " + fam(f.family) + " " + f.table + " " + f.name;
}

result<void> valid_table(const table& t) {
  if (auto r = check_family("table", t.family); !r)
    return r;
  return validate_name("table", t.name);
}

result<void> valid_rule(const rule& r, verb v) {
  if (auto st = check_table_names("rule", r.family, r.table); !st)
    return st;
  if (auto st = validate_name("chain", r.chain); !st)
    return st;
  bool needs_handle = v == verb::replace || v == verb::remove;
  if (needs_handle && !r.handle)
    return bad("check rule", std::string{"a rule to "} + to_string(v) +
                                 " is named by its handle; none given");
  if (!needs_handle && r.handle)
    return bad("check rule", "a handle identifies an existing rule; use "
                             "replace, or position to place a new one");
  if ((v == verb::add || v == verb::insert || v == verb::replace) &&
      r.exprs.empty())
    return bad("check rule", "a rule needs at least one expression");
  return {};
}

result<void> valid_elems(const elem_list& l) {
  if (auto st = check_table_names("set element", l.family, l.table); !st)
    return st;
  if (auto st = validate_name("set", l.set); !st)
    return st;
  if (l.elems.empty())
    return bad("check set elements", "no elements given");
  for (std::size_t i = 0; i < l.elems.size(); ++i)
    if (!l.elems[i].key &&
        !(l.elems[i].flags && (*l.elems[i].flags & NFT_SET_ELEM_CATCHALL)))
      return bad("check set elements",
                 "element " + std::to_string(i) + " has no key");
  return {};
}

result<void> valid_object(const object& o) {
  if (auto st = check_table_names("object", o.family, o.table); !st)
    return st;
  if (auto st = validate_name("object", o.name); !st)
    return st;
  if (o.type == 0 || o.type > NFT_OBJECT_MAX)
    return bad("check object", "unknown object type " + std::to_string(o.type));
  return {};
}

result<void> valid_flowtable(const flowtable& f) {
  if (auto st = check_table_names("flowtable", f.family, f.table); !st)
    return st;
  return validate_name("flowtable", f.name);
}

// The hooks of each family, by nft's names.
struct hook_name {
  std::uint8_t family;
  std::string_view name;
  std::uint32_t num;
};

constexpr hook_name hook_names[] = {
    {NFPROTO_IPV4, "prerouting", NF_INET_PRE_ROUTING},
    {NFPROTO_IPV4, "input", NF_INET_LOCAL_IN},
    {NFPROTO_IPV4, "forward", NF_INET_FORWARD},
    {NFPROTO_IPV4, "output", NF_INET_LOCAL_OUT},
    {NFPROTO_IPV4, "postrouting", NF_INET_POST_ROUTING},
    {NFPROTO_IPV6, "prerouting", NF_INET_PRE_ROUTING},
    {NFPROTO_IPV6, "input", NF_INET_LOCAL_IN},
    {NFPROTO_IPV6, "forward", NF_INET_FORWARD},
    {NFPROTO_IPV6, "output", NF_INET_LOCAL_OUT},
    {NFPROTO_IPV6, "postrouting", NF_INET_POST_ROUTING},
    {NFPROTO_INET, "prerouting", NF_INET_PRE_ROUTING},
    {NFPROTO_INET, "input", NF_INET_LOCAL_IN},
    {NFPROTO_INET, "forward", NF_INET_FORWARD},
    {NFPROTO_INET, "output", NF_INET_LOCAL_OUT},
    {NFPROTO_INET, "postrouting", NF_INET_POST_ROUTING},
    {NFPROTO_INET, "ingress", NF_INET_INGRESS},
    {NFPROTO_BRIDGE, "prerouting", NF_INET_PRE_ROUTING},
    {NFPROTO_BRIDGE, "input", NF_INET_LOCAL_IN},
    {NFPROTO_BRIDGE, "forward", NF_INET_FORWARD},
    {NFPROTO_BRIDGE, "output", NF_INET_LOCAL_OUT},
    {NFPROTO_BRIDGE, "postrouting", NF_INET_POST_ROUTING},
    {NFPROTO_ARP, "input", NF_ARP_IN},
    {NFPROTO_ARP, "output", NF_ARP_OUT},
    {NFPROTO_NETDEV, "ingress", NF_NETDEV_INGRESS},
    {NFPROTO_NETDEV, "egress", NF_NETDEV_EGRESS},
};

bool hook_in_family(std::uint8_t family, std::uint32_t num) {
  for (auto& h : hook_names)
    if (h.family == family && h.num == num)
      return true;
  return false;
}

// nft's standard priorities (ip, ip6, inet; `nft describe`).
struct priority_name {
  std::string_view name;
  std::int32_t value;
};

constexpr priority_name priority_names[] = {
    {"raw", NF_IP_PRI_RAW},           {"mangle", NF_IP_PRI_MANGLE},
    {"dstnat", NF_IP_PRI_NAT_DST},    {"filter", NF_IP_PRI_FILTER},
    {"security", NF_IP_PRI_SECURITY}, {"srcnat", NF_IP_PRI_NAT_SRC},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  return s;
}

} // namespace

// -- input helpers ------------------------------------------------------------

result<std::uint32_t> hook_from_string(std::uint8_t family,
                                       std::string_view name) {
  std::string known;
  for (auto& h : hook_names) {
    if (h.family != family)
      continue;
    if (h.name == name)
      return h.num;
    known += (known.empty() ? "" : ", ") + std::string{h.name};
  }
  return make_error(errc::invalid_argument, "check chain hook",
                    "unknown hook '" + std::string{name} + "' for family " +
                        fam(family) +
                        (known.empty() ? std::string{" (no hooks)"}
                                       : " (known: " + known + ")"));
}

result<std::int32_t> priority_from_string(std::string_view text) {
  auto s = trim(text);
  std::int64_t base = 0;
  auto parse_number = [](std::string_view t, std::int64_t& out) {
    t = trim(t);
    bool neg = false;
    if (!t.empty() && (t.front() == '-' || t.front() == '+')) {
      neg = t.front() == '-';
      t = trim(t.substr(1));
    }
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc{} || p != t.data() + t.size() || t.empty() ||
        v > (std::uint64_t{1} << 40))
      return false;
    out = neg ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
    return true;
  };
  auto op = std::string{"check chain priority"};
  bool named = false;
  for (auto& p : priority_names) {
    if (s.substr(0, p.name.size()) == p.name) {
      base = p.value;
      s = trim(s.substr(p.name.size()));
      named = true;
      break;
    }
  }
  std::int64_t offset = 0;
  if (named) {
    if (!s.empty() && !parse_number(s, offset))
      return make_error(errc::invalid_argument, op,
                        "bad offset in '" + std::string{text} + "'");
  } else if (!parse_number(s, offset)) {
    return make_error(errc::invalid_argument, op,
                      "'" + std::string{text} +
                          "' is neither a number nor one of raw, mangle, "
                          "dstnat, filter, security, srcnat");
  }
  auto v = base + offset;
  if (v < std::numeric_limits<std::int32_t>::min() ||
      v > std::numeric_limits<std::int32_t>::max())
    return make_error(errc::invalid_argument, op,
                      std::to_string(v) +
                          " is out of range (the kernel takes a signed "
                          "32-bit priority)");
  return static_cast<std::int32_t>(v);
}

result<void> validate(const chain& c) {
  if (auto st = check_table_names("chain", c.family, c.table); !st)
    return st;
  if (auto st = validate_name("chain", c.name); !st)
    return st;
  if (!c.hook) {
    if (c.type || c.policy)
      return bad("check chain", "type and policy need a hook (base chain)");
    return {};
  }
  const auto& h = *c.hook;
  if (!h.num)
    return bad("check chain", "a base chain needs a hook number");
  if (!hook_in_family(c.family, *h.num))
    return bad("check chain", "hook " + std::to_string(*h.num) +
                                  " does not exist in family " + fam(c.family));
  if (!h.priority)
    return bad("check chain", "a base chain needs a priority");
  auto type = c.type.value_or("filter");
  if (type != "filter" && type != "nat" && type != "route")
    return bad("check chain",
               "unknown chain type '" + type + "' (filter, nat or route)");
  if (type == "nat") {
    if (c.family != NFPROTO_IPV4 && c.family != NFPROTO_IPV6 &&
        c.family != NFPROTO_INET)
      return bad("check chain", "nat chains exist in ip, ip6 and inet only");
    if (*h.priority <= NF_IP_PRI_CONNTRACK)
      return bad("check chain",
                 "a nat chain's priority must be above conntrack's (" +
                     std::to_string(NF_IP_PRI_CONNTRACK) + ")");
  }
  if (type == "route" &&
      (*h.num != NF_INET_LOCAL_OUT ||
       (c.family != NFPROTO_IPV4 && c.family != NFPROTO_IPV6 &&
        c.family != NFPROTO_INET)))
    return bad("check chain", "route chains hook output in ip, ip6, inet");
  bool has_dev = h.device || (h.devices && !h.devices->empty());
  if (c.family == NFPROTO_NETDEV && !has_dev)
    return bad("check chain", "a netdev chain needs a device");
  if (h.device)
    if (h.device->empty() || h.device->size() >= IFNAMSIZ)
      return bad("check chain", "device name must have 1 to " +
                                    std::to_string(IFNAMSIZ - 1) + " bytes");
  if (c.policy && *c.policy != NF_ACCEPT && *c.policy != NF_DROP)
    return bad("check chain", "policy must be accept or drop");
  return {};
}

result<void> validate(const set& s) {
  if (auto st = check_table_names("set", s.family, s.table); !st)
    return st;
  if (auto st = validate_name("set", s.name); !st)
    return st;
  if (!s.key_len || *s.key_len == 0 ||
      *s.key_len > NFT_REG32_COUNT * NFT_REG32_SIZE)
    return bad("check set",
               "key length must be 1 to " +
                   std::to_string(NFT_REG32_COUNT * NFT_REG32_SIZE) + " bytes");
  auto flags = s.flags.value_or(0);
  constexpr std::uint32_t known =
      NFT_SET_ANONYMOUS | NFT_SET_CONSTANT | NFT_SET_INTERVAL | NFT_SET_MAP |
      NFT_SET_TIMEOUT | NFT_SET_EVAL | NFT_SET_OBJECT | NFT_SET_CONCAT |
      NFT_SET_EXPR;
  if (flags & ~known)
    return bad("check set", "unknown flags " + std::to_string(flags & ~known));
  if ((flags & NFT_SET_MAP) &&
      (!s.data_type || (*s.data_type != NFT_DATA_VERDICT && !s.data_len)))
    return bad("check set", "a map needs a data type (and a data length "
                            "unless it maps to verdicts)");
  if (s.timeout && !(flags & NFT_SET_TIMEOUT))
    return bad("check set", "a default timeout needs the timeout flag");
  return {};
}

// -- tables -------------------------------------------------------------------

void add(batch& b, const table& t) {
  emit(b, verb::add, NFT_MSG_NEWTABLE, t, label(t),
       [&] { return valid_table(t); });
}
void create(batch& b, const table& t) {
  emit(b, verb::create, NFT_MSG_NEWTABLE, t, label(t),
       [&] { return valid_table(t); });
}
void remove(batch& b, const table& t) {
  table key;
  key.family = t.family;
  key.name = t.name;
  key.handle = t.handle;
  emit(b, verb::remove, NFT_MSG_DELTABLE, key, label(t),
       [&] { return valid_table(t); });
}
void flush(batch& b, const table& t) {
  auto& w = b.op(verb::flush, NFT_MSG_DELRULE,
                 static_cast<nfnl::family>(t.family), "flush " + label(t));
  if (check(b, valid_table(t)))
    w.attr_str(NFTA_RULE_TABLE, t.name);
  b.done();
}

// -- chains -------------------------------------------------------------------

void add(batch& b, const chain& c) {
  emit(b, verb::add, NFT_MSG_NEWCHAIN, c, label(c),
       [&] { return validate(c); });
}
void create(batch& b, const chain& c) {
  emit(b, verb::create, NFT_MSG_NEWCHAIN, c, label(c),
       [&] { return validate(c); });
}
void remove(batch& b, const chain& c) {
  chain key;
  key.family = c.family;
  key.table = c.table;
  key.name = c.name;
  emit(b, verb::remove, NFT_MSG_DELCHAIN, key, label(c), [&] {
    if (auto st = check_table_names("chain", c.family, c.table); !st)
      return st;
    return validate_name("chain", c.name);
  });
}
void flush(batch& b, const chain& c) {
  rule key;
  key.family = c.family;
  key.table = c.table;
  key.chain = c.name;
  emit(b, verb::flush, NFT_MSG_DELRULE, key, "flush " + label(c), [&] {
    if (auto st = check_table_names("chain", c.family, c.table); !st)
      return st;
    return validate_name("chain", c.name);
  });
}

// -- rules --------------------------------------------------------------------

void add(batch& b, const rule& r) {
  emit(b, verb::add, NFT_MSG_NEWRULE, r, label(r),
       [&] { return valid_rule(r, verb::add); });
}
void insert(batch& b, const rule& r) {
  emit(b, verb::insert, NFT_MSG_NEWRULE, r, label(r),
       [&] { return valid_rule(r, verb::insert); });
}
void replace(batch& b, const rule& r) {
  emit(b, verb::replace, NFT_MSG_NEWRULE, r, label(r),
       [&] { return valid_rule(r, verb::replace); });
}
void remove(batch& b, const rule& r) {
  rule key;
  key.family = r.family;
  key.table = r.table;
  key.chain = r.chain;
  key.handle = r.handle;
  emit(b, verb::remove, NFT_MSG_DELRULE, key, label(r),
       [&] { return valid_rule(r, verb::remove); });
}

// -- sets ---------------------------------------------------------------------

// The kernel requires NFTA_SET_ID in NEWSET (nf_tables_newset); give
// the set one unique within the batch when the caller did not.
set with_id(const set& s, const batch& b) {
  set out = s;
  if (!out.id)
    out.id = static_cast<std::uint32_t>(b.size() + 1);
  return out;
}

void add(batch& b, const set& s) {
  emit(b, verb::add, NFT_MSG_NEWSET, with_id(s, b), label(s),
       [&] { return validate(s); });
}
void create(batch& b, const set& s) {
  emit(b, verb::create, NFT_MSG_NEWSET, with_id(s, b), label(s),
       [&] { return validate(s); });
}
void remove(batch& b, const set& s) {
  set key;
  key.family = s.family;
  key.table = s.table;
  key.name = s.name;
  emit(b, verb::remove, NFT_MSG_DELSET, key, label(s), [&] {
    if (auto st = check_table_names("set", s.family, s.table); !st)
      return st;
    return validate_name("set", s.name);
  });
}
void flush(batch& b, const set& s) {
  // Table and set only: an (even empty) element list would name elements.
  auto& w = b.op(verb::flush, NFT_MSG_DELSETELEM,
                 static_cast<nfnl::family>(s.family), "flush " + label(s));
  auto ok = check_table_names("set", s.family, s.table);
  if (ok)
    ok = validate_name("set", s.name);
  if (check(b, std::move(ok))) {
    w.attr_str(NFTA_SET_ELEM_LIST_TABLE, s.table);
    w.attr_str(NFTA_SET_ELEM_LIST_SET, s.name);
  }
  b.done();
}

// -- elements -----------------------------------------------------------------

void add(batch& b, const elem_list& l) {
  emit(b, verb::add, NFT_MSG_NEWSETELEM, l, label(l),
       [&] { return valid_elems(l); });
}
void create(batch& b, const elem_list& l) {
  emit(b, verb::create, NFT_MSG_NEWSETELEM, l, label(l),
       [&] { return valid_elems(l); });
}
void remove(batch& b, const elem_list& l) {
  emit(b, verb::remove, NFT_MSG_DELSETELEM, l, label(l),
       [&] { return valid_elems(l); });
}

// -- objects ------------------------------------------------------------------

void add(batch& b, const object& o) {
  emit(b, verb::add, NFT_MSG_NEWOBJ, o, label(o),
       [&] { return valid_object(o); });
}
void create(batch& b, const object& o) {
  emit(b, verb::create, NFT_MSG_NEWOBJ, o, label(o),
       [&] { return valid_object(o); });
}
void remove(batch& b, const object& o) {
  object key;
  key.family = o.family;
  key.table = o.table;
  key.name = o.name;
  key.type = o.type;
  emit(b, verb::remove, NFT_MSG_DELOBJ, key, label(o),
       [&] { return valid_object(o); });
}

// -- flowtables ---------------------------------------------------------------

void add(batch& b, const flowtable& f) {
  emit(b, verb::add, NFT_MSG_NEWFLOWTABLE, f, label(f),
       [&] { return valid_flowtable(f); });
}
void create(batch& b, const flowtable& f) {
  emit(b, verb::create, NFT_MSG_NEWFLOWTABLE, f, label(f),
       [&] { return valid_flowtable(f); });
}
void remove(batch& b, const flowtable& f) {
  flowtable key;
  key.family = f.family;
  key.table = f.table;
  key.name = f.name;
  emit(b, verb::remove, NFT_MSG_DELFLOWTABLE, key, label(f),
       [&] { return valid_flowtable(f); });
}

} // namespace nfactor::nft
