// SPDX-License-Identifier: Apache-2.0
//
// nft JSON matches and verdict maps → the expressions nft emits for them:
// a comparison through the rule front, a range, a prefix, a lookup in a
// named or an anonymous set (which becomes its own set operation).
#include <cstdint>
#include <string>
#include <vector>

#include <linux/netfilter/nf_tables.h>

#include "names.hpp"
#include "operands.hpp"

namespace nfactor::nft::json::detail {

namespace {

namespace f = front;

bool is_lookup_op(const std::string& op) {
  return op == "==" || op == "!=" || op == "in";
}

// An anonymous set (or map) of the rule's table holding `elems`; returns
// the lookup that refers to it (sreg/dreg/flags for the caller to set).
// `bits`: a field of less than its bytes, whose elements nft moves to its
// bits in its bytes.
expr::lookup anonymous_set(const rule& r, const key_type& key,
                           const value& elems, bool verdicts,
                           const std::string& path, context& cx,
                           const operand* bits = nullptr) {
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
  if (bits) {
    if (spec.interval)
      fail(path, "ranges of " + bits->name + " in a set are not supported");
    for (auto& e : l.elems) {
      std::uint64_t n = 0;
      for (auto b : e.key->value) // the field's types are in network order
        n = n << 8 | b;
      e.key = make_value(operand_bytes(*bits, n << bits->shift));
    }
    s.key_len = bits->len;
  }
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
  auto* s = member(right, "set");
  if (is_set_ref(right) || s) {
    if (!is_lookup_op(op))
      fail(path, "a set lookup takes ==, != or in");
    expr::lookup lk;
    if (s)
      lk = anonymous_set(r, key_of(ops), *s, false, rpath + ".set", cx,
                         ops.size() == 1 && ops[0].mask ? &ops[0] : nullptr);
    else
      lk.set = right.get<std::string>().substr(1);
    lk.sreg = load(rb, ops);
    if (op == "!=")
      lk.flags = NFT_LOOKUP_F_INV;
    rb.then(std::move(lk));
    return;
  }
  if (op != "==" && op != "!=")
    fail(path, "'" + op + "' is not supported for " + ops[0].name);
  auto bytes = key_bytes(key_of(ops), right, rpath, cx);
  auto reg = load(rb, ops);
  rb.then(expr::cmp{
      .sreg = reg, .op = *code_of(cmp_ops, op), .value = make_value(bytes)});
}

// A symbolic or numeric value of an integer field.
std::uint64_t integer_of(const operand& o, const value& v,
                         const std::string& path, const context& cx) {
  if (v.is_number_unsigned())
    return v.get<std::uint64_t>();
  if (!v.is_string())
    fail(path, o.name + " takes a number, not " + v.dump());
  auto b = scalar_bytes(*o.type, v, path, cx);
  return load_uint(b, o.type->big_endian ? byte_order::big : byte_order::host);
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

} // namespace

// A value of `o`: a number, a symbol, or a list of symbols (the flags of
// a bit mask type: "ct state", "tcp flags").
std::uint64_t bits_of(const operand& o, const value& v, const std::string& path,
                      const context& cx) {
  if (!v.is_array())
    return integer_of(o, v, path, cx);
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < v.size(); ++i)
    bits |= integer_of(o, v[i], path + "[" + std::to_string(i) + "]", cx);
  return bits;
}

namespace {

// ct state / status, tcp flags: "in" any of the flags set, "!" none.
void read_bits_match(const std::string& op, const operand& o,
                     const value& right, f::rule_builder& rb,
                     const std::string& path, const context& cx) {
  if (op != "in" && op != "!")
    fail(path, o.name + " takes ==, !=, in or !");
  rb.match(*o.fld, f::value{bits_of(o, right, path + ".right", cx)},
           op == "!" ? f::cmp_op::ne : f::cmp_op::eq);
}

// A comparison of a field's bits with a value (nft's bytes: the field's
// bytes loaded, masked when the operand has a mask, compared with the
// value moved to the masked bits): a field of less than a byte, `&`, a
// bit mask type with == or !=, a mark's prefix.
void read_bits_compare(const std::string& op, const operand& o,
                       const value& right, f::rule_builder& rb,
                       const std::string& path, const context& cx) {
  auto rpath = path + ".right";
  auto c = code_of(cmp_ops, op);
  if (!c)
    fail(path, "'" + op + "' is not supported for " + o.name);
  bool be = big_endian(o);
  bool eq_ne = *c == NFT_CMP_EQ || *c == NFT_CMP_NEQ;
  if (!be && !eq_ne)
    fail(path, "'" + op + "' is not supported for " + o.name);
  std::uint64_t all = o.len >= 8 ? UINT64_MAX : (1ull << (8 * o.len)) - 1;
  auto at = [&](const value& v, const std::string& p) {
    auto n = bits_of(o, v, p, cx);
    auto moved = n << o.shift;
    if ((moved >> o.shift) != n || (moved & ~(o.mask ? o.mask : all)))
      fail(p, "value " + std::to_string(n) + " does not fit " + o.name);
    return make_value(operand_bytes(o, moved));
  };
  if (auto* rg = member(right, "range")) {
    if (!rg->is_array() || rg->size() != 2)
      fail(rpath, "a range has two ends");
    if (!be || !eq_ne)
      fail(path, "a range of " + o.name + " takes == or !=");
    auto from = at((*rg)[0], rpath + ".range[0]");
    auto to = at((*rg)[1], rpath + ".range[1]");
    auto reg = load(rb, {o});
    // As nft sends them: == as two comparisons, != as a range.
    if (*c == NFT_CMP_EQ) {
      rb.then(expr::cmp{.sreg = reg, .op = NFT_CMP_GTE, .value = from});
      rb.then(expr::cmp{.sreg = reg, .op = NFT_CMP_LTE, .value = to});
    } else {
      rb.then(expr::range{
          .sreg = reg, .op = NFT_RANGE_NEQ, .from = from, .to = to});
    }
    return;
  }
  if (right.is_object())
    fail(rpath, "unsupported match value " + right.dump() + " for " + o.name);
  auto v = at(right, rpath);
  auto reg = load(rb, {o});
  rb.then(expr::cmp{.sreg = reg, .op = *c, .value = std::move(v)});
}

// {"&": [operand, mask]}: a field of integers or flags, masked.
operand read_and(const value& a, const std::string& path, const context& cx) {
  if (!a.is_array() || a.size() != 2)
    fail(path, "needs [operand, mask]");
  auto o = read_operand(a[0], path + "[0]");
  if (!o.fld || o.mask || !numeric(*o.fld))
    fail(path + "[0]", "& of " + o.name + " is not supported");
  o.mask = bits_of(o, a[1], path + "[1]", cx);
  if (o.len < 8 && o.mask >> (8 * o.len))
    fail(path + "[1]", "mask does not fit " + o.name);
  return o;
}

// The mask of a prefix of `len` bits of `o`'s bytes.
std::uint64_t prefix_mask(const operand& o, std::uint64_t len) {
  std::uint64_t bits = 8 * o.len;
  if (len == 0)
    return 0;
  auto all = bits >= 64 ? UINT64_MAX : (1ull << bits) - 1;
  return all & ~((1ull << (bits - len)) - 1);
}

// An order comparison or a range of a host-order integer: nft turns the
// register to network order first (byteorder hton; not a single byte),
// so the kernel's bytewise compare orders numbers, and sends an == range
// as two comparisons.
void read_host_order_compare(const std::string& op,
                             const std::vector<operand>& ops,
                             const value& right, f::rule_builder& rb,
                             const std::string& path, const context& cx) {
  const auto& o = ops[0];
  auto be = [&](const value& v, const std::string& p) {
    auto n = integer_of(o, v, p, cx);
    if (o.len < 8 && n >> (8 * o.len))
      fail(p, "value does not fit " + o.name);
    return make_be(n, o.len);
  };
  auto* rg = member(right, "range");
  if (rg && (!rg->is_array() || rg->size() != 2))
    fail(path + ".range", "a range has two ends");
  auto c = code_of(cmp_ops, op);
  if (!c || (rg && *c != NFT_CMP_EQ && *c != NFT_CMP_NEQ))
    fail(path, "'" + op + "' is not supported here");
  auto reg = load(rb, ops);
  if (o.len > 1)
    rb.then(expr::byteorder{.sreg = reg,
                            .dreg = reg,
                            .op = NFT_BYTEORDER_HTON,
                            .len = o.len,
                            .size = o.len == 2   ? 2u
                                    : o.len == 8 ? 8u
                                                 : 4u});
  if (!rg) {
    rb.then(expr::cmp{.sreg = reg, .op = *c, .value = be(right, path)});
  } else if (*c == NFT_CMP_EQ) {
    rb.then(expr::cmp{.sreg = reg,
                      .op = NFT_CMP_GTE,
                      .value = be((*rg)[0], path + ".range[0]")});
    rb.then(expr::cmp{.sreg = reg,
                      .op = NFT_CMP_LTE,
                      .value = be((*rg)[1], path + ".range[1]")});
  } else {
    rb.then(expr::range{.sreg = reg,
                        .op = NFT_RANGE_NEQ,
                        .from = be((*rg)[0], path + ".range[0]"),
                        .to = be((*rg)[1], path + ".range[1]")});
  }
}

} // namespace

void read_match(const value& m, f::rule_builder& rb, const rule& r,
                const std::string& path, context& cx) {
  auto op = need_string(m, "op", path);
  auto* left = member(m, "left");
  auto* right = member(m, "right");
  if (!left || !right)
    fail(path, "a match needs \"left\" and \"right\"");
  if (auto* a = member(*left, "&")) {
    read_bits_compare(op, read_and(*a, path + ".left.&", cx), *right, rb, path,
                      cx);
    return;
  }
  auto ops = read_operands(*left, path + ".left");
  auto rpath = path + ".right";
  bool negate = op == "!=";
  const auto& o = ops[0];
  bool lookup = member(*right, "set") || is_set_ref(*right);
  if (ops.size() == 1 && o.mask && !lookup) {
    read_bits_compare(op, o, *right, rb, path, cx);
    return;
  }
  if (ops.size() == 1 && o.fld && o.fld->kind == f::field::shape::bits &&
      !lookup) {
    if (op == "in" || op == "!")
      read_bits_match(op, o, *right, rb, path, cx);
    else
      read_bits_compare(op, o, *right, rb, path, cx);
    return;
  }
  // Anonymous sets of fields of less than a byte of types in network
  // order (ip dscp { cs1, ef }).
  if (o.mask && lookup && (is_set_ref(*right) || !o.type->big_endian))
    fail(path, "a set lookup of " + o.name + " is not supported");
  if (ops.size() > 1 || !o.fld || member(*right, "set")) {
    read_general_match(op, ops, *right, rb, r, path, cx);
    return;
  }
  // Named set: "@name".
  if (is_set_ref(*right)) {
    if (!is_lookup_op(op))
      fail(path, "a set lookup takes ==, != or in");
    rb.match_set(*o.fld, right->get<std::string>().substr(1), negate);
    return;
  }
  if (auto* rg = member(*right, "range")) {
    if (o.fld->kind == f::field::shape::integer_ne) {
      read_host_order_compare(op, ops, *right, rb, rpath, cx);
      return;
    }
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
    if (numeric(*o.fld)) {
      // A mark's prefix: the leading bits masked.
      auto m = o;
      m.mask = prefix_mask(o, need_uint(field_or_null(*p, "len"),
                                        rpath + ".prefix.len", 8 * o.len));
      read_bits_compare(op, m, field_or_null(*p, "addr"), rb, path, cx);
      return;
    }
    auto addr = need_string(*p, "addr", rpath + ".prefix");
    auto len = need_uint(field_or_null(*p, "len"), rpath + ".prefix.len", 128);
    rb.match(*o.fld, f::value{addr + "/" + std::to_string(len)},
             negate ? f::cmp_op::ne : f::cmp_op::eq);
    return;
  }
  if (right->is_object() || right->is_array())
    fail(rpath, "unsupported match value " + right->dump());
  auto c = op == "in" ? std::optional<std::uint32_t>{NFT_CMP_EQ}
                      : code_of(cmp_ops, op);
  if (!c)
    fail(path, "unsupported operator '" + op + "'");
  if (*c != NFT_CMP_EQ && *c != NFT_CMP_NEQ &&
      o.fld->kind == f::field::shape::integer_ne && o.len > 1) {
    read_host_order_compare(op, ops, *right, rb, rpath, cx);
    return;
  }
  rb.match(*o.fld, scalar_of(o, *right, rpath, cx), static_cast<f::cmp_op>(*c));
}

void read_vmap(const value& v, f::rule_builder& rb, const rule& r,
               const std::string& path, context& cx) {
  auto* key = member(v, "key");
  auto* data = member(v, "data");
  if (!key || !data)
    fail(path, "a vmap needs \"key\" and \"data\"");
  auto ops = read_operands(*key, path + ".key");
  expr::lookup lk;
  if (is_set_ref(*data)) {
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

} // namespace nfactor::nft::json::detail
