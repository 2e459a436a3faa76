// SPDX-License-Identifier: Apache-2.0
//
// The writer's walk over a rule, and the expressions that load registers
// (payload, meta, ct, fib, numgen, socket, immediate) or change what a
// register holds (bitwise, byteorder): they emit nothing themselves but
// note what each register holds for the match or statement that reads it.
#include <algorithm>

#include <arpa/inet.h>
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
  if (!dep3_.is_null())
    out_.push_back(std::move(dep3_));
  if (!dep4_.is_null()) {
    flushed_l4_ = dep_l4_;
    flushed_at_ = out_.size();
    out_.push_back(std::move(dep4_));
  }
  dep3_ = nullptr;
  dep4_ = nullptr;
  dep_l4_ = dep_l3_ = 0;
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

value statement_writer::field_operand(const named_field& nf) {
  if (dep_l4_ && nf.fld->l4proto == dep_l4_) {
    dep4_ = nullptr;
    dep_l4_ = 0;
  }
  if (dep_l3_ && nf.fld->nfproto == dep_l3_) {
    dep3_ = nullptr;
    dep_l3_ = 0;
  }
  if (nf.fld->from == f::field::source::payload)
    return {{"payload",
             {{"protocol", std::string{nf.a}}, {"field", std::string{nf.b}}}}};
  return {{std::string{nf.a}, {{"key", std::string{nf.b}}}}};
}

void statement_writer::load_field(std::uint32_t reg, const named_field& nf) {
  value op = field_operand(nf);
  held h{op, find_dtype(nf.type), nf.fld, {}, {}, nf.fld->len, {}};
  if (h.type && h.type->kind == shape::integer)
    h.big_endian = nf.fld->kind == f::field::shape::integer_be;
  put(reg, std::move(h));
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
  if (!word_rewrite(e))
    flush_dep();
  put(*p.dreg, held::loaded({{"payload",
                              {{"base", base_name(p.base)},
                               {"offset", p.offset * 8},
                               {"len", p.len * 8}}}},
                            nullptr, p.len));
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

void statement_writer::on(const expr::exthdr& x, const expression& e) {
  bool present = x.flags.value_or(0) & NFT_EXTHDR_F_PRESENT;
  auto op = x.op.value_or(NFT_EXTHDR_OP_IPV6);
  auto f =
      std::find_if(exthdr_fields.begin(), exthdr_fields.end(), [&](auto& r) {
        return r.op == op && r.type == x.type && r.offset == x.offset &&
               r.len == x.len && r.field.empty() == present;
      });
  if (f == exthdr_fields.end() || (!x.dreg && !x.sreg) || (x.sreg && present)) {
    opaque(e);
    return;
  }
  value o = {{"name", f->name}};
  if (!present)
    o["field"] = f->field;
  value operand = {{std::string{exthdr_key(op)}, o}};
  if (x.sreg) {
    mangle(std::move(operand), &exthdr_type(*f), *x.sreg, e);
    return;
  }
  flush_dep();
  put(*x.dreg, held::loaded(std::move(operand), &exthdr_type(*f), f->len));
}

void statement_writer::on(const expr::bitwise& b, const expression& e) {
  auto it = regs_.find(b.sreg);
  if (it == regs_.end() || !b.mask) {
    opaque(e);
    return;
  }
  held h = it->second;
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
  regs_[im.dreg] = held{nullptr, nullptr, nullptr, im.value, {}, 0, {}};
}

} // namespace nfactor::nft::json::detail
