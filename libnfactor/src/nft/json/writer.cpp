// SPDX-License-Identifier: Apache-2.0
//
// The reverse of the reader: a rule's expressions → nft's JSON statements
// (what `nft -j list` shows) and nft syntax (what `nft monitor` prints),
// for the expressions nft emits for the statements the reader knows. An
// expression it cannot place is kept as {"nfactor": "[ libnftnl form ]"}.
#include <algorithm>
#include <cstdio>
#include <map>

#include <net/if.h>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>

#include "nfactor/nfnl/codec.hpp"
#include "reader.hpp"

namespace nfactor::nft::json {

namespace {

using namespace detail;
namespace f = front;

// -- values -------------------------------------------------------------------

std::uint64_t number(const dtype& t, byte_view b) {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < b.size() && i < 8; ++i) {
    auto byte = t.big_endian ? b[b.size() - 1 - i] : b[i];
    n |= std::uint64_t{byte} << (8 * i);
  }
  return n;
}

value scalar_json(const dtype* t, byte_view b) {
  if (!t) {
    std::string hex = "0x";
    char buf[4];
    for (auto x : b) {
      std::snprintf(buf, sizeof buf, "%02x", x);
      hex += buf;
    }
    return hex;
  }
  switch (t->kind) {
  case shape::ipv4:
  case shape::ipv6: {
    char buf[INET6_ADDRSTRLEN] = {};
    std::uint8_t a[16] = {};
    std::copy_n(b.begin(), std::min<std::size_t>(b.size(), 16), a);
    ::inet_ntop(t->kind == shape::ipv4 ? AF_INET : AF_INET6, a, buf,
                sizeof buf);
    return std::string{buf};
  }
  case shape::ether: {
    char buf[18];
    if (b.size() < 6)
      return "?";
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1],
                  b[2], b[3], b[4], b[5]);
    return std::string{buf};
  }
  case shape::ifname: {
    std::string s(b.begin(), b.end());
    return s.substr(0, s.find('\0'));
  }
  case shape::integer: {
    auto n = number(*t, b);
    if (auto name = symbol_name(*t, n))
      return std::string{*name};
    return n;
  }
  case shape::ifindex: {
    // As nft lists it: the name where the lister runs, else the number
    // as a string.
    auto n = number(*t, b);
    char name[IF_NAMESIZE] = {};
    if (n && ::if_indextoname(static_cast<unsigned>(n), name))
      return std::string{name};
    return std::to_string(n);
  }
  }
  return nullptr;
}

// An integer of `len` bytes in the given byte order as JSON.
value integer_json(const dtype* t, byte_view b, bool big_endian) {
  if (!t || t->kind != shape::integer)
    return scalar_json(t, b);
  dtype d = *t;
  d.big_endian = big_endian;
  d.len = static_cast<std::uint32_t>(b.size());
  return scalar_json(&d, b);
}

// nft's order of set elements: by value (host-order types compared as
// numbers, that is from their last byte).
bool value_less(const dtype* t, const byte_buffer& a, const byte_buffer& b) {
  if (t && !t->big_endian)
    return std::lexicographical_compare(a.rbegin(), a.rend(), b.rbegin(),
                                        b.rend());
  return a < b;
}

// A key of `k` from its bytes: a scalar, or {"concat": [...]}.
value key_json(const key_type& k, byte_view b) {
  if (k.parts.size() == 1)
    return scalar_json(k.parts[0], b);
  value parts = value::array();
  std::size_t off = 0;
  for (auto* p : k.parts) {
    auto n = std::min<std::size_t>(p->len, b.size() > off ? b.size() - off : 0);
    parts.push_back(scalar_json(p, b.subspan(off, n)));
    off += (p->len + 3) / 4 * 4;
  }
  return value{{"concat", parts}};
}

key_type key_of_set(const set& s) {
  key_type k;
  auto id = s.key_type.value_or(0);
  if (auto* t = dtype_by_id(id)) {
    k.parts.push_back(t);
    return k;
  }
  // A concatenation: 6 bits per part, the first part highest.
  std::vector<const dtype*> parts;
  while (id) {
    auto* t = dtype_by_id(id & 0x3f);
    if (!t)
      return key_type{};
    parts.insert(parts.begin(), t);
    id >>= 6;
  }
  k.parts = std::move(parts);
  return k;
}

value verdict_json(const verdict& v) {
  switch (v.code) {
  case NF_ACCEPT:
    return {{"accept", nullptr}};
  case NF_DROP:
    return {{"drop", nullptr}};
  case NFT_RETURN:
    return {{"return", nullptr}};
  case NFT_CONTINUE:
    return {{"continue", nullptr}};
  case NFT_JUMP:
    return {{"jump", {{"target", v.chain.value_or("")}}}};
  case NFT_GOTO:
    return {{"goto", {{"target", v.chain.value_or("")}}}};
  default:
    return {{"verdict", v.code}};
  }
}

// Subtracts one from a big-endian byte string.
void decrement(byte_buffer& b) {
  for (auto i = b.size(); i-- > 0;)
    if (b[i]-- != 0)
      break;
}

// The prefix length of [from, to] when it is one, else -1.
int prefix_len(const byte_buffer& from, const byte_buffer& to) {
  std::size_t bits = from.size() * 8;
  std::size_t len = 0;
  while (len < bits) {
    auto mask = static_cast<std::uint8_t>(0x80 >> (len % 8));
    if ((from[len / 8] & mask) != (to[len / 8] & mask))
      break;
    ++len;
  }
  for (auto i = len; i < bits; ++i) {
    auto mask = static_cast<std::uint8_t>(0x80 >> (i % 8));
    if ((from[i / 8] & mask) || !(to[i / 8] & mask))
      return -1;
  }
  return static_cast<int>(len);
}

// Elements as nft lists them: interval start/end pairs folded into
// prefixes and ranges; map elements as [key, data].
value elements_json(const set& s, const std::vector<set_elem>& elems) {
  auto k = key_of_set(s);
  const dtype* data = s.data_type ? dtype_by_id(*s.data_type) : nullptr;
  bool interval = s.flags.value_or(0) & NFT_SET_INTERVAL;
  value out = value::array();
  const dtype* order = k.parts.size() == 1 ? k.parts[0] : nullptr;
  std::vector<set_elem> sorted = elems;
  std::stable_sort(sorted.begin(), sorted.end(), [&](auto& a, auto& b) {
    if (!a.key || !b.key)
      return static_cast<bool>(b.key);
    if (a.key->value == b.key->value)
      return a.is_interval_end() && !b.is_interval_end();
    return value_less(order, a.key->value, b.key->value);
  });
  auto with_data = [&](value key, const set_elem& e) {
    if (e.objref)
      return value::array({key, *e.objref});
    if (!e.value)
      return key;
    if (e.value->verdict)
      return value::array({key, verdict_json(*e.value->verdict)});
    return value::array({key, scalar_json(data, e.value->value)});
  };
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const auto& e = sorted[i];
    if (!e.key || e.is_interval_end())
      continue;
    if (k.parts.empty()) {
      out.push_back(with_data(scalar_json(nullptr, e.key->value), e));
      continue;
    }
    value key = key_json(k, e.key->value);
    if (interval && k.parts.size() == 1) {
      byte_buffer from = e.key->value, to;
      if (e.key_end)
        to = e.key_end->value;
      else if (i + 1 < sorted.size() && sorted[i + 1].is_interval_end() &&
               sorted[i + 1].key) {
        to = sorted[i + 1].key->value;
        decrement(to);
      } else {
        to = byte_buffer(from.size(), 0xff);
      }
      if (from != to) {
        auto len = prefix_len(from, to);
        if (len >= 0 && k.parts[0]->kind != shape::integer)
          key = {{"prefix",
                  {{"addr", scalar_json(k.parts[0], from)}, {"len", len}}}};
        else
          key = {{"range", value::array({scalar_json(k.parts[0], from),
                                         scalar_json(k.parts[0], to)})}};
      }
    }
    out.push_back(with_data(std::move(key), e));
  }
  return out;
}

// -- expressions → statements
// --------------------------------------------------

// What a register holds.
struct held {
  value operand;                   // {"payload": ...}, or null for a value
  const dtype* type = nullptr;     // type of what it holds
  const f::field* fld = nullptr;   // the field, when it is one
  std::optional<data> imm;         // an immediate value
  std::optional<byte_buffer> mask; // a bitwise mask applied to it
  std::uint32_t len = 0;
  /// Integer byte order differs from the type's (a field in network
  /// order, or a value turned by byteorder hton).
  std::optional<bool> big_endian;
};

const char* base_name(std::uint32_t base) {
  switch (base) {
  case NFT_PAYLOAD_LL_HEADER:
    return "ll";
  case NFT_PAYLOAD_NETWORK_HEADER:
    return "nh";
  case NFT_PAYLOAD_TRANSPORT_HEADER:
    return "th";
  default:
    return "ih";
  }
}

class writer {
 public:
  writer(const rule& r, const set_finder& sets) : r_(r), sets_(sets) {}

  value run() {
    const auto& xs = r_.exprs;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      // nft's "tcp dport 1000-2000": cmp gte, cmp lte on one register.
      auto* lo = xs[i].get_if<expr::cmp>();
      auto* hi = i + 1 < xs.size() ? xs[i + 1].get_if<expr::cmp>() : nullptr;
      if (lo && hi && lo->op == NFT_CMP_GTE && hi->op == NFT_CMP_LTE &&
          lo->sreg == hi->sreg) {
        on(expr::range{.sreg = lo->sreg,
                       .op = NFT_RANGE_EQ,
                       .from = lo->value,
                       .to = hi->value},
           xs[i]);
        ++i;
        continue;
      }
      std::visit([&](const auto& x) { on(x, xs[i]); }, xs[i].value);
    }
    flush_dep();
    return std::move(out_);
  }

 private:
  const rule& r_;
  const set_finder& sets_;
  value out_ = value::array();
  std::map<std::uint32_t, held> regs_;
  // Registers loaded since the last consumer, in order (concatenations).
  std::vector<std::uint32_t> loaded_;
  // A dependency match (meta l4proto/nfproto ==) held back until the next
  // load shows whether nft would have implied it.
  // Held dependencies: the network one (nfproto) and the transport one
  // (l4proto), each null when none.
  value dep3_, dep4_;
  std::uint8_t dep_l4_ = 0, dep_l3_ = 0;

  void emit(value v) {
    flush_dep();
    out_.push_back(std::move(v));
  }
  void flush_dep() {
    if (!dep3_.is_null())
      out_.push_back(std::move(dep3_));
    if (!dep4_.is_null())
      out_.push_back(std::move(dep4_));
    dep3_ = nullptr;
    dep4_ = nullptr;
    dep_l4_ = dep_l3_ = 0;
  }
  void put(std::uint32_t reg, held h) {
    regs_[reg] = std::move(h);
    loaded_.push_back(reg);
  }
  held take(std::uint32_t reg) {
    auto it = regs_.find(reg);
    held h = it == regs_.end() ? held{} : it->second;
    return h;
  }
  void opaque(const expression& e) { emit({{"nfactor", render(e)}}); }

  // A loaded field: drop a held dependency it implies.
  void load_field(std::uint32_t reg, const named_field& nf) {
    if (dep_l4_ && nf.fld->l4proto == dep_l4_) {
      dep4_ = nullptr;
      dep_l4_ = 0;
    }
    if (dep_l3_ && nf.fld->nfproto == dep_l3_) {
      dep3_ = nullptr;
      dep_l3_ = 0;
    }
    value op;
    if (nf.fld->from == f::field::source::payload)
      op = {{"payload",
             {{"protocol", std::string{nf.a}}, {"field", std::string{nf.b}}}}};
    else
      op = {{std::string{nf.a}, {{"key", std::string{nf.b}}}}};
    held h{op, find_dtype(nf.type), nf.fld, {}, {}, nf.fld->len, {}};
    if (h.type && h.type->kind == shape::integer)
      h.big_endian = nf.fld->kind == f::field::shape::integer_be;
    put(reg, std::move(h));
  }

  template <class Pred>
  const named_field* field_where(Pred p) {
    const named_field* best = nullptr;
    for (auto& nf : known_fields()) {
      if (!p(*nf.fld))
        continue;
      // tcp or udp port: the transport protocol the rule matched on.
      if (nf.fld->l4proto && dep_l4_ && nf.fld->l4proto != dep_l4_)
        continue;
      if (nf.fld->l4proto && !dep_l4_ && last_l4_ &&
          nf.fld->l4proto != last_l4_)
        continue;
      if (!best)
        best = &nf;
    }
    return best;
  }
  std::uint8_t last_l4_ = 0;

  void on(const expr::payload& p, const expression&) {
    if (!p.dreg) {
      emit({{"nfactor", "payload write"}});
      return;
    }
    auto* nf = field_where([&](const f::field& fl) {
      return fl.from == f::field::source::payload && fl.key == p.base &&
             fl.offset == p.offset && fl.len >= p.len &&
             (fl.len == p.len || fl.kind == f::field::shape::ipv4 ||
              fl.kind == f::field::shape::ipv6);
    });
    if (nf) {
      load_field(*p.dreg, *nf);
      regs_[*p.dreg].len = p.len;
      return;
    }
    flush_dep();
    put(*p.dreg, held{{{"payload",
                        {{"base", base_name(p.base)},
                         {"offset", p.offset * 8},
                         {"len", p.len * 8}}}},
                      nullptr,
                      nullptr,
                      {},
                      {},
                      p.len,
                      {}});
  }
  void on(const expr::meta& m, const expression& e) {
    if (m.sreg) {
      auto h = take(*m.sreg);
      auto* nf = field_where([&](const f::field& fl) {
        return fl.from == f::field::source::meta && fl.key == m.key;
      });
      if (!nf || !h.imm) {
        opaque(e);
        return;
      }
      emit({{"mangle",
             {{"key", {{"meta", {{"key", std::string{nf->b}}}}}},
              {"value", scalar_json(find_dtype(nf->type), h.imm->value)}}}});
      return;
    }
    auto* nf = field_where([&](const f::field& fl) {
      return fl.from == f::field::source::meta && fl.key == m.key;
    });
    if (!nf || !m.dreg) {
      opaque(e);
      return;
    }
    load_field(*m.dreg, *nf);
  }
  void on(const expr::ct& c, const expression& e) {
    auto* nf = field_where([&](const f::field& fl) {
      return fl.from == f::field::source::ct && fl.key == c.key;
    });
    if (!nf || c.direction) {
      opaque(e);
      return;
    }
    if (c.sreg) {
      auto h = take(*c.sreg);
      if (!h.imm) {
        opaque(e);
        return;
      }
      emit({{"mangle",
             {{"key", {{"ct", {{"key", std::string{nf->b}}}}}},
              {"value", scalar_json(find_dtype(nf->type), h.imm->value)}}}});
      return;
    }
    if (c.dreg)
      load_field(*c.dreg, *nf);
  }
  void on(const expr::fib& fb, const expression&) {
    flush_dep();
    value flags = value::array();
    static constexpr std::pair<std::uint32_t, const char*> names[] = {
        {NFTA_FIB_F_SADDR, "saddr"},
        {NFTA_FIB_F_DADDR, "daddr"},
        {NFTA_FIB_F_MARK, "mark"},
        {NFTA_FIB_F_IIF, "iif"},
        {NFTA_FIB_F_OIF, "oif"}};
    for (auto& [bit, name] : names)
      if (fb.flags & bit)
        flags.push_back(name);
    const char* result = fb.result == NFT_FIB_RESULT_OIF       ? "oif"
                         : fb.result == NFT_FIB_RESULT_OIFNAME ? "oifname"
                                                               : "type";
    auto* t =
        find_dtype(fb.result == NFT_FIB_RESULT_OIF       ? "iface_index"
                   : fb.result == NFT_FIB_RESULT_OIFNAME ? "ifname"
                                                         : "fib_addrtype");
    put(fb.dreg, held{{{"fib", {{"result", result}, {"flags", flags}}}},
                      t,
                      nullptr,
                      {},
                      {},
                      t->len,
                      {}});
  }
  void on(const expr::numgen& n, const expression&) {
    flush_dep();
    put(n.dreg,
        held{{{"numgen",
               {{"mode", n.type == NFT_NG_INCREMENTAL ? "inc" : "random"},
                {"mod", n.modulus},
                {"offset", n.offset.value_or(0)}}}},
             find_dtype("integer"),
             nullptr,
             {},
             {},
             4,
             {}});
  }
  void on(const expr::socket& s, const expression& e) {
    const char* key = s.key == NFT_SOCKET_TRANSPARENT ? "transparent"
                      : s.key == NFT_SOCKET_MARK      ? "mark"
                      : s.key == NFT_SOCKET_WILDCARD  ? "wildcard"
                                                      : nullptr;
    if (!key) {
      opaque(e);
      return;
    }
    flush_dep();
    auto* t = find_dtype(s.key == NFT_SOCKET_MARK ? "mark" : "integer");
    put(s.dreg, held{{{"socket", {{"key", key}}}},
                     t,
                     nullptr,
                     {},
                     {},
                     s.key == NFT_SOCKET_MARK ? 4u : 1u,
                     {}});
  }
  void on(const expr::bitwise& b, const expression& e) {
    auto it = regs_.find(b.sreg);
    if (it == regs_.end() || !b.mask) {
      opaque(e);
      return;
    }
    held h = it->second;
    h.mask = b.mask->value;
    regs_[b.dreg] = h;
  }
  void on(const expr::byteorder& bo, const expression& e) {
    auto it = regs_.find(bo.sreg);
    if (it == regs_.end() || bo.op != NFT_BYTEORDER_HTON) {
      opaque(e);
      return;
    }
    held h = it->second;
    h.big_endian = true;
    regs_[bo.dreg] = h;
  }
  void on(const expr::immediate& im, const expression&) {
    if (im.dreg == NFT_REG_VERDICT && im.value.verdict) {
      emit(verdict_json(*im.value.verdict));
      return;
    }
    regs_[im.dreg] = held{nullptr, nullptr, nullptr, im.value, {}, 0, {}};
  }
  void on(const expr::cmp& c, const expression& e) {
    auto it = regs_.find(c.sreg);
    if (it == regs_.end() || it->second.operand.is_null()) {
      opaque(e);
      return;
    }
    held h = it->second;
    loaded_.clear();
    static constexpr std::pair<std::uint32_t, const char*> ops[] = {
        {NFT_CMP_EQ, "=="},  {NFT_CMP_NEQ, "!="}, {NFT_CMP_LT, "<"},
        {NFT_CMP_LTE, "<="}, {NFT_CMP_GT, ">"},   {NFT_CMP_GTE, ">="}};
    std::string op = "==";
    for (auto& [n, s] : ops)
      if (n == c.op)
        op = s;
    value right;
    if (h.mask && h.fld && h.fld->kind == f::field::shape::bits) {
      // ct state established,related: mask, != 0.
      auto bits = number(*h.type, *h.mask);
      value names = value::array();
      for (std::uint64_t bit = 1; bit && bit <= bits; bit <<= 1)
        if (bits & bit) {
          auto n = symbol_name(*h.type, bit);
          names.push_back(n ? value(std::string{*n}) : value(bit));
        }
      right = names.size() == 1 ? names[0] : names;
      op = c.op == NFT_CMP_NEQ ? "in" : "!=";
      if (op == "in" && h.fld->key == NFT_CT_STATE &&
          h.fld->from == f::field::source::ct)
        op = "in";
    } else if (h.mask && h.type) {
      // An address prefix: a contiguous mask.
      byte_buffer from = c.value.value, to = c.value.value;
      for (std::size_t i = 0; i < to.size() && i < h.mask->size(); ++i)
        to[i] |= static_cast<std::uint8_t>(~(*h.mask)[i]);
      auto len = prefix_len(from, to);
      from.resize(h.type->len, 0);
      if (len < 0) {
        opaque(e);
        return;
      }
      right = {{"prefix", {{"addr", scalar_json(h.type, from)}, {"len", len}}}};
    } else if (h.type && h.len < h.type->len &&
               (h.type->kind == shape::ipv4 || h.type->kind == shape::ipv6)) {
      // A byte-aligned prefix load (ip saddr 10.0.0.0/8).
      byte_buffer from = c.value.value;
      from.resize(h.type->len, 0);
      right = {{"prefix",
                {{"addr", scalar_json(h.type, from)}, {"len", h.len * 8}}}};
    } else if (h.big_endian) {
      right = integer_json(h.type, c.value.value, *h.big_endian);
    } else {
      right = scalar_json(h.type, c.value.value);
    }
    value m = {{"match", {{"op", op}, {"left", h.operand}, {"right", right}}}};
    // meta l4proto / nfproto ==: maybe an implied dependency.
    if (h.fld && op == "==" && h.fld->from == f::field::source::meta &&
        (h.fld->key == NFT_META_L4PROTO || h.fld->key == NFT_META_NFPROTO) &&
        !c.value.value.empty()) {
      bool l4 = h.fld->key == NFT_META_L4PROTO;
      if (!(l4 ? dep4_ : dep3_).is_null())
        flush_dep();
      (l4 ? dep4_ : dep3_) = std::move(m);
      if (l4)
        dep_l4_ = last_l4_ = c.value.value[0];
      else
        dep_l3_ = c.value.value[0];
      return;
    }
    emit(std::move(m));
  }
  void on(const expr::range& rg, const expression& e) {
    auto it = regs_.find(rg.sreg);
    if (it == regs_.end() || it->second.operand.is_null()) {
      opaque(e);
      return;
    }
    auto& h = it->second;
    loaded_.clear();
    emit({{"match",
           {{"op", rg.op == NFT_RANGE_NEQ ? "!=" : "=="},
            {"left", h.operand},
            {"right",
             {{"range",
               value::array(
                   {h.big_endian
                        ? integer_json(h.type, rg.from.value, *h.big_endian)
                        : scalar_json(h.type, rg.from.value),
                    h.big_endian
                        ? integer_json(h.type, rg.to.value, *h.big_endian)
                        : scalar_json(h.type, rg.to.value)})}}}}}});
  }
  // The operand a lookup reads: one register or a concatenation.
  std::pair<value, key_type> lookup_key(std::uint32_t sreg) {
    std::vector<std::uint32_t> regs;
    auto start = std::find(loaded_.begin(), loaded_.end(), sreg);
    if (start != loaded_.end())
      regs.assign(start, loaded_.end());
    else
      regs.push_back(sreg);
    loaded_.clear();
    key_type k;
    if (regs.size() == 1) {
      auto h = take(regs[0]);
      if (h.type)
        k.parts.push_back(h.type);
      return {h.operand, k};
    }
    value parts = value::array();
    for (auto r : regs) {
      auto h = take(r);
      parts.push_back(h.operand);
      if (h.type)
        k.parts.push_back(h.type);
    }
    return {{{"concat", parts}}, k};
  }
  value set_ref(const std::string& name) {
    if (name.starts_with("__") && sets_)
      if (auto* s = sets_(r_.family, r_.table, name))
        return {{"set", elements_json(s->set, s->elems)}};
    return "@" + name;
  }
  void on(const expr::lookup& l, const expression&) {
    auto [left, k] = lookup_key(l.sreg);
    auto right = set_ref(l.set);
    if (l.dreg && *l.dreg == NFT_REG_VERDICT) {
      emit({{"vmap", {{"key", left}, {"data", right}}}});
      return;
    }
    bool inv = l.flags.value_or(0) & NFT_LOOKUP_F_INV;
    emit({{"match",
           {{"op", inv ? "!=" : "=="}, {"left", left}, {"right", right}}}});
  }
  void on(const expr::counter& c, const expression&) {
    emit({{"counter", {{"packets", c.packets}, {"bytes", c.bytes}}}});
  }
  void on(const expr::objref& o, const expression& e) {
    if (!o.imm_type || !o.imm_name) {
      opaque(e);
      return;
    }
    const char* kind = *o.imm_type == NFT_OBJECT_COUNTER ? "counter"
                       : *o.imm_type == NFT_OBJECT_QUOTA ? "quota"
                       : *o.imm_type == NFT_OBJECT_LIMIT ? "limit"
                                                         : nullptr;
    if (!kind) {
      opaque(e);
      return;
    }
    emit({{kind, *o.imm_name}});
  }
  void on(const expr::log& l, const expression&) {
    value o = value::object();
    if (l.prefix)
      o["prefix"] = *l.prefix;
    if (l.group)
      o["group"] = *l.group;
    if (l.snaplen)
      o["snaplen"] = *l.snaplen;
    if (l.qthreshold)
      o["queue-threshold"] = *l.qthreshold;
    if (l.level && *l.level != 4) {
      static constexpr const char* levels[] = {
          "emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"};
      o["level"] = *l.level < 8 ? value(levels[*l.level]) : value(*l.level);
    }
    emit({{"log", o.empty() ? value(nullptr) : o}});
  }
  static const char* time_unit(std::uint64_t u) {
    switch (u) {
    case 60:
      return "minute";
    case 3600:
      return "hour";
    case 86400:
      return "day";
    case 604800:
      return "week";
    default:
      return "second";
    }
  }
  // nft's byte units: the largest that divides the amount.
  static std::pair<std::uint64_t, const char*> in_units(std::uint64_t n) {
    static constexpr const char* units[] = {"bytes", "kbytes", "mbytes",
                                            "gbytes"};
    std::size_t u = 0;
    while (n && n % 1024 == 0 && u < 3) {
      n /= 1024;
      ++u;
    }
    return {n, units[u]};
  }
  void on(const expr::limit& l, const expression&) {
    value o = {
        {"rate", l.rate}, {"burst", l.burst}, {"per", time_unit(l.unit)}};
    if (l.type == NFT_LIMIT_PKT_BYTES) {
      auto [r, ru] = in_units(l.rate);
      auto [b, bu] = in_units(l.burst);
      o["rate"] = r;
      o["rate_unit"] = ru;
      o["burst"] = b;
      o["burst_unit"] = bu;
    }
    if (l.flags & NFT_LIMIT_F_INV)
      o["inv"] = true;
    emit({{"limit", o}});
  }
  void on(const expr::quota& q, const expression&) {
    auto [v, vu] = in_units(q.bytes);
    value o = {{"val", v}, {"val_unit", vu}};
    if (q.consumed && *q.consumed) {
      auto [u, uu] = in_units(*q.consumed);
      o["used"] = u;
      o["used_unit"] = uu;
    }
    if (q.flags & NFT_QUOTA_F_INV)
      o["inv"] = true;
    emit({{"quota", o}});
  }
  void on(const expr::connlimit& c, const expression&) {
    value o = {{"val", c.count}};
    if (c.flags & NFT_CONNLIMIT_F_INV)
      o["inv"] = true;
    emit({{"ct count", o}});
  }
  void on(const expr::notrack&, const expression&) {
    emit({{"notrack", nullptr}});
  }
  void on(const expr::masq&, const expression&) {
    emit({{"masquerade", nullptr}});
  }
  void on(const expr::redir& rd, const expression& e) {
    if (!rd.reg_proto_min) {
      emit({{"redirect", nullptr}});
      return;
    }
    auto h = take(*rd.reg_proto_min);
    if (!h.imm) {
      opaque(e);
      return;
    }
    emit({{"redirect",
           {{"port", number(*find_dtype("inet_service"), h.imm->value)}}}});
  }
  void on(const expr::nat& n, const expression& e) {
    if (!n.reg_addr_min || n.reg_proto_min) {
      opaque(e);
      return;
    }
    auto h = take(*n.reg_addr_min);
    if (!h.imm) {
      opaque(e);
      return;
    }
    auto* t = find_dtype(n.family == NFPROTO_IPV6 ? "ipv6_addr" : "ipv4_addr");
    value o = {{"addr", scalar_json(t, h.imm->value)}};
    if (r_.family == NFPROTO_INET)
      o["family"] = n.family == NFPROTO_IPV6 ? "ip6" : "ip";
    emit({{n.type == NFT_NAT_SNAT ? "snat" : "dnat", o}});
  }
  void on(const expr::reject& rj, const expression&) {
    if (rj.type == NFT_REJECT_TCP_RST) {
      emit({{"reject", {{"type", "tcp reset"}}}});
      return;
    }
    auto code = rj.icmp_code.value_or(0);
    const char* type = rj.type == NFT_REJECT_ICMPX_UNREACH ? "icmpx"
                       : r_.family == NFPROTO_IPV6         ? "icmpv6"
                                                           : "icmp";
    value name = code;
    for (auto& rc : reject_code_names())
      if (rc.type == type && rc.code == code)
        name = std::string{rc.name};
    emit({{"reject", {{"type", type}, {"expr", name}}}});
  }
  void on(const expr::queue& q, const expression&) {
    value o = {{"num", q.num.value_or(0)}};
    if (q.flags.value_or(0) & NFT_QUEUE_FLAG_BYPASS)
      o["flags"] = "bypass";
    emit({{"queue", o}});
  }
  void on(const expr::dynset& d, const expression& e) {
    static constexpr const char* ops[] = {"add", "update", "delete"};
    if (d.op > 2) {
      opaque(e);
      return;
    }
    auto [elem, k] = lookup_key(d.sreg_key);
    (void)k;
    emit({{"set",
           {{"op", ops[d.op]}, {"elem", elem}, {"set", "@" + d.set_name}}}});
  }
  template <class T>
  void on(const T&, const expression& e) {
    opaque(e);
  }
};

// -- statements → nft syntax
// ---------------------------------------------------

std::string quote(const std::string& s) {
  return "\"" + s + "\"";
}

std::string operand_text(const value& v) {
  if (auto* p = member(v, "payload")) {
    if (p->contains("protocol"))
      return (*p)["protocol"].get<std::string>() + " " +
             (*p)["field"].get<std::string>();
    return "@" + (*p)["base"].get<std::string>() + "," +
           std::to_string((*p)["offset"].get<std::uint64_t>()) + "," +
           std::to_string((*p)["len"].get<std::uint64_t>());
  }
  if (auto* m = member(v, "meta")) {
    auto k = (*m)["key"].get<std::string>();
    if (k == "iif" || k == "oif" || k == "iifname" || k == "oifname")
      return k;
    return "meta " + k;
  }
  if (auto* c = member(v, "ct"))
    return "ct " + (*c)["key"].get<std::string>();
  if (auto* fb = member(v, "fib")) {
    std::string s = "fib";
    std::string sep = " ";
    for (auto& fl : (*fb)["flags"]) {
      s += sep + fl.get<std::string>();
      sep = " . ";
    }
    return s + " " + (*fb)["result"].get<std::string>();
  }
  if (auto* n = member(v, "numgen")) {
    std::string s = "numgen " + (*n)["mode"].get<std::string>() + " mod " +
                    std::to_string((*n)["mod"].get<std::uint64_t>());
    if (auto off = (*n)["offset"].get<std::uint64_t>())
      s += " offset " + std::to_string(off);
    return s;
  }
  if (auto* so = member(v, "socket"))
    return "socket " + (*so)["key"].get<std::string>();
  if (auto* c = member(v, "concat")) {
    std::string s;
    for (auto& p : *c)
      s += (s.empty() ? "" : " . ") + operand_text(p);
    return s;
  }
  return v.dump();
}

// Marks print as nft prints them (0x%08x); the rest as plain values.
std::string value_text(const value& v, bool hex) {
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_number_unsigned()) {
    if (hex) {
      char buf[24];
      std::snprintf(buf, sizeof buf, "0x%08llx",
                    static_cast<unsigned long long>(v.get<std::uint64_t>()));
      return buf;
    }
    return std::to_string(v.get<std::uint64_t>());
  }
  if (v.is_array()) {
    std::string s;
    for (auto& x : v)
      s += (s.empty() ? "" : ",") + value_text(x, hex);
    return s;
  }
  if (auto* p = member(v, "prefix"))
    return value_text((*p)["addr"], hex) + "/" +
           std::to_string((*p)["len"].get<std::uint64_t>());
  if (auto* r = member(v, "range"))
    return value_text((*r)[0], hex) + "-" + value_text((*r)[1], hex);
  if (auto* c = member(v, "concat")) {
    std::string s;
    for (auto& p : *c)
      s += (s.empty() ? "" : " . ") + value_text(p, hex);
    return s;
  }
  if (auto* s = member(v, "set")) {
    std::string out;
    for (auto& e : *s) {
      std::string one;
      if (e.is_array() && e.size() == 2)
        one = value_text(e[0], hex) + " : " + value_text(e[1], false);
      else
        one = value_text(e, hex);
      out += (out.empty() ? "" : ", ") + one;
    }
    return "{ " + out + " }";
  }
  if (v.is_object() && v.size() == 1) {
    // A verdict.
    auto it = v.begin();
    if (it.value().is_null())
      return it.key();
    if (auto* t = member(it.value(), "target"))
      return it.key() + " " + t->get<std::string>();
  }
  return v.dump();
}

bool is_hex(const value& left) {
  if (auto* m = member(left, "meta"))
    return (*m)["key"] == "mark";
  if (auto* c = member(left, "ct"))
    return (*c)["key"] == "mark";
  return false;
}

std::string quoted_if_name(const value& left, const value& right, bool hex) {
  auto s = value_text(right, hex);
  if (auto* m = member(left, "meta")) {
    auto k = (*m)["key"].get<std::string>();
    if ((k == "iifname" || k == "oifname" || k == "iif" || k == "oif") &&
        right.is_string())
      return quote(s);
  }
  return s;
}

std::string statement_text(const value& st, std::uint8_t family) {
  auto it = st.begin();
  const std::string k = it.key();
  const value& v = it.value();
  if (k == "match") {
    const auto& left = v["left"];
    auto op = v["op"].get<std::string>();
    bool hex = is_hex(left);
    std::string right = quoted_if_name(left, v["right"], hex);
    if (v["right"].is_array() && v["right"].size() > 0 &&
        v["right"][0].is_string() && member(v["right"], "set") == nullptr &&
        (member(left, "ct") || false)) {
      // ct state established,related
    }
    std::string s = operand_text(left) + " ";
    if (op != "==" && op != "in")
      s += op + " ";
    return s + right;
  }
  if (k == "vmap")
    return operand_text(v["key"]) + " vmap " + value_text(v["data"], false);
  if (k == "counter") {
    if (v.is_string())
      return "counter name " + quote(v.get<std::string>());
    return "counter packets " +
           std::to_string(v["packets"].get<std::uint64_t>()) + " bytes " +
           std::to_string(v["bytes"].get<std::uint64_t>());
  }
  if (k == "quota" || k == "limit") {
    if (v.is_string())
      return k + " name " + quote(v.get<std::string>());
    if (k == "quota")
      return std::string{"quota "} + (v.contains("inv") ? "over " : "") +
             std::to_string(v["val"].get<std::uint64_t>()) + " " +
             v["val_unit"].get<std::string>();
    std::string s = "limit rate ";
    if (v.contains("inv"))
      s += "over ";
    s += std::to_string(v["rate"].get<std::uint64_t>());
    if (v.contains("rate_unit"))
      s += " " + v["rate_unit"].get<std::string>();
    s += "/" + v["per"].get<std::string>();
    auto b = v["burst"].get<std::uint64_t>();
    if (v.contains("burst_unit") && b)
      s += " burst " + std::to_string(b) + " " +
           v["burst_unit"].get<std::string>();
    else if (!v.contains("burst_unit") && b != 5)
      s += " burst " + std::to_string(b) + " packets";
    return s;
  }
  if (k == "log") {
    std::string s = "log";
    if (v.is_object()) {
      if (v.contains("prefix"))
        s += " prefix " + quote(v["prefix"].get<std::string>());
      if (v.contains("level"))
        s += " level " + value_text(v["level"], false);
      if (v.contains("snaplen"))
        s += " snaplen " + value_text(v["snaplen"], false);
      if (v.contains("group"))
        s += " group " + value_text(v["group"], false);
      if (v.contains("queue-threshold"))
        s += " queue-threshold " + value_text(v["queue-threshold"], false);
    }
    return s;
  }
  if (k == "mangle") {
    bool hex = is_hex(v["key"]);
    return operand_text(v["key"]) + " set " + value_text(v["value"], hex);
  }
  if (k == "ct count")
    return std::string{"ct count "} + (v.contains("inv") ? "over " : "") +
           value_text(v["val"], false);
  if (k == "redirect")
    return v.is_null() ? "redirect"
                       : "redirect to :" + value_text(v["port"], false);
  if (k == "snat" || k == "dnat") {
    std::string s = k + " to ";
    if (v.contains("family"))
      s = k + " " + v["family"].get<std::string>() + " to ";
    return s + v["addr"].get<std::string>();
  }
  if (k == "masquerade" || k == "notrack")
    return k;
  if (k == "reject") {
    if (v.is_null())
      return "reject";
    if (v["type"] == "tcp reset")
      return "reject with tcp reset";
    // The family's default code prints as a bare reject.
    auto type = v["type"].get<std::string>();
    if (v["expr"] == "port-unreachable" &&
        ((type == "icmp" && family == NFPROTO_IPV4) ||
         (type == "icmpv6" && family == NFPROTO_IPV6) ||
         (type == "icmpx" && family == NFPROTO_INET)))
      return "reject";
    return "reject with " + v["type"].get<std::string>() + " " +
           value_text(v["expr"], false);
  }
  if (k == "queue") {
    std::string s = "queue";
    if (v.contains("flags"))
      s += " flags bypass";
    return s + " to " + value_text(v["num"], false);
  }
  if (k == "set")
    return v["op"].get<std::string>() + " " + v["set"].get<std::string>() +
           " { " + operand_text(v["elem"]) + " }";
  if (k == "nfactor")
    return v.get<std::string>();
  (void)family;
  return value_text(st, false);
}

} // namespace

std::string statements_json(const rule& r, const set_finder& sets) {
  return writer{r, sets}.run().dump();
}

std::string rule_text(const rule& r, const set_finder& sets) {
  auto stmts = writer{r, sets}.run();
  std::string s;
  for (auto& st : stmts)
    s += (s.empty() ? "" : " ") + statement_text(st, r.family);
  return s;
}

std::string elements_text(const set& s, const std::vector<set_elem>& elems) {
  auto list = elements_json(s, elems);
  bool hex = s.key_type == 19u; // mark
  std::string out;
  for (auto& e : list) {
    std::string one;
    if (e.is_array() && e.size() == 2)
      one = value_text(e[0], hex) + " : " + value_text(e[1], false);
    else
      one = value_text(e, hex);
    if (s.key_type == 41u) // ifname
      one = quote(one);
    out += (out.empty() ? "" : ", ") + one;
  }
  return "{ " + out + " }";
}

std::string elements_json_text(const set& s,
                               const std::vector<set_elem>& elems) {
  return elements_json(s, elems).dump();
}

std::string set_type_text(const set& s) {
  auto k = key_of_set(s);
  std::string t;
  for (auto* p : k.parts)
    t += (t.empty() ? "" : " . ") + std::string{p->name};
  if (t.empty())
    t = "type " + std::to_string(s.key_type.value_or(0));
  if (s.flags.value_or(0) & NFT_SET_OBJECT) {
    static constexpr const char* objs[] = {"?", "counter", "quota", "?",
                                           "limit"};
    t += " : " +
         std::string{
             objs[s.obj_type.value_or(0) < 5 ? s.obj_type.value_or(0) : 0]};
  } else if (s.is_map()) {
    if (s.data_type == static_cast<std::uint32_t>(NFT_DATA_VERDICT))
      t += " : verdict";
    else if (auto* d = dtype_by_id(s.data_type.value_or(0)))
      t += " : " + std::string{d->name};
  }
  std::string out = "{ type " + t + ";";
  std::string flags;
  auto fl = s.flags.value_or(0);
  static constexpr std::pair<std::uint32_t, const char*> names[] = {
      {NFT_SET_CONSTANT, "constant"},
      {NFT_SET_INTERVAL, "interval"},
      {NFT_SET_TIMEOUT, "timeout"},
      {NFT_SET_EVAL, "dynamic"}};
  for (auto& [bit, name] : names)
    if (fl & bit)
      flags += (flags.empty() ? "" : ",") + std::string{name};
  if (!flags.empty())
    out += " flags " + flags + ";";
  return out + " }";
}

} // namespace nfactor::nft::json
