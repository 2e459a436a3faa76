// SPDX-License-Identifier: Apache-2.0
//
// The writer's walk over a rule, and the expressions that load registers
// (payload, meta, ct, fib, numgen, socket, immediate) or change what a
// register holds (bitwise, byteorder): they emit nothing themselves but
// note what each register holds for the match or statement that reads it.
#include <algorithm>
#include <bit>

#include <arpa/inet.h>
#include <net/if_arp.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "names.hpp"
#include "writer.hpp"

namespace nfactor::nft::json::detail {

namespace f = front;

namespace {

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

} // namespace

value statement_writer::run() {
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

void statement_writer::emit(value v) {
  flush_dep();
  out_.push_back(std::move(v));
}

void statement_writer::flush_dep() {
  for (int l = 0; l < layers; ++l) {
    auto& d = deps_[l];
    if (!d.match.is_null()) {
      if (l == transport) {
        // A set statement's field may imply it after all (write_statements).
        flushed_l4_ = static_cast<std::uint8_t>(d.code);
        flushed_at_ = out_.size();
      }
      out_.push_back(std::move(d.match));
    }
    d = {};
  }
}

void statement_writer::put(std::uint32_t reg, held h) {
  regs_[reg] = std::move(h);
  loaded_.push_back(reg);
}

held statement_writer::take(std::uint32_t reg) {
  auto it = regs_.find(reg);
  return it == regs_.end() ? held{} : it->second;
}

void statement_writer::opaque(const expression& e) {
  emit({{"nfactor", render(e)}});
}

void statement_writer::implied(layer l, std::uint32_t code) {
  if (deps_[l].code && deps_[l].code == code)
    deps_[l] = {};
}

void statement_writer::imply(const named_field& nf) {
  if (nf.fld->ether)
    implied(link, ARPHRD_ETHER);
  // vlan type names the next protocol, as ether type does: nft lists the
  // ether type 8021q before it (ether type 8021q vlan type ip).
  if (!(nf.fld->ether && nf.fld->offset == 16))
    implied(frame, nf.fld->ethertype);
  implied(network, nf.fld->nfproto);
  implied(transport, nf.fld->l4proto);
}

void statement_writer::load_field(std::uint32_t reg, const named_field& nf) {
  imply(nf);
  put(reg, field_held(nf));
}

held statement_writer::field_held(const named_field& nf) {
  value op;
  if (nf.fld->from == f::field::source::payload)
    op = {{"payload",
           {{"protocol", std::string{nf.a}}, {"field", std::string{nf.b}}}}};
  else
    op = {{std::string{nf.a}, {{"key", std::string{nf.b}}}}};
  held h{op, find_dtype(nf.type), nf.fld, {}, {}, nf.fld->len, {}, {}};
  if (h.type && h.type->kind == shape::integer)
    h.big_endian = nf.fld->kind == f::field::shape::integer_be;
  h.shift = nf.mask ? std::countr_zero(nf.mask) : 0;
  return h;
}

std::vector<const named_field*>
statement_writer::fields_covering(std::uint32_t base, std::uint32_t offset,
                                  std::uint32_t len) const {
  auto at = [&](std::uint32_t off) {
    return [&, off](const named_field& r) {
      const auto& fl = *r.fld;
      return !r.mask && fl.from == f::field::source::payload &&
             fl.key == base && fl.offset == off && fl.len < len;
    };
  };
  std::vector<const named_field*> out;
  auto* first = field_where(at(offset));
  if (!first)
    return out;
  out.push_back(first);
  auto end = offset + len;
  auto next = offset + first->fld->len;
  while (next < end) {
    // The next field of the same protocol (tcp sport, then tcp dport).
    auto* nf = field_where(at(next));
    if (!nf || nf->a != first->a)
      return {};
    out.push_back(nf);
    next += nf->fld->len;
  }
  if (next != end)
    return {};
  return out;
}

void statement_writer::mangle(value key, const dtype* type, std::uint32_t sreg,
                              const expression& e) {
  auto h = take(sreg);
  if (!h.imm && h.operand.is_null()) {
    opaque(e);
    return;
  }
  loaded_.clear();
  emit({{"mangle",
         {{"key", std::move(key)},
          {"value", h.imm ? scalar_json(type, h.imm->value) : h.operand}}}});
}

void statement_writer::on(const expr::payload& p, const expression& e) {
  if (!p.dreg) {
    payload_write(p, e);
    return;
  }
  auto* nf = field_where([&](const named_field& r) {
    const auto& fl = *r.fld;
    return !r.mask && fl.from == f::field::source::payload &&
           fl.key == p.base && fl.offset == p.offset && fl.len >= p.len &&
           (fl.len == p.len || fl.kind == f::field::shape::ipv4 ||
            fl.kind == f::field::shape::ipv6);
  });
  if (nf) {
    load_field(*p.dreg, *nf);
    regs_[*p.dreg].len = p.len;
    return;
  }
  if (auto parts = fields_covering(p.base, p.offset, p.len); !parts.empty()) {
    load_field(*p.dreg, *parts[0]);
    auto& h = regs_[*p.dreg];
    h.len = p.len;
    for (auto* part : parts)
      h.parts.push_back(field_held(*part));
    return;
  }
  auto h = held::loaded({{"payload",
                          {{"base", base_name(p.base)},
                           {"offset", p.offset * 8},
                           {"len", p.len * 8}}}},
                        nullptr, p.len);
  // Bytes of fields of less than a byte: which one, the bitwise says
  // (and it may imply a held dependency).
  if (sub_field(p, std::nullopt))
    h.bytes_of = e;
  else if (!word_rewrite(e))
    flush_dep();
  put(*p.dreg, std::move(h));
}

const named_field*
statement_writer::sub_field(const expr::payload& p,
                            std::optional<std::uint64_t> mask) const {
  // ip or ip6: field_where asks the table's family, or in inet the held
  // nfproto match.
  return field_where([&](const named_field& r) {
    const auto& fl = *r.fld;
    return r.mask && (!mask || r.mask == *mask) &&
           fl.from == f::field::source::payload && fl.key == p.base &&
           fl.offset == p.offset && fl.len == p.len;
  });
}

// meta and ct: a load of a known key, or a "set" from a register.
void statement_writer::on(const expr::meta& m, const expression& e) {
  auto* nf = field_where([&](const f::field& fl) {
    return fl.from == f::field::source::meta && fl.key == m.key;
  });
  if (nf && m.sreg)
    mangle({{"meta", {{"key", std::string{nf->b}}}}}, find_dtype(nf->type),
           *m.sreg, e);
  else if (nf && m.dreg)
    load_field(*m.dreg, *nf);
  else
    opaque(e);
}

void statement_writer::on(const expr::ct& c, const expression& e) {
  auto* nf = field_where([&](const f::field& fl) {
    return fl.from == f::field::source::ct && fl.key == c.key;
  });
  if (!nf || c.direction)
    opaque(e);
  else if (c.sreg)
    mangle({{"ct", {{"key", std::string{nf->b}}}}}, find_dtype(nf->type),
           *c.sreg, e);
  else if (c.dreg)
    load_field(*c.dreg, *nf);
}

void statement_writer::on(const expr::fib& fb, const expression&) {
  flush_dep();
  value flags = value::array();
  for (auto& fl : fib_flags)
    if (fb.flags & fl.value)
      flags.push_back(fl.name);
  auto* t = find_dtype(fib_result_type(fb.result));
  put(fb.dreg,
      held::loaded(
          {{"fib",
            {{"result", name_of(fib_results, fb.result).value_or("type")},
             {"flags", flags}}}},
          t, t->len));
}

void statement_writer::on(const expr::numgen& n, const expression&) {
  flush_dep();
  put(n.dreg,
      held::loaded({{"numgen",
                     {{"mode", n.type == NFT_NG_INCREMENTAL ? "inc" : "random"},
                      {"mod", n.modulus},
                      {"offset", n.offset.value_or(0)}}}},
                   find_dtype("integer"), 4));
}

void statement_writer::on(const expr::socket& s, const expression& e) {
  auto key = name_of(socket_keys, s.key);
  if (!key) {
    opaque(e);
    return;
  }
  flush_dep();
  bool mark = s.key == NFT_SOCKET_MARK;
  put(s.dreg,
      held::loaded({{"socket", {{"key", *key}}}},
                   find_dtype(mark ? "mark" : "integer"), mark ? 4u : 1u));
}

void statement_writer::on(const expr::hash& h, const expression& e) {
  auto name = name_of(hash_types, h.type);
  if (!name || (h.type == NFT_HASH_JENKINS && !h.sreg)) {
    opaque(e);
    return;
  }
  value o = {{"mod", h.modulus}};
  if (h.offset && *h.offset)
    o["offset"] = *h.offset;
  if (h.type == NFT_HASH_JENKINS) {
    o["expr"] = lookup_key(*h.sreg).first;
    if (h.seed) // the kernel lists a seed it was given
      o["seed"] = *h.seed;
  }
  flush_dep();
  put(h.dreg,
      held::loaded({{std::string{*name}, o}}, find_dtype("integer"), 4));
}

void statement_writer::on(const expr::rt& rt, const expression& e) {
  auto k = std::find_if(rt_keys.begin(), rt_keys.end(),
                        [&](auto& x) { return x.key == rt.key; });
  if (k == rt_keys.end()) {
    opaque(e);
    return;
  }
  value o = {{"key", k->name}};
  if (!k->family.empty())
    o["family"] = k->family;
  flush_dep();
  put(rt.dreg, held::loaded({{"rt", o}}, &rt_type(*k), k->len));
}

namespace {

// The row of exthdr_fields that `x` loads whose mask `mask_fits`: 0 for
// a whole field, else the bits of a field of less than its bytes.
template <typename Pred>
const exthdr_field* exthdr_row(const expr::exthdr& x, Pred mask_fits) {
  bool present = x.flags.value_or(0) & NFT_EXTHDR_F_PRESENT;
  auto op = x.op.value_or(NFT_EXTHDR_OP_IPV6);
  auto f =
      std::find_if(exthdr_fields.begin(), exthdr_fields.end(), [&](auto& r) {
        return r.op == op && r.type == x.type && r.offset == x.offset &&
               r.len == x.len && r.field.empty() == present &&
               mask_fits(r.mask);
      });
  return f == exthdr_fields.end() ? nullptr : &*f;
}

// The operand nft lists for row `f`.
value exthdr_operand(const exthdr_field& f) {
  value o = {{"name", f.name}};
  if (!f.field.empty())
    o["field"] = f.field;
  return {{std::string{exthdr_key(f.op)}, o}};
}

} // namespace

void statement_writer::on(const expr::exthdr& x, const expression& e) {
  const auto* f = exthdr_row(x, [](std::uint32_t m) { return m == 0; });
  bool present = x.flags.value_or(0) & NFT_EXTHDR_F_PRESENT;
  // Bytes of fields of less than a byte: which one, the bitwise says.
  bool bytes =
      !f && x.dreg && exthdr_row(x, [](std::uint32_t m) { return m != 0; });
  if (!bytes && (!f || (!x.dreg && !x.sreg) || (x.sreg && present))) {
    opaque(e);
    return;
  }
  if (x.sreg) {
    mangle(exthdr_operand(*f), &exthdr_type(*f), *x.sreg, e);
    return;
  }
  if (bytes) {
    // As a payload's: named, and its dependency implied, by the bitwise.
    auto h = held::loaded({}, nullptr, x.len);
    h.bytes_of = e;
    put(*x.dreg, std::move(h));
    return;
  }
  implied_by(x);
  flush_dep();
  put(*x.dreg, held::loaded(exthdr_operand(*f), &exthdr_type(*f), f->len));
}

void statement_writer::implied_by(const expr::exthdr& x) {
  if (x.op.value_or(NFT_EXTHDR_OP_IPV6) == NFT_EXTHDR_OP_IPV6)
    implied(network, NFPROTO_IPV6);
}

void statement_writer::on(const expr::bitwise& b, const expression& e) {
  auto it = regs_.find(b.sreg);
  if (it == regs_.end() || !b.mask) {
    opaque(e);
    return;
  }
  held h = it->second;
  if (h.bytes_of) {
    auto mask = load_uint(b.mask->value, byte_order::big);
    const auto* p = h.bytes_of->get_if<expr::payload>();
    const auto* x = h.bytes_of->get_if<expr::exthdr>();
    if (const auto* nf = p ? sub_field(*p, mask) : nullptr) {
      imply(*nf);
      regs_[b.dreg] = field_held(*nf);
      return;
    }
    auto picks = [&](std::uint32_t m) {
      return m && m == mask;
    };
    if (const auto* f = x ? exthdr_row(*x, picks) : nullptr) {
      implied_by(*x);
      auto fh = held::loaded(exthdr_operand(*f), &exthdr_type(*f), f->len);
      fh.shift = std::countr_zero(f->mask);
      regs_[b.dreg] = std::move(fh);
      return;
    }
    if (x) {
      opaque(*h.bytes_of);
      opaque(e);
      return;
    }
  }
  h.mask = b.mask->value;
  regs_[b.dreg] = h;
}

void statement_writer::on(const expr::byteorder& bo, const expression& e) {
  auto it = regs_.find(bo.sreg);
  if (it == regs_.end() || bo.op != NFT_BYTEORDER_HTON) {
    opaque(e);
    return;
  }
  held h = it->second;
  h.big_endian = true;
  regs_[bo.dreg] = h;
}

void statement_writer::on(const expr::immediate& im, const expression&) {
  if (im.dreg == NFT_REG_VERDICT && im.value.verdict) {
    emit(verdict_json(*im.value.verdict));
    return;
  }
  regs_[im.dreg] = held{nullptr, nullptr, nullptr, im.value, {}, 0, {}, {}};
}

} // namespace nfactor::nft::json::detail
