// SPDX-License-Identifier: Apache-2.0
//
// The writer's matches: cmp, range and lookup on what registers hold →
// {"match": ...} and {"vmap": ...}; meta l4proto / nfproto / protocol /
// iiftype matches are held back as possible dependencies nft would imply.
#include <algorithm>
#include <bit>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <net/if_arp.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "names.hpp"
#include "writer.hpp"

namespace nfactor::nft::json::detail {

namespace f = front;

namespace {

// The number in `b`, in the byte order of what `h` holds.
std::uint64_t number_of(const held& h, byte_view b) {
  return load_uint(b, h.big_endian.value_or(!h.type || h.type->big_endian)
                          ? byte_order::big
                          : byte_order::host);
}

// The bytes `b` of a field of less than its bytes (network order), its
// value moved down by `shift` from its bits.
byte_buffer moved_down(byte_view b, int shift) {
  std::uint64_t n = 0;
  for (auto x : b)
    n = n << 8 | x;
  n >>= shift;
  byte_buffer down(b.size(), 0);
  for (std::size_t i = 0; i < down.size() && i < 8; ++i)
    down[down.size() - 1 - i] = static_cast<std::uint8_t>(n >> (8 * i));
  return down;
}

// A value `h` is compared with, in the register's byte order; a field of
// less than its bytes' value moved down from its bits.
value value_of(const held& h, byte_view b) {
  byte_buffer down;
  if (h.shift) {
    down = moved_down(b, h.shift);
    b = down;
  }
  return h.big_endian ? integer_json(h.type, b, *h.big_endian)
                      : scalar_json(h.type, b);
}

// Flags of a bit mask type as nft lists them: a name, or a list of names
// (numbers for bits without one).
value flag_names(const held& h, std::uint64_t bits) {
  value names = value::array();
  for (std::uint64_t bit = 1; bit && bit <= bits; bit <<= 1)
    if (bits & bit) {
      auto n = symbol_name(*h.type, bit);
      names.push_back(n ? value(std::string{*n}) : value(bit));
    }
  return names.size() == 1 ? names[0] : names;
}

// The prefix length of a mask of a mark (nft lists `meta mark & 0xffff0000
// == 0x10000` as the prefix 0x10000/16), or -1 when it is none.
int mark_prefix(const held& h, byte_view mask) {
  if (!h.type || h.type->name != "mark")
    return -1;
  auto m = number_of(h, mask);
  auto bits = static_cast<int>(8 * mask.size());
  auto len = std::popcount(m);
  auto all = bits >= 64 ? UINT64_MAX : (1ull << bits) - 1;
  if (len == 0 || m != (all & ~((1ull << (bits - len)) - 1)))
    return -1;
  return len;
}

} // namespace

std::optional<std::pair<statement_writer::layer, std::uint32_t>>
statement_writer::dependency(const held& h, std::string_view op, byte_view v) {
  if (!h.fld || op != "==" || h.mask)
    return std::nullopt;
  // The frame's protocol, as the field or meta protocol (bridge, netdev).
  auto ether_type = [&]() -> std::optional<std::pair<layer, std::uint32_t>> {
    if (v.size() != 2)
      return std::nullopt;
    auto type = std::uint32_t{v[0]} << 8 | v[1];
    if (type == ETH_P_8021Q && h.fld->ether)
      return std::pair{frame, type};
    if (type != ETH_P_IP && type != ETH_P_IPV6)
      return std::nullopt;
    return std::pair{
        network, std::uint32_t{type == ETH_P_IP ? NFPROTO_IPV4 : NFPROTO_IPV6}};
  };
  // ether type, or vlan type (only a network protocol there).
  if (h.fld->ether && h.fld->offset == 12)
    return ether_type();
  if (h.fld->ether && h.fld->offset == 16)
    if (auto d = ether_type(); d && d->first == network)
      return d;
  if (h.fld->from != f::field::source::meta)
    return std::nullopt;
  switch (h.fld->key) {
  case NFT_META_L4PROTO:
    if (v.size() == 1)
      return std::pair{transport, std::uint32_t{v[0]}};
    break;
  case NFT_META_NFPROTO:
    if (v.size() == 1)
      return std::pair{network, std::uint32_t{v[0]}};
    break;
  case NFT_META_PROTOCOL:
    return ether_type();
  case NFT_META_IIFTYPE:
    if (v.size() == 2 && load_uint(v, byte_order::host) == ARPHRD_ETHER)
      return std::pair{link, std::uint32_t{ARPHRD_ETHER}};
    break;
  }
  return std::nullopt;
}

void statement_writer::on(const expr::cmp& c, const expression& e) {
  auto it = regs_.find(c.sreg);
  if (it == regs_.end() || it->second.operand.is_null()) {
    opaque(e);
    return;
  }
  held h = it->second;
  loaded_.clear();
  std::string op{name_of(cmp_ops, c.op).value_or("==")};
  if (!h.parts.empty()) {
    // Fields nft joined into one load: a match on each.
    if ((c.op != NFT_CMP_EQ && c.op != NFT_CMP_NEQ) ||
        c.value.value.size() != h.len) {
      opaque(e);
      return;
    }
    // A part may be a dependency nft joined in (ether saddr . ether type
    // ip before ip saddr): held as one.
    std::size_t off = 0;
    for (auto& part : h.parts) {
      auto v = byte_view{c.value.value}.subspan(off, part.len);
      match({{"match",
              {{"op", op},
               {"left", part.operand},
               {"right", value_of(part, v)}}}},
            part, op, v);
      off += part.len;
    }
    return;
  }
  value right;
  bool flags = h.fld && h.fld->kind == f::field::shape::bits;
  bool eq_ne = c.op == NFT_CMP_EQ || c.op == NFT_CMP_NEQ;
  bool address =
      h.type && (h.type->kind == shape::ipv4 || h.type->kind == shape::ipv6);
  value left = h.operand;
  if (h.mask && flags && eq_ne && number_of(h, c.value.value) == 0) {
    // ct state established,related: mask, != 0; "!": mask, == 0.
    right = flag_names(h, number_of(h, *h.mask));
    op = c.op == NFT_CMP_NEQ ? "in" : "!";
  } else if (h.mask && eq_ne && mark_prefix(h, *h.mask) >= 0) {
    right = {{"prefix",
              {{"addr", value_of(h, c.value.value)},
               {"len", mark_prefix(h, *h.mask)}}}};
  } else if (h.mask && !address) {
    // tcp flags & (syn|ack) == syn, ct mark & 0xff == 0x1.
    left = {{"&", value::array(
                      {h.operand, flags ? flag_names(h, number_of(h, *h.mask))
                                        : value_of(h, *h.mask)})}};
    right = flags ? flag_names(h, number_of(h, c.value.value))
                  : value_of(h, c.value.value);
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
    right = {
        {"prefix", {{"addr", scalar_json(h.type, from)}, {"len", h.len * 8}}}};
  } else {
    right = value_of(h, c.value.value);
  }
  match({{"match", {{"op", op}, {"left", left}, {"right", right}}}}, h, op,
        c.value.value);
}

void statement_writer::match(value m, const held& h, std::string_view op,
                             byte_view v) {
  if (op == "==" && h.type && h.type->name == "inet_proto" && v.size() == 1)
    last_l4_ = v[0]; // meta l4proto, ip protocol, ip6 nexthdr
  if (auto d = dependency(h, op, v)) {
    auto& slot = deps_[d->first];
    if (!slot.match.is_null())
      flush_dep();
    slot = {std::move(m), d->second};
    if (d->first == network)
      l3_ = static_cast<std::uint8_t>(d->second);
    return;
  }
  emit(std::move(m));
}
void statement_writer::on(const expr::range& rg, const expression& e) {
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
           {{"range", value::array({value_of(h, rg.from.value),
                                    value_of(h, rg.to.value)})}}}}}});
}

// The operand a lookup reads: one register or a concatenation.
std::pair<value, key_type> statement_writer::lookup_key(std::uint32_t sreg) {
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

value statement_writer::set_ref(const std::string& name, int shift) {
  if (name.starts_with("__") && sets_)
    if (auto* s = sets_(r_.family, r_.table, name)) {
      if (!shift)
        return {{"set", elements_json(s->set, s->elems)}};
      auto elems = s->elems;
      for (auto& e : elems)
        if (e.key)
          e.key->value = moved_down(e.key->value, shift);
      return {{"set", elements_json(s->set, elems)}};
    }
  return "@" + name;
}

void statement_writer::on(const expr::lookup& l, const expression&) {
  auto shift = take(l.sreg).shift;
  auto [left, k] = lookup_key(l.sreg);
  auto right = set_ref(l.set, shift);
  if (l.dreg && *l.dreg == NFT_REG_VERDICT) {
    emit({{"vmap", {{"key", left}, {"data", right}}}});
    return;
  }
  bool inv = l.flags.value_or(0) & NFT_LOOKUP_F_INV;
  emit({{"match",
         {{"op", inv ? "!=" : "=="}, {"left", left}, {"right", right}}}});
}

} // namespace nfactor::nft::json::detail
